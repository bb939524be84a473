/**
 * Line items for a payment HighLevel delivered without them. The workflow "Payment Received" body
 * states totals only, so its receipt had one line of the net amount. HighLevel's API has the items:
 * the transaction names the order it paid (`entityType` "order", `entityId` "e.g: order id";
 * GetTxnResponseSchema, apps/payments.json at docs@0af86a4), and the order states its `items`,
 * `amountSummary` (discount, tax, shipping) and `taxSummary` (GetOrderResponseSchema; the OrderCreate
 * webhook carries the same document). The order is read into the trigger's event by the one reader
 * of order shapes (./fromApi.ts `eventsFromOrder`) and its lines put on the payment's event, which
 * keeps its own key, ids, contact, date and total. No n8n: the API is handed in.
 *
 * A payment is given the order's lines only when the order totals what the payment brought in: a
 * part of an order, or a renewal charged against an older order, keeps one line (with a hint that
 * says why): never lines that add up to another figure.
 */
import { CrmInputError } from '../errors';
import { round2 } from '../domain/money';
import type { CrmPayment, CrmRefund } from '../domain/crm';
import { HighLevelApiError, type HighLevelPaymentsApi } from './api';
import { eventsFromOrder, paidThrough, refundedOn } from './fromApi';
import type { HighLevelEvent } from './types';

type Obj = Record<string, any>;

/** The payment events the operation fills in: money received whose lines HighLevel did not state. */
export function needsLines(event: HighLevelEvent): boolean {
	return (
		event.format === 'highlevel-event/1' &&
		event.kind === 'payment' &&
		!event.linesKnown &&
		!!event.ids?.transactionId
	);
}

/** The order a transaction paid, when it names one. */
export function orderIdOf(transaction: Obj): string | undefined {
	const id = typeof transaction.entityId === 'string' ? transaction.entityId.trim() : '';
	return transaction.entityType === 'order' && id ? id : undefined;
}

/** The event as it was, with why it keeps one line. */
export function keepsOneLine(event: HighLevelEvent, why: string): HighLevelEvent {
	return { ...event, linesHint: `${why}: the receipt gets one line of the net amount` };
}

/** The payment's event with the order's lines, when the order totals the payment's amount. */
export function withOrderLines(
	payment: HighLevelEvent,
	order: Obj,
	locationId?: string,
): HighLevelEvent {
	const [fromOrder] = eventsFromOrder(order, { locationId, invoicesSynced: false });
	const orderId = String(order._id ?? '');
	const sale = fromOrder?.record as CrmPayment | undefined;
	const record = payment.record as CrmPayment | undefined;
	if (!record) return payment; // unreadable: the QuickBooks node says why (`problem`)
	if (!sale || !fromOrder.linesKnown || !sale.lines.length)
		return keepsOneLine(payment, `HighLevel's order ${orderId} states no items`);
	if (round2(sale.total) !== round2(record.total))
		return keepsOneLine(
			payment,
			`HighLevel's order ${orderId} totals ${round2(sale.total)}, this payment ${round2(record.total)} (a part of the order, or a renewal charged against it)`,
		);
	return {
		...payment,
		ids: { ...payment.ids, orderId },
		lines: fromOrder.lines,
		linesKnown: true,
		linesHint: undefined,
		amounts: {
			...payment.amounts,
			subtotal: fromOrder.amounts.subtotal,
			discount: fromOrder.amounts.discount,
			tax: fromOrder.amounts.tax,
			shipping: fromOrder.amounts.shipping,
		},
		record: {
			...record,
			lines: sale.lines,
			discount: sale.discount,
			discountAmount: sale.discountAmount,
			taxAmount: sale.taxAmount,
			shipping: sale.shipping,
		},
	};
}

/**
 * The payment's event with its order's lines, read through HighLevel's API. The API never stops the
 * books: without a scope, an order or an answer, the event keeps one line of the net amount and
 * `linesHint` says why and what to add, rather than holding a payment back until HighLevel answers.
 */
export async function itemizePayment(
	api: Pick<HighLevelPaymentsApi, 'get' | 'locationId'>,
	event: HighLevelEvent,
): Promise<HighLevelEvent> {
	const transactionId = event.ids.transactionId!;
	try {
		// A payment pulled from the transaction list already names its order (`entityId`): one call.
		let paid = event;
		let orderId = event.ids.orderId;
		if (!orderId) {
			// A pushed payment: the transaction names its order, and who took it and how (a workflow
			// body states neither), which deposit and payment method rules read.
			const transaction = await api.get('transaction', transactionId);
			orderId = orderIdOf(transaction);
			const record = event.record as CrmPayment | undefined;
			const through = paidThrough(transaction);
			if (record)
				paid = {
					...event,
					record: {
						...record,
						provider: record.provider ?? through.provider,
						method: record.method ?? through.method,
					},
				};
		}
		if (!orderId)
			return keepsOneLine(paid, `HighLevel's transaction ${transactionId} names no order`);
		return withOrderLines(paid, await api.get('order', orderId), api.locationId);
	} catch (error) {
		if (!(error instanceof HighLevelApiError)) throw error;
		return keepsOneLine(event, `${error.message}. ${error.hint}`);
	}
}

/**
 * Refund events the operation fills in: a refund not yet told HighLevel's refunded total on its
 * transaction (a pushed "Refund" delivery names its own amount only).
 */
export function needsRefundedTotal(event: HighLevelEvent): boolean {
	const record = event.record as CrmRefund | undefined;
	return (
		event.format === 'highlevel-event/1' &&
		event.kind === 'refund' &&
		!event.skipped &&
		!!record?.transactionId &&
		record.refundedTotal === undefined
	);
}

/**
 * The refund's event with HighLevel's record of all refunded on its transaction (`amountRefunded`,
 * GET /payments/transactions/{id}), which Sales Receipt → Refund never books past: so a refund
 * already booked from that total by a reconcile pass is not booked again. Without an answer the event
 * stays as it was, and the refund is booked by its own amount as before.
 */
export async function withRefundedTotal(
	api: Pick<HighLevelPaymentsApi, 'get'>,
	event: HighLevelEvent,
): Promise<HighLevelEvent> {
	const record = event.record as CrmRefund;
	let refundedTotal: number | undefined;
	try {
		refundedTotal = refundedOn(await api.get('transaction', record.transactionId));
	} catch (error) {
		if (!(error instanceof HighLevelApiError)) throw error;
		return event;
	}
	if (refundedTotal === undefined) return event;
	return {
		...event,
		refund: event.refund ? { ...event.refund, refundedTotal } : event.refund,
		record: { ...record, refundedTotal },
	};
}

/** An item's event (an object, or JSON text as a Data Table row holds it); other fields stay. */
export function eventFrom(value: unknown): HighLevelEvent {
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			throw new CrmInputError('event', 'is not JSON');
		}
	}
	if (!value || typeof value !== 'object' || Array.isArray(value))
		throw new CrmInputError('event', 'is not an object');
	if ((value as Obj).format !== 'highlevel-event/1')
		throw new CrmInputError(
			'event',
			'is not an event of the HighLevel Trigger or HighLevel Payments (no format "highlevel-event/1")',
		);
	return value as HighLevelEvent;
}
