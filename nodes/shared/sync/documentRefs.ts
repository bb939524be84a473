/**
 * The customer and products a sales document is written with, and what happens when QuickBooks
 * no longer accepts one the company cache served: refused → looked up again and written once more
 * (recovery R17); renamed → forgotten for the next run (R18).
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { echoedUnderOtherName, isRefusedReference, lookAgainAfterRefusal } from '../recovery';
import { echoedRefs } from '../domain/salesDocument';
import {
	companyCache,
	customerNames,
	forgetCustomer,
	forgetCustomers,
	forgetItems,
} from './companyCache';
import type { LookupMode } from './customers';
import type { ItemRefs } from './items';
import type { CustomerMatch } from './types';

export interface DocumentRefs {
	match: CustomerMatch;
	items: ItemRefs;
}

/** Whether any record came from the company cache rather than from QuickBooks in this run. */
export function usesCache(refs: DocumentRefs): boolean {
	return refs.match.cached === true || refs.items.cached.size > 0;
}

/** Whether a fresh look-up gave other records than the refused write used (or woke the customer up). */
export function refsDiffer(used: DocumentRefs, fresh: DocumentRefs): boolean {
	if (String(used.match.customer.Id) !== String(fresh.match.customer.Id)) return true;
	if (fresh.match.reactivated) return true;
	for (const [name, ref] of fresh.items.byName) {
		if (used.items.byName.get(name)?.value !== ref.value) return true;
	}
	return false;
}

/** A different requestid for the second write: QuickBooks may replay the refusal for the first one. */
function retryRequestKey(refs: DocumentRefs): string {
	const items = [...refs.items.byName.values()].map((r) => r.value).join(',');
	return `:refs:${String(refs.match.customer.Id)}:${items}`;
}

/** Every cached entry the refused write used goes: the customer under any e-mail, the items by name. */
function forgetUsed(client: QboClient, refs: DocumentRefs): void {
	const cache = companyCache(client);
	forgetCustomer(cache, String(refs.match.customer.Id));
	const ids = new Set([...refs.items.byName.values()].map((r) => r.value));
	forgetItems(cache, (item) => ids.has(item.ref.value));
}

/**
 * Resolves the records, writes, and when QuickBooks refuses a record the cache served (610/2500),
 * resolves them afresh and writes once more with a new requestid (recovery R17). `write` gets the
 * suffix its idempotency key must carry ('' the first time).
 */
export async function writeWithRefs<T>(
	client: QboClient,
	resolve: (mode: LookupMode) => Promise<DocumentRefs>,
	write: (refs: DocumentRefs, requestKeySuffix: string) => Promise<T>,
): Promise<{ result: T; refs: DocumentRefs }> {
	let refs = await resolve({});
	for (let retries = 0; ; retries++) {
		try {
			return { result: await write(refs, retries ? retryRequestKey(refs) : ''), refs };
		} catch (error) {
			if (!isRefusedReference(error)) throw error;
			forgetUsed(client, refs);
			if (!lookAgainAfterRefusal(retries, usesCache(refs))) throw error;
			const fresh = await resolve({ fresh: true });
			// The same records again: the refusal is about something else (an account, a tax code).
			if (!refsDiffer(refs, fresh)) throw error;
			refs = fresh;
		}
	}
}

/** Refused on a batch write (recovery R10, R17): forget what it used, so the one-by-one redo asks QuickBooks. */
export function forgetRefused(client: QboClient, error: unknown, refs: DocumentRefs): boolean {
	if (!isRefusedReference(error)) return false;
	forgetUsed(client, refs);
	return true;
}

/**
 * Recovery R18: a cached customer or item that the written document names under another name was
 * renamed in QuickBooks; it is dropped so that the next run looks it up again.
 */
export function forgetRenamed(client: QboClient, document: QboRecord): void {
	const cache = companyCache(client);
	const echoed = echoedRefs(document);
	if (echoed.customer) {
		const { value, name } = echoed.customer;
		forgetCustomers(
			cache,
			(c) => String(c.Id) === value && echoedUnderOtherName(customerNames(c), name),
		);
	}
	for (const { value, name } of echoed.items) {
		forgetItems(
			cache,
			(item) => item.ref.value === value && echoedUnderOtherName(item.names, name),
		);
	}
}
