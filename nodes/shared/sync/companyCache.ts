/**
 * Look-ups that outlive one n8n execution. Real traffic is one execution per CRM webhook, so the
 * client's per-execution memo never helps there; this module-scope cache does, per QuickBooks
 * company (API base URL + realm id), bounded in entries and age:
 * - customers by normalized e-mail: only a match, never "not found" (a new customer must always
 *   be looked for again before it is created);
 * - items by name;
 * - the company's preference that decides whether QuickBooks refuses duplicate numbers.
 * What QuickBooks says later wins: a refused or renamed record is dropped (recovery R17, R18).
 * In queue mode the processes share these look-ups too (./sharedLookups.ts).
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import type { DuplicatePolicy } from '../domain/customerMatch';
import type { CompanyCurrencies } from '../domain/currency';
import type { TrackingPrefs } from '../domain/tracking';
import type { ItemRef } from '../domain/salesDocument';
import { ExpiringLru } from './expiringLru';
import { forgetShared, type LookupHolder } from './sharedLookups';

const MINUTE = 60_000;

export const CACHE_LIMITS = {
	/** Companies one n8n process serves at once; the least recently used one is dropped whole. */
	companies: 50,
	customers: { maxEntries: 5_000, ttlMs: 10 * MINUTE },
	items: { maxEntries: 5_000, ttlMs: 30 * MINUTE },
	preferences: { ttlMs: 15 * MINUTE },
	retired: { maxEntries: 5_000, ttlMs: 24 * 60 * MINUTE },
};

/** A cached item: its reference and the names QuickBooks may echo for it (Name, FullyQualifiedName). */
export interface CachedItem {
	ref: ItemRef;
	names: string[];
}

/** What this package reads from the company's preferences. */
export interface CompanyPreferences extends CompanyCurrencies {
	/** SalesFormsPrefs.CustomTxnNumbers: QuickBooks refuses a duplicate document number (6140). */
	customTxnNumbers?: boolean;
	/** TaxPrefs.PartnerTaxEnabled: automated sales tax (absent: not enabled, Intuit's reference). */
	automatedSalesTax?: boolean;
	/** AccountingInfoPrefs: classes per document or line, locations (set whenever they were read). */
	tracking?: TrackingPrefs;
}

export interface CompanyCache {
	customers: ExpiringLru<QboRecord>;
	items: ExpiringLru<CachedItem>;
	preferences: ExpiringLru<CompanyPreferences>;
	/**
	 * Cache key → id of the record it stood for until QuickBooks refused or renamed it. A new record
	 * created for that key needs its own requestid: the old create's requestid would make QuickBooks
	 * answer with the old record again (recovery R11).
	 */
	retired: ExpiringLru<string>;
	/** Where the look-ups shared with other n8n processes are, when the install shares them. */
	sharedBy?: LookupHolder;
}

let clock: () => number = () => Date.now();

function newCompanyCache(): CompanyCache {
	const { customers, items, preferences, retired } = CACHE_LIMITS;
	return {
		customers: new ExpiringLru(customers.maxEntries, customers.ttlMs, () => clock()),
		items: new ExpiringLru(items.maxEntries, items.ttlMs, () => clock()),
		preferences: new ExpiringLru(1, preferences.ttlMs, () => clock()),
		retired: new ExpiringLru(retired.maxEntries, retired.ttlMs, () => clock()),
	};
}

// Companies never expire by age (their entries do): Infinity as time to live.
let companies = new ExpiringLru<CompanyCache>(CACHE_LIMITS.companies, Infinity, () => clock());

/** The cache of the company this client talks to. */
export function companyCache(
	client: Pick<QboClient, 'companyKey'> & Partial<LookupHolder>,
): CompanyCache {
	let cache = companies.get(client.companyKey);
	if (!cache) {
		cache = newCompanyCache();
		companies.set(client.companyKey, cache);
	}
	if (client.sharedLookups) cache.sharedBy = client as LookupHolder;
	return cache;
}

/** The policy is part of the key: "oldest" and "most recently updated" may pick different customers. */
export function customerKey(email: string, duplicates: DuplicatePolicy): string {
	return `${duplicates}:${email}`;
}

export function itemKey(name: string): string {
	return name.toLowerCase();
}

/** Forgets the customers that match, under every e-mail they were cached for; their keys are retired. */
export function forgetCustomers(
	cache: CompanyCache,
	matches: (customer: QboRecord) => boolean,
): void {
	forgetEverywhere(cache, 'customer', dropCustomers(cache, matches));
}

/** Forgets a customer QuickBooks refused (recovery R17), in the other processes too. */
export function forgetCustomer(cache: CompanyCache, customerId: string): void {
	const ids = dropCustomers(cache, (customer) => String(customer.Id) === customerId);
	// Another process may hold it though this one never did.
	forgetEverywhere(cache, 'customer', ids.add(customerId));
}

function dropCustomers(cache: CompanyCache, matches: (customer: QboRecord) => boolean) {
	const ids = new Set<string>();
	for (const [key, customer] of cache.customers.deleteWhere(matches)) {
		cache.retired.set(`customer:${key}`, String(customer.Id));
		ids.add(String(customer.Id));
	}
	return ids;
}

/** Forgets the items that match; their keys are retired. */
export function forgetItems(cache: CompanyCache, matches: (item: CachedItem) => boolean): void {
	const ids = new Set<string>();
	for (const [key, item] of cache.items.deleteWhere(matches)) {
		cache.retired.set(`item:${key}`, item.ref.value);
		ids.add(item.ref.value);
	}
	forgetEverywhere(cache, 'item', ids);
}

function forgetEverywhere(cache: CompanyCache, kind: 'customer' | 'item', ids: Set<string>): void {
	if (cache.sharedBy) for (const id of ids) forgetShared(cache.sharedBy, kind, id);
}

/** The requestid suffix of a create for this key: distinct once the key's earlier record was retired. */
export function createKeySuffix(
	cache: CompanyCache,
	kind: 'customer' | 'item',
	key: string,
): string {
	const retired = cache.retired.get(`${kind}:${key}`);
	return retired ? `:after:${retired}` : '';
}

/** The names QuickBooks may echo in a document's CustomerRef for this customer. */
export function customerNames(customer: QboRecord): string[] {
	return [customer.DisplayName, customer.FullyQualifiedName]
		.filter((n) => typeof n === 'string' && n !== '')
		.map(String);
}

/** Tests and benchmarks: an emulator reset reuses ids, which a real company never does. */
export function clearCompanyCaches(): void {
	companies = new ExpiringLru<CompanyCache>(CACHE_LIMITS.companies, Infinity, () => clock());
}

/** Tests: the clock the time-to-live is measured with. */
export function setCompanyCacheClock(now: () => number): void {
	clock = now;
}
