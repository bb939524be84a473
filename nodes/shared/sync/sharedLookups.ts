/**
 * The company cache's second layer in queue mode: what one n8n process found in QuickBooks (a
 * customer by e-mail, an item by name, the company's preferences) the other processes of the install
 * read before they ask QuickBooks themselves (kept by ../transport/lookupTable.ts). Without it each
 * worker found again what another had just found: a customer paying twice landed on two workers and
 * was looked up twice (issue 20's bench: 816 customer look-ups with 1 worker, 986 with 4).
 * The rules are the process cache's: matches only, never "not found"; what QuickBooks refused or
 * renamed is forgotten here too (recovery R17, R18); a store that fails only costs the saving.
 */
import type { LookupKind } from '../quickbooks/types';
import type { QboClient } from '../transport/client';
import type { ExpiringLru } from './expiringLru';

export type LookupHolder = Pick<QboClient, 'companyKey' | 'sharedLookups'>;

function reportError(client: LookupHolder, error: unknown): void {
	client.sharedLookups?.onStoreError?.(error);
}

/**
 * The value this process's cache holds for the key, else what another process stored within the
 * cache's time to live, then kept here with the age it has (so it is asked of QuickBooks again a
 * time to live after it was found, wherever), else undefined.
 */
export async function readThrough<V>(
	client: LookupHolder,
	kind: LookupKind,
	key: string,
	local: ExpiringLru<V>,
): Promise<V | undefined> {
	const known = local.get(key);
	if (known !== undefined) return known;
	const store = client.sharedLookups?.lookups;
	if (!store) return undefined;
	try {
		const row = await store.get(client.companyKey, kind, key, local.ttlMs);
		if (!row) return undefined;
		const value = JSON.parse(row.value) as V;
		local.set(key, value, row.storedAt);
		return value;
	} catch (error) {
		reportError(client, error);
		return undefined;
	}
}

/** Stores what QuickBooks just gave for the key, for the other processes. */
export async function shareFound(
	client: LookupHolder,
	kind: LookupKind,
	key: string,
	recordId: string,
	value: unknown,
): Promise<void> {
	const store = client.sharedLookups?.lookups;
	if (!store) return;
	try {
		await store.put(client.companyKey, kind, key, recordId, JSON.stringify(value));
	} catch (error) {
		reportError(client, error);
	}
}

/**
 * Forgets a record under every key, for every process. Not waited for: it runs on the rare path
 * of a refusal, and a process that still serves the record meets the same refusal and recovers.
 */
export function forgetShared(client: LookupHolder, kind: LookupKind, recordId: string): void {
	const store = client.sharedLookups?.lookups;
	if (!store) return;
	store.forget(client.companyKey, kind, recordId).catch((error) => reportError(client, error));
}

const inFlight = new Map<string, Promise<unknown>>();

/**
 * Concurrent look-ups of one key in this process ask QuickBooks once: a burst of first payments
 * used to read the company's preferences and create the same item once per execution in flight.
 */
export async function once<T>(
	client: Pick<QboClient, 'companyKey'>,
	key: string,
	compute: () => Promise<T>,
): Promise<T> {
	const scoped = `${client.companyKey}\u0000${key}`;
	let pending = inFlight.get(scoped) as Promise<T> | undefined;
	if (!pending) {
		pending = compute();
		inFlight.set(scoped, pending);
		const done = () => inFlight.delete(scoped);
		pending.then(done, done);
	}
	return await pending;
}
