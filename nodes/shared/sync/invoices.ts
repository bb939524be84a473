/** CRM invoice life cycle → QuickBooks invoice: upsert, payments, void, delete. */
import type { QboClient, QboRecord } from '../transport/client';
import { FaultCode, QboError } from '../transport/errors';
import type { CrmInvoice } from '../domain/crm';
import { crmMarker, docNumberFor } from '../domain/docNumber';
import { invoiceChanges, isVoided, paymentDue, type DesiredInvoice } from '../domain/invoiceState';
import { round2 } from '../domain/money';
import { itemNamesOf, planSale, type TaxCodes } from '../domain/salesDocument';
import { findOrCreateCustomer, type CustomerMatch, type MatchOptions } from './customers';
import { normalizeEmail } from '../domain/email';
import { resolveItems, type ItemMode } from './items';
import type { SyncSummary } from './receipts';

export interface InvoiceSyncOptions {
	match: MatchOptions;
	items: ItemMode;
	key: 'number' | 'id';
	docNumberPrefix?: string;
	/** CRM invoices issued before this date are not synced (no back-fill of old invoices). */
	onlyIssuedSince?: string;
	onDelete: 'void' | 'delete';
	recordPayments: boolean;
	taxCodes?: TaxCodes;
}

export interface InvoiceSyncResult {
	invoice?: QboRecord;
	payments: QboRecord[];
	sync: SyncSummary;
}

export function invoiceDocNumber(crm: CrmInvoice, key: 'number' | 'id', prefix?: string): string {
	return docNumberFor(key === 'number' && crm.number ? crm.number : crm.id, prefix);
}

export async function findInvoiceByDocNumber(client: QboClient, docNumber: string): Promise<QboRecord | undefined> {
	const [invoice] = await client.query({
		entity: 'Invoice',
		where: [{ field: 'DocNumber', op: '=', value: docNumber }],
		maxResults: 1,
	});
	return invoice;
}

function summarize(invoice: QboRecord | undefined, crm: CrmInvoice, action: SyncSummary['action'], reason?: string): SyncSummary {
	const qboTotal = invoice ? Number(invoice.TotalAmt ?? 0) : undefined;
	return {
		action,
		qboId: invoice ? String(invoice.Id) : undefined,
		docNumber: invoice?.DocNumber as string | undefined,
		crmTotal: crm.total,
		qboTotal,
		totalsMatch: qboTotal === undefined || action === 'voided' || action === 'deleted' ? undefined : Math.abs(qboTotal - crm.total) < 0.005,
		...(reason ? { reason } : {}),
	};
}

/** Records what the CRM shows as paid and QuickBooks does not have yet (never double-pays). */
export async function recordCrmPayment(
	client: QboClient,
	invoice: QboRecord,
	crmAmountPaid: number,
	idempotencyScope: string,
): Promise<{ invoice: QboRecord; payment?: QboRecord }> {
	const due = paymentDue(invoice, crmAmountPaid);
	if (due <= 0 || isVoided(invoice)) return { invoice };
	const payment = await client.create(
		'Payment',
		{
			CustomerRef: invoice.CustomerRef as QboRecord,
			TotalAmt: due,
			Line: [{ Amount: due, LinkedTxn: [{ TxnId: String(invoice.Id), TxnType: 'Invoice' }] }],
			PrivateNote: `CRM payment towards ${String(invoice.DocNumber)}, CRM paid to date ${round2(crmAmountPaid)}`,
		},
		// Same invoice, same cumulative amount → same request: a repeated event cannot pay twice.
		`payment:${idempotencyScope}:${invoice.Id}:${round2(crmAmountPaid)}`,
	);
	return { invoice: await client.read('Invoice', String(invoice.Id)), payment };
}

async function voidIfNeeded(client: QboClient, invoice: QboRecord): Promise<{ invoice: QboRecord; changed: boolean }> {
	if (isVoided(invoice)) return { invoice, changed: false };
	try {
		return { invoice: await client.void('Invoice', invoice), changed: true };
	} catch (error) {
		const fresh = await client.read('Invoice', String(invoice.Id));
		if (isVoided(fresh)) return { invoice: fresh, changed: false };
		return { invoice: await client.void('Invoice', fresh), changed: true };
	}
}

async function updateInvoice(client: QboClient, existing: QboRecord, desired: DesiredInvoice): Promise<{ invoice: QboRecord; action: SyncSummary['action'] }> {
	const result = await client.modify('Invoice', String(existing.Id), (current) => invoiceChanges(current, desired), existing);
	return { invoice: result.record, action: result.changed ? 'updated' : 'unchanged' };
}

async function createInvoice(client: QboClient, crm: CrmInvoice, docNumber: string, desired: DesiredInvoice): Promise<{ invoice: QboRecord; action: SyncSummary['action'] }> {
	try {
		const invoice = await client.create(
			'Invoice',
			{
				DocNumber: docNumber,
				CustomerRef: { value: desired.customerId },
				Line: desired.lines,
				TxnTaxDetail: { TotalTax: desired.totalTax },
				ApplyTaxAfterDiscount: true,
				PrivateNote: crmMarker('invoice', crm.id),
				...(crm.issueDate ? { TxnDate: crm.issueDate } : {}),
				...(crm.dueDate ? { DueDate: crm.dueDate } : {}),
				...(crm.memo ? { CustomerMemo: { value: crm.memo } } : {}),
				...(crm.currency ? { CurrencyRef: { value: crm.currency } } : {}),
				...(crm.person.email ? { BillEmail: { Address: crm.person.email.trim() } } : {}),
			},
			`invoice:${crm.id}`,
		);
		return { invoice, action: 'created' };
	} catch (error) {
		// Two events of one new invoice processed at once: the other run created it; update it.
		if (error instanceof QboError && error.hasCode(FaultCode.DuplicateDocNumber)) {
			const raced = await findInvoiceByDocNumber(client, docNumber);
			if (raced) return await updateInvoice(client, raced, desired);
		}
		throw error;
	}
}

export async function syncInvoice(client: QboClient, crm: CrmInvoice, options: InvoiceSyncOptions): Promise<InvoiceSyncResult> {
	const docNumber = invoiceDocNumber(crm, options.key, options.docNumberPrefix);
	const existing = await findInvoiceByDocNumber(client, docNumber);

	if (crm.status === 'void' || crm.status === 'deleted') {
		if (!existing) return { payments: [], sync: summarize(undefined, crm, 'skipped', 'not in QuickBooks') };
		if (crm.status === 'deleted' && options.onDelete === 'delete' && Number(existing.TotalAmt) === Number(existing.Balance)) {
			await client.delete('Invoice', existing);
			return { invoice: existing, payments: [], sync: summarize(existing, crm, 'deleted') };
		}
		const voided = await voidIfNeeded(client, existing);
		return { invoice: voided.invoice, payments: [], sync: summarize(voided.invoice, crm, voided.changed ? 'voided' : 'unchanged') };
	}
	if (crm.status === 'draft' && !existing) {
		return { payments: [], sync: summarize(undefined, crm, 'skipped', 'draft invoices are synced once sent') };
	}
	if (!existing && options.onlyIssuedSince && crm.issueDate && crm.issueDate < options.onlyIssuedSince) {
		return { payments: [], sync: summarize(undefined, crm, 'skipped', `issued ${crm.issueDate}, before ${options.onlyIssuedSince}`) };
	}
	if (existing && isVoided(existing)) {
		return { invoice: existing, payments: [], sync: summarize(existing, crm, 'unchanged', 'voided in QuickBooks') };
	}

	// An invoice already billed to this e-mail keeps its customer: no look-up per later event.
	const billedTo = normalizeEmail((existing?.BillEmail as { Address?: string } | undefined)?.Address);
	const match: CustomerMatch = existing && billedTo && billedTo === normalizeEmail(crm.person.email)
		? { customer: { Id: String((existing.CustomerRef as { value?: string }).value) }, how: 'matched' }
		: await findOrCreateCustomer(client, crm.person, options.match, 'contactDetails.email');
	const itemRefFor = await resolveItems(client, itemNamesOf(crm), options.items);
	const plan = planSale(crm, itemRefFor, options.taxCodes);
	const desired: DesiredInvoice = {
		customerId: String(match.customer.Id),
		lines: plan.lines,
		totalTax: plan.totalTax,
		dueDate: crm.dueDate,
		txnDate: crm.issueDate,
		memo: crm.memo,
	};

	let { invoice, action } = existing
		? await updateInvoice(client, existing, desired)
		: await createInvoice(client, crm, docNumber, desired);

	const payments: QboRecord[] = [];
	if (options.recordPayments && crm.amountPaid > 0) {
		const paid = await recordCrmPayment(client, invoice, crm.amountPaid, `invoice:${crm.id}`);
		invoice = paid.invoice;
		if (paid.payment) {
			payments.push(paid.payment);
			if (action === 'unchanged') action = 'paid';
		}
	}
	const sync = summarize(invoice, crm, action);
	return { invoice, payments, sync: { ...sync, customer: { id: desired.customerId, how: match.how } } };
}
