/**
 * The QuickBooks items for a burst of CRM payments' lines: from the company cache, else 100 names
 * per query, the missing ones created 30 per batch call (a create the batch could not settle goes
 * the one-by-one way for that item only).
 */
import { BATCH_LIMIT, type QboClient } from '../transport/client';
import { settledInBatch } from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { productLinesOf, type ItemRef } from '../domain/salesDocument';
import { productLineKey, productRuleFor, type ProductLine } from '../domain/productMapping';
import { mappedItemRef, unmappedProduct } from './productMapping';
import { findOrCreateItem, itemCreateKey, itemName, newItemBody, rememberItem } from './items';
import { chunks } from './customersBatch';
import { companyCache, itemKey, type CachedItem } from './companyCache';
import type { ReceiptOptions } from './receipts';

const IN_CHUNK = 100;

/**
 * Items by product line key (../domain/productMapping.ts): mapped by a rule, else the default item
 * or a stop, else by name from the company cache, else 100 names per query, the missing ones
 * created 30 per batch call. An Error stands for an item that stops the payments whose lines name it.
 */
export async function itemRefsInBatch(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
): Promise<{ refs: Map<string, ItemRef | Error>; cached: Map<string, CachedItem> }> {
	const refs = new Map<string, ItemRef | Error>();
	const cached = new Map<string, CachedItem>();
	const mode = options.items;
	const byName: ProductLine[] = [];
	for (const line of new Map(
		payments.flatMap(productLinesOf).map((l) => [productLineKey(l), l]),
	).values()) {
		const rule = productRuleFor(line, mode.rules ?? []);
		if (rule)
			refs.set(productLineKey(line), await mappedItemRef(client, rule).catch((e: Error) => e));
		else if (mode.mode === 'default') refs.set(productLineKey(line), { value: mode.itemId });
		else if (mode.mode === 'mapped') refs.set(productLineKey(line), unmappedProduct(line));
		else byName.push(line);
	}
	if (mode.mode !== 'perLine') return { refs, cached };
	const named = await namedItems(client, byName, mode.incomeAccountId, cached);
	for (const line of byName)
		refs.set(productLineKey(line), named.get(itemKey(itemName(line.name)))!);
	return { refs, cached };
}

/** Items by name key, for lines no rule maps: cached, found 100 names a query, or created 30 a batch. */
async function namedItems(
	client: QboClient,
	lines: ProductLine[],
	incomeAccountId: string | undefined,
	cached: Map<string, CachedItem>,
): Promise<Map<string, ItemRef | Error>> {
	const refs = new Map<string, ItemRef | Error>();
	const cache = companyCache(client).items;
	const names = [...new Set(lines.map((line) => line.name))];
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
			part.map(async (k) => await newItemBody(client, byKey.get(k)!, incomeAccountId)),
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
				const settled = await findOrCreateItem(client, byKey.get(key)!, incomeAccountId).catch(
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
	return refs;
}
