/** CRM invoice life cycle → QuickBooks invoice: upsert, payments, void, delete. */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import type { CrmInvoice } from '../domain/crm';
import { crmMarker, describeDocument, hasCrmMarker } from '../domain/docNumber';
import {
	invoiceChanges,
	isVoided,
	paymentDue,
	qboPaid,
	type DesiredInvoice,
} from '../domain/invoiceState';
import { PAYMENT_REREADS, payingRaced } from '../recovery';
import { round2 } from '../domain/money';
import { adjustmentRef, productLinesOf, planSale, type TaxCodes } from '../domain/salesDocument';
import { normalizeEmail } from '../domain/email';
import { findOrCreateCustomer, type MatchOptions } from './customers';
import { createKeepingTax, requireQuickBooksTax, type TaxBy } from './salesTax';
import { resolveItems, type ItemMode } from './items';
import { checkProductMapping } from './productMapping';
import { forgetRenamed, writeWithRefs } from './documentRefs';
import {
	createOwnDocument,
	findOwnDocument,
	numberToCreate,
	type NumberClash,
} from './ownDocuments';
import { currencyRefOf } from './preferences';
import { trackingOf, withTracking } from './tracking';
import type { TrackingRule } from '../domain/tracking';
import { invoiceKey, paymentsApplied, refundsOfTarget } from './linkedDocuments';
import type { InvoiceSyncResult, SyncSummary } from './types';

export interface InvoiceSyncOptions {
	match: MatchOptions;
	items: ItemMode;
	key: 'number' | 'id';
	docNumberPrefix?: string;
	/** CRM invoices issued before this date are not synced (no back-fill of old invoices). */
	onlyIssuedSince?: string;
	onDelete: 'void' | 'delete';
	recordPayments: boolean;
	/** Where the payments it records are deposited; none: QuickBooks' Undeposited Funds. */
	depositAccountId?: string;
	taxCodes?: TaxCodes;
	/** The item a CRM total's unexplained difference is booked on; without it such a sale stops. */
	adjustmentItemId?: string;
	/** An invoice number already used by an invoice this sync did not create: stop (default) or use a distinct number. */
	onNumberClash?: NumberClash;
	/** Classes and locations by rule (../domain/tracking.ts). */
	trackingRules?: TrackingRule[];
	/** Whose sales tax the invoice carries (./salesTax.ts); default the CRM's. */
	taxBy?: TaxBy;
}

/** Every QuickBooks invoice with this number (a company with custom numbers off may have several). */
export async function invoicesNumbered(client: QboClient, docNumber: string): Promise<QboRecord[]> {
	return await client.query({
		entity: 'Invoice',
		where: [{ field: 'DocNumber', op: '=', value: docNumber }],
		maxResults: 100,
	});
}

function summarize(
	invoice: QboRecord | undefined,
	crm: CrmInvoice,
	action: SyncSummary['action'],
	reason?: string,
): SyncSummary {
	const qboTotal = invoice ? Number(invoice.TotalAmt ?? 0) : undefined;
	return {
		action,
		qboId: invoice ? String(invoice.Id) : undefined,
		docNumber: invoice?.DocNumber as string | undefined,
		crmTotal: crm.total,
		qboTotal,
		totalsMatch:
			qboTotal === undefined || action === 'voided' || action === 'deleted'
				? undefined
				: Math.abs(qboTotal - crm.total) < 0.005,
		...(reason ? { reason } : {}),
	};
}

/** Records what the CRM shows as paid and QuickBooks does not have yet (never double-pays). */
export async function recordCrmPayment(
	client: QboClient,
	invoice: QboRecord,
	crmAmountPaid: number,
	idempotencyScope: string,
	recorded: {
		/** The CRM invoice the payment is recorded for (its marker), or none for a payment the user records by hand. */
		crmInvoiceId?: string;
		/** Where the payment is deposited; none: QuickBooks' Undeposited Funds. */
		depositAccountId?: string;
	} = {},
): Promise<{ invoice: QboRecord; payment?: QboRecord }> {
	const { crmInvoiceId, depositAccountId } = recorded;
	const id = String(invoice.Id);
	let current = invoice;
	for (let attempt = 0; ; attempt++) {
		const due = paymentDue(current, crmAmountPaid);
		if (due <= 0 || isVoided(current)) return { invoice: current };
		let payment: QboRecord;
		try {
			payment = await client.create(
				'Payment',
				{
					CustomerRef: current.CustomerRef as QboRecord,
					TotalAmt: due,
					Line: [{ Amount: due, LinkedTxn: [{ TxnId: id, TxnType: 'Invoice' }] }],
					...(depositAccountId ? { DepositToAccountRef: { value: depositAccountId } } : {}),
					PrivateNote: `${crmInvoiceId ? `${crmMarker('invoice-payment', crmInvoiceId)} ` : ''}Payment towards invoice ${String(current.DocNumber)}, CRM paid to date ${round2(crmAmountPaid)}`,
				},
				// Same invoice, same cumulative amount → same request: a repeated event cannot pay twice.
				// After a re-read, the amount already paid is part of it: that state's own request.
				`payment:${idempotencyScope}:${id}:${round2(crmAmountPaid)}${attempt ? `:on:${qboPaid(current)}` : ''}`,
			);
		} catch (error) {
			// Another run paid part of the invoice since it was read (recovery R22): read it again and
			// pay what is still due, if anything.
			if (!payingRaced(error) || attempt >= PAYMENT_REREADS) throw error;
			current = await client.read('Invoice', id);
			continue;
		}
		// A company that took more than the open balance keeps the rest as the customer's credit
		// (UnappliedAmt): never ours to leave there. Voided, and the invoice paid as read now.
		if (Number(payment.UnappliedAmt ?? 0) > 0.004 && attempt < PAYMENT_REREADS) {
			await client.void('Payment', payment);
			current = await client.read('Invoice', id);
			continue;
		}
		return { invoice: await client.read('Invoice', id), payment };
	}
}

/**
 * Voids our invoice for a CRM void or delete. QuickBooks refuses to void an invoice with a payment
 * applied, so the payments this sync recorded for it are voided first; a payment it did not record
 * (a bookkeeper's) stops the item before anything is written. Refund receipts this sync wrote for
 * refunds of those payments are deleted: voiding the payments already gives the money back in the
 * books, and HighLevel voids an invoice paid through a payment provider only after refunding it
 * ("the corresponding transaction needs to be refunded first", apps/invoices.json, invoice void).
 */
async function voidOwnInvoice(
	client: QboClient,
	invoice: QboRecord,
	crmId: string,
): Promise<{ invoice: QboRecord; changed: boolean; payments: QboRecord[]; refunds: QboRecord[] }> {
	if (isVoided(invoice)) return { invoice, changed: false, payments: [], refunds: [] };
	const applied = await paymentsApplied(client, invoice);
	const foreign = applied.filter((p) => !hasCrmMarker(p, 'invoice-payment', crmId));
	if (foreign.length) {
		const list = foreign
			.map(
				(p) =>
					`payment ${String(p.Id)} of ${round2(Number(p.TotalAmt))} on ${String(p.TxnDate ?? '?')}`,
			)
			.join(', ');
		throw new OutcomeError(
			'refused',
			`${describeDocument('QuickBooks invoice', invoice)} has payments this sync did not record (${list}); nothing was voided`,
			'Unapply or void those payments in QuickBooks if the CRM is right, then run the item again; or leave the invoice as it is.',
		);
	}
	const refunds = applied.length
		? await refundsOfTarget(
				client,
				(invoice.CustomerRef as { value?: string } | undefined)?.value,
				{ kind: 'invoice', id: crmId },
			)
		: [];
	for (const refund of refunds) await client.delete('RefundReceipt', refund);
	for (const payment of applied) await client.void('Payment', payment);
	const fresh = applied.length ? await client.read('Invoice', String(invoice.Id)) : invoice;
	return {
		invoice: await client.void('Invoice', fresh),
		changed: true,
		payments: applied,
		refunds,
	};
}

async function updateInvoice(
	client: QboClient,
	existing: QboRecord,
	desired: DesiredInvoice,
): Promise<{ invoice: QboRecord; action: SyncSummary['action'] }> {
	const result = await client.modify(
		'Invoice',
		String(existing.Id),
		(current) => invoiceChanges(current, desired),
		existing,
	);
	return { invoice: result.record, action: result.changed ? 'updated' : 'unchanged' };
}

function newInvoiceBody(
	crm: CrmInvoice,
	docNumber: string,
	desired: DesiredInvoice,
	currencyRef: { value: string } | undefined,
): QboRecord {
	return {
		DocNumber: docNumber,
		CustomerRef: { value: desired.customerId },
		Line: desired.lines,
		...(desired.totalTax === undefined ? {} : { TxnTaxDetail: { TotalTax: desired.totalTax } }),
		ApplyTaxAfterDiscount: true,
		PrivateNote: crmMarker('invoice', crm.id),
		...(crm.issueDate ? { TxnDate: crm.issueDate } : {}),
		...(crm.dueDate ? { DueDate: crm.dueDate } : {}),
		...(crm.memo ? { CustomerMemo: { value: crm.memo } } : {}),
		...(currencyRef ? { CurrencyRef: currencyRef } : {}),
		...(normalizeEmail(crm.person.email)
			? { BillEmail: { Address: String(crm.person.email).trim() } }
			: {}),
	};
}

export async function syncInvoice(
	client: QboClient,
	crm: CrmInvoice,
	options: InvoiceSyncOptions,
): Promise<InvoiceSyncResult> {
	const key = invoiceKey(crm, options);
	const lookup = await findOwnDocument(client, key);
	const existing = lookup.ours;

	if (crm.status === 'void' || crm.status === 'deleted') {
		if (!existing) {
			const reason = lookup.others.length
				? `not synced by this package (QuickBooks ${lookup.others.map((r) => `invoice ${String(r.Id)}`).join(', ')} under the same number ${lookup.numbers.base} ${lookup.others.length > 1 ? 'are' : 'is'} someone else's and stays untouched)`
				: 'not in QuickBooks';
			return { payments: [], sync: summarize(undefined, crm, 'skipped', reason) };
		}
		if (
			crm.status === 'deleted' &&
			options.onDelete === 'delete' &&
			Number(existing.TotalAmt) === Number(existing.Balance) &&
			!isVoided(existing)
		) {
			await client.delete('Invoice', existing);
			return { invoice: existing, payments: [], sync: summarize(existing, crm, 'deleted') };
		}
		const voided = await voidOwnInvoice(client, existing, crm.id);
		return {
			invoice: voided.invoice,
			payments: voided.payments,
			...(voided.refunds.length ? { refundsDeleted: voided.refunds } : {}),
			sync: summarize(voided.invoice, crm, voided.changed ? 'voided' : 'unchanged'),
		};
	}
	if (crm.status === 'draft' && !existing) {
		return {
			payments: [],
			sync: summarize(undefined, crm, 'skipped', 'draft invoices are synced once sent'),
		};
	}
	if (
		!existing &&
		options.onlyIssuedSince &&
		crm.issueDate &&
		crm.issueDate < options.onlyIssuedSince
	) {
		return {
			payments: [],
			sync: summarize(
				undefined,
				crm,
				'skipped',
				`issued ${crm.issueDate}, before ${options.onlyIssuedSince}`,
			),
		};
	}
	if (existing && isVoided(existing)) {
		return {
			invoice: existing,
			payments: [],
			sync: summarize(existing, crm, 'unchanged', 'voided in QuickBooks'),
		};
	}
	if (!existing) numberToCreate(key, lookup); // a clash stops the item before any customer or item is written
	// So does a currency the company cannot book it in (a new invoice; one written keeps its own).
	const currencyRef = existing
		? undefined
		: await currencyRefOf(client, crm.currency, `CRM invoice ${crm.number ?? crm.id}`);

	await checkProductMapping(client, productLinesOf(crm), options.items);
	const what = `CRM invoice ${crm.number ?? crm.id}`;
	if (options.taxBy === 'quickbooks') await requireQuickBooksTax(client, what);
	// A class or location the company cannot take stops it too. A written invoice keeps its own
	// document class and location (a bookkeeper may have moved it); rewritten lines get theirs.
	const tracking = await trackingOf(
		client,
		crm,
		options.trackingRules ?? [],
		`CRM invoice ${crm.number ?? crm.id}`,
	);
	const lineTracking = tracking && {
		lineClassRefs: tracking.lineClassRefs,
		lineDefault: tracking.lineDefault,
		because: {},
	};

	// An invoice already billed to this e-mail keeps its customer: no look-up per later event.
	const billedTo = normalizeEmail(
		(existing?.BillEmail as { Address?: string } | undefined)?.Address,
	);
	const keptCustomerId =
		existing && billedTo && billedTo === normalizeEmail(crm.person.email)
			? String((existing.CustomerRef as { value?: string }).value)
			: undefined;
	const {
		result: { invoice: written, action: done, desired },
		refs: { match },
	} = await writeWithRefs(
		client,
		async (mode) => ({
			match: keptCustomerId
				? { customer: { Id: keptCustomerId }, how: 'matched' as const }
				: await findOrCreateCustomer(
						client,
						crm.person,
						options.match,
						'contactDetails.email',
						mode,
					),
			items: await resolveItems(client, productLinesOf(crm), options.items, mode),
		}),
		async (refs, requestKeySuffix) => {
			const plan = planSale(crm, refs.items.refFor, options.taxCodes, adjustmentRef(options));
			const desired: DesiredInvoice = {
				customerId: String(refs.match.customer.Id),
				lines: withTracking({ Line: plan.lines }, lineTracking).Line as QboRecord[],
				totalTax: options.taxBy === 'quickbooks' ? undefined : plan.totalTax,
				dueDate: crm.dueDate,
				txnDate: crm.issueDate,
				memo: crm.memo,
			};
			if (existing) return { ...(await updateInvoice(client, existing, desired)), desired };
			const created = await createKeepingTax(
				client,
				'Invoice',
				options.taxBy === 'quickbooks' ? 0 : plan.totalTax,
				crm.total,
				async (more) =>
					await createOwnDocument(
						client,
						key,
						lookup,
						(docNumber) =>
							withTracking(newInvoiceBody(crm, docNumber, desired, currencyRef), tracking),
						requestKeySuffix + more,
					),
			);
			// Another run created it first: bring theirs to what this event says (recovery R9).
			const result = created.created
				? { invoice: created.record, action: 'created' as const }
				: await updateInvoice(client, created.record, desired);
			return { ...result, desired };
		},
	);
	forgetRenamed(client, written);
	let invoice: QboRecord = written;
	let action: SyncSummary['action'] = done;

	const payments: QboRecord[] = [];
	if (options.recordPayments && crm.amountPaid > 0) {
		const paid = await recordCrmPayment(client, invoice, crm.amountPaid, `invoice:${crm.id}`, {
			crmInvoiceId: crm.id,
			depositAccountId: options.depositAccountId,
		});
		invoice = paid.invoice;
		if (paid.payment) {
			payments.push(paid.payment);
			if (action === 'unchanged') action = 'paid';
		}
	}
	const sync = summarize(invoice, crm, action);
	return {
		invoice,
		payments,
		sync: { ...sync, customer: { id: desired.customerId, how: match.how } },
	};
}
