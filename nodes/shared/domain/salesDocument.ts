/**
 * Lays out a CRM sale as QuickBooks lines so that QuickBooks' computed TotalAmt equals the CRM
 * total to the cent: net line amounts, one discount line, and the tax given as TotalTax.
 */
import type { QboRecord } from '../types';
import type { CrmSale } from './crm';
import { round2, sameAmount } from './money';
import type { SalePlan } from './types';

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
	const names = input.lines.map((l) => l.name);
	if ((input.shipping ?? 0) > 0) names.push(SHIPPING_LINE_NAME);
	return [...new Set(names)];
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

export function planSale(
	input: CrmSale,
	itemRefFor: (name: string) => ItemRef,
	taxCodes: TaxCodes = US_TAX_CODES,
): SalePlan {
	const lines: QboRecord[] = [];
	let subtotal = 0;
	let includedTax = 0;
	let weightedRate = 0;
	let anyTaxable = false;

	for (const line of input.lines) {
		const gross = line.qty * line.unitPrice;
		const taxable = line.taxRate > 0;
		anyTaxable ||= taxable;
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
				ItemRef: itemRefFor(line.name),
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
				ItemRef: itemRefFor(SHIPPING_LINE_NAME),
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
	if (discount > 0) {
		const usePercent =
			percent !== undefined && sameAmount(round2((subtotal * percent) / 100), discount);
		lines.push({
			DetailType: 'DiscountLineDetail',
			Amount: discount,
			DiscountLineDetail: usePercent
				? { PercentBased: true, DiscountPercent: percent }
				: { PercentBased: false },
		});
	}

	// Tax: what the CRM says, else what makes the totals agree, else what the rates give.
	const discountShare = subtotal > 0 ? 1 - discount / subtotal : 1;
	const fromRates = round2(weightedRate * discountShare + includedTax);
	const fromTotal = round2(input.total - subtotal + discount);
	let totalTax =
		input.taxAmount !== undefined
			? round2(input.taxAmount)
			: fromTotal >= 0
				? fromTotal
				: fromRates;
	if (totalTax < 0) totalTax = 0;
	if (totalTax > 0 && !anyTaxable) {
		// The CRM charged tax without saying on which lines: QuickBooks needs taxable lines.
		for (const l of lines) {
			const detail = l.SalesItemLineDetail as { TaxCodeRef?: { value: string } } | undefined;
			if (detail?.TaxCodeRef) detail.TaxCodeRef = { value: taxCodes.taxed };
		}
	}
	const qboTotal = round2(subtotal - discount + totalTax);
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
