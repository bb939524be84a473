/**
 * HighLevel bodies read into the neutral CRM model (../domain/crm.ts): the workflow "Payment
 * Received" webhook, OrderCreate / OrderStatusUpdate, the invoice webhooks, or the HighLevel
 * Trigger's normalized event (./events.ts) that carries one of them. Amounts are currency units
 * (HighLevel does not send cents). Pure: no n8n, no I/O.
 */
import { CrmInputError } from '../errors';
import { requiredAmount, round2, toAmount } from '../domain/money';
import type { Person } from '../domain/customerMatch';
import type { CrmInvoice, CrmInvoiceStatus, CrmLine, CrmPayment, CrmRefund } from '../domain/crm';

type Obj = Record<string, any>;

function text(...values: unknown[]): string | undefined {
	for (const v of values) {
		if (typeof v === 'string' && v.trim()) return v.trim();
		if (typeof v === 'number') return String(v);
	}
	return undefined;
}

export function isoDate(value: unknown): string | undefined {
	const raw = text(value);
	if (!raw) return undefined;
	const parsed = Date.parse(raw);
	return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString().slice(0, 10);
}

function taxesOf(item: Obj): { rate: number; inclusive: boolean } {
	// Invoice items carry `taxes`; order items carry them on the product (OrderCreate example,
	// highlevel-api-docs "docs/webhook events/OrderCreate.md": items[].product.taxes).
	const taxes: Obj[] = Array.isArray(item.taxes)
		? item.taxes
		: Array.isArray(item.product?.taxes)
			? item.product.taxes
			: [];
	const rate = taxes.reduce((sum, t) => sum + toAmount(t.rate, 'taxes.rate'), 0);
	// Invoice items say it themselves: `taxInclusive`, "true if item amount is tax inclusive"
	// (apps/invoices.json InvoiceItemDto, docs@0af86a4); ItemTaxDto.calculation documents only
	// "exclusive", an "inclusive" there is read as the same.
	const inclusive =
		item.taxInclusive === true || taxes.some((t) => /inclusive/i.test(String(t.calculation ?? '')));
	return { rate, inclusive };
}

function lineFrom(item: Obj, index: number, field: string): CrmLine {
	const name = text(
		item.name,
		item.title,
		item.product_name,
		item.productName,
		item.product?.name,
		item.price?.name,
	);
	if (!name) throw new CrmInputError(`${field}[${index}].name`, `line ${index + 1} has no name`);
	const qty = toAmount(item.qty ?? item.quantity ?? 1, `${field}[${index}].qty`);
	const priceValue =
		item.price && typeof item.price === 'object'
			? item.price.amount
			: (item.price ?? item.unit_price ?? item.unitPrice ?? item.amount);
	let unitPrice = toAmount(priceValue, `${field}[${index}].price`);
	if (priceValue === undefined && item.total !== undefined && qty)
		unitPrice = toAmount(item.total, `${field}[${index}].total`) / qty;
	const { rate, inclusive } = taxesOf(item);
	// Invoice items state `productId` (apps/invoices.json InvoiceItemDto, docs@0af86a4); order items
	// the product itself (docs/webhook events/OrderCreate.md: items[].product._id).
	const productId = text(item.productId, item.product_id, item.product?._id);
	return {
		name,
		...(productId ? { productId } : {}),
		description: text(item.description),
		qty,
		unitPrice,
		taxRate: rate,
		taxInclusive: inclusive,
	};
}

function personFrom(contact: Obj | undefined, fallback: Obj = {}): Person {
	const c = contact ?? {};
	return {
		email: text(c.email, fallback.email),
		name: text(
			c.name,
			c.full_name,
			c.fullName,
			[c.firstName ?? c.first_name, c.lastName ?? c.last_name].filter(Boolean).join(' '),
			fallback.full_name,
			fallback.name,
		),
		givenName: text(c.firstName, c.first_name, fallback.first_name),
		familyName: text(c.lastName, c.last_name, fallback.last_name),
		companyName: text(c.companyName, c.company_name, fallback.company_name),
		phone: text(c.phone, c.phoneNo, fallback.phone),
	};
}

const SOURCE_LABELS: Record<string, string> = {
	funnel: 'Order form',
	website: 'Order form',
	calendar: 'Calendar booking',
	membership: 'Membership',
	subscription: 'Subscription renewal',
	invoice: 'Invoice payment',
};

/** A payment without line items (a renewal, a booking) still needs one line for its net amount. */
function withFallbackLine(payment: CrmPayment, subtotal: unknown): CrmPayment {
	if (payment.lines.length) return payment;
	const net =
		subtotal !== undefined && Number(subtotal) > 0
			? toAmount(subtotal, 'sub_total_amount')
			: payment.total -
				(payment.taxAmount ?? 0) +
				(payment.discountAmount ?? 0) -
				(payment.shipping ?? 0);
	const name = SOURCE_LABELS[String(payment.source ?? '').toLowerCase()] ?? 'Payment';
	return {
		...payment,
		lines: [{ name, qty: 1, unitPrice: round2(net), taxRate: 0, taxInclusive: false }],
	};
}

export const EVENT_FORMAT = 'highlevel-event/1';

/**
 * The HighLevel Trigger's normalized event (./events.ts), which carries HighLevel's body and what
 * was read from it. Marked by `format`; events stored before the mark (outbox rows) by their shape.
 */
function triggerEvent(value: Obj): Obj | undefined {
	if (!value || typeof value !== 'object' || !value.body || typeof value.body !== 'object')
		return undefined;
	if (value.format === EVENT_FORMAT) return value;
	return typeof value.kind === 'string' && typeof value.event === 'string' && 'linesKnown' in value
		? value
		: undefined;
}

/** `kind`'s record from a normalized event (read once, by the trigger), or `read` of a HighLevel body. */
function recordOf<T>(input: Obj, kinds: string[], what: string, read: (body: Obj) => T): T {
	const event = triggerEvent(input);
	if (!event) return read(input);
	if (!kinds.includes(event.kind))
		throw new CrmInputError(
			'kind',
			`this is a HighLevel ${event.event} (${event.kind}) event, not ${what}`,
		);
	// Without a record the body could not be read: reading it again says why.
	const record =
		event.format === EVENT_FORMAT && event.record ? (event.record as T) : read(event.body);
	const locationId = text(event.ids?.locationId);
	return locationId && record && typeof record === 'object' && !('locationId' in record)
		? { ...record, locationId }
		: record;
}

/**
 * The location a body belongs to: workflow bodies `location.id` (HighLevel's workflow webhook
 * payload), marketplace ones `locationId` or `altId` with `altType` "location" (OrderCreate, the
 * invoice DTOs).
 */
function locationOf(body: Obj): string | undefined {
	return text(
		body?.location?.id,
		body?.locationId,
		body?.altType === 'location' ? body?.altId : undefined,
	);
}

/** Order tax: amountSummary.tax, else the sum of taxSummary[].amount (both in the OrderCreate example). */
function orderTax(body: Obj): number | undefined {
	const summary: Obj = body.amountSummary ?? {};
	if (summary.tax !== undefined) return toAmount(summary.tax, 'amountSummary.tax');
	if (!Array.isArray(body.taxSummary) || !body.taxSummary.length) return undefined;
	return round2(
		body.taxSummary.reduce(
			(sum: number, t: Obj, i: number) => sum + toAmount(t.amount, `taxSummary[${i}].amount`),
			0,
		),
	);
}

/**
 * Reads a HighLevel payment: the HighLevel Trigger's normalized event, a workflow "Payment Received"
 * webhook body, or an OrderCreate/OrderStatusUpdate body.
 */
export function paymentFromHighLevel(input: Obj): CrmPayment {
	return recordOf(input, ['payment', 'order'], 'a payment', paymentFromBody);
}

export function paymentFromBody(body: Obj): CrmPayment {
	if (body && typeof body.payment === 'object' && body.payment) {
		const p = body.payment as Obj;
		const transactionId = text(p.transaction_id, p.transactionId, p.id, p._id);
		if (!transactionId)
			throw new CrmInputError('payment.transaction_id', 'the payment has no transaction id');
		const items: Obj[] = Array.isArray(p.line_items) ? p.line_items : [];
		return withFallbackLine(
			{
				transactionId,
				locationId: locationOf(body),
				source: text(p.source, p.source_type),
				// Written by a pull from the Payments API (./fromApi.ts). A workflow body names neither
				// (UNCERTAIN: none is documented), unless the user adds them to the Custom Webhook's body.
				provider: text(p.payment_provider, p.provider),
				method: text(p.payment_method, p.method)?.toLowerCase(),
				person: personFrom(p.customer, body),
				currency: text(p.currency_code, p.currency)?.toUpperCase(),
				// `created_on` is the documented field (workflow webhook payment.*); the others are kept for older captures.
				date: isoDate(p.created_on ?? p.created_at ?? p.createdAt),
				lines: items.map((item, i) => lineFrom(item, i, 'payment.line_items')),
				discountAmount:
					p.discount_amount === undefined
						? undefined
						: toAmount(p.discount_amount, 'payment.discount_amount'),
				taxAmount:
					p.tax_amount === undefined ? undefined : toAmount(p.tax_amount, 'payment.tax_amount'),
				total: requiredAmount(p.total_amount ?? p.amount, 'payment.total_amount'),
			},
			p.sub_total_amount,
		);
	}
	if (
		body &&
		(body.type === 'OrderCreate' ||
			body.type === 'OrderStatusUpdate' ||
			body.contactSnapshot ||
			body.amountSummary)
	) {
		const transactionId = text(body._id, body.id, body.orderId);
		if (!transactionId) throw new CrmInputError('_id', 'the order has no id');
		const summary: Obj = body.amountSummary ?? {};
		const items: Obj[] = Array.isArray(body.items) ? body.items : [];
		return withFallbackLine(
			{
				transactionId,
				locationId: locationOf(body),
				source: text(body.source?.type, body.sourceType),
				person: personFrom(body.contactSnapshot ?? body.contact),
				currency: text(body.currency)?.toUpperCase(),
				date: isoDate(body.createdAt),
				lines: items.map((item, i) => lineFrom(item, i, 'items')),
				discountAmount:
					summary.discount === undefined
						? undefined
						: toAmount(summary.discount, 'amountSummary.discount'),
				taxAmount: orderTax(body),
				shipping:
					summary.shipping === undefined
						? undefined
						: toAmount(summary.shipping, 'amountSummary.shipping'),
				total: requiredAmount(body.amount ?? body.total, 'amount'),
			},
			summary.subtotal,
		);
	}
	throw new CrmInputError(
		'body',
		'this is not a HighLevel payment ("payment" object) or order (OrderCreate) body',
	);
}

/**
 * A refund delivery: HighLevel's workflow trigger "Refund" followed by a Webhook / Custom Webhook
 * action. HighLevel documents the trigger and its values (Refund ID, Transaction ID, Refund Amount,
 * Refund Status, Refund Type, Currency Code; help.gohighlevel.com/support/solutions/articles/155000003537,
 * white-label copy help.kyriossystems.com/en/articles/13565909-workflow-trigger-refund) but no body:
 * like `payment.*` for "Payment Received", the values are read from a `refund` object with the
 * snake_case names below, other spellings accepted (UNCERTAIN until a captured body settles them,
 * scripts/dev/fixtures/highlevel/SOURCES.md "Refunds"). The refunded payment's invoice, which the
 * trigger does not name, may come from Custom Data (`customData.invoice_id`, `invoice_number`).
 */
export function readRefund(body: Obj): Partial<CrmRefund> & { rawDate?: string } {
	const r: Obj = body?.refund && typeof body.refund === 'object' ? body.refund : {};
	const custom: Obj =
		body?.customData && typeof body.customData === 'object' ? body.customData : {};
	const invoice: Obj = r.invoice && typeof r.invoice === 'object' ? r.invoice : {};
	const rawAmount = r.amount ?? r.refund_amount ?? r.refundAmount ?? r.amount_refunded;
	let amount: number | undefined;
	if (rawAmount !== undefined && rawAmount !== null && rawAmount !== '')
		// Some providers report a refund as a negative amount; its size is what went back.
		amount = round2(Math.abs(toAmount(rawAmount, 'refund.amount')));
	const rawDate = text(r.created_on, r.created_at, r.createdAt, r.date);
	return {
		refundId: text(r.refund_id, r.refundId, r.id, r._id),
		transactionId: text(r.transaction_id, r.transactionId, r.charge_id, r.chargeId),
		amount,
		currency: text(r.currency_code, r.currency)?.toUpperCase(),
		date: isoDate(rawDate),
		rawDate,
		status: text(r.status, r.refund_status),
		type: text(r.type, r.refund_type),
		source: text(r.source, r.source_type),
		invoiceId: text(r.invoice_id, r.invoiceId, invoice._id, invoice.id, custom.invoice_id),
		invoiceNumber: text(
			r.invoice_number,
			r.invoiceNumber,
			invoice.number,
			invoice.invoiceNumber,
			custom.invoice_number,
		),
		person: personFrom(r.customer, body),
	};
}

/**
 * The refund's id: HighLevel's "Refund ID", else a key derived from what a repeated delivery repeats
 * exactly (transaction id, amount, time to the second): two partial refunds of one payment differ in
 * time. Without a time only the date is known, and two equal refunds on one day would share a key:
 * then there is no key.
 */
export function refundKeyOf(r: Partial<CrmRefund> & { rawDate?: string }): {
	id?: string;
	derived: boolean;
} {
	if (r.refundId) return { id: r.refundId, derived: false };
	if (r.transactionId && r.amount !== undefined && r.rawDate && /\d:\d\d/.test(r.rawDate))
		return { id: `${r.transactionId}:${r.amount}:${r.rawDate}`, derived: true };
	return { derived: false };
}

/** Reads a refund: the HighLevel Trigger's normalized refund event or a refund body. */
export function refundFromHighLevel(input: Obj): CrmRefund {
	return recordOf(input, ['refund'], 'a refund', refundFromBody);
}

export function refundFromBody(body: Obj): CrmRefund {
	if (!body || typeof body.refund !== 'object' || !body.refund)
		throw new CrmInputError('refund', 'this is not a HighLevel refund body ("refund" object)');
	const r = readRefund(body);
	const key = refundKeyOf(r);
	if (!key.id)
		throw new CrmInputError(
			'refund.refund_id',
			'the refund has no id (and no transaction id, amount and time to derive one from)',
		);
	if (!r.transactionId)
		throw new CrmInputError(
			'refund.transaction_id',
			'the refund does not say which transaction it refunds',
		);
	if (r.amount === undefined) throw new CrmInputError('refund.amount', 'is missing');
	if (!(r.amount > 0)) throw new CrmInputError('refund.amount', 'must be more than 0');
	const { rawDate: _raw, ...fields } = r;
	return {
		...fields,
		refundId: key.id,
		idDerived: key.derived,
		transactionId: r.transactionId,
		amount: r.amount,
		person: r.person ?? {},
	};
}

const STATUS_BY_EVENT: Record<string, CrmInvoiceStatus> = {
	InvoiceSent: 'sent',
	InvoiceUpdate: 'sent',
	InvoicePaid: 'paid',
	InvoicePartiallyPaid: 'partially_paid',
	InvoiceVoid: 'void',
	InvoiceDelete: 'deleted',
};

export function normalizeInvoiceStatus(raw: unknown): CrmInvoiceStatus | undefined {
	const s = String(raw ?? '')
		.toLowerCase()
		.replace(/[\s-]+/g, '_');
	if (s === 'partially_paid' || s === 'partiallypaid' || s === 'partial') return 'partially_paid';
	if (['draft', 'sent', 'paid', 'void', 'deleted'].includes(s)) return s as CrmInvoiceStatus;
	if (s === 'voided') return 'void';
	// InvoiceDelete's documented example carries status "delete" and no type.
	if (s === 'delete') return 'deleted';
	if (
		s === 'updated' ||
		s === 'viewed' ||
		s === 'overdue' ||
		s === 'due' ||
		s === 'payment_processing'
	)
		return 'sent';
	return undefined;
}

/**
 * Reads a HighLevel invoice: the HighLevel Trigger's normalized event or an invoice webhook body
 * (InvoiceSent … InvoiceDelete all share it; the documented examples have no `type`, so the status
 * decides).
 */
export function invoiceFromHighLevel(input: Obj): CrmInvoice {
	return recordOf(input, ['invoice'], 'an invoice', invoiceFromBody);
}

export function invoiceFromBody(body: Obj): CrmInvoice {
	const id = text(body?._id, body?.id, body?.invoiceId);
	if (!id) throw new CrmInputError('_id', 'the invoice has no id');
	// The body's own status wins over the event name, except for void and delete events.
	const eventStatus = STATUS_BY_EVENT[String(body.type ?? '')];
	const bodyStatus = normalizeInvoiceStatus(body.status);
	const status =
		eventStatus === 'void' || eventStatus === 'deleted' ? eventStatus : (bodyStatus ?? eventStatus);
	if (!status)
		throw new CrmInputError('status', `unknown invoice status ${JSON.stringify(body.status)}`);
	const items: Obj[] = Array.isArray(body.invoiceItems) ? body.invoiceItems : [];
	const discount =
		body.discount && body.discount.value !== undefined
			? {
					type: body.discount.type === 'fixed' ? ('fixed' as const) : ('percentage' as const),
					value: toAmount(body.discount.value, 'discount.value'),
				}
			: undefined;
	return {
		id,
		locationId: locationOf(body),
		number: text(body.invoiceNumber, body.number),
		status,
		person: personFrom(body.contactDetails),
		currency: text(body.currency)?.toUpperCase(),
		issueDate: isoDate(body.issueDate),
		dueDate: isoDate(body.dueDate),
		memo: text(body.title, body.name),
		lines: items.map((item, i) => lineFrom(item, i, 'invoiceItems')),
		discount: discount && discount.value > 0 ? discount : undefined,
		discountAmount:
			body.totalSummary?.discount === undefined
				? undefined
				: toAmount(body.totalSummary.discount, 'totalSummary.discount'),
		total:
			status === 'void' || status === 'deleted'
				? toAmount(body.total, 'total')
				: requiredAmount(body.total, 'total'),
		amountPaid: round2(toAmount(body.amountPaid, 'amountPaid')),
	};
}
