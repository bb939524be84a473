/**
 * Refund deliveries (HighLevel's workflow trigger "Refund") read into the trigger's normalized event
 * and into the neutral CRM refund. Bodies from the ASSEMBLED builder `workflowRefund` (UNCERTAIN,
 * scripts/dev/fixtures/highlevel/SOURCES.md "Refunds").
 */
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import { paymentFromHighLevel, refundFromHighLevel } from '../../nodes/shared/highlevel/toCrm';
import { documented, workflowPayment, workflowRefund } from '../../scripts/dev/fixtures/highlevel';

const options = {
	delivery: 'workflow' as const,
	invoicesSynced: true,
	kinds: ['payment', 'order', 'refund'] as Array<'payment' | 'order' | 'refund'>,
};

test('a refund: its id is the key, with the refunded transaction, amount, currency, date and contact', () => {
	const body = workflowRefund({
		refundId: 're_3PqZ77',
		transactionId: 'ch_3PqZ0001',
		amount: 40.5,
		type: 'partial',
		currency: 'usd',
		createdOn: '2026-11-21T09:15:00.000Z',
		email: 'Jamie.Rivera@example.com',
	});
	const event = normalizeHighLevelBody(body, options);
	expect(event).toMatchObject({
		kind: 'refund',
		event: 'PaymentRefunded',
		key: 'refund:re_3PqZ77',
		skipped: false,
		ids: { refundId: 're_3PqZ77', transactionId: 'ch_3PqZ0001' },
		contact: { email: 'Jamie.Rivera@example.com', name: 'Jamie Rivera' },
		currency: 'USD',
		date: '2026-11-21',
		amounts: { refunded: 40.5 },
		refund: { id: 're_3PqZ77', idDerived: false, amount: 40.5, type: 'partial' },
	});
	expect(event.problem).toBeUndefined();
	// The QuickBooks node reads the event exactly as the raw body.
	expect(refundFromHighLevel(event as never)).toEqual(refundFromHighLevel(body));
	expect(refundFromHighLevel(body)).toMatchObject({
		refundId: 're_3PqZ77',
		transactionId: 'ch_3PqZ0001',
		amount: 40.5,
		person: { email: 'Jamie.Rivera@example.com' },
	});
});

test('without a refund id the key is derived from transaction, amount and time; two partial refunds differ', () => {
	const at = (createdOn: string) =>
		normalizeHighLevelBody(
			workflowRefund({ refundId: null, transactionId: 'ch_1', amount: 10, createdOn }),
			options,
		);
	const a = at('2026-11-21T09:15:00.000Z');
	const b = at('2026-11-21T09:16:30.000Z');
	expect(a.refund).toMatchObject({ idDerived: true, id: 'ch_1:10:2026-11-21T09:15:00.000Z' });
	expect(a.key).not.toBe(b.key);
	expect(at('2026-11-21T09:15:00.000Z').key).toBe(a.key);
	// A date without a time cannot tell two equal refunds on one day apart: no key, the node fails the item.
	const dateOnly = at('2026-11-21');
	expect(dateOnly.ids.refundId).toBeUndefined();
	expect(dateOnly.problem).toMatch(/refund_id/);
	expect(() => refundFromHighLevel(dateOnly as never)).toThrow(/has no id/);
});

test('a failed refund is skipped: no money went back', () => {
	const event = normalizeHighLevelBody(workflowRefund({ status: 'failed' }), options);
	expect(event).toMatchObject({ skipped: true, kind: 'refund' });
	expect(event.reason).toMatch(/not a success: no money went back/);
});

test('refunds are not emitted unless selected; a refund is never read as a payment', () => {
	const event = normalizeHighLevelBody(workflowRefund(), { ...options, kinds: ['payment'] });
	expect(event.skipped).toBe(true);
	expect(event.reason).toMatch(/refund event, which this trigger is not set to emit/);
	expect(() =>
		paymentFromHighLevel(normalizeHighLevelBody(workflowRefund(), options) as never),
	).toThrow(/PaymentRefunded \(refund\) event, not a payment/);
	expect(() => refundFromHighLevel(workflowPayment())).toThrow(/not a HighLevel refund body/);
});

test('a refund body missing what the books need names the field', () => {
	const noTxn = workflowRefund();
	delete noTxn.refund.transaction_id;
	expect(() => refundFromHighLevel(noTxn)).toThrow(/which transaction/);
	expect(normalizeHighLevelBody(noTxn, options).problem).toMatch(/refund.transaction_id/);
	const zero = workflowRefund({ amount: 0 });
	expect(() => refundFromHighLevel(zero)).toThrow(/more than 0/);
	// A negative amount (some providers' way of writing a refund) is the amount that went back.
	expect(refundFromHighLevel(workflowRefund({ amount: -12.5 })).amount).toBe(12.5);
	const words = workflowRefund();
	words.refund.amount = 'twelve';
	expect(normalizeHighLevelBody(words, options).problem).toMatch(/refund.amount/);
});

test("the refunded payment's invoice may come from Custom Data", () => {
	const refund = refundFromHighLevel(
		workflowRefund({ customData: { invoice_id: 'inv_9', invoice_number: 'INV-1042' } }),
	);
	expect(refund).toMatchObject({ invoiceId: 'inv_9', invoiceNumber: 'INV-1042' });
});

test('a refunded payment or order is skipped with where refunds come from', () => {
	const payment = normalizeHighLevelBody(workflowPayment({ status: 'refunded' }), options);
	expect(payment.skipped).toBe(true);
	expect(payment.reason).toMatch(/"Refund" workflow trigger/);
	const order = documented('OrderStatusUpdate');
	order.status = 'refunded';
	const event = normalizeHighLevelBody(order, { ...options, delivery: 'marketplace' });
	expect(event.skipped).toBe(true);
	expect(event.reason).toMatch(/"Refund" workflow trigger/);
});
