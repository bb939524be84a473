/**
 * The QuickBooks items for a burst of CRM payments' lines: from the company cache, else 100 names
 * per query, the missing ones created 30 per batch call (a create the batch could not settle goes
 * the one-by-one way for that item only).
 */
import { BATCH_LIMIT, type QboClient } from '../transport/client';
import { settledInBatch } from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { itemNamesOf, type ItemRef } from '../domain/salesDocument';
import { findOrCreateItem, itemCreateKey, itemName, newItemBody, rememberItem } from './items';
import { chunks } from './customersBatch';
import { companyCache, itemKey, type CachedItem } from './companyCache';
import type { ReceiptOptions } from './receipts';

const IN_CHUNK = 100;

/** Items by cache key: from the company cache, else 100 names per query, the missing ones created 30 per batch call. */
export async function itemRefsInBatch(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
): Promise<{ refs: Map<string, ItemRef | Error>; cached: Map<string, CachedItem> }> {
	const refs = new Map<string, ItemRef | Error>();
	const cached = new Map<string, CachedItem>();
	const mode = options.items;
	if (mode.mode === 'default') return { refs, cached };
	const cache = companyCache(client).items;
	const names = [...new Set(payments.flatMap((p) => itemNamesOf(p)))];
	const byKey = new Map(names.map((n) => [itemKey(itemName(n)), n]));
	for (const key of byKey.keys()) {
		const known = cache.get(key);
		if (known) {
			cached.set(key, known);
			refs.set(key, known.ref);
		}
	}
	const toLookUp = [...byKey.keys()].filter((k) => !refs.has(k));
	for (const part of chunks(toLookUp, IN_CHUNK)) {
		const found = await client.queryAll({
			entity: 'Item',
			where: [{ field: 'Name', op: 'IN', value: part.map((k) => itemName(byKey.get(k)!)) }],
		});
		for (const item of found) {
			const key = itemKey(String(item.Name));
			if (byKey.has(key)) refs.set(key, rememberItem(client, byKey.get(key)!, item).ref);
		}
	}
	const missing = [...byKey.keys()].filter((k) => !refs.has(k));
	for (const part of chunks(missing, BATCH_LIMIT)) {
		const bodies = await Promise.all(
			part.map(async (k) => await newItemBody(client, byKey.get(k)!, mode.incomeAccountId)),
		);
		const answers = await client.batch(
			bodies.map((payload) => ({ entity: 'Item', operation: 'create', payload })),
			`items:${part.map((k) => itemCreateKey(client, byKey.get(k)!)).join(',')}`,
		);
		for (const [i, answer] of answers.entries()) {
			const key = part[i];
			const created = settledInBatch(answer);
			if (created) refs.set(key, rememberItem(client, byKey.get(key)!, created).ref);
			else {
				const settled = await findOrCreateItem(client, byKey.get(key)!, mode.incomeAccountId).catch(
					(e: Error) => e,
				);
				refs.set(
					key,
					settled instanceof Error
						? settled
						: rememberItem(client, byKey.get(key)!, settled.item).ref,
				);
			}
		}
	}
	return { refs, cached };
}
