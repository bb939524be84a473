/**
 * One normalized event from any HighLevel delivery, so that later nodes never parse HighLevel
 * shapes. Pure: no n8n, no I/O.
 *
 * Sources for the body shapes (each re-checked, see test/fixtures/highlevel/SOURCES.md):
 * - workflow "Webhook" / "Custom Webhook" actions: contact fields at the top level, `payment.*`
 *   (transaction_id, payment_status, source, sub_total_amount, discount_amount, tax_amount,
 *   total_amount, currency_code, created_on, customer.*, invoice.*), custom data under `customData`;
 *   no signature, no webhookId, no timestamp; line items undocumented.
 * - marketplace webhooks (GoHighLevel/highlevel-api-docs, "docs/webhook events/*.md"): invoice
 *   examples without `type` (the status names the event; InvoiceDelete has status "delete"),
 *   OrderCreate with status "pending", taxes under items[].product.taxes and taxSummary.
 * - refunds: only the workflow trigger "Refund" announces them (values Refund ID, Transaction ID,
 *   Refund Amount, Status, Type, Currency); no marketplace event does (SOURCES.md "Refunds").
 */
import { CrmInputError } from '../errors';
import type { CrmInvoice, CrmPayment } from '../domain/crm';
import { round2, toAmount } from '../domain/money';
import {
	EVENT_FORMAT,
	invoiceFromBody,
	paymentFromBody,
	readRefund,
	refundFromBody,
	refundKeyOf,
} from './toCrm';
import type { Delivery, EventKind, HighLevelEvent } from './types';

type Obj = Record<string, any>;

export interface NormalizeOptions {
	delivery: Delivery;
	/** "Invoices Are Synced Too": payments of an invoice are recorded on the QuickBooks invoice, not as receipts. */
	invoicesSynced: boolean;
	/** Kinds the trigger emits; others are skipped with a reason. */
	kinds?: EventKind[];
	/**
	 * Money HighLevel marks as test mode (`liveMode: false` on invoices, orders and transactions):
	 * 'skip' with the reason (the trigger's default), or 'book' (a sandbox company). Left out: book.
	 */
	testMode?: 'skip' | 'book';
}

export const TEST_MODE_REASON =
	'HighLevel test-mode money (liveMode false) is not booked; turn on "Book Test-Mode Events" in the trigger for a sandbox QuickBooks company';

export const LINES_HINT =
	'HighLevel sent no line items. To itemize the receipt, look the payment up before the QuickBooks node with an HTTP Request to ' +
	'GET https://services.leadconnectorhq.com/payments/transactions/{transactionId} (or /payments/orders/{orderId}) with your ' +
	'private-integration token (scopes payments/transactions.readonly, payments/orders.readonly) and map its items; otherwise one line ' +
	'carries the net amount.';

/** Words HighLevel uses for money that arrived. Anything else (failed, pending, refunded, …) is skipped. */
const PAID = new Set([
	'succeeded',
	'success',
	'successful',
	'paid',
	'completed',
	'complete',
	'captured',
	'approved',
]);

/**
 * Refund statuses that mean money went back. The trigger's Status filter offers Success and Failed
 * (help.gohighlevel.com/support/solutions/articles/155000003537); the words in bodies are UNCERTAIN,
 * so anything else is skipped with the reason, never booked.
 */
const REFUNDED = new Set([...PAID, 'refunded', 'partially_refunded', 'processed']);

const INVOICE_EVENTS: Record<string, string> = {
	// InvoiceCreate's and InvoiceUpdate's examples both carry "draft": without `type` they cannot be told apart.
	draft: 'InvoiceDraft',
	sent: 'InvoiceSent',
	paid: 'InvoicePaid',
	partially_paid: 'InvoicePartiallyPaid',
	void: 'InvoiceVoid',
	deleted: 'InvoiceDelete',
};

function text(...values: unknown[]): string | undefined {
	for (const v of values) {
		if (typeof v === 'string' && v.trim()) return v.trim();
		if (typeof v === 'number' && Number.isFinite(v)) return String(v);
	}
	return undefined;
}

function amount(value: unknown, field: string): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	try {
		return round2(toAmount(value, field));
	} catch {
		return undefined;
	}
}

function isObject(value: unknown): value is Obj {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

function problemOf(error: unknown): string {
	return error instanceof CrmInputError
		? `${error.field}: ${error.message}`
		: (error as Error).message;
}

function base(
	body: Obj,
	options: NormalizeOptions,
	kind: EventKind,
	event: string,
): HighLevelEvent {
	return {
		format: EVENT_FORMAT,
		kind,
		event,
		delivery: options.delivery,
		key: '',
		skipped: false,
		ids: {
			locationId: text(
				body.locationId,
				body.location?.id,
				body.altType === 'location' ? body.altId : undefined,
			),
			webhookId: text(body.webhookId),
		},
		contact: {},
		amounts: {},
		lines: [],
		linesKnown: false,
		body,
	};
}

function skip(event: HighLevelEvent, reason: string): HighLevelEvent {
	return { ...event, skipped: true, reason };
}

function fromPayment(
	event: HighLevelEvent,
	payment: CrmPayment | undefined,
	linesKnown: boolean,
): HighLevelEvent {
	if (!payment) return event;
	return {
		...event,
		record: payment,
		source: event.source ?? payment.source,
		currency: payment.currency,
		date: payment.date,
		lines: payment.lines,
		linesKnown,
		linesHint: linesKnown ? undefined : LINES_HINT,
		contact: {
			...event.contact,
			email: event.contact.email ?? payment.person.email,
			name: event.contact.name ?? payment.person.name,
			phone: event.contact.phone ?? payment.person.phone,
			companyName: event.contact.companyName ?? payment.person.companyName,
		},
		amounts: {
			...event.amounts,
			discount: payment.discountAmount,
			tax: payment.taxAmount,
			shipping: payment.shipping,
			total: payment.total,
		},
	};
}

/** payment.invoice.* is documented as a group whose keys are not listed: any id- or number-like value counts. */
function invoiceRef(invoice: unknown, key: RegExp): string | undefined {
	if (!isObject(invoice)) return undefined;
	for (const [k, v] of Object.entries(invoice)) if (key.test(k) && text(v)) return text(v);
	return undefined;
}

function workflowPayment(body: Obj, options: NormalizeOptions): HighLevelEvent {
	const p: Obj = body.payment;
	const transactionId = text(p.transaction_id, p.transactionId, p.id, p._id);
	let event = base(body, options, 'payment', 'PaymentReceived');
	event.ids = {
		...event.ids,
		transactionId,
		contactId: text(body.contact_id, body.contactId, p.customer?.id),
		invoiceId: invoiceRef(p.invoice, /^(_?id|invoice_?id)$/i),
		invoiceNumber: invoiceRef(p.invoice, /number/i),
	};
	event.contact = {
		id: event.ids.contactId,
		email: text(p.customer?.email, body.email),
		name: text(p.customer?.name, body.full_name, body.name),
		firstName: text(p.customer?.first_name, body.first_name),
		lastName: text(p.customer?.last_name, body.last_name),
		phone: text(p.customer?.phone, body.phone),
		companyName: text(p.customer?.company_name, body.company_name),
	};
	event.status = text(p.payment_status, p.status);
	event.source = text(p.source, p.source_type);
	event.amounts = { subtotal: amount(p.sub_total_amount, 'payment.sub_total_amount') };
	event.key = `payment:${transactionId ?? ''}`;
	const items = Array.isArray(p.line_items) ? p.line_items : [];
	try {
		event = fromPayment(event, paymentFromBody(body), items.length > 0);
	} catch (error) {
		event.problem = problemOf(error);
		event.linesHint = LINES_HINT;
	}
	if (event.status && !PAID.has(event.status.toLowerCase()))
		return skip(
			event,
			/refund/i.test(event.status)
				? `payment status is "${event.status}": refunds are booked from HighLevel's "Refund" workflow trigger (event Payment Refunded), not from the payment`
				: `payment status is "${event.status}", not a success: no money was received`,
		);
	if (options.invoicesSynced && (/invoice/i.test(event.source ?? '') || event.ids.invoiceId)) {
		return skip(
			event,
			'payment of a HighLevel invoice: "Invoices Are Synced Too" is on, so the invoice workflow records it on the QuickBooks invoice (no sales receipt)',
		);
	}
	return event;
}

function order(body: Obj, options: NormalizeOptions): HighLevelEvent {
	const orderId = text(body._id, body.id, body.orderId);
	let event = base(body, options, 'order', text(body.type) ?? 'OrderCreate');
	const c: Obj = body.contactSnapshot ?? body.contact ?? {};
	event.ids = {
		...event.ids,
		orderId,
		transactionId: orderId,
		contactId: text(body.contactId, c.id),
	};
	event.contact = {
		id: event.ids.contactId,
		email: text(c.email),
		name: text(c.name, [c.firstName, c.lastName].filter(Boolean).join(' ')),
		firstName: text(c.firstName),
		lastName: text(c.lastName),
		phone: text(c.phone),
		companyName: text(c.companyName),
	};
	event.status = text(body.paymentStatus, body.status);
	event.source = text(body.source?.type, body.sourceType);
	event.amounts = { subtotal: amount(body.amountSummary?.subtotal, 'amountSummary.subtotal') };
	event.key = `order:${orderId ?? ''}`;
	const items = Array.isArray(body.items) ? body.items : [];
	try {
		event = fromPayment(event, paymentFromBody(body), items.length > 0);
	} catch (error) {
		event.problem = problemOf(error);
	}
	const status = text(body.status)?.toLowerCase();
	const paymentStatus = text(body.paymentStatus)?.toLowerCase();
	const paid = paymentStatus ? PAID.has(paymentStatus) : !!status && PAID.has(status);
	if (/refund/.test(`${paymentStatus} ${status}`))
		// Orders API paymentStatus "refunded" (apps/payments.json); the order body names no refund id
		// or amount, so the refund is booked from the "Refund" workflow trigger instead.
		return skip(
			event,
			`order is "${paymentStatus ?? status}": refunds are booked from HighLevel's "Refund" workflow trigger (event Payment Refunded), which names the refund and its amount`,
		);
	if (!paid)
		return skip(
			event,
			`order is "${paymentStatus ?? status ?? 'without status'}", not paid yet: a receipt follows when HighLevel reports it completed (OrderStatusUpdate)`,
		);
	if (options.invoicesSynced && /invoice/i.test(event.source ?? '')) {
		return skip(
			event,
			'order paid through a HighLevel invoice: "Invoices Are Synced Too" is on, so the invoice workflow records it',
		);
	}
	return event;
}

function refund(body: Obj, options: NormalizeOptions): HighLevelEvent {
	const event = base(body, options, 'refund', 'PaymentRefunded');
	let r: ReturnType<typeof readRefund> = {};
	try {
		r = readRefund(body);
		event.record = refundFromBody(body);
	} catch (error) {
		event.problem = problemOf(error);
	}
	const key = refundKeyOf(r);
	event.ids = {
		...event.ids,
		refundId: key.id,
		transactionId: r.transactionId,
		invoiceId: r.invoiceId,
		invoiceNumber: r.invoiceNumber,
		contactId: text(body.contact_id, body.contactId, body.refund?.customer?.id),
	};
	event.contact = {
		id: event.ids.contactId,
		email: r.person?.email,
		name: r.person?.name,
		firstName: r.person?.givenName,
		lastName: r.person?.familyName,
		phone: r.person?.phone,
		companyName: r.person?.companyName,
	};
	event.status = r.status;
	event.source = r.source;
	event.currency = r.currency;
	event.date = r.date;
	event.amounts = { refunded: r.amount };
	event.refund = {
		id: key.id,
		idDerived: key.derived,
		transactionId: r.transactionId,
		amount: r.amount,
		type: r.type,
	};
	event.key = `refund:${key.id ?? ''}`;
	if (event.status && !REFUNDED.has(event.status.toLowerCase()))
		return skip(event, `refund status is "${event.status}", not a success: no money went back`);
	return event;
}

function invoice(body: Obj, options: NormalizeOptions): HighLevelEvent {
	let crm: CrmInvoice | undefined;
	let problem: string | undefined;
	try {
		crm = invoiceFromBody(body);
	} catch (error) {
		problem = problemOf(error);
	}
	const name = text(body.type) ?? (crm ? INVOICE_EVENTS[crm.status] : undefined) ?? 'InvoiceUpdate';
	const event = base(body, options, 'invoice', name);
	const c: Obj = body.contactDetails ?? {};
	event.ids = {
		...event.ids,
		invoiceId: text(body._id, body.id, body.invoiceId),
		invoiceNumber: text(body.invoiceNumber, body.number),
		contactId: text(c.id, body.contactId),
	};
	event.contact = {
		id: event.ids.contactId,
		email: text(c.email),
		name: text(c.name),
		phone: text(c.phoneNo, c.phone),
		companyName: text(c.companyName),
	};
	event.status = text(body.status);
	event.currency = crm?.currency;
	event.date = crm?.issueDate;
	event.amounts = {
		subtotal: amount(body.totalSummary?.subTotal, 'totalSummary.subTotal'),
		discount: amount(body.totalSummary?.discount, 'totalSummary.discount'),
		total: amount(body.total, 'total'),
		amountPaid: amount(body.amountPaid, 'amountPaid'),
		amountDue: amount(body.amountDue, 'amountDue'),
	};
	event.lines = crm?.lines ?? [];
	event.linesKnown = Array.isArray(body.invoiceItems) && body.invoiceItems.length > 0;
	event.problem = problem;
	event.record = crm;
	// Id + status + amount paid, and what an edit changes (total, updatedAt): an InvoiceUpdate of a
	// sent invoice keeps status and amount paid, and must not pass for a repeat of InvoiceSent.
	event.key = `invoice:${event.ids.invoiceId ?? ''}:${crm?.status ?? event.status ?? ''}:${event.amounts.amountPaid ?? 0}:${event.amounts.total ?? ''}:${text(body.updatedAt) ?? ''}`;
	return event;
}

function contact(body: Obj, options: NormalizeOptions, name: string): HighLevelEvent {
	const event = base(body, options, 'contact', name);
	const id = text(body.id, body.contact_id, body.contactId);
	event.ids = { ...event.ids, contactId: id };
	event.contact = {
		id,
		email: text(body.email),
		name: text(body.name, body.full_name),
		firstName: text(body.firstName, body.first_name),
		lastName: text(body.lastName, body.last_name),
		phone: text(body.phone),
		companyName: text(body.companyName, body.company_name),
	};
	event.key = `contact:${id ?? ''}:${name}:${text(body.webhookId, body.dateUpdated, body.date_updated) ?? ''}`;
	return event;
}

function kindOf(body: Obj): { kind: EventKind; event: string } {
	const type = text(body.type) ?? '';
	// Before `payment`: a refund body may carry the refunded payment too.
	if (isObject(body.refund)) return { kind: 'refund', event: 'PaymentRefunded' };
	if (isObject(body.payment)) return { kind: 'payment', event: 'PaymentReceived' };
	if (
		/^Order/.test(type) ||
		(!type && (isObject(body.contactSnapshot) || isObject(body.amountSummary)))
	)
		return { kind: 'order', event: type || 'OrderCreate' };
	if (
		/^Invoice/.test(type) ||
		(!type &&
			(Array.isArray(body.invoiceItems) || isObject(body.contactDetails)) &&
			text(body.status))
	)
		return { kind: 'invoice', event: type };
	if (/^Contact/.test(type)) return { kind: 'contact', event: type };
	if (!type && text(body.contact_id) && (text(body.email) || text(body.phone)))
		return { kind: 'contact', event: 'WorkflowWebhook' };
	return { kind: 'other', event: type || 'Unknown' };
}

/** Reads any HighLevel body into one event; never throws for a body HighLevel could send. */
export function normalizeHighLevelBody(body: unknown, options: NormalizeOptions): HighLevelEvent {
	if (!isObject(body)) {
		return skip(
			{ ...base({}, options, 'other', 'Unknown'), key: '', body: { value: body as never } },
			'the body is not a JSON object',
		);
	}
	const { kind, event: name } = kindOf(body);
	let event: HighLevelEvent;
	if (kind === 'payment') event = workflowPayment(body, options);
	else if (kind === 'order') event = order(body, options);
	else if (kind === 'refund') event = refund(body, options);
	else if (kind === 'invoice') event = invoice(body, options);
	else if (kind === 'contact') event = contact(body, options, name);
	else
		event = skip(
			{ ...base(body, options, 'other', name), key: `other:${text(body.webhookId) ?? ''}` },
			`not a HighLevel payment, order, refund, invoice or contact body (type ${JSON.stringify(body.type ?? null)})`,
		);
	// Every documented invoice and order body carries liveMode (apps/invoices.json, the OrderCreate and
	// Invoice* webhook examples); workflow bodies do not, and are live.
	if (
		!event.skipped &&
		options.testMode === 'skip' &&
		body.liveMode === false &&
		['payment', 'order', 'refund', 'invoice'].includes(event.kind)
	)
		event = skip(event, TEST_MODE_REASON);
	if (!event.skipped && options.kinds && !options.kinds.includes(event.kind)) {
		event = skip(
			event,
			`${event.event} is a ${event.kind} event, which this trigger is not set to emit (Events)`,
		);
	}
	return event;
}

/** The trigger's response body for HighLevel (and anyone reading the delivery log). */
export function receipt(event: HighLevelEvent): Obj {
	return {
		received: true,
		event: event.event,
		kind: event.kind,
		skipped: event.skipped,
		...(event.reason ? { reason: event.reason } : {}),
	};
}
