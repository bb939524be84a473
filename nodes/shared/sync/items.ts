/** Service items found or created by name, so CRM line names show up as QuickBooks products. */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import { isNameTaken } from '../recovery';
import type { ItemRef } from '../domain/salesDocument';
import {
	productLineKey,
	productRuleFor,
	type ProductLine,
	type ProductRule,
} from '../domain/productMapping';
import { companyCache, createKeySuffix, itemKey, type CachedItem } from './companyCache';
import type { LookupMode } from './customers';
import { once, readThrough, shareFound } from './sharedLookups';
import { mappedItemRef, unmappedProduct } from './productMapping';

/** QuickBooks item names: no colon, at most 100 characters. */
export function itemName(name: string): string {
	return name.replace(/:/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
}

export async function findItemByName(
	client: QboClient,
	name: string,
): Promise<QboRecord | undefined> {
	const [item] = await client.query({
		entity: 'Item',
		where: [{ field: 'Name', op: '=', value: itemName(name) }],
		maxResults: 1,
	});
	return item;
}

/** The body of a new service item; without a chosen income account, the company's default one. */
export async function newItemBody(
	client: QboClient,
	name: string,
	incomeAccountId: string | undefined,
): Promise<QboRecord> {
	return {
		Name: itemName(name),
		Type: 'Service',
		IncomeAccountRef: { value: incomeAccountId ?? (await defaultIncomeAccount(client)) },
	};
}

export async function findOrCreateItem(
	client: QboClient,
	name: string,
	incomeAccountId: string | undefined,
): Promise<{ item: QboRecord; created: boolean }> {
	const found = await findItemByName(client, name);
	if (found) return { item: found, created: false };
	try {
		const item = await client.create(
			'Item',
			await newItemBody(client, name, incomeAccountId),
			itemCreateKey(client, name),
		);
		return { item, created: true };
	} catch (error) {
		// Another run created it first, or an inactive item has the name (recovery R6).
		if (isNameTaken(error)) {
			const raced = await findItemByName(client, name);
			if (raced) return { item: raced, created: false };
			throw inactiveItemNamed(name, error as Error);
		}
		throw error;
	}
}

/** The idempotency key of an item's create (recovery R11; distinct after a retired item, see companyCache). */
export function itemCreateKey(client: QboClient, name: string): string {
	const key = itemKey(itemName(name));
	return `item:${key}${createKeySuffix(companyCache(client), 'item', key)}`;
}

/** QuickBooks keeps the name of an inactive item: say so instead of "the name is taken". */
function inactiveItemNamed(name: string, cause: Error): OutcomeError {
	const error = new OutcomeError(
		'refused',
		`QuickBooks refused to create the product or service "${itemName(name)}": the name is taken by an inactive one (${cause.message})`,
		`Make the inactive product or service "${itemName(name)}" active again in QuickBooks, or rename it, then run the item again.`,
	);
	(error as { cause?: unknown }).cause = cause;
	return error;
}

/**
 * Where each CRM line books: the Product Mapping's item when a rule names its product; otherwise
 * an item found or created by the line's name (without an income account: the company's default
 * one, looked up only when an item is created), one default item, or nowhere (`mapped`: the line
 * stops its record).
 */
export type ItemMode = (
	| { mode: 'perLine'; incomeAccountId?: string }
	| { mode: 'default'; itemId: string }
	| { mode: 'mapped' }
) & { rules?: ProductRule[] };

/** The item of each line's product, and which of them the company cache served (recovery R17, R18). */
export interface ItemRefs {
	refFor(line: ProductLine): ItemRef;
	/** Product line key (../domain/productMapping.ts) → item. */
	byName: Map<string, ItemRef>;
	/** Cache key → entry, for the items the company cache served. */
	cached: Map<string, CachedItem>;
}

export function cachedItemOf(item: QboRecord): CachedItem {
	return {
		ref: { value: String(item.Id), name: String(item.Name) },
		names: [item.Name, item.FullyQualifiedName].filter((n) => n).map(String),
	};
}

/** A product QuickBooks just gave for this line name (found or created), in this process at once. */
export function rememberItem(client: QboClient, name: string, item: QboRecord): CachedItem {
	const cached = cachedItemOf(item);
	companyCache(client).items.set(itemKey(itemName(name)), cached);
	return cached;
}

/**
 * Item references for every distinct product of the lines: mapped, else from the company cache,
 * else found or created by name (or the default item, or a stop, as `itemMode` says).
 */
export async function resolveItems(
	client: QboClient,
	lines: ProductLine[],
	itemMode: ItemMode,
	mode: LookupMode = {},
): Promise<ItemRefs> {
	const refs = new Map<string, ItemRef>();
	const cached = new Map<string, CachedItem>();
	const refFor = (line: ProductLine) => refs.get(productLineKey(line))!;
	for (const line of lines) {
		const rule = productRuleFor(line, itemMode.rules ?? []);
		if (rule) refs.set(productLineKey(line), await mappedItemRef(client, rule));
		else if (itemMode.mode === 'default')
			refs.set(productLineKey(line), { value: itemMode.itemId });
		else if (itemMode.mode === 'mapped') throw unmappedProduct(line);
	}
	if (itemMode.mode !== 'perLine') return { refFor, byName: refs, cached };
	for (const line of lines) {
		if (refs.has(productLineKey(line))) continue;
		const name = line.name;
		const key = itemKey(itemName(name));
		const known = mode.fresh
			? undefined
			: await readThrough(client, 'item', key, companyCache(client).items);
		if (known) {
			cached.set(key, known);
			refs.set(productLineKey(line), known.ref);
			continue;
		}
		const find = async () => {
			const { item } = await findOrCreateItem(client, name, itemMode.incomeAccountId);
			const remembered = rememberItem(client, name, item);
			await shareFound(client, 'item', key, remembered.ref.value, remembered);
			return remembered;
		};
		// A fresh look-up must not take this execution's memo either: it may hold the refused item.
		// Others ask once per execution and once per process for what is in flight.
		const item = mode.fresh
			? await find()
			: await client.memo(`item:${key}`, async () => await once(client, `item:${key}`, find));
		refs.set(productLineKey(line), item.ref);
	}
	return { refFor, byName: refs, cached };
}

/** The income account used for new items: the one chosen, else the first "Services" income account. */
export async function defaultIncomeAccount(client: QboClient): Promise<string> {
	return await client.memo(
		'defaultIncomeAccount',
		async () => await findDefaultIncomeAccount(client),
	);
}

async function findDefaultIncomeAccount(client: QboClient): Promise<string> {
	const accounts = await client.query({
		entity: 'Account',
		where: [{ field: 'AccountType', op: '=', value: 'Income' }],
		maxResults: 100,
	});
	const chosen = accounts.find((a) => /service/i.test(String(a.Name))) ?? accounts[0];
	if (!chosen) {
		throw new OutcomeError(
			'notFound',
			'QuickBooks has no income account to attach new items to; choose one under "Income Account"',
			'Choose an income account under "Income Account for New Items", or create an income account in QuickBooks; then run the item again.',
		);
	}
	return String(chosen.Id);
}
