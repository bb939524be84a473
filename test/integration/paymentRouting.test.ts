/**
 * Where the money lands (issue 24, point 1): deposit accounts by source or provider and payment
 * methods from what the CRM reports, through n8n-core against the QuickBooks emulator, one by one
 * and in batches.
 */
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import { runNode, useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, receiptPaying } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();
const idOf = (entity: 'Account' | 'PaymentMethod', name: string) =>
	String(
		realm()
			.all(entity)
			.find((r) => r.Name === name)?.Id,
	);

/** A "Payment Received" body with what a pull from HighLevel's API adds (provider, method). */
function paid(id: string, source: string, extra: Record<string, string> = {}) {
	const body = paymentReceived({ transactionId: id, source });
	return { ...body, payment: { ...body.payment, ...extra } };
}

const receive = (bodies: unknown[], options: Record<string, unknown>, batchRequests = false) =>
	createFromPayment(qb.creds, bodies, { options: { batchRequests, ...options } });

const receiptOf = (id: string) => receiptPaying(realm(), id);

describe.each([false, true])('batch requests %s', (batch) => {
	beforeEach(() => {
		realm().create('Account', {
			Name: 'Stripe Clearing',
			AccountType: 'Other Current Asset',
			AccountSubType: 'OtherCurrentAssets',
		});
	});

	test('deposit rules: the first rule met chooses the account (by name or id), others keep the default', async () => {
		const options = {
			depositRules: {
				rule: [
					{ when: 'provider', equals: 'STRIPE', account: 'Stripe Clearing' },
					{ when: 'source', equals: 'calendar', account: idOf('Account', 'Checking') },
				],
			},
		};
		const out = (
			await receive(
				[
					paid('t-stripe', 'invoice', { payment_provider: 'stripe' }),
					paid('t-calendar', 'calendar'),
					paid('t-funnel', 'funnel'),
				],
				options,
				batch,
			)
		).output('QuickBooks Sync');
		expect(out.map((item) => item.json.sync)).toMatchObject([
			{ action: 'created', routing: { depositTo: 'provider "stripe" → Stripe Clearing' } },
			{ action: 'created', routing: { depositTo: 'source "calendar" → Checking' } },
			{ action: 'created' },
		]);
		expect(receiptOf('t-stripe')?.DepositToAccountRef).toMatchObject({
			value: idOf('Account', 'Stripe Clearing'),
		});
		expect(receiptOf('t-calendar')?.DepositToAccountRef).toMatchObject({
			value: idOf('Account', 'Checking'),
		});
		// No rule: the receipt names no account, so QuickBooks books it to Undeposited Funds
		// (SalesReceipt.DepositToAccountRef: "If you do not specify this account, QBO uses the
		// Undeposited Funds account").
		expect(receiptOf('t-funnel')?.DepositToAccountRef).toBeUndefined();
	});

	test('a rule naming an account the company lacks stops that payment alone, before anything is written for it', async () => {
		const customersBefore = realm().all('Customer').length;
		const result = await receive(
			[
				{ ...paid('t-missing', 'invoice'), email: 'nobody.yet@example.com' },
				paid('t-other', 'funnel'),
			],
			{
				depositRules: {
					rule: [{ when: 'source', equals: 'invoice', account: 'Stripe Clearing 2' }],
				},
			},
			batch,
		);
		const out = result.output('QuickBooks Sync');
		expect(String(out[0].json.error)).toContain(
			'The deposit rule for source "invoice" names the account "Stripe Clearing 2", which the QuickBooks company does not have',
		);
		expect(out[1].json.sync).toMatchObject({ action: 'created' });
		expect(receiptOf('t-missing')).toBeUndefined();
		// The stopped payment's new customer was not made; the other payment's (same default e-mail) was.
		expect(
			realm()
				.all('Customer')
				.filter(
					(c) => (c.PrimaryEmailAddr as { Address?: string })?.Address === 'nobody.yet@example.com',
				),
		).toHaveLength(0);
		expect(realm().all('Customer').length).toBe(customersBefore + 1);
	});

	test('a rule missing its account is refused with the item and the field named', async () => {
		const out = (
			await receive(
				[paid('t-bad-rule', 'invoice')],
				{ depositRules: { rule: [{ when: 'source', equals: 'invoice', account: ' ' }] } },
				batch,
			)
		).output('QuickBooks Sync');
		expect(String(out[0].json.error)).toMatch(
			/item 0.*field "options\.depositRules\[0\]\.account" is missing/i,
		);
		expect(receiptOf('t-bad-rule')).toBeUndefined();
	});

	test('payment method from the CRM: card → Credit Card, a mapping wins, a method the company lacks stops unless it may be made (once)', async () => {
		const bodies = [
			paid('t-card', 'funnel', { payment_method: 'card' }),
			paid('t-cash', 'funnel', { payment_method: 'cash' }),
			paid('t-ach-1', 'invoice', { payment_method: 'us_bank_account' }),
			paid('t-ach-2', 'invoice', { payment_method: 'us_bank_account' }),
			paid('t-unknown', 'funnel'),
		];
		const methods = {
			methodFromCrm: true,
			methodRules: { mapping: [{ crm: 'cash', method: 'Check' }] },
		};
		const first = (await receive(bodies, methods, batch)).output('QuickBooks Sync');
		expect(receiptOf('t-card')?.PaymentMethodRef).toMatchObject({
			value: idOf('PaymentMethod', 'Credit Card'),
		});
		expect(receiptOf('t-cash')?.PaymentMethodRef).toMatchObject({
			value: idOf('PaymentMethod', 'Check'),
		});
		expect(receiptOf('t-unknown')?.PaymentMethodRef).toBeUndefined();
		for (const at of [2, 3])
			expect(String(first[at].json.error)).toContain(
				'paid by "ACH", a payment method the QuickBooks company does not have',
			);
		expect(receiptOf('t-ach-1')).toBeUndefined();

		const second = (
			await receive(bodies, { ...methods, createMissingMethods: true }, batch)
		).output('QuickBooks Sync');
		expect(second.map((item) => item.json.sync)).toMatchObject([
			{ action: 'matched' },
			{ action: 'matched' },
			{ action: 'created', routing: { paymentMethod: '"us_bank_account" → ACH' } },
			{ action: 'created' },
			{ action: 'matched' },
		]);
		const ach = realm()
			.all('PaymentMethod')
			.filter((m) => m.Name === 'ACH');
		expect(ach).toMatchObject([{ Type: 'NON_CREDIT_CARD' }]);
		expect(receiptOf('t-ach-2')?.PaymentMethodRef).toMatchObject({ value: String(ach[0].Id) });
	});
});

test('invoice payments: Invoice → Sync and Record Payment deposit to the chosen account, else Undeposited Funds', async () => {
	const run = (parameters: Record<string, unknown>, body: unknown = {}) =>
		runNode(qb.creds, parameters, [body as Record<string, unknown>], { continueOnFail: true });
	const checking = { __rl: true, mode: 'id', value: idOf('Account', 'Checking') };
	const sent = invoiceEvent('InvoicePartiallyPaid', { number: 'INV-DEP', amountPaid: 200 });
	const synced = (
		await run(
			{
				resource: 'invoice',
				operation: 'sync',
				body: '={{ $json }}',
				key: 'number',
				options: { depositAccountId: checking },
			},
			sent,
		)
	).output('QuickBooks Sync')[0].json as Record<string, any>;
	expect(synced.sync).toMatchObject({ action: 'created' });
	const payments = () =>
		realm()
			.all('Payment')
			.filter((p) => p.status !== 'Deleted');
	expect(payments()).toHaveLength(1);
	expect(payments()[0].DepositToAccountRef).toMatchObject({ value: checking.value });

	const byHand = (
		await run({
			resource: 'invoice',
			operation: 'recordPayment',
			invoiceBy: 'docNumber',
			invoiceRef: String(synced.DocNumber),
			amountPaid: 300,
		})
	).output('QuickBooks Sync')[0].json as Record<string, any>;
	expect(byHand.sync).toMatchObject({ action: 'paid' });
	expect(payments()).toHaveLength(2);
	expect(payments()[1].DepositToAccountRef).toBeUndefined();
});
