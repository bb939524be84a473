/** The cache across executions: bounded, aged, one per company; and the decisions that drop its entries. */
import { ExpiringLru } from '../../nodes/shared/sync/expiringLru';
import {
	CACHE_LIMITS,
	clearCompanyCaches,
	companyCache,
	createKeySuffix,
	customerKey,
	forgetCustomer,
	forgetItems,
	setCompanyCacheClock,
} from '../../nodes/shared/sync/companyCache';
import { refsDiffer, usesCache, type DocumentRefs } from '../../nodes/shared/sync/documentRefs';
import { echoedRefs } from '../../nodes/shared/domain/salesDocument';
import {
	FRESH_REF_RETRIES,
	echoedUnderOtherName,
	isRefusedReference,
	lookAgainAfterRefusal,
	raceLookupNeeded,
} from '../../nodes/shared/recovery';
import { QboError } from '../../nodes/shared/quickbooks/errors';

let now = 0;
beforeEach(() => {
	now = 1_000_000;
	setCompanyCacheClock(() => now);
	clearCompanyCaches();
});
afterAll(() => setCompanyCacheClock(() => Date.now()));

const company = (companyKey: string) => companyCache({ companyKey });

describe('ExpiringLru', () => {
	test('holds at most maxEntries: the least recently used goes first', () => {
		const lru = new ExpiringLru<number>(3, 60_000, () => now);
		for (const k of ['a', 'b', 'c']) lru.set(k, 1);
		lru.get('a'); // a is now the most recently used
		lru.set('d', 1);
		expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.get('d')]).toEqual([1, undefined, 1, 1]);
		expect(lru.size).toBe(3);
	});

	test('an entry as old as its time to live is not answered, and is removed', () => {
		const lru = new ExpiringLru<string>(10, 1000, () => now);
		lru.set('k', 'v');
		now += 999;
		expect(lru.get('k')).toBe('v');
		now += 1;
		expect(lru.get('k')).toBeUndefined();
		expect(lru.size).toBe(0);
	});

	test('setting again renews the age; deleteWhere drops every matching value', () => {
		const lru = new ExpiringLru<{ id: string }>(10, 1000, () => now);
		lru.set('x@a.com', { id: '1' });
		lru.set('y@a.com', { id: '1' });
		lru.set('z@a.com', { id: '2' });
		now += 900;
		lru.set('z@a.com', { id: '2' });
		now += 200;
		expect(lru.get('z@a.com')).toEqual({ id: '2' });
		lru.deleteWhere((v) => v.id === '2');
		expect(lru.get('z@a.com')).toBeUndefined();
	});

	test('5,000 customers at most per company: 6,000 distinct e-mails leave the newest 5,000', () => {
		const cache = company('https://q/v3/company/1');
		for (let i = 0; i < 6000; i++)
			cache.customers.set(customerKey(`c${i}@x.com`, 'oldest'), { Id: String(i) });
		expect(cache.customers.size).toBe(CACHE_LIMITS.customers.maxEntries);
		expect(cache.customers.get(customerKey('c999@x.com', 'oldest'))).toBeUndefined();
		expect(cache.customers.get(customerKey('c1000@x.com', 'oldest'))).toEqual({ Id: '1000' });
		for (let i = 0; i < 6000; i++) cache.items.set(`item ${i}`, { ref: { value: '1' }, names: [] });
		expect(cache.items.size).toBe(CACHE_LIMITS.items.maxEntries);
	});
});

describe('companyCache', () => {
	test('two realms (or two API hosts) never share entries', () => {
		const a = company('https://quickbooks.api.intuit.com/v3/company/111');
		const b = company('https://quickbooks.api.intuit.com/v3/company/222');
		const sandboxA = company('https://sandbox-quickbooks.api.intuit.com/v3/company/111');
		a.customers.set(customerKey('pat@x.com', 'oldest'), { Id: '7' });
		a.items.set('plan', { ref: { value: '3', name: 'Plan' }, names: ['Plan'] });
		expect(b.customers.get(customerKey('pat@x.com', 'oldest'))).toBeUndefined();
		expect(sandboxA.items.get('plan')).toBeUndefined();
		expect(company('https://quickbooks.api.intuit.com/v3/company/111')).toBe(a);
	});

	test('the duplicate policy is part of a customer key', () => {
		expect(customerKey('pat@x.com', 'oldest')).not.toBe(customerKey('pat@x.com', 'newest'));
	});

	test('companies are bounded too: the least recently used company is dropped whole', () => {
		const first = company('c-0');
		first.customers.set('k', { Id: '1' });
		for (let i = 1; i <= CACHE_LIMITS.companies; i++) company(`c-${i}`);
		expect(company('c-0').customers.get('k')).toBeUndefined();
	});

	test('customers: 10 minutes, items: 30 minutes, preferences: 15 minutes', () => {
		const cache = company('k');
		cache.customers.set('c', { Id: '1' });
		cache.items.set('i', { ref: { value: '2' }, names: [] });
		cache.preferences.set('preferences', { customTxnNumbers: true });
		now += 10 * 60_000;
		expect(cache.customers.get('c')).toBeUndefined();
		expect(cache.preferences.get('preferences')).toEqual({ customTxnNumbers: true });
		now += 5 * 60_000;
		expect(cache.preferences.get('preferences')).toBeUndefined();
		expect(cache.items.get('i')).toBeDefined();
		now += 15 * 60_000;
		expect(cache.items.get('i')).toBeUndefined();
	});

	test('forgetCustomer drops the customer under every e-mail it was cached for, and retires those keys', () => {
		const cache = company('k');
		cache.customers.set(customerKey('a@x.com', 'oldest'), { Id: '5' });
		cache.customers.set(customerKey('b@x.com', 'newest'), { Id: '5' });
		cache.customers.set(customerKey('c@x.com', 'oldest'), { Id: '6' });
		forgetCustomer(cache, '5');
		expect(cache.customers.size).toBe(1);
		// A new customer for a@x.com gets its own requestid: the old create's would be answered with customer 5.
		expect(createKeySuffix(cache, 'customer', customerKey('a@x.com', 'oldest'))).toBe(':after:5');
		expect(createKeySuffix(cache, 'customer', customerKey('c@x.com', 'oldest'))).toBe('');
	});

	test('forgetItems retires the keys of the items it drops', () => {
		const cache = company('k');
		cache.items.set('plan', { ref: { value: '12', name: 'Plan' }, names: ['Plan'] });
		forgetItems(cache, (item) => item.ref.value === '12');
		expect(cache.items.get('plan')).toBeUndefined();
		expect(createKeySuffix(cache, 'item', 'plan')).toBe(':after:12');
	});
});

describe('decisions that drop cached records (recovery R8, R17, R18)', () => {
	const fault = (code: string) =>
		new QboError('x', { kind: 'fault', httpStatus: 400, faults: [{ code, message: 'm' }] });

	test('R8: the race look-up is skipped only when the company refuses duplicate numbers', () => {
		expect([raceLookupNeeded(true), raceLookupNeeded(false), raceLookupNeeded(undefined)]).toEqual([
			false,
			true,
			true,
		]);
	});

	test('R17: 610 and 2500 are refusals of a reference; a cached record is looked up again once', () => {
		expect(['610', '2500', '6240', '6000'].map((c) => isRefusedReference(fault(c)))).toEqual([
			true,
			true,
			false,
			false,
		]);
		expect(isRefusedReference(new Error('610'))).toBe(false);
		expect(FRESH_REF_RETRIES).toBe(1);
		expect(lookAgainAfterRefusal(0, true)).toBe(true);
		expect(lookAgainAfterRefusal(0, false)).toBe(false);
		expect(lookAgainAfterRefusal(1, true)).toBe(false);
	});

	test('R18: a record echoed under a name it was not cached with was renamed', () => {
		expect(echoedUnderOtherName(['Plan A'], 'Plan A')).toBe(false);
		expect(echoedUnderOtherName(['Child', 'Parent:Child'], 'Parent:Child')).toBe(false);
		expect(echoedUnderOtherName(['Plan A'], 'Plan Alpha')).toBe(true);
		expect(echoedUnderOtherName(['Plan A'], undefined)).toBe(false);
	});

	test('echoedRefs reads CustomerRef and every line ItemRef of a written document', () => {
		expect(
			echoedRefs({
				CustomerRef: { value: '58', name: 'Pat Lee' },
				Line: [
					{
						DetailType: 'SalesItemLineDetail',
						SalesItemLineDetail: { ItemRef: { value: '3', name: 'Plan' } },
					},
					{ DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
					{ DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: 4 } } },
				],
			}),
		).toEqual({
			customer: { value: '58', name: 'Pat Lee' },
			items: [{ value: '3', name: 'Plan' }, { value: '4' }],
		});
		expect(echoedRefs({})).toEqual({ customer: undefined, items: [] });
	});

	test('a fresh look-up differs when it gives another customer or item, or reactivated the customer', () => {
		const refs = (customerId: string, itemId: string, extra: object = {}): DocumentRefs => {
			const byName = new Map([['Plan', { value: itemId }]]);
			return {
				match: { customer: { Id: customerId }, how: 'matched', ...extra },
				items: { refFor: (line) => byName.get(line.name)!, byName, cached: new Map() },
			};
		};
		expect(refsDiffer(refs('1', '3'), refs('1', '3'))).toBe(false);
		expect(refsDiffer(refs('1', '3'), refs('2', '3'))).toBe(true);
		expect(refsDiffer(refs('1', '3'), refs('1', '4'))).toBe(true);
		expect(refsDiffer(refs('1', '3'), refs('1', '3', { reactivated: true }))).toBe(true);
		expect(usesCache(refs('1', '3'))).toBe(false);
		expect(usesCache(refs('1', '3', { cached: true }))).toBe(true);
	});
});
