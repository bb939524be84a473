/** Service items found or created by name, so CRM line names show up as QuickBooks products. */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import { isNameTaken } from '../recovery';
import type { ItemRef } from '../domain/salesDocument';

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

export async function findOrCreateItem(
	client: QboClient,
	name: string,
	incomeAccountId: string,
): Promise<{ item: QboRecord; created: boolean }> {
	const found = await findItemByName(client, name);
	if (found) return { item: found, created: false };
	try {
		const item = await client.create(
			'Item',
			{ Name: itemName(name), Type: 'Service', IncomeAccountRef: { value: incomeAccountId } },
			`item:${itemName(name).toLowerCase()}`,
		);
		return { item, created: true };
	} catch (error) {
		// Another run created it first, or an inactive item has the name (recovery R6).
		if (isNameTaken(error)) {
			const raced = await findItemByName(client, name);
			if (raced) return { item: raced, created: false };
		}
		throw error;
	}
}

export type ItemMode =
	| { mode: 'perLine'; incomeAccountId: string }
	| { mode: 'default'; itemId: string };

/** Item references for every distinct line name. */
export async function resolveItems(
	client: QboClient,
	names: string[],
	itemMode: ItemMode,
): Promise<(name: string) => ItemRef> {
	if (itemMode.mode === 'default') return () => ({ value: itemMode.itemId });
	const refs = new Map<string, ItemRef>();
	for (const name of names) {
		const { item } = await client.memo(
			`item:${itemName(name).toLowerCase()}`,
			async () => await findOrCreateItem(client, name, itemMode.incomeAccountId),
		);
		refs.set(name, { value: String(item.Id), name: String(item.Name) });
	}
	return (name) => refs.get(name)!;
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
