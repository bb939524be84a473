/**
 * What an invoice sync must write: the sparse changes between the invoice QuickBooks has and the
 * one the CRM describes, and how much payment is still to be recorded.
 */
import type { QboRecord } from '../types';
import { round2 } from './money';

export interface DesiredInvoice {
	customerId: string;
	lines: QboRecord[];
	/** The tax to send; undefined when QuickBooks calculates it (automated sales tax). */
	totalTax?: number;
	dueDate?: string;
	txnDate?: string;
	memo?: string;
	currency?: string;
}

type Line = Record<string, any>;

function salesLineKey(line: Line) {
	const d = line.SalesItemLineDetail ?? {};
	return [
		String(d.ItemRef?.value ?? ''),
		String(line.Description ?? ''),
		Number(d.Qty ?? 0),
		round2(Number(d.UnitPrice ?? 0) * 1e5) / 1e5,
		round2(Number(line.Amount ?? 0)),
		String(d.TaxCodeRef?.value ?? 'NON'),
	];
}

function discountKey(lines: Line[]) {
	const line = lines.find((l) => l.DetailType === 'DiscountLineDetail');
	if (!line) return [0];
	const d = line.DiscountLineDetail ?? {};
	return d.PercentBased
		? ['%', Number(d.DiscountPercent)]
		: ['$', round2(Number(line.Amount ?? 0))];
}

function linesKey(lines: Line[]): string {
	return JSON.stringify([
		lines.filter((l) => l.DetailType === 'SalesItemLineDetail').map(salesLineKey),
		discountKey(lines),
	]);
}

export function isVoided(invoice: QboRecord): boolean {
	return (
		String(invoice.PrivateNote ?? '').startsWith('Voided') && Number(invoice.TotalAmt ?? 0) === 0
	);
}

/** Sparse changes to bring `current` to `desired`, or null when they already agree. */
export function invoiceChanges(current: QboRecord, desired: DesiredInvoice): QboRecord | null {
	const changes: QboRecord = {};
	const currentLines = (current.Line as Line[] | undefined) ?? [];
	const currentTax = round2(
		Number((current.TxnTaxDetail as { TotalTax?: number } | undefined)?.TotalTax ?? 0),
	);
	if (
		linesKey(currentLines) !== linesKey(desired.lines) ||
		(desired.totalTax !== undefined && currentTax !== round2(desired.totalTax))
	) {
		changes.Line = desired.lines;
		if (desired.totalTax !== undefined) changes.TxnTaxDetail = { TotalTax: desired.totalTax };
	}
	if (
		String((current.CustomerRef as { value?: string } | undefined)?.value) !== desired.customerId
	) {
		changes.CustomerRef = { value: desired.customerId };
	}
	if (desired.dueDate && current.DueDate !== desired.dueDate) changes.DueDate = desired.dueDate;
	if (desired.txnDate && current.TxnDate !== desired.txnDate) changes.TxnDate = desired.txnDate;
	const currentMemo = (current.CustomerMemo as { value?: string } | undefined)?.value ?? '';
	if ((desired.memo ?? '') !== currentMemo && desired.memo !== undefined) {
		changes.CustomerMemo = { value: desired.memo };
	}
	return Object.keys(changes).length ? changes : null;
}

/** Amount QuickBooks has already recorded as paid on an invoice. */
export function qboPaid(invoice: QboRecord): number {
	return round2(Number(invoice.TotalAmt ?? 0) - Number(invoice.Balance ?? 0));
}

/** Payment still to record so QuickBooks shows what the CRM shows; never negative. */
export function paymentDue(invoice: QboRecord, crmAmountPaid: number): number {
	const due = round2(Math.min(crmAmountPaid, Number(invoice.TotalAmt ?? 0)) - qboPaid(invoice));
	return due > 0.004 ? due : 0;
}
