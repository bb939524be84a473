/** Pure rules behind the HighLevel Trigger: secrets, the remembered keys, body normalization. */
import { sameSecret, verifySecret } from '../../nodes/shared/highlevel/auth';
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import { MAX_KEYS, rememberKey, type SeenState } from '../../nodes/shared/highlevel/seen';
import { invoiceFromHighLevel, paymentFromHighLevel } from '../../nodes/shared/highlevel/toCrm';
import { documented, workflowPayment } from '../../scripts/dev/fixtures/highlevel';

const options = { delivery: 'workflow' as const, invoicesSynced: true };

test('secrets: equal only when equal, an empty configured secret never matches', () => {
	expect([
		sameSecret('abc', 'abc'),
		sameSecret('abc', 'abd'),
		sameSecret('abc', 'abcd'),
		sameSecret('', ''),
	]).toEqual([true, false, false, false]);
	expect(
		verifySecret(
			{ authorization: 'bearer  s3cret-value ' },
			{ type: 'bearer', token: 's3cret-value' },
		).ok,
	).toBe(true);
	expect(verifySecret({ 'x-api-key': 'k' }, { type: 'header', name: '', value: 'k' }).ok).toBe(
		true,
	);
});

test('the trigger remembers the newest keys only, so its memory stays bounded', () => {
	const state: SeenState = {};
	for (let i = 0; i < MAX_KEYS + 5; i++) expect(rememberKey(state, `payment:${i}`, i)).toBe(true);
	expect(Object.keys(state.seen!)).toHaveLength(MAX_KEYS);
	expect([
		rememberKey(state, 'payment:0', 99_999),
		rememberKey(state, `payment:${MAX_KEYS + 4}`, 99_999),
	]).toEqual([true, false]);
});

test('an order without amountSummary takes its tax from taxSummary', () => {
	const order = documented('OrderStatusUpdate');
	delete order.amountSummary;
	expect(paymentFromHighLevel(order).taxAmount).toBe(12.1);
});

test('an invoice-sourced payment with invoice sync off is money received; a missing status is too', () => {
	expect(
		normalizeHighLevelBody(workflowPayment({ source: 'invoice' }), {
			...options,
			invoicesSynced: false,
		}).skipped,
	).toBe(false);
	const body = workflowPayment();
	delete body.payment.payment_status;
	expect(normalizeHighLevelBody(body, options).skipped).toBe(false);
});

test('the QuickBooks functions read the normalized event exactly as the raw body', () => {
	const raw = documented('InvoicePartiallyPaid');
	const event = normalizeHighLevelBody(raw, { ...options, delivery: 'marketplace' });
	expect(invoiceFromHighLevel(event as never)).toEqual(invoiceFromHighLevel(raw));
	const payment = workflowPayment({ createdOn: '2026-03-04T23:59:00.000Z' });
	expect(paymentFromHighLevel(normalizeHighLevelBody(payment, options) as never)).toEqual(
		paymentFromHighLevel(payment),
	);
	expect(paymentFromHighLevel(payment).date).toBe('2026-03-04');
});

test('one reader: the trigger reads the body once into its record, which the QuickBooks functions take as it is (through the outbox too)', () => {
	const raw = documented('InvoicePaid');
	const event = normalizeHighLevelBody(raw, { ...options, delivery: 'marketplace' });
	expect(event.record).toEqual(invoiceFromHighLevel(raw));
	// Stored as JSON (the durable outbox) and taken back: the record, not a second reading.
	const stored = JSON.parse(JSON.stringify(event));
	stored.body.total = 1;
	expect(invoiceFromHighLevel(stored)).toEqual(event.record);
	// A body the trigger could not read carries no record: the node says why, as the trigger did.
	const unreadable = normalizeHighLevelBody(
		{ ...raw, total: 'lots' },
		{ ...options, delivery: 'marketplace' },
	);
	expect(unreadable.record).toBeUndefined();
	expect(unreadable.problem).toMatch(/total/);
	expect(() => invoiceFromHighLevel(unreadable as never)).toThrow('is not a number: "lots"');
	// And an event of another kind is refused by name.
	expect(() => paymentFromHighLevel(event as never)).toThrow(
		/InvoicePaid \(invoice\) event, not a payment/,
	);
});

test('a non-object body is skipped with a reason, never thrown', () => {
	expect(normalizeHighLevelBody('hello', options)).toMatchObject({
		skipped: true,
		reason: 'the body is not a JSON object',
	});
	expect(normalizeHighLevelBody([1, 2], options)).toMatchObject({ skipped: true, kind: 'other' });
});
