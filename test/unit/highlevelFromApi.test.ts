/**
 * HighLevel API records → the HighLevel Trigger's normalized event (nodes/shared/highlevel/fromApi.ts):
 * a pulled payment, order or invoice carries the key and record of its pushed delivery. Pure: the
 * records are the documented examples (scripts/dev/fixtures/highlevel, SOURCES.md "Payments and
 * invoices API"), the pushed events come from normalizeHighLevelBody, which the trigger runs.
 */
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import {
	eventsFromInvoice,
	eventsFromOrder,
	eventsFromTransaction,
	isTestMode,
} from '../../nodes/shared/highlevel/fromApi';
import type { HighLevelEvent } from '../../nodes/shared/highlevel/types';
import {
	DOCUMENTED_TRANSACTION,
	apiInvoice,
	apiOrder,
	apiTransaction,
	documented,
	workflowPayment,
} from '../../scripts/dev/fixtures/highlevel';
import { ANSWERED_KEYS } from '../../scripts/dev/emulator/highlevel/server';

const options = { invoicesSynced: true };

/** What must not differ between a pushed and a pulled event: all but the body and how it came. */
function comparable(event: HighLevelEvent) {
	const { body: _body, delivery: _delivery, ...rest } = event;
	return { ...rest, ids: { ...rest.ids, webhookId: undefined } };
}

/** The documented examples' own ids (the builders give fresh ones unless told). */
// The documented examples as they are, test mode included (the builders default to a live sale).
const DOCUMENTED_INVOICE = {
	id: '6578278e879ad2646715ba9c',
	contact: { id: '6578278e879ad2646715ba9c' },
	liveMode: false,
};
const DOCUMENTED_ORDER = {
	id: '660ed43bfdf9fc05a0de7a40',
	contactId: 'ff2JstbQJfRuofXzeT0M',
	liveMode: false,
};

const pick = (record: Record<string, any>, keys: readonly string[]): Record<string, any> =>
	Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]]));

test('a pulled invoice is its pushed InvoicePaid event: same key, record, amounts, lines', () => {
	const pushed = normalizeHighLevelBody(documented('InvoicePaid'), {
		delivery: 'marketplace',
		...options,
	});
	const record = apiInvoice('InvoicePaid', DOCUMENTED_INVOICE);
	const [pulled] = eventsFromInvoice(record, options);
	expect(pulled.key).toBe('invoice:6578278e879ad2646715ba9c:paid:999:999:2023-12-12T09:27:42.355Z');
	expect(comparable(pulled)).toEqual(comparable(pushed));
	expect([pulled.delivery, pulled.body]).toEqual(['api', documented('InvoicePaid')]);
});

test('a pulled order (GET by id) is its pushed OrderStatusUpdate event, items and tax included', () => {
	const pushed = normalizeHighLevelBody(documented('OrderStatusUpdate'), {
		delivery: 'marketplace',
		...options,
	});
	const answered = pick(apiOrder(DOCUMENTED_ORDER), ANSWERED_KEYS.orderGet);
	expect(answered.taxSummary).toBeUndefined();
	const [pulled] = eventsFromOrder(answered, options);
	expect(pulled.key).toBe('order:660ed43bfdf9fc05a0de7a40');
	expect(comparable(pulled)).toEqual(comparable(pushed));
	expect(pulled.record).toMatchObject({ total: 150.1, taxAmount: 12.1 });
	expect((pulled.record as { lines: unknown[] }).lines).toHaveLength(2);
});

test("a listed order (no items) has the pushed order's key and total, one line, and says its lines are unknown", () => {
	const [pulled] = eventsFromOrder(
		pick(apiOrder(DOCUMENTED_ORDER), ANSWERED_KEYS.orderList),
		options,
	);
	expect([pulled.key, pulled.kind, pulled.skipped, pulled.linesKnown]).toEqual([
		'order:660ed43bfdf9fc05a0de7a40',
		'order',
		false,
		false,
	]);
	expect(pulled.record).toMatchObject({
		total: 150.1,
		lines: [{ qty: 1, unitPrice: 150.1 }],
		person: { email: 'limof@mailinator.com', name: 'Maxwell Schmidt' },
	});
	expect(pulled.contact.email).toBe('limof@mailinator.com');
});

test('a pending order is skipped as the pushed OrderCreate is, with the same reason', () => {
	const pushed = normalizeHighLevelBody(documented('OrderCreate'), {
		delivery: 'marketplace',
		...options,
	});
	const [pulled] = eventsFromOrder(
		pick(apiOrder({ id: pushed.ids.orderId, status: 'pending' }), ANSWERED_KEYS.orderGet),
		options,
	);
	expect([pulled.event, pulled.skipped, pulled.reason]).toEqual([
		'OrderCreate',
		true,
		pushed.reason,
	]);
});

test('a pulled transaction has the key and figures of the workflow Payment Received delivery of it', () => {
	const id = '61dd0feac077f72010f78804';
	const pushed = normalizeHighLevelBody(
		workflowPayment({
			transactionId: id,
			email: 'james.bond@gohighlevel.com',
			firstName: 'James',
			lastName: 'Bond',
			subTotal: 100,
			currency: 'USD',
			createdOn: '2023-11-20T10:23:36.515Z',
		}),
		{ delivery: 'workflow', ...options },
	);
	for (const keys of [ANSWERED_KEYS.transactionList, ANSWERED_KEYS.transactionGet]) {
		const answered = pick(apiTransaction({ liveMode: true, amountRefunded: 0 }), keys);
		const events = eventsFromTransaction(answered, options);
		expect(events).toHaveLength(1);
		const [pulled] = events;
		expect([pulled.key, pulled.kind, pulled.event, pulled.skipped]).toEqual([
			pushed.key,
			pushed.kind,
			pushed.event,
			pushed.skipped,
		]);
		const figures = (e: HighLevelEvent) => {
			const r = e.record as Record<string, any>;
			return {
				id: r.transactionId,
				total: r.total,
				currency: r.currency,
				date: r.date,
				lines: r.lines,
				source: r.source,
			};
		};
		expect(figures(pulled)).toEqual(figures(pushed));
		// The transaction states no tax or discount (neither schema has them): unknown, not zero.
		expect(pulled.record).toMatchObject({ taxAmount: undefined, discountAmount: undefined });
		expect(pulled.ids).toMatchObject({
			transactionId: id,
			orderId: '61dd0fe9c077f73e67f78803',
			locationId: '3SwdhCu3svxI8AKsPJt6',
		});
	}
	// The list names the contact, one transaction snapshots it (snake_case keys in its example).
	const [listed] = eventsFromTransaction(
		pick(apiTransaction(), ANSWERED_KEYS.transactionList),
		options,
	);
	const [got] = eventsFromTransaction(
		pick(apiTransaction(), ANSWERED_KEYS.transactionGet),
		options,
	);
	expect([listed.contact.email, listed.contact.name]).toEqual([
		'james.bond@gohighlevel.com',
		'James Bond',
	]);
	expect([got.contact.email, got.contact.companyName]).toEqual([
		'anish+11@gohighlevel.com',
		'Jordan and Cox Trading',
	]);
	// Who took it and how, what deposit and payment method rules read: the list names both
	// (`paymentProviderType` "stripe", `paymentMethod` { card: … }); one transaction names only its
	// `paymentProvider` (GetTxnResponseSchema has no paymentMethod).
	expect(listed.record).toMatchObject({ source: 'funnel', provider: 'stripe', method: 'card' });
	expect(got.record).toMatchObject({ source: 'funnel', provider: 'stripe' });
	expect((got.record as { method?: string }).method).toBeUndefined();
});

test('a refunded transaction: the payment is still money received, the refunded total is a refund event to book up to', () => {
	const events = eventsFromTransaction(
		apiTransaction({
			id: 'tx1',
			liveMode: true,
			amount: 100,
			amountRefunded: 40,
			status: 'refunded',
		}),
		options,
	);
	expect(events.map((e) => [e.kind, e.key, e.skipped])).toEqual([
		['payment', 'payment:tx1', false],
		['refund', 'refund:tx1:refunded-total:40', false],
	]);
	const [payment, refund] = events;
	expect(payment.status).toBe('refunded');
	expect(refund.refund).toEqual({
		id: 'tx1:refunded-total:40',
		idDerived: true,
		transactionId: 'tx1',
		amount: 40,
		type: 'partial',
		refundedTotal: 40,
	});
	expect(refund.record).toMatchObject({
		refundId: 'tx1:refunded-total:40',
		idDerived: true,
		amount: 40,
		refundedTotal: 40,
	});
	// A refund of an invoice's payment stays with the invoice template.
	const ofInvoice = eventsFromTransaction(
		apiTransaction({
			id: 'tx2',
			liveMode: true,
			amount: 100,
			amountRefunded: 40,
			entityType: 'invoice',
			entityId: 'inv1',
		}),
		options,
	);
	expect(ofInvoice.map((e) => [e.key, e.skipped])[1]).toEqual([
		'refund:tx2:refunded-total:40',
		true,
	]);
	expect(ofInvoice[1].reason).toMatch(/paid an invoice .* the invoice template books/);
	// The documented example itself shows 10 refunded.
	expect(eventsFromTransaction({ ...DOCUMENTED_TRANSACTION }, options).map((e) => e.key)).toEqual([
		'payment:61dd0feac077f72010f78804',
		'refund:61dd0feac077f72010f78804:refunded-total:10',
	]);
});

test('a failed transaction, one without a readable status and an invoice payment (invoices synced) are skipped', () => {
	const [failed] = eventsFromTransaction(
		apiTransaction({ status: 'failed', amountRefunded: 0 }),
		options,
	);
	const [unreadable] = eventsFromTransaction(
		{ ...apiTransaction({ amountRefunded: 0 }), status: { code: 'x' } },
		options,
	);
	const [invoicePaid] = eventsFromTransaction(
		apiTransaction({ source: 'invoice', amountRefunded: 0 }),
		options,
	);
	const [invoicePaidNoSync] = eventsFromTransaction(
		apiTransaction({ source: 'invoice', amountRefunded: 0 }),
		{ invoicesSynced: false },
	);
	expect([
		failed.skipped,
		unreadable.skipped,
		invoicePaid.skipped,
		invoicePaidNoSync.skipped,
	]).toEqual([true, true, true, false]);
	expect(unreadable.reason).toMatch(/no readable status/);
	expect(invoicePaid.reason).toMatch(/Invoices Are Synced Too/);
});

test('test mode: liveMode false or markAsTest true', () => {
	expect([
		isTestMode({ liveMode: false }),
		isTestMode({ liveMode: true }),
		isTestMode({ liveMode: true, markAsTest: true }),
		isTestMode({}),
	]).toEqual([true, false, true, false]);
});

test("a refunded order was paid: received under the key of its completed OrderStatusUpdate, HighLevel's status kept", () => {
	const completed = normalizeHighLevelBody(documented('OrderStatusUpdate'), {
		delivery: 'marketplace',
		...options,
	});
	// The trigger skips a pushed refunded order (the refund is booked from the Refund trigger) …
	const pushedRefunded = normalizeHighLevelBody(
		{ ...(documented('OrderStatusUpdate') as object), paymentStatus: 'refunded' },
		{ delivery: 'marketplace', ...options },
	);
	expect(pushedRefunded.skipped).toBe(true);
	// … but a pull after the refund must still find the sale, or it is never booked.
	const [pulled] = eventsFromOrder(
		{ ...pick(apiOrder(DOCUMENTED_ORDER), ANSWERED_KEYS.orderGet), paymentStatus: 'refunded' },
		options,
	);
	expect([pulled.key, pulled.skipped, pulled.status]).toEqual([completed.key, false, 'refunded']);
	expect(pulled.record).toEqual(completed.record);
});
