/**
 * HighLevel's Payments and Invoices API records read into the HighLevel Trigger's normalized event
 * (./events.ts), so that a pulled payment, order, refund or invoice carries the same `key`, `kind`
 * and `record` as a pushed delivery of the same thing. Pure: no n8n, no I/O.
 *
 * Each record is put into the shape of the delivery that pushes the same thing, then read by
 * `normalizeHighLevelBody` itself (one reader, one key rule):
 * - a transaction → the workflow "Payment Received" body (`payment.*`; key `payment:<transaction id>`);
 * - an order → the OrderCreate / OrderStatusUpdate body (key `order:<order id>`);
 * - an invoice → the invoice webhook body (key `invoice:<id>:<status>:<amount paid>:<total>:<updatedAt>`).
 * The event then carries `delivery: 'api'`, the location and the API's record as `body`.
 *
 * Sources (docs@0af86a4 = GoHighLevel/highlevel-api-docs at 0af86a4cbd48c66a4071c7e509d1079f9f10ed17,
 * 2026-06-19; scripts/dev/fixtures/highlevel/SOURCES.md "Payments and invoices API"):
 * - transactions: `apps/payments.json` GET /payments/transactions (`ListTxnsResponseDto` {data,
 *   totalCount} of `TxnResponseSchema`) and GET /payments/transactions/{transactionId}
 *   (`GetTxnResponseSchema`);
 * - orders: `apps/payments.json` GET /payments/orders (`ListOrdersResponseDto` {data, totalCount} of
 *   `OrderResponseSchema`) and GET /payments/orders/{orderId} (`GetOrderResponseSchema`);
 * - invoices: `apps/invoices.json` GET /invoices/ (`ListInvoicesResponseDto` {invoices, total}) and
 *   GET /invoices/{invoiceId} (`GetInvoiceResponseDto`, the same keys as the invoice webhook examples
 *   in `docs/webhook events/Invoice*.md`).
 */
import { round2, toAmount } from '../domain/money';
import type { CrmRefund } from '../domain/crm';
import { refundedTotalId } from '../domain/refund';
import { normalizeHighLevelBody } from './events';
import { isoDate } from './toCrm';
import type { HighLevelEvent } from './types';

type Obj = Record<string, any>;

/** Commit of GoHighLevel/highlevel-api-docs every field below was read from. */
export const HIGHLEVEL_API_DOCS_COMMIT = '0af86a4cbd48c66a4071c7e509d1079f9f10ed17';

export type PulledResource = 'transaction' | 'order' | 'invoice';

export interface FromApiOptions {
	/** The location the records were read for (the `altId` of the request). */
	locationId?: string;
	/** As the trigger's "Invoices Are Synced Too": payments of an invoice are recorded on the invoice. */
	invoicesSynced: boolean;
}

function text(...values: unknown[]): string | undefined {
	for (const v of values) {
		if (typeof v === 'string' && v.trim()) return v.trim();
		if (typeof v === 'number' && Number.isFinite(v)) return String(v);
	}
	return undefined;
}

function isObject(value: unknown): value is Obj {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

function withoutUndefined(value: Obj): Obj {
	return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * Test mode: `liveMode` false ("Transaction is in live / test mode", "Order is in live / test mode",
 * invoice "Live Mode"; TxnResponseSchema, OrderResponseSchema, GetInvoiceResponseDto) or
 * `markAsTest` true ("Is test transaction" / "Is test order"; GetTxnResponseSchema,
 * GetOrderResponseSchema). A record that states neither counts as live.
 */
export function isTestMode(record: Obj): boolean {
	return record.liveMode === false || record.markAsTest === true;
}

/** The location a record belongs to: `altId` with `altType` "location" (all three schemas). */
function locationOf(record: Obj, options: FromApiOptions): string | undefined {
	return text(record.altType === 'location' ? record.altId : undefined, options.locationId);
}

function finish(event: HighLevelEvent, record: Obj, options: FromApiOptions): HighLevelEvent {
	return {
		...event,
		delivery: 'api',
		ids: { ...event.ids, locationId: locationOf(record, options) ?? event.ids.locationId },
		body: record,
	};
}

/**
 * The transaction's contact. The list answers `contactName`, `contactEmail` (TxnResponseSchema);
 * one transaction answers `contactSnapshot`, documented only by an example whose keys are snake_case
 * (`first_name_lower_case`, `last_name`, `email`, `company_name`; GetTxnResponseSchema). Order
 * webhooks' `contactSnapshot` is camelCase (OrderCreate example): both spellings are read.
 * UNCERTAIN: `first_name` and `phone` are not in the transaction example; they are read when present.
 */
function contactOf(record: Obj): Obj {
	const s: Obj = isObject(record.contactSnapshot) ? record.contactSnapshot : {};
	const first = text(s.firstName, s.first_name);
	const last = text(s.lastName, s.last_name);
	return withoutUndefined({
		contact_id: text(record.contactId, s.id),
		first_name: first,
		last_name: last,
		full_name: text(
			record.contactName,
			s.name,
			s.full_name,
			[first, last].filter(Boolean).join(' '),
		),
		email: text(record.contactEmail, s.email),
		phone: text(s.phone),
		company_name: text(s.companyName, s.company_name),
	});
}

/**
 * Who took a transaction's money and how it was paid:
 * - `paymentProviderType` (list and get; example "stripe"), or the get's `paymentProvider.type`;
 * - `paymentMethod` (list only: GetTxnResponseSchema has none), documented as an object with the
 *   example `{ card: { brand, last4 } }`: its one key is the kind (UNCERTAIN: the kinds beside
 *   `card` are not listed).
 */
export function paidThrough(txn: Obj): { provider?: string; method?: string } {
	const method = txn.paymentMethod;
	let kind: string | undefined;
	if (typeof method === 'string') kind = text(method);
	else if (method && typeof method === 'object') {
		const kinds = Object.keys(method).filter((key) => (method as Obj)[key] != null);
		if (kinds.length === 1) kind = kinds[0];
	}
	return withoutUndefined({
		provider: text(txn.paymentProviderType, txn.paymentProvider?.type),
		method: kind?.toLowerCase(),
	});
}

/** A refund word in a status (UNCERTAIN vocabulary: no refunded transaction or order is documented). */
const REFUND_WORD = /refund/i;

/** All refunded on a transaction so far (`amountRefunded`; absent counts as 0), or undefined when unreadable. */
export function refundedOn(txn: Obj): number | undefined {
	try {
		return round2(Math.abs(toAmount(txn.amountRefunded ?? 0, 'amountRefunded')));
	} catch {
		return undefined;
	}
}

/**
 * One transaction (list or get shape) as the events a push of it gives:
 * - the payment, keyed `payment:<_id>` like the workflow "Payment Received" delivery whose
 *   `payment.transaction_id` is this transaction. UNCERTAIN: that the workflow's transaction_id is
 *   the Payments API's `_id` (no HighLevel page states it; the LINES_HINT in ./events.ts already
 *   relies on it). The transaction states its total only (`amount`): no subtotal, discount or tax
 *   (neither schema has them), so the event has one line of the total, as a delivery without
 *   `sub_total_amount` would;
 * - when `amountRefunded` > 0, a refund event of that total (Skipped when it paid an invoice; see refundOf).
 */
export function eventsFromTransaction(txn: Obj, options: FromApiOptions): HighLevelEvent[] {
	// `status`: "The status of the transaction (e.g., succeeded)", typed object, example "succeeded".
	const status = typeof txn.status === 'string' ? txn.status.trim() : undefined;
	// `entitySourceType` (list) / `entitySource.type` (get): the OrderSource `type` enum (funnel,
	// website, invoice, calendar, text2Pay, membership, …) the workflow's `payment.source` is read as.
	const source = text(txn.entitySourceType, txn.entitySource?.type);
	// A transaction refunded since still brought its money in: the payment is read as received and the
	// refund is told apart (below). UNCERTAIN: which status a refunded transaction has.
	const refunded = !!status && REFUND_WORD.test(status);
	const body = {
		...contactOf(txn),
		payment: withoutUndefined({
			// `_id`: "The unique identifier for the transaction."
			transaction_id: text(txn._id),
			payment_status: refunded ? 'succeeded' : status,
			source,
			payment_provider: paidThrough(txn).provider,
			payment_method: paidThrough(txn).method,
			// `amount`: "Transaction value." (currency units, as every HighLevel amount; DESIGN.md).
			total_amount: txn.amount,
			// `currency`: "Currency in which transaction occurred."
			currency_code: text(txn.currency),
			// `createdAt`: "The creation timestamp of the transaction." UNCERTAIN: whether the workflow's
			// `created_on` is this time or `fulfilledAt` ("The charged timestamp"); both are one day
			// apart at most, and only the day is kept.
			created_on: text(txn.createdAt, txn.fulfilledAt),
		}),
	};
	let event = normalizeHighLevelBody(body, {
		delivery: 'workflow',
		invoicesSynced: options.invoicesSynced,
	});
	if (status === undefined) {
		// A status the node cannot read is not taken for money received (a workflow body without one
		// is: there the trigger only fires on payments).
		event = {
			...event,
			skipped: true,
			reason: `transaction ${text(txn._id) ?? ''} has no readable status (${JSON.stringify(txn.status ?? null)}): not taken for money received`,
		};
	}
	event.status = status;
	// `entityType` "order" with `entityId` "e.g: order id"; an invoice as entity is UNCERTAIN (only
	// "order" is documented). GetTxnResponseSchema's `invoiceId` example is a Stripe id
	// ("in_1KGc…"): it is not taken for HighLevel's invoice id, and stays in `body`.
	const entityId = text(txn.entityId);
	if (entityId && txn.entityType === 'order') event.ids = { ...event.ids, orderId: entityId };
	if (entityId && txn.entityType === 'invoice') event.ids = { ...event.ids, invoiceId: entityId };
	const events = [finish(event, txn, options)];
	const refund = refundOf(txn, body, options);
	if (refund) events.push(refund);
	return events;
}

/**
 * The refund a transaction shows: `amountRefunded`, "Transaction amount refunded" (TxnResponseSchema,
 * GetTxnResponseSchema; `amountRefunded?: number` in GoHighLevel/highlevel-api-sdk
 * lib/code/payments/models/payments.ts). It is the total refunded so far, not one refund: the API
 * names no refund id and no refund time (UNCERTAIN: whether a refund is visible anywhere else).
 *
 * So a pulled refund cannot carry the key of the pushed one (`refund:<Refund ID>` from the workflow
 * trigger "Refund"). It is keyed by the transaction and that total
 * (`refund:<transaction id>:refunded-total:<amount>`, `idDerived`: the same on every pull until the
 * total changes), its amount is the total and `refundedTotal` says so: Sales Receipt → Refund books
 * only what the refunds already booked for the payment leave of it, and a pushed refund read with the
 * same total finds its money booked (domain/refund.ts refundStillDue), so neither books it twice.
 * A refund of an invoice's payment stays skipped: the invoice template books those.
 */
function refundOf(txn: Obj, paymentBody: Obj, options: FromApiOptions): HighLevelEvent | undefined {
	const refunded = refundedOn(txn);
	const transactionId = text(txn._id);
	if (!refunded || !transactionId) return undefined;
	const total = typeof txn.amount === 'number' ? round2(txn.amount) : undefined;
	const refundId = refundedTotalId(transactionId, refunded);
	const body = {
		...contactOf(txn),
		refund: withoutUndefined({
			refund_id: refundId,
			transaction_id: transactionId,
			amount: refunded,
			// Full when the whole transaction value went back (the workflow trigger's Type filter: Full / Partial).
			type: total !== undefined && refunded >= total ? 'full' : 'partial',
			currency_code: text(txn.currency),
			// UNCERTAIN: `updatedAt` ("The update timestamp of the transaction") as the refund's day.
			created_on: text(txn.updatedAt),
			source: text(txn.entitySourceType, txn.entitySource?.type),
		}),
	};
	const event = normalizeHighLevelBody(body, {
		delivery: 'workflow',
		invoicesSynced: options.invoicesSynced,
	});
	const record = event.record as CrmRefund | undefined;
	const paidOn = isoDate(text(txn.createdAt, txn.fulfilledAt));
	const ofInvoice = txn.entityType === 'invoice';
	return finish(
		{
			...event,
			...(ofInvoice
				? {
						skipped: true,
						reason: `transaction ${transactionId} paid an invoice and shows ${refunded} refunded in all: the invoice template books invoice payments and their refunds`,
					}
				: {}),
			refund: event.refund
				? { ...event.refund, idDerived: true, refundedTotal: refunded }
				: event.refund,
			record: record
				? { ...record, idDerived: true, refundedTotal: refunded, ...(paidOn ? { paidOn } : {}) }
				: record,
		},
		txn,
		options,
	);
}

/**
 * One order (GetOrderResponseSchema, or the list's OrderResponseSchema) as its OrderCreate /
 * OrderStatusUpdate delivery: the order webhooks carry the order document (`_id`, `altId`,
 * `altType`, `status`, `contactId`, `currency`, `amount`, `liveMode`, `amountSummary`, `source`,
 * `createdAt`, `contactSnapshot`, `items`; docs/webhook events/OrderCreate.md), which the API's
 * order shares key for key. The webhook adds `type`; a pulled order is named OrderCreate while
 * pending (how OrderCreate arrives) and OrderStatusUpdate otherwise.
 *
 * The list's order lacks `contactSnapshot`, `amountSummary`, `source` and `items`; it states
 * `contactName`, `contactEmail`, `subtotal`, `discount`, `sourceType`, `sourceName`, `sourceId`
 * (OrderResponseSchema), read into the same places. Without `items` the order has one line
 * (`linesKnown` false) of the total: read the order by id for its items.
 *
 * UNCERTAIN: whether the API's `amountSummary` carries `tax` and `shipping` (AmountSummary documents
 * `subtotal` and `discount`; the webhook example has all four) and `taxSummary` (webhook only).
 */
export function eventsFromOrder(order: Obj, options: FromApiOptions): HighLevelEvent[] {
	const status = text(order.status);
	const paymentStatus = text(order.paymentStatus);
	// The list's `subtotal` ("Order sub-total value") is before tax and shipping, which the list does
	// not state: it is left out, so the one line carries the total (plus the discount taken off again),
	// never a subtotal that would drop the tax from the receipt.
	const summary = isObject(order.amountSummary)
		? order.amountSummary
		: withoutUndefined({ discount: order.discount });
	const listContact = contactOf(order);
	const contactSnapshot = isObject(order.contactSnapshot)
		? order.contactSnapshot
		: withoutUndefined({
				id: listContact.contact_id,
				name: listContact.full_name,
				email: listContact.email,
			});
	const source = isObject(order.source)
		? order.source
		: withoutUndefined({
				type: text(order.sourceType),
				subType: text(order.sourceSubType),
				id: text(order.sourceId),
				name: text(order.sourceName),
			});
	// A refunded order had been paid (Orders API `paymentStatus` enum paid, unpaid, refunded,
	// partially_paid; UNCERTAIN where an order shows it: neither order schema lists the field).
	const refunded = REFUND_WORD.test(`${paymentStatus ?? ''} ${status ?? ''}`);
	const body = {
		...order,
		type: status?.toLowerCase() === 'pending' ? 'OrderCreate' : 'OrderStatusUpdate',
		amountSummary: summary,
		contactSnapshot,
		source,
		...(refunded ? { status: 'completed', paymentStatus: 'paid' } : {}),
	};
	const event = normalizeHighLevelBody(body, {
		delivery: 'marketplace',
		invoicesSynced: options.invoicesSynced,
	});
	return [finish({ ...event, status: paymentStatus ?? status }, order, options)];
}

/**
 * One invoice (GetInvoiceResponseDto, the items of ListInvoicesResponseDto.invoices): the invoice
 * webhooks carry the same document (their examples and the DTO's examples are the same invoice),
 * so it is read as it is. Refunds: the invoice status enum has no "refunded" (draft, sent,
 * payment_processing, paid, void, partially_paid); whether a refund lowers `amountPaid` is UNCERTAIN.
 */
export function eventsFromInvoice(invoice: Obj, options: FromApiOptions): HighLevelEvent[] {
	const event = normalizeHighLevelBody(invoice, {
		delivery: 'marketplace',
		invoicesSynced: options.invoicesSynced,
	});
	return [finish(event, invoice, options)];
}

export function eventsFromRecord(
	resource: PulledResource,
	record: Obj,
	options: FromApiOptions,
): HighLevelEvent[] {
	if (resource === 'transaction') return eventsFromTransaction(record, options);
	if (resource === 'order') return eventsFromOrder(record, options);
	return eventsFromInvoice(record, options);
}
