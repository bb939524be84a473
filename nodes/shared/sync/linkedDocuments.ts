/**
 * What the invoice and refund steps both need, one floor below them: where a CRM invoice's
 * QuickBooks invoice lives, the payments applied to an invoice, and the refunds of a document.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import type { CrmInvoice } from '../domain/crm';
import { oldestFirst } from '../domain/docNumber';
import { refundsOf, type RefundTarget } from '../domain/refund';
import type { NumberClash, OwnDocumentKey } from './ownDocuments';

/** Where a CRM invoice's QuickBooks invoice lives: the marker carries the CRM id, the number is the CRM number or id. */
export function invoiceKey(
	crm: Pick<CrmInvoice, 'id' | 'number'>,
	options: { key?: 'number' | 'id'; docNumberPrefix?: string; onNumberClash?: NumberClash },
): OwnDocumentKey {
	return {
		entity: 'Invoice',
		kind: 'invoice',
		crmId: crm.id,
		numberKey: options.key === 'number' && crm.number ? crm.number : crm.id,
		prefix: options.docNumberPrefix,
		onClash: options.onNumberClash ?? 'error',
	};
}

/** The payments applied to an invoice (its LinkedTxn), voided ones left out: one query. */
export async function paymentsApplied(client: QboClient, invoice: QboRecord): Promise<QboRecord[]> {
	const linked = ((invoice.LinkedTxn as QboRecord[] | undefined) ?? [])
		.filter((t) => t.TxnType === 'Payment' && t.TxnId)
		.map((t) => String(t.TxnId));
	if (!linked.length) return [];
	const payments = await client.query({
		entity: 'Payment',
		where: [{ field: 'Id', op: 'IN', value: linked }],
		maxResults: 1000,
	});
	return payments.filter((p) => Number(p.TotalAmt ?? 0) !== 0);
}

/** Every refund receipt of the document's customer that refunds this target, oldest first. */
export async function refundsOfTarget(
	client: QboClient,
	customerId: string | undefined,
	target: RefundTarget,
): Promise<QboRecord[]> {
	const all = await client.queryAll({
		entity: 'RefundReceipt',
		where: customerId ? [{ field: 'CustomerRef', op: '=', value: customerId }] : [],
	});
	return oldestFirst(refundsOf(all, target));
}
