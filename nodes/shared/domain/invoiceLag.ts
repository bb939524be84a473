/**
 * Whether QuickBooks lags behind what HighLevel shows of an invoice, judged from the two invoices
 * alone: what a reconcile pass asks before it runs Invoice → Sync for a pulled invoice. The answers
 * follow what Sync would do (../sync/invoices.ts): drafts and invoices issued before the chosen day
 * are not written, an invoice a bookkeeper voided stays voided, payments are recorded up to what
 * the CRM shows as paid. Pure: no I/O.
 *
 * Line edits that leave the total as it was are not seen here (the next event of the invoice brings
 * them); a total, a payment or a void is.
 */
import type { QboRecord } from '../types';
import type { CrmInvoice } from './crm';
import { isVoided } from './invoiceState';
import { round2, sameAmount } from './money';

export type InvoiceLag = 'missing' | 'total' | 'payment' | 'void';

export interface InvoiceLagOptions {
	/** Sync's "Only Invoices Issued On or After" (YYYY-MM-DD). */
	onlyIssuedSince?: string;
	/** Sync's "Record Payments". */
	recordPayments: boolean;
}

export function invoiceLag(
	crm: CrmInvoice,
	ours: QboRecord | undefined,
	options: InvoiceLagOptions,
): InvoiceLag | undefined {
	if (crm.status === 'void' || crm.status === 'deleted')
		return ours && !isVoided(ours) ? 'void' : undefined;
	if (!ours) {
		if (crm.status === 'draft') return undefined;
		if (options.onlyIssuedSince && crm.issueDate && crm.issueDate < options.onlyIssuedSince)
			return undefined;
		return 'missing';
	}
	if (isVoided(ours)) return undefined;
	if (!sameAmount(Number(ours.TotalAmt ?? 0), crm.total)) return 'total';
	const paidInBooks = round2(Number(ours.TotalAmt ?? 0) - Number(ours.Balance ?? 0));
	if (options.recordPayments && crm.amountPaid > paidInBooks + 0.005) return 'payment';
	return undefined;
}
