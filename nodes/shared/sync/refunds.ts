/**
 * CRM refund → QuickBooks RefundReceipt against the sales receipt (or invoice) this sync wrote for
 * the refunded payment, once per CRM refund id. Only documents carrying our marker are refunded;
 * anything else stops the item before a write, saying what to do.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { CrmInputError, OutcomeError } from '../errors';
import type { CrmRefund } from '../domain/crm';
import { describeDocument, hasCrmMarker } from '../domain/docNumber';
import { round2 } from '../domain/money';
import {
	isRefundedTotalId,
	isRefundedTotalReceipt,
	isVoidedDocument,
	planRefund,
	refundNote,
	refundStillDue,
	totalOf,
	type RefundTarget,
} from '../domain/refund';
import { overRefunded } from '../recovery';
import {
	createOwnDocument,
	findOwnDocument,
	numberToCreate,
	type NumberClash,
	type OwnDocumentKey,
} from './ownDocuments';
import { invoiceKey, paymentsApplied, refundsOfTarget } from './linkedDocuments';
import { receiptKey } from './receipts';
import type { Lookup, SyncSummary } from './types';
import { trackingOfDocument, withTracking } from './tracking';

export interface RefundOptions {
	/** Create From Payment's "Receipt Number Prefix": where the payment's receipt is found. */
	receiptNumberPrefix?: string;
	/** Invoice → Sync's "Invoice Number From" and prefix: where a refunded invoice payment's invoice is found. */
	invoiceKey: 'number' | 'id';
	invoiceNumberPrefix?: string;
	refundNumberPrefix?: string;
	/** The account the money left from; default: the refunded document's deposit account. */
	depositAccountId?: string;
	paymentMethodId?: string;
	onNumberClash?: NumberClash;
}

export interface RefundResult {
	refund: QboRecord;
	alreadySynced: boolean;
	sync: SyncSummary & {
		refundOf?: { entity: 'SalesReceipt' | 'Invoice'; qboId: string; docNumber?: string };
		refundedToDate?: number;
		refundable?: number;
	};
}

/** Where a CRM refund's refund receipt lives: its marker and its numbers. */
export function refundKey(
	refund: CrmRefund,
	options: Pick<RefundOptions, 'refundNumberPrefix' | 'onNumberClash'>,
): OwnDocumentKey {
	return {
		entity: 'RefundReceipt',
		kind: 'refund',
		crmId: refund.refundId,
		numberKey: refund.refundId,
		prefix: options.refundNumberPrefix,
		onClash: options.onNumberClash ?? 'error',
	};
}

/** The document a refund reverses, what may be refunded of it, and where its money went. */
interface Source {
	entity: 'SalesReceipt' | 'Invoice';
	record: QboRecord;
	target: RefundTarget;
	cap: number;
	depositTo?: string;
	paymentMethod?: string;
}

const LABEL = { SalesReceipt: 'sales receipt', Invoice: 'invoice' } as const;

async function receiptSource(
	client: QboClient,
	refund: CrmRefund,
	options: RefundOptions,
): Promise<Source> {
	const record = ours(
		await findOwnDocument(
			client,
			receiptKey(
				{ transactionId: refund.transactionId },
				{ docNumberPrefix: options.receiptNumberPrefix },
			),
		),
		'sales receipt',
		`CRM payment ${refund.transactionId}`,
		{
			notOurs:
				'The sync only refunds receipts it wrote. Record this refund in QuickBooks by hand, or check the "Receipt Number Prefix" matches Create From Payment’s.',
			missing: `The payment's sales receipt (CRM payment ${refund.transactionId}) does not exist in QuickBooks yet`,
			missingHint:
				'Run the payment first (Sales Receipt → Create From Payment), then this refund again; a drain retries it by itself. If the payment paid a CRM invoice, give the refund its invoice (Invoice ID) so it is refunded against the invoice.',
		},
	);
	return {
		entity: 'SalesReceipt',
		record,
		target: { kind: 'payment', id: refund.transactionId },
		cap: Number(record.TotalAmt ?? 0),
		depositTo: (record.DepositToAccountRef as { value?: string } | undefined)?.value,
		paymentMethod: (record.PaymentMethodRef as { value?: string } | undefined)?.value,
	};
}

/**
 * The document a look-up found under the CRM record's number, when it is ours (its marker); else the
 * item stops, nothing written: someone else's document there, or none yet.
 */
function ours(
	found: Lookup,
	what: 'sales receipt' | 'invoice',
	crmRecord: string,
	say: { notOurs: string; missing: string; missingHint: string },
): QboRecord {
	if (found.ours) return found.ours;
	if (found.others.length)
		throw new OutcomeError(
			'refused',
			`QuickBooks has ${found.others.map((r) => describeDocument(what, r)).join('; ')} under the number of ${crmRecord}, not created by this sync for it; nothing was refunded`,
			say.notOurs,
		);
	throw new OutcomeError('notFound', `${say.missing}; nothing was written`, say.missingHint);
}

/** The amounts this sync's payments (marker `CRM invoice-payment <id>`) applied to the invoice. */
function appliedTo(invoice: QboRecord, payment: QboRecord): number {
	return ((payment.Line as QboRecord[] | undefined) ?? [])
		.filter((l) =>
			((l.LinkedTxn as QboRecord[] | undefined) ?? []).some(
				(t) => t.TxnType === 'Invoice' && String(t.TxnId) === String(invoice.Id),
			),
		)
		.reduce((sum, l) => sum + Number(l.Amount ?? 0), 0);
}

async function invoiceSource(
	client: QboClient,
	refund: CrmRefund,
	invoiceId: string,
	options: RefundOptions,
): Promise<Source> {
	const byNumber = options.invoiceKey === 'number';
	if (byNumber && !refund.invoiceNumber)
		throw new CrmInputError(
			'invoiceNumber',
			'is missing: QuickBooks invoices are numbered by the CRM invoice number ("Invoice Number From"); map the refunded invoice’s number, or choose CRM Invoice ID as Invoice → Sync does',
		);
	const invoice = ours(
		await findOwnDocument(
			client,
			invoiceKey(
				{ id: invoiceId, number: refund.invoiceNumber },
				{ key: options.invoiceKey, docNumberPrefix: options.invoiceNumberPrefix },
			),
		),
		'invoice',
		`CRM invoice ${invoiceId}`,
		{
			notOurs:
				'The sync only refunds payments it recorded on invoices it wrote. Record this refund in QuickBooks by hand.',
			missing: `The invoice of the refunded payment (CRM invoice ${invoiceId}) does not exist in QuickBooks yet`,
			missingHint:
				'Sync the invoice and its payment first (Invoice → Sync), then this refund again; a drain retries it by itself.',
		},
	);
	const payments = await paymentsApplied(client, invoice);
	const recorded = payments.filter((p) => hasCrmMarker(p, 'invoice-payment', invoiceId));
	const paid = round2(recorded.reduce((sum, p) => sum + appliedTo(invoice, p), 0));
	if (paid <= 0)
		throw new OutcomeError(
			'refused',
			`${describeDocument('QuickBooks invoice', invoice)} has no payment recorded by this sync; nothing was refunded`,
			'The sync only refunds payments it recorded (Invoice → Sync with Record Payments). If the payment was recorded by hand, record the refund by hand too.',
		);
	const first = recorded[0];
	return {
		entity: 'Invoice',
		record: invoice,
		target: { kind: 'invoice', id: invoiceId },
		cap: paid,
		depositTo: (first.DepositToAccountRef as { value?: string } | undefined)?.value,
		paymentMethod: (first.PaymentMethodRef as { value?: string } | undefined)?.value,
	};
}

/**
 * Where the money left from when neither the user nor the refunded document says: Undeposited Funds,
 * the account QuickBooks files a receipt or payment under when it names none (Intuit's schema,
 * SalesTransaction.DepositToAccountRef: "If you do not specify this account, QBO uses the
 * Undeposited Funds account"; QuickBooks-V3-PHP-SDK src/XSD/Finance.xsd).
 */
async function undepositedFunds(client: QboClient): Promise<string | undefined> {
	return await client.memo('account:undeposited-funds', async () => {
		const accounts = await client.query({
			entity: 'Account',
			where: [{ field: 'AccountType', op: '=', value: 'Other Current Asset' }],
			maxResults: 1000,
		});
		const funds = accounts.find((a) => a.AccountSubType === 'UndepositedFunds');
		return funds ? String(funds.Id) : undefined;
	});
}

function summary(
	record: QboRecord,
	refund: CrmRefund,
	action: SyncSummary['action'],
	source?: Source,
	refundedToDate?: number,
): RefundResult['sync'] {
	const qboTotal = Number(record.TotalAmt ?? 0);
	return {
		action,
		qboId: String(record.Id),
		docNumber: record.DocNumber as string | undefined,
		crmTotal: refund.amount,
		qboTotal,
		totalsMatch: Math.abs(qboTotal - refund.amount) < 0.005,
		...(source
			? {
					refundOf: {
						entity: source.entity,
						qboId: String(source.record.Id),
						docNumber: source.record.DocNumber as string | undefined,
					},
					refundedToDate,
					refundable:
						refundedToDate === undefined ? undefined : round2(source.cap - refundedToDate),
				}
			: {}),
	};
}

/**
 * Writes the refund receipt for a CRM refund: once per refund id (a repeat answers the one written
 * before), never more in all than the refunded document may give back.
 */
export async function refundPayment(
	client: QboClient,
	refund: CrmRefund,
	options: RefundOptions,
): Promise<RefundResult> {
	if (refund.status && /fail|declin|cancel|pending/i.test(refund.status))
		throw new CrmInputError(
			'refund.status',
			`is "${refund.status}": no money went back, so nothing is refunded in QuickBooks`,
		);
	const key = refundKey(refund, options);
	const lookup = await findOwnDocument(client, key);
	if (lookup.ours)
		return {
			refund: lookup.ours,
			alreadySynced: true,
			sync: summary(lookup.ours, refund, 'matched'),
		};
	numberToCreate(key, lookup); // a clash stops the item before anything is written

	const invoiceId = refund.invoiceId;
	const source = invoiceId
		? await invoiceSource(client, refund, invoiceId, options)
		: await receiptSource(client, refund, options);
	const label = LABEL[source.entity];
	const document = describeDocument(label, source.record);
	if (isVoidedDocument(source.record))
		throw new OutcomeError(
			'refused',
			`${document} was voided in QuickBooks; nothing is refunded`,
			'A voided document has nothing left to give back. If the CRM refund is right, record it in QuickBooks by hand.',
		);
	const currency = (source.record.CurrencyRef as { value?: string } | undefined)?.value;
	if (refund.currency && currency && refund.currency !== currency.toUpperCase())
		throw new OutcomeError(
			'refused',
			`The refund is in ${refund.currency}, ${document} in ${currency}; nothing was written`,
			'Check the refund in the CRM; a refund is written in the currency of what it refunds.',
		);
	const customerId = (source.record.CustomerRef as { value?: string } | undefined)?.value;
	const prior = await refundsOfTarget(client, customerId, source.target);
	const due = amountDue(refund, prior, document);
	if (due <= 0)
		return covered(
			refund,
			prior,
			source,
			`HighLevel shows ${refund.refundedTotal} refunded in all, as much as is booked`,
		);
	const plan = planRefund(source.record, due, prior, capOf(source, refund, prior));
	if (!plan.ok) {
		if (plan.why === 'noLines')
			throw new OutcomeError(
				'refused',
				`${document} has no product line to refund; nothing was written`,
				'Record this refund in QuickBooks by hand.',
			);
		throw new OutcomeError(
			'refused',
			`Refunding ${round2(refund.amount)} would take the refunds of ${document} past ${source.entity === 'Invoice' ? 'what this sync recorded as paid on it' : 'its total'} (${round2(source.cap)}): ${plan.refundedBefore} refunded before, ${plan.available} left; nothing was written`,
			`Check the refund in the CRM. The refund receipts already written for it: ${prior.map((r) => describeDocument('refund receipt', r)).join('; ') || 'none'}.`,
		);
	}
	const depositTo =
		options.depositAccountId ?? source.depositTo ?? (await undepositedFunds(client));
	if (!depositTo)
		throw new OutcomeError(
			'notFound',
			`${document} names no deposit account and the company has no Undeposited Funds account; nothing was written`,
			'Choose the account the refund is paid from ("Refund From Account").',
		);
	const paymentMethod = options.paymentMethodId ?? source.paymentMethod;
	const detail = `${refund.transactionId !== source.target.id ? `transaction ${refund.transactionId}, ` : ''}${label} ${String(source.record.Id)}${source.record.DocNumber ? ` no. ${String(source.record.DocNumber)}` : ''}`;
	// The refund goes where the receipt or invoice it reverses went: its class and location.
	const tracking = trackingOfDocument(source.record);
	const body = (docNumber: string): QboRecord => withTracking(refundFields(docNumber), tracking);
	const refundFields = (docNumber: string): QboRecord => ({
		DocNumber: docNumber,
		...(customerId ? { CustomerRef: { value: customerId } } : {}),
		Line: plan.lines,
		TxnTaxDetail: { TotalTax: plan.totalTax },
		ApplyTaxAfterDiscount: plan.applyTaxAfterDiscount,
		DepositToAccountRef: { value: depositTo },
		...(paymentMethod ? { PaymentMethodRef: { value: paymentMethod } } : {}),
		PrivateNote: refundNote(refund.refundId, source.target, detail.replace(/[()]/g, '')),
		...(refund.date ? { TxnDate: refund.date } : {}),
		...(currency ? { CurrencyRef: { value: currency } } : {}),
		...(source.record.BillEmail ? { BillEmail: source.record.BillEmail } : {}),
		PaymentRefNum: refund.refundId.slice(-21),
	});
	let written = await createOwnDocument(client, key, lookup, body);
	if (!written.created)
		return {
			refund: written.record,
			alreadySynced: true,
			sync: summary(written.record, refund, 'matched', source),
		};
	// Two different refunds of one document may each have seen room for themselves (recovery R19).
	let after = await refundsOfTarget(client, customerId, source.target);
	const isLive = (id: unknown) => after.some((r) => String(r.Id) === String(id));
	if (!isLive(written.record.Id)) {
		// QuickBooks answered from its memory of this request (R11), but that refund receipt was
		// deleted since (R19, or by hand): write it anew under a request of its own.
		written = await createOwnDocument(client, key, lookup, body, `:${String(written.record.Id)}`);
		after = await refundsOfTarget(client, customerId, source.target);
	}
	if (overRefunded(after, String(written.record.Id), capOf(source, refund, after))) {
		await client.delete('RefundReceipt', written.record);
		const others = after.filter((r) => String(r.Id) !== String(written.record.Id));
		if (boundedByHighLevel(refund, after)) {
			// A refund pulled from HighLevel's total and a pushed one of the same money were written at
			// once: the younger is deleted; if what stays covers HighLevel's total, nothing is missing.
			if (refundStillDue(refund.amount, refund.refundedTotal, totalOf(others)) <= 0)
				return covered(
					refund,
					others,
					source,
					'another refund of the same money was written at the same time; this one was deleted again',
				);
			throw new OutcomeError(
				'busy',
				`Another refund of ${document} was written at the same time; this one was deleted again and is still due`,
				'Run it again (a drain does by itself): it then books what HighLevel’s refunded total still leaves.',
			);
		}
		throw new OutcomeError(
			'refused',
			`Another refund of ${document} was written at the same time; together they would pass ${round2(source.cap)}, so this one was deleted again`,
			'Check the refunds in the CRM; the refund receipts written before this one stay.',
		);
	}
	return {
		refund: written.record,
		alreadySynced: false,
		sync: {
			...summary(
				written.record,
				refund,
				'created',
				source,
				round2(plan.refundedBefore + plan.total),
			),
			...(due < refund.amount
				? {
						reason: `${due} of ${refund.amount} booked: HighLevel shows ${refund.refundedTotal} refunded in all, ${plan.refundedBefore} was booked before`,
					}
				: {}),
		},
	};
}

/**
 * What of the refund to book, given the refunds already booked for the payment. Pushed refunds are
 * distinct refunds (each its id): each books its amount. Only beside a refund pulled from HighLevel's
 * refunded total (no id) can the same money come twice, so then the refunds never pass that total
 * (refundStillDue); a pushed refund without the total stops rather than guess.
 */
function amountDue(refund: CrmRefund, prior: QboRecord[], document: string): number {
	const pulledBefore = prior.some(isRefundedTotalReceipt);
	if (!isRefundedTotalId(refund.refundId) && !pulledBefore) return round2(refund.amount);
	if (refund.refundedTotal === undefined)
		throw new OutcomeError(
			'refused',
			`${document} has a refund booked from HighLevel's refunded total (found by reconcile), and this refund of ${refund.amount} comes without that total, so it cannot be told apart from it; nothing was written`,
			'Let the drain read the total from HighLevel (HighLevel Payments → Add Line Items before Refund, scope payments/transactions.readonly), or compare the refunds in HighLevel and QuickBooks by hand.',
		);
	return refundStillDue(refund.amount, refund.refundedTotal, totalOf(prior));
}

/** Whether HighLevel's refunded total bounds the payment's refunds: a refund pulled from it is among them. */
function boundedByHighLevel(refund: CrmRefund, refunds: QboRecord[]): boolean {
	return (
		refund.refundedTotal !== undefined &&
		(isRefundedTotalId(refund.refundId) || refunds.some(isRefundedTotalReceipt))
	);
}

/** The most a payment's refunds may add up to. */
function capOf(source: Source, refund: CrmRefund, refunds: QboRecord[]): number {
	return boundedByHighLevel(refund, refunds)
		? Math.min(source.cap, refund.refundedTotal!)
		: source.cap;
}

/** The refund needs no receipt of its own: the ones booked for the payment already cover it. */
function covered(
	refund: CrmRefund,
	booked: QboRecord[],
	source: Source,
	why: string,
): RefundResult {
	const last = booked[booked.length - 1];
	return {
		refund: last,
		alreadySynced: true,
		sync: {
			...summary(last, refund, 'matched', source, totalOf(booked)),
			reason: `Covered: ${why}`,
		},
	};
}
