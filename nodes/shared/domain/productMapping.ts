/**
 * Which QuickBooks item a CRM line books to, by the user's Product Mapping: a rule names the CRM
 * product by its ID (HighLevel's product id, kept when the product is renamed) or its name, and the
 * QuickBooks item by its name or ID. Pure: resolving the item is ../sync/productMapping.ts's.
 */

/** What a line says of its product: HighLevel's name, and its id where the CRM states it. */
export interface ProductLine {
	name: string;
	productId?: string;
}

export interface ProductRule {
	/** The CRM product's ID or name. */
	crm: string;
	/** The QuickBooks item's name or ID. */
	item: string;
}

const loose = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/** The rule for a line: one naming its product ID first, else one naming it (case and spacing aside). */
export function productRuleFor(line: ProductLine, rules: ProductRule[]): ProductRule | undefined {
	if (line.productId) {
		const byId = rules.find((rule) => rule.crm.trim() === line.productId);
		if (byId) return byId;
	}
	return rules.find((rule) => loose(rule.crm) === loose(line.name));
}

/** Lines that book to the same item share a key: the product ID when the CRM states one, else the name. */
export function productLineKey(line: ProductLine): string {
	return line.productId ? `id:${line.productId}` : `name:${loose(line.name)}`;
}

/** The rules as the user wrote them: both sides given, or the rule names what is missing. */
export function productRulesFrom(
	raw: Array<{ crm?: unknown; item?: unknown }>,
): ProductRule[] | { index: number; missing: 'crm' | 'item' } {
	const rules: ProductRule[] = [];
	for (const [index, rule] of raw.entries()) {
		const crm = String(rule.crm ?? '').trim();
		const item = String(rule.item ?? '').trim();
		if (!crm) return { index, missing: 'crm' };
		if (!item) return { index, missing: 'item' };
		rules.push({ crm, item });
	}
	return rules;
}
