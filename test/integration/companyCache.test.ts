/**
 * The cache across executions, through n8n-core against the emulator: one execution per CRM
 * payment, as webhooks arrive. Calls are counted in the emulator's request log.
 */
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import {
	MemoryCredentialsHelper,
	CUSTOM_TXN_NUMBERS,
	emulatorCredential,
	runNode,
	useEmulatedQuickBooks,
} from '../helpers/engine';
import { syncInvoices } from '../helpers/receipts';
import { setCompanyCacheClock } from '../../nodes/shared/sync/companyCache';

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();
	afterEach(() => setCompanyCacheClock(() => Date.now()));

	/** The API calls `run` makes, as "METHOD operation Entity". */
	const callsOf = async (run: () => Promise<unknown>): Promise<string[]> => {
		const before = qb.emulator.log.length;
		await run();
		return qb.emulator.log
			.slice(before)
			.filter((e) => e.endpoint !== 'token')
			.map((e) => `${e.method} ${e.operation}${e.entity ? ` ${e.entity}` : ''}`);
	};

	const fromPayment = async (
		body: Record<string, unknown>,
		options: Record<string, unknown> = {},
		creds = qb.creds,
	) => {
		const run = await runNode(
			creds,
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options,
			},
			[body],
			{ continueOnFail: true },
		);
		return run.output('QuickBooks Sync')[0].json as Record<string, any>;
	};

	const findByEmail = async (email: string, options: Record<string, unknown> = {}) =>
		(
			await runNode(qb.creds, { resource: 'customer', operation: 'findByEmail', email, options }, [
				{},
			])
		).output('QuickBooks Sync')[0].json as Record<string, any>;

	const pay = (n: number, extra: Parameters<typeof paymentReceived>[0] = {}) =>
		paymentReceived({
			transactionId: `cache-${n}`,
			email: 'regular@example.com',
			name: 'Regular Buyer',
			items: [{ name: 'Monthly Plan', qty: 1, price: 40 + n }],
			...extra,
		});

	// Receipt look-up and create; with custom numbers off also the look-up that settles a race.
	const warmPayment = customTxnNumbers
		? ['GET query', 'POST create/update SalesReceipt']
		: ['GET query', 'POST create/update SalesReceipt', 'GET query'];

	test(`a known customer's payment costs ${customTxnNumbers ? 2 : 3} calls once the cache is warm`, async () => {
		const first = await callsOf(async () =>
			expect((await fromPayment(pay(0))).error).toBeUndefined(),
		);
		// Cold: receipt, customer, item, income account, customer and item created, receipt, preferences.
		expect(first).toContain('GET read Preferences');
		for (let n = 1; n <= 5; n++) {
			let out: Record<string, any> = {};
			expect(await callsOf(async () => (out = await fromPayment(pay(n))))).toEqual(warmPayment);
			expect(out).toMatchObject({ alreadySynced: false, sync: { customer: { how: 'matched' } } });
		}
		expect(realm().all('SalesReceipt')).toHaveLength(6);
		expect(realm().all('Customer')).toHaveLength(1);
		expect(
			realm()
				.all('Item')
				.filter((i) => i.Name === 'Monthly Plan'),
		).toHaveLength(1);
	});

	test('the template path (Find Customer by E-Mail, then the receipt with its Customer ID) costs the same', async () => {
		await fromPayment(pay(0));
		const calls = await callsOf(async () => {
			const found = await findByEmail('Regular@Example.com');
			expect(found).toMatchObject({ found: true, DisplayName: 'Regular Buyer' });
			const out = await fromPayment(pay(1), { customerId: found.Id });
			expect(out.sync.customer).toMatchObject({ id: found.Id, how: 'given' });
		});
		expect(calls).toEqual(warmPayment);
	});

	test('the preference is read again 15 minutes after it was read, however often it was used meanwhile', async () => {
		let now = Date.now();
		setCompanyCacheClock(() => now);
		await fromPayment(pay(0));
		for (let n = 1; n <= 3; n++) {
			now += 5 * 60_000 - 1000; // used at 5, 10 and 15 minutes less a few seconds: still fresh
			const calls = await callsOf(() => fromPayment(pay(n)));
			expect([n, calls.includes('GET read Preferences')]).toEqual([n, false]);
		}
		now += 10_000; // 15 minutes after the read
		expect(await callsOf(() => fromPayment(pay(4)))).toContain('GET read Preferences');
	});

	test('the preference is read again after 15 minutes; a "not found" customer is never cached', async () => {
		let now = Date.now();
		setCompanyCacheClock(() => now);
		await fromPayment(pay(0));
		expect(await findByEmail('nobody@example.com')).toEqual({
			found: false,
			email: 'nobody@example.com',
		});
		expect(await callsOf(() => findByEmail('nobody@example.com'))).toEqual(['GET query']);
		now += 15 * 60_000;
		const calls = await callsOf(() => fromPayment(pay(1)));
		// Customers (10 min) are looked up again too; items (30 min) are not.
		expect(calls.filter((c) => c === 'GET read Preferences')).toHaveLength(1);
		expect(calls.filter((c) => c === 'GET query')).toHaveLength(customTxnNumbers ? 2 : 3);
	});

	test('a customer merged into another between executions is not used: the receipt goes to the customer kept', async () => {
		const [duplicate, kept] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'R. Buyer (old)', PrimaryEmailAddr: { Address: 'regular@example.com' } },
			{ DisplayName: 'Regular Buyer', PrimaryEmailAddr: { Address: 'regular@example.com' } },
		]);
		// "Use Oldest": the duplicate is the match, and is cached.
		expect((await fromPayment(pay(0))).sync.customer).toMatchObject({ id: duplicate.Id });
		realm().mergeCustomers(duplicate.Id, kept.Id);

		let out: Record<string, any> = {};
		const calls = await callsOf(async () => (out = await fromPayment(pay(1))));
		expect(out).toMatchObject({
			alreadySynced: false,
			CustomerRef: { value: kept.Id },
			sync: { customer: { id: kept.Id, how: 'matched' } },
		});
		// Refused (610) with the cached customer; customer and item looked up again; written once more.
		expect(calls).toEqual([
			'GET query',
			'POST create/update SalesReceipt',
			'GET query',
			'GET query',
			'POST create/update SalesReceipt',
			...(customTxnNumbers ? [] : ['GET query']),
		]);
		expect(
			realm()
				.all('SalesReceipt')
				.map((r) => r.CustomerRef.value),
		).toEqual([kept.Id, kept.Id]);
		// The customer kept is cached now.
		expect(await callsOf(() => fromPayment(pay(2)))).toEqual(warmPayment);
	});

	test('a customer made inactive between executions: reactivated by default, a new customer with "Ignore It"', async () => {
		const first = await fromPayment(pay(0));
		const customerId = first.sync.customer.id;
		const deactivate = () => {
			const c = realm().get('Customer', customerId);
			realm().update('Customer', { Id: c.Id, SyncToken: c.SyncToken, Active: false, sparse: true });
		};
		deactivate();
		const reactivated = await fromPayment(pay(1));
		expect(reactivated).toMatchObject({ alreadySynced: false, CustomerRef: { value: customerId } });
		expect(realm().get('Customer', customerId).Active).toBe(true);

		deactivate();
		const ignored = await fromPayment(pay(2), { inactive: 'ignore' });
		expect(ignored.error).toBeUndefined();
		expect(ignored.CustomerRef.value).not.toBe(customerId);
		expect(realm().get('Customer', ignored.CustomerRef.value)).toMatchObject({
			Active: true,
			DisplayName: 'Regular Buyer (regular@example.com)',
		});
		expect(realm().get('Customer', customerId).Active).toBe(false);
	});

	test('a given Customer ID made inactive stops the item with a clear error; the cached Find result goes', async () => {
		await fromPayment(pay(0));
		const found = await findByEmail('regular@example.com');
		const c = realm().get('Customer', found.Id);
		realm().update('Customer', { Id: c.Id, SyncToken: c.SyncToken, Active: false, sparse: true });

		const out = await fromPayment(pay(1), { customerId: found.Id });
		expect(out.error).toMatch(/^Item 0: QuickBooks could not find the record: .*made inactive/);
		expect(realm().all('SalesReceipt')).toHaveLength(1);
		// The next Find asks QuickBooks again (and reactivates, the default policy).
		let again: Record<string, any> = {};
		expect(await callsOf(async () => (again = await findByEmail('regular@example.com')))).toEqual([
			'GET query',
			'POST create/update Customer',
		]);
		expect(again).toMatchObject({ found: true, Id: found.Id, sync: { reactivated: true } });
	});

	test('a renamed item: that payment still uses it (same product), the next one looks the name up again', async () => {
		const first = await fromPayment(pay(0));
		const itemId = first.Line[0].SalesItemLineDetail.ItemRef.value;
		const item = realm().get('Item', itemId);
		realm().update('Item', {
			Id: itemId,
			SyncToken: item.SyncToken,
			Name: 'Monthly Plan (2025)',
			sparse: true,
		});

		const second = await fromPayment(pay(1));
		expect(second.Line[0].SalesItemLineDetail.ItemRef).toEqual({
			value: itemId,
			name: 'Monthly Plan (2025)',
		});
		const third = await fromPayment(pay(2));
		expect(third.error).toBeUndefined();
		const newItem = third.Line[0].SalesItemLineDetail.ItemRef;
		expect(newItem.value).not.toBe(itemId);
		expect(newItem.name).toBe('Monthly Plan');
		// The new item is cached: back to the warm cost.
		expect(await callsOf(() => fromPayment(pay(3)))).toEqual(warmPayment);
	});

	test('an item made inactive and renamed: refused, looked up again, created anew and written once more', async () => {
		const first = await fromPayment(pay(0));
		const itemId = first.Line[0].SalesItemLineDetail.ItemRef.value;
		const item = realm().get('Item', itemId);
		realm().update('Item', {
			Id: itemId,
			SyncToken: item.SyncToken,
			Name: 'Monthly Plan (retired)',
			Active: false,
			sparse: true,
		});
		let out: Record<string, any> = {};
		const calls = await callsOf(async () => (out = await fromPayment(pay(1))));
		expect(out.error).toBeUndefined();
		expect(out.Line[0].SalesItemLineDetail.ItemRef.name).toBe('Monthly Plan');
		expect(out.Line[0].SalesItemLineDetail.ItemRef.value).not.toBe(itemId);
		expect(calls.filter((c) => c === 'POST create/update SalesReceipt')).toHaveLength(2);
		expect(calls).toContain('POST create/update Item');
		expect(realm().all('SalesReceipt')).toHaveLength(2);
	});

	test('an item made inactive under its name: the item stops with what to do, nothing is written', async () => {
		const first = await fromPayment(pay(0));
		const itemId = first.Line[0].SalesItemLineDetail.ItemRef.value;
		const item = realm().get('Item', itemId);
		realm().update('Item', { Id: itemId, SyncToken: item.SyncToken, Active: false, sparse: true });
		const out = await fromPayment(pay(1));
		expect(out.error).toMatch(
			/^Item 0: QuickBooks refused to create the product or service "Monthly Plan": the name is taken by an inactive one/,
		);
		expect(out.details).toMatch(/Make the inactive product or service "Monthly Plan" active again/);
		expect(realm().all('SalesReceipt')).toHaveLength(1);
	});

	test('in batch, a cached customer merged away is settled one by one for that payment alone', async () => {
		const [duplicate, kept] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'R. Buyer (old)', PrimaryEmailAddr: { Address: 'regular@example.com' } },
			{ DisplayName: 'Regular Buyer', PrimaryEmailAddr: { Address: 'regular@example.com' } },
		]);
		await fromPayment(pay(0));
		realm().mergeCustomers(duplicate.Id, kept.Id);
		const run = await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options: { batchRequests: true },
			},
			[pay(1), pay(2, { email: 'other@example.com', name: 'Other Buyer' }), pay(3)],
			{ continueOnFail: true },
		);
		const out = run.output('QuickBooks Sync').map((o) => o.json as Record<string, any>);
		expect(out.map((o) => o.error)).toEqual([undefined, undefined, undefined]);
		expect(out[0].CustomerRef.value).toBe(kept.Id);
		expect(out[2].CustomerRef.value).toBe(kept.Id);
		expect(out[1].CustomerRef.name).toBe('Other Buyer');
		expect(realm().all('SalesReceipt')).toHaveLength(4);
	});

	test('Invoice Sync: a new invoice for a customer merged away since goes to the customer kept', async () => {
		const [duplicate, kept] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'R. Buyer (old)', PrimaryEmailAddr: { Address: 'regular@example.com' } },
			{ DisplayName: 'Regular Buyer', PrimaryEmailAddr: { Address: 'regular@example.com' } },
		]);
		const sync = async (id: string) =>
			(
				await syncInvoices(qb.creds, [
					invoiceEvent('InvoiceSent', { id, number: `INV-${id}`, email: 'regular@example.com' }),
				])
			).output('QuickBooks Sync')[0].json as Record<string, any>;
		expect((await sync('a1')).CustomerRef.value).toBe(duplicate.Id);
		realm().mergeCustomers(duplicate.Id, kept.Id);
		const second = await sync('b2');
		expect(second.error).toBeUndefined();
		expect(second).toMatchObject({ CustomerRef: { value: kept.Id }, sync: { action: 'created' } });
		expect(
			realm()
				.all('Invoice')
				.map((i) => i.CustomerRef.value),
		).toEqual([kept.Id, kept.Id]);
	});

	test('two realms never share entries: the same e-mail is matched in each company', async () => {
		const otherRealm = '4620816365000000777';
		qb.emulator.company(otherRealm);
		const otherCreds = new MemoryCredentialsHelper(emulatorCredential(qb.emulator, otherRealm));
		const mine = await fromPayment(pay(0));
		const theirs = await fromPayment(pay(1), {}, otherCreds);
		expect(theirs.sync.customer.how).toBe('created');
		expect(qb.emulator.company(otherRealm).all('Customer')).toHaveLength(1);
		const mineAgain = await fromPayment(pay(2));
		const theirsAgain = await fromPayment(pay(3), {}, otherCreds);
		expect(mineAgain.CustomerRef.value).toBe(mine.CustomerRef.value);
		expect(theirsAgain.CustomerRef.value).toBe(theirs.CustomerRef.value);
		expect(
			qb.emulator
				.company(otherRealm)
				.all('SalesReceipt')
				.map((r) => r.CustomerRef.value),
		).toEqual([theirs.CustomerRef.value, theirs.CustomerRef.value]);
	});
});
