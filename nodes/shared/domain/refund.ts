/**
 * A CRM refund as a QuickBooks RefundReceipt: the note that ties it to the document it refunds, the
 * amount still refundable, and its lines. Pure: no I/O.
 *
 * Why a RefundReceipt: Intuit's model for giving money back for products or services sold ("If you
 * want to refund individual items or services, create a refund receipt", QuickBooks help "Refund
 * your customer for a paid invoice in QuickBooks Online",
 * https://quickbooks.intuit.com/learn-support/en-ca/sales-customers/record-a-customer-refund/00/262415 ;
 * "RefundReceipt represents a refund to the customer for a product or service that was given",
 * Intuit API reference refundreceipt). It lowers income and the account the money left from in one
 * document, and changes neither the receipt or invoice it refunds nor the customer's balance.
 */
import type { QboRecord } from '../types';
import { crmMarker, crmMarkersIn, markerId } from './docNumber';
import { round2, sameAmount } from './money';

/** What a refund reverses: our sales receipt of a CRM payment, or our invoice of a CRM invoice. */
export interface RefundTarget {
	kind: 'payment' | 'invoice';
	/** The CRM id in that document's marker (transaction id, CRM invoice id). */
	id: string;
}

/**
 * PrivateNote of a refund receipt: the marker (`CRM refund <id>`, what makes it ours) and what it
 * refunds, written so that it is no marker itself (`for payment <id>`: a refund receipt is never
 * mistaken for the receipt of that payment).
 */
export function refundNote(refundId: string, target: RefundTarget, detail?: string): string {
	return `${crmMarker('refund', refundId)} for ${target.kind} ${markerId(target.id)}${detail ? ` (${detail})` : ''}`;
}

const TARGET = /CRM refund [^\s(),;]+ for (payment|invoice) ([^\s(),;]+)/;

/** What a refund receipt's note says it refunds, or undefined for a note this sync did not write. */
export function refundTargetOf(note: unknown): RefundTarget | undefined {
	const match = TARGET.exec(String(note ?? ''));
	return match ? { kind: match[1] as RefundTarget['kind'], id: match[2] } : undefined;
}

/** Voided documents keep their record with zero amounts and "Voided" before the note. */
export function isVoidedDocument(record: QboRecord): boolean {
	return String(record.PrivateNote ?? '').startsWith('Voided') && Number(record.TotalAmt) === 0;
}

/** Our refund receipts (any refund id) of one target that still count, oldest first. */
export function refundsOf(records: QboRecord[], target: RefundTarget): QboRecord[] {
	const wanted = markerId(target.id);
	return records.filter((r) => {
		const of = refundTargetOf(r.PrivateNote);
		return of?.kind === target.kind && of.id === wanted && !isVoidedDocument(r);
	});
}

export function totalOf(records: QboRecord[]): number {
	return round2(records.reduce((sum, r) => sum + Number(r.TotalAmt ?? 0), 0));
}

function taxOf(record: QboRecord): number {
	return Number((record.TxnTaxDetail as { TotalTax?: unknown } | undefined)?.TotalTax ?? 0);
}

/** The refund id a pulled refund carries: HighLevel's refunded total on the transaction, no refund id. */
export function refundedTotalId(transactionId: string, refundedTotal: number): string {
	return `${transactionId}${TOTAL_ID}${round2(refundedTotal)}`;
}

const TOTAL_ID = ':refunded-total:';

/** Whether a refund id is a refunded total pulled from HighLevel's API (refundedTotalId). */
export function isRefundedTotalId(refundId: string): boolean {
	return refundId.includes(TOTAL_ID);
}

/** Whether a refund receipt was written for a refunded total pulled from HighLevel's API. */
export function isRefundedTotalReceipt(record: QboRecord): boolean {
	return crmMarkersIn(record.PrivateNote).some(
		(m) => m.kind === 'refund' && isRefundedTotalId(m.id),
	);
}

/**
 * How much of a refund is still to book when HighLevel's record of the payment's refunded total is
 * known: what the refund says, but never more than that total leaves over the refunds already
 * booked for the payment (under any refund id). A refund pulled from HighLevel's API has no refund
 * id, only that total; a pushed one has its id and amount. Whichever is booked first, the other
 * finds the money already given back (0: nothing to write), so a refund is never booked twice.
 */
export function refundStillDue(
	amount: number,
	refundedTotal: number | undefined,
	bookedBefore: number,
): number {
	if (refundedTotal === undefined) return round2(amount);
	return round2(Math.max(0, Math.min(amount, refundedTotal - bookedBefore)));
}

export type RefundPlan =
	| {
			ok: true;
			lines: QboRecord[];
			totalTax: number;
			applyTaxAfterDiscount: boolean;
			/** This refund's total: the refunded amount. */
			total: number;
			/** Lines copied as they are (the whole document refunded at once). */
			copied: boolean;
			refundedBefore: number;
			/** Still refundable after this refund. */
			remaining: number;
	  }
	| {
			ok: false;
			/** exceeds: more than is left to refund; noLines: the source has no product line to refund. */
			why: 'exceeds' | 'noLines';
			refundedBefore: number;
			available: number;
	  };

const isSalesLine = (l: QboRecord) => l.DetailType === 'SalesItemLineDetail';

/**
 * The refund receipt's lines for `amount` of `source` (a sales receipt or invoice as QuickBooks
 * answered it). `cap` is what may be refunded in all (the receipt's total; for an invoice, what this
 * sync's payments paid), `prior` the refund receipts already written against it.
 *
 * - All of it at once: the source's lines, discount and tax as they are.
 * - Otherwise the tax part in proportion (or, when this refund completes the document, the tax not
 *   yet refunded), and the rest spread over the source's product lines by their amounts, net of any
 *   discount, each rounded to the cent with the remainder on the last line, so the refund receipt's
 *   total is exactly the amount.
 */
export function planRefund(
	source: QboRecord,
	amount: number,
	prior: QboRecord[],
	cap: number = Number(source.TotalAmt ?? 0),
): RefundPlan {
	const sourceTotal = round2(Number(source.TotalAmt ?? 0));
	const refundedBefore = totalOf(prior);
	const available = round2(Math.min(cap, sourceTotal) - refundedBefore);
	amount = round2(amount);
	if (!(amount > 0) || amount > available + 0.005)
		return { ok: false, why: 'exceeds', refundedBefore, available };

	const lines = (source.Line as QboRecord[] | undefined) ?? [];
	const sales = lines.filter(isSalesLine);
	if (!sales.length) return { ok: false, why: 'noLines', refundedBefore, available };
	const discountLine = lines.find((l) => l.DetailType === 'DiscountLineDetail');
	const subtotal = round2(sales.reduce((s, l) => s + Number(l.Amount ?? 0), 0));
	const discount = round2(Number(discountLine?.Amount ?? 0));
	const sourceTax = round2(taxOf(source));
	const laidOut = sameAmount(subtotal - discount + sourceTax, sourceTotal);
	const remaining = round2(available - amount);
	const base = { ok: true as const, total: amount, refundedBefore, remaining };

	if (refundedBefore === 0 && sameAmount(amount, sourceTotal) && laidOut) {
		return {
			...base,
			copied: true,
			totalTax: sourceTax,
			applyTaxAfterDiscount: source.ApplyTaxAfterDiscount !== false,
			lines: [
				...sales.map((l) => salesLine(l, Number(l.Amount), true)),
				...(discountLine && discount > 0 ? [discountLineOf(discountLine)] : []),
			],
		};
	}

	const completes = sameAmount(refundedBefore + amount, sourceTotal);
	const priorTax = round2(prior.reduce((s, r) => s + taxOf(r), 0));
	let tax = completes
		? round2(sourceTax - priorTax)
		: sourceTotal > 0
			? round2((sourceTax * amount) / sourceTotal)
			: 0;
	tax = Math.min(Math.max(tax, 0), amount);
	const net = round2(amount - tax);
	return {
		...base,
		copied: false,
		totalTax: tax,
		applyTaxAfterDiscount: true,
		lines: spread(net, sales).map(({ line, share }) => salesLine(line, share, false)),
	};
}

/** `net` over the lines by their amounts, to the cent, the remainder on the last line. */
function spread(net: number, sales: QboRecord[]): Array<{ line: QboRecord; share: number }> {
	const weights = sales.map((l) => Math.max(Number(l.Amount ?? 0), 0));
	const sum = weights.reduce((s, w) => s + w, 0);
	if (sum <= 0) return [{ line: sales[sales.length - 1], share: net }];
	const shares = weights.map((w) => round2((net * w) / sum));
	shares[shares.length - 1] = round2(net - shares.slice(0, -1).reduce((s, v) => s + v, 0));
	if (shares[shares.length - 1] < 0) {
		// Rounding the others up left the last line below zero (many lines, a few cents): largest remainder.
		const cents = Math.round(net * 100);
		const exact = weights.map((w) => (cents * w) / sum);
		const floors = exact.map(Math.floor);
		let left = cents - floors.reduce((s, v) => s + v, 0);
		const order = exact.map((e, i) => ({ i, r: e - floors[i] })).sort((a, b) => b.r - a.r);
		for (const { i } of order) if (left-- > 0) floors[i]++;
		return nonZero(sales.map((line, i) => ({ line, share: floors[i] / 100 })));
	}
	return nonZero(sales.map((line, i) => ({ line, share: shares[i] })));
}

/** Lines that carry nothing are left out; at least one line stays (QuickBooks needs one). */
function nonZero<T extends { share: number }>(shares: T[]): T[] {
	const kept = shares.filter((s) => s.share !== 0);
	return kept.length ? kept : shares.slice(-1);
}

function salesLine(source: QboRecord, amount: number, asIs: boolean): QboRecord {
	const detail = (source.SalesItemLineDetail as QboRecord | undefined) ?? {};
	const item = detail.ItemRef as { value?: string } | undefined;
	return {
		DetailType: 'SalesItemLineDetail',
		Amount: round2(amount),
		...(source.Description ? { Description: source.Description } : {}),
		SalesItemLineDetail: {
			...(item?.value ? { ItemRef: { value: String(item.value) } } : {}),
			// Quantity and price only where they still multiply to the amount (QuickBooks checks it).
			...(asIs && detail.Qty !== undefined && detail.UnitPrice !== undefined
				? { Qty: detail.Qty, UnitPrice: detail.UnitPrice }
				: {}),
			...(detail.TaxCodeRef ? { TaxCodeRef: detail.TaxCodeRef } : {}),
		},
	};
}

function discountLineOf(source: QboRecord): QboRecord {
	const detail = (source.DiscountLineDetail as QboRecord | undefined) ?? {};
	return {
		DetailType: 'DiscountLineDetail',
		Amount: round2(Number(source.Amount)),
		DiscountLineDetail:
			detail.PercentBased === true
				? { PercentBased: true, DiscountPercent: detail.DiscountPercent }
				: { PercentBased: false },
	};
}
