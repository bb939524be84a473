/**
 * Lays out a CRM sale as QuickBooks lines so that QuickBooks' computed TotalAmt equals the CRM
 * total to the cent: net line amounts, one discount line, and the tax given as TotalTax.
 */
import type { QboRecord } from '../types';
import { OutcomeError } from '../errors';
import type { CrmSale } from './crm';
import { round2, sameAmount } from './money';
import type { SalePlan } from './types';
import { productLineKey, type ProductLine } from './productMapping';

export interface ItemRef {
	value: string;
	name?: string;
}

export const SHIPPING_LINE_NAME = 'Shipping';

/**
 * The customer and products a written sales document names, as QuickBooks echoes them
 * (`CustomerRef` and each line's `SalesItemLineDetail.ItemRef`, each `{value, name}` with the
 * record's current name: Intuit API reference, SalesReceipt and Invoice response examples).
 */
export function echoedRefs(document: QboRecord): { customer?: ItemRef; items: ItemRef[] } {
	const asRef = (ref: unknown): ItemRef | undefined => {
		const value = (ref as { value?: unknown } | undefined)?.value;
		if (value === undefined || value === null || value === '') return undefined;
		const name = (ref as { name?: unknown }).name;
		return { value: String(value), ...(typeof name === 'string' ? { name } : {}) };
	};
	const items = ((document.Line as QboRecord[] | undefined) ?? [])
		.map((line) => asRef((line.SalesItemLineDetail as QboRecord | undefined)?.ItemRef))
		.filter((ref): ref is ItemRef => ref !== undefined);
	return { customer: asRef(document.CustomerRef), items };
}

/** Names of the items a sale needs (used to find or create them before planning). */
export function itemNamesOf(input: CrmSale): string[] {
	return [...new Set(productLinesOf(input).map((line) => line.name))];
}

/** The products a sale's lines name, each once (by product ID where stated, else by name). */
export function productLinesOf(input: CrmSale): ProductLine[] {
	const lines: ProductLine[] = input.lines.map((l) =>
		l.productId ? { name: l.name, productId: l.productId } : { name: l.name },
	);
	if ((input.shipping ?? 0) > 0) lines.push({ name: SHIPPING_LINE_NAME });
	const byKey = new Map(lines.map((line) => [productLineKey(line), line]));
	return [...byKey.values()];
}

function unitPriceFor(amount: number, qty: number, fallback: number): number {
	if (!qty) return fallback;
	return Math.round((amount / qty) * 1e7) / 1e7;
}

/** QuickBooks US tax codes; companies elsewhere pick their own code for taxed lines. */
export interface TaxCodes {
	taxed: string;
	untaxed: string;
}

export const US_TAX_CODES: TaxCodes = { taxed: 'TAX', untaxed: 'NON' };

/** The adjustment item a node's options name, as planSale takes it. */
export function adjustmentRef(options: { adjustmentItemId?: string }): ItemRef | undefined {
	return options.adjustmentItemId ? { value: options.adjustmentItemId } : undefined;
}

/** QuickBooks computes tax per line: the CRM's own total may round each taxed line a cent apart. */
const CENT_PER_TAXED_LINE = 0.01;

export const ADJUSTMENT_DESCRIPTION =
	'Adjustment: the CRM total differs from its lines, discount and tax';

/**
 * `adjustmentItem`: where a CRM total that its own lines, discount and tax do not make is booked
 * (one untaxed line). Without it such a sale stops with both totals: a gap is never booked as tax.
 */
export function planSale(
	input: CrmSale,
	itemRefFor: (line: ProductLine) => ItemRef,
	taxCodes: TaxCodes = US_TAX_CODES,
	adjustmentItem?: ItemRef,
): SalePlan {
	const lines: QboRecord[] = [];
	let subtotal = 0;
	let includedTax = 0;
	let weightedRate = 0;
	let taxedLines = 0;

	for (const line of input.lines) {
		const gross = line.qty * line.unitPrice;
		const taxable = line.taxRate > 0;
		if (taxable) taxedLines++;
		const net =
			taxable && line.taxInclusive ? round2(gross / (1 + line.taxRate / 100)) : round2(gross);
		if (taxable && line.taxInclusive) includedTax += round2(gross) - net;
		if (taxable && !line.taxInclusive) {
			weightedRate += (net * line.taxRate) / 100;
		}
		subtotal += net;
		lines.push({
			DetailType: 'SalesItemLineDetail',
			Amount: net,
			...(line.description ? { Description: line.description.slice(0, 4000) } : {}),
			SalesItemLineDetail: {
				ItemRef: itemRefFor(line),
				Qty: line.qty,
				UnitPrice: line.taxInclusive ? unitPriceFor(net, line.qty, line.unitPrice) : line.unitPrice,
				TaxCodeRef: { value: taxable ? taxCodes.taxed : taxCodes.untaxed },
			},
		});
	}
	if ((input.shipping ?? 0) > 0) {
		const shipping = round2(input.shipping!);
		subtotal += shipping;
		lines.push({
			DetailType: 'SalesItemLineDetail',
			Amount: shipping,
			SalesItemLineDetail: {
				ItemRef: itemRefFor({ name: SHIPPING_LINE_NAME }),
				Qty: 1,
				UnitPrice: shipping,
				TaxCodeRef: { value: taxCodes.untaxed },
			},
		});
	}
	subtotal = round2(subtotal);

	const percent = input.discount?.type === 'percentage' ? input.discount.value : undefined;
	const discount = round2(
		input.discountAmount ??
			(percent !== undefined ? (subtotal * percent) / 100 : (input.discount?.value ?? 0)),
	);

	// Tax: what the CRM states, else what its rates give (to the CRM's own rounding), else none.
	// A gap the rates do not explain is not tax: it is booked on the adjustment line or stops the sale.
	const discountShare = subtotal > 0 ? 1 - discount / subtotal : 1;
	const fromRates = round2(weightedRate * discountShare + includedTax);
	const fromTotal = round2(input.total - subtotal + discount);
	let totalTax = 0;
	if (input.taxAmount !== undefined) totalTax = Math.max(0, round2(input.taxAmount));
	else if (taxedLines > 0)
		totalTax =
			fromTotal >= 0 && Math.abs(fromTotal - fromRates) <= taxedLines * CENT_PER_TAXED_LINE + 1e-9
				? fromTotal
				: fromRates;
	if (totalTax > 0 && taxedLines === 0) {
		// The CRM stated tax without saying on which lines: QuickBooks needs taxable lines.
		for (const l of lines) {
			const detail = l.SalesItemLineDetail as { TaxCodeRef?: { value: string } } | undefined;
			if (detail?.TaxCodeRef) detail.TaxCodeRef = { value: taxCodes.taxed };
		}
	}

	const gap = round2(input.total - (subtotal - discount + totalTax));
	if (!sameAmount(gap, 0) && !adjustmentItem)
		throw new OutcomeError(
			'totals',
			`The CRM total ${round2(input.total)} is not what its lines, discount and tax make (${round2(subtotal - discount + totalTax)}: lines ${subtotal}, discount ${discount}, tax ${totalTax}${input.taxAmount === undefined ? ' (the CRM stated none)' : ''}); nothing was written`,
			'Check the record in the CRM, or choose an "Adjustment Item for Total Differences" in the node’s options to book the difference on a line of its own. It is never booked as sales tax.',
		);
	if (discount > 0) {
		// QuickBooks applies a percent discount to the lines above it; with an adjustment line the
		// amount is given instead, so the adjustment is never discounted.
		const usePercent =
			!adjustmentItem || sameAmount(gap, 0)
				? percent !== undefined && sameAmount(round2((subtotal * percent) / 100), discount)
				: false;
		lines.push({
			DetailType: 'DiscountLineDetail',
			Amount: discount,
			DiscountLineDetail: usePercent
				? { PercentBased: true, DiscountPercent: percent }
				: { PercentBased: false },
		});
	}
	if (!sameAmount(gap, 0) && adjustmentItem)
		lines.push({
			DetailType: 'SalesItemLineDetail',
			Amount: gap,
			Description: `${ADJUSTMENT_DESCRIPTION} by ${gap}`,
			SalesItemLineDetail: {
				ItemRef: adjustmentItem,
				Qty: 1,
				UnitPrice: gap,
				TaxCodeRef: { value: taxCodes.untaxed },
			},
		});
	const qboTotal = round2(subtotal - discount + totalTax + (adjustmentItem ? gap : 0));
	return {
		lines,
		totalTax,
		subtotal,
		discount,
		crmTotal: round2(input.total),
		qboTotal,
		totalsMatch: sameAmount(qboTotal, input.total),
	};
}
