/** CRM payment → QuickBooks sales receipt, once per CRM transaction id. */
import type { QboClient, QboRecord } from '../transport/client';
import { FaultCode, QboError } from '../transport/errors';
import type { CrmPayment } from '../domain/crm';
import { crmMarker, docNumberFor, hasCrmMarker } from '../domain/docNumber';
import { itemNamesOf, planSale, type SalePlan, type TaxCodes } from '../domain/salesDocument';
import { normalizeEmail } from '../domain/email';
import { findOrCreateCustomer, type MatchOptions, type MatchHow } from './customers';
import { resolveItems, type ItemMode } from './items';

export interface ReceiptOptions {
	match: MatchOptions;
	items: ItemMode;
	docNumberPrefix?: string;
	paymentMethodId?: string;
	depositAccountId?: string;
	/** A customer chosen by earlier nodes (e.g. the template's visible e-mail matching). */
	customerId?: string;
	taxCodes?: TaxCodes;
}

export interface SyncSummary {
	action: 'created' | 'updated' | 'unchanged' | 'paid' | 'voided' | 'deleted' | 'matched' | 'skipped';
	qboId?: string;
	docNumber?: string;
	crmTotal?: number;
	qboTotal?: number;
	totalsMatch?: boolean;
	customer?: { id: string; how: MatchHow; displayName?: string };
	reason?: string;
}

export interface ReceiptResult {
	receipt: QboRecord;
	alreadySynced: boolean;
	sync: SyncSummary;
}

async function findReceipt(client: QboClient, docNumber: string, transactionId: string): Promise<QboRecord | undefined> {
	const found = await client.query({
		entity: 'SalesReceipt',
		where: [{ field: 'DocNumber', op: '=', value: docNumber }],
		maxResults: 10,
	});
	return found.find((r) => hasCrmMarker(r, 'payment', transactionId)) ?? found[0];
}

export function receiptSummary(receipt: QboRecord, payment: CrmPayment, action: SyncSummary['action'], customer?: SyncSummary['customer']): SyncSummary {
	const qboTotal = Number(receipt.TotalAmt ?? 0);
	return {
		action,
		qboId: String(receipt.Id),
		docNumber: receipt.DocNumber as string | undefined,
		crmTotal: payment.total,
		qboTotal,
		totalsMatch: Math.abs(qboTotal - payment.total) < 0.005,
		customer,
	};
}

/** The SalesReceipt QuickBooks gets for a payment. */
export function receiptBody(payment: CrmPayment, docNumber: string, customerId: string, plan: SalePlan, options: ReceiptOptions): QboRecord {
	return {
		DocNumber: docNumber,
		CustomerRef: { value: customerId },
		Line: plan.lines,
		TxnTaxDetail: { TotalTax: plan.totalTax },
		ApplyTaxAfterDiscount: true,
		PrivateNote: `${crmMarker('payment', payment.transactionId)}${payment.source ? ` (${payment.source})` : ''}`,
		...(payment.date ? { TxnDate: payment.date } : {}),
		...(payment.currency ? { CurrencyRef: { value: payment.currency } } : {}),
		...(normalizeEmail(payment.person.email) ? { BillEmail: { Address: normalizeEmail(payment.person.email) } } : {}),
		...(options.paymentMethodId ? { PaymentMethodRef: { value: options.paymentMethodId } } : {}),
		...(options.depositAccountId ? { DepositToAccountRef: { value: options.depositAccountId } } : {}),
		PaymentRefNum: payment.transactionId.slice(-21),
	};
}

export async function createReceiptFromPayment(
	client: QboClient,
	payment: CrmPayment,
	options: ReceiptOptions,
): Promise<ReceiptResult> {
	const docNumber = docNumberFor(payment.transactionId, options.docNumberPrefix);
	const existing = await findReceipt(client, docNumber, payment.transactionId);
	if (existing) return { receipt: existing, alreadySynced: true, sync: receiptSummary(existing, payment, 'matched') };

	const match = options.customerId
		? { customer: { Id: options.customerId } as QboRecord, how: 'given' as const }
		: await findOrCreateCustomer(client, payment.person, options.match, 'email');
	const itemRefFor = await resolveItems(client, itemNamesOf(payment), options.items);
	const plan = planSale(payment, itemRefFor, options.taxCodes);
	const body = receiptBody(payment, docNumber, String(match.customer.Id), plan, options);
	const customer = { id: String(match.customer.Id), how: match.how, displayName: match.customer.DisplayName as string };
	try {
		const receipt = await client.create('SalesReceipt', body, `receipt:${payment.transactionId}`);
		return { receipt, alreadySynced: false, sync: receiptSummary(receipt, payment, 'created', customer) };
	} catch (error) {
		// A concurrent delivery of the same payment won the race for the DocNumber.
		if (error instanceof QboError && error.hasCode(FaultCode.DuplicateDocNumber)) {
			const raced = await findReceipt(client, docNumber, payment.transactionId);
			if (raced && hasCrmMarker(raced, 'payment', payment.transactionId)) {
				return { receipt: raced, alreadySynced: true, sync: receiptSummary(raced, payment, 'matched', customer) };
			}
		}
		throw error;
	}
}
