/**
 * The QuickBooks item a Product Mapping rule names, by ID or by name: found once per run, and an
 * item the company lacks (or keeps inactive) stops the CRM record before anything is written.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import type { ItemRef } from '../domain/salesDocument';
import { productRuleFor, type ProductLine, type ProductRule } from '../domain/productMapping';
import { itemName } from './items';

export async function mappedItemRef(client: QboClient, rule: ProductRule): Promise<ItemRef> {
	return await client.memo(`mappedItem:${rule.item}`, async () => {
		// Item Id and Name are filterable (Intuit API reference, Item: "filterable" on both).
		const byId = /^\d+$/.test(rule.item);
		const [item] = await client.query({
			entity: 'Item',
			where: [
				byId
					? { field: 'Id', op: '=', value: rule.item }
					: { field: 'Name', op: '=', value: itemName(rule.item) },
			],
			maxResults: 1,
		});
		if (!item || item.Active === false) throw unmappable(rule, item);
		return { value: String(item.Id), name: String(item.Name) };
	});
}

function unmappable(rule: ProductRule, inactive: QboRecord | undefined): OutcomeError {
	return new OutcomeError(
		'notFound',
		`Product Mapping sends the CRM's "${rule.crm}" to the QuickBooks product or service "${rule.item}", which the company ${inactive ? 'keeps inactive' : 'does not have'}`,
		`Correct the QuickBooks product or service (its name or ID) for "${rule.crm}" under "Product Mapping", or ${inactive ? 'make it active' : 'create it'} in QuickBooks; then run the item again.`,
	);
}

/** "Only Mapped Products": a line no rule names stops its CRM record, naming the product. */
export function unmappedProduct(line: ProductLine): OutcomeError {
	const id = line.productId ? ` (product ID ${line.productId})` : '';
	return new OutcomeError(
		'notFound',
		`The CRM product "${line.name}"${id} has no QuickBooks product or service under "Product Mapping"`,
		`Add a rule for "${line.productId ?? line.name}" under "Product Mapping", or let "Products" find or create items by name; then run the item again.`,
	);
}

/**
 * Stops a sale whose lines the Product Mapping cannot book (an item the company lacks, or a product
 * "Only Mapped Products" has no rule for) before its customer or any item is written. The mapped
 * items found here are the run's: resolving the lines later asks QuickBooks nothing more.
 */
export async function checkProductMapping(
	client: QboClient,
	lines: ProductLine[],
	itemMode: { mode: string; rules?: ProductRule[] },
): Promise<void> {
	for (const line of lines) {
		const rule = productRuleFor(line, itemMode.rules ?? []);
		if (rule) await mappedItemRef(client, rule);
		else if (itemMode.mode === 'mapped') throw unmappedProduct(line);
	}
}
