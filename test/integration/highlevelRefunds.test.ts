/**
 * The HighLevel Trigger's Payment Refunded events run by n8n-core (WebhookContext), and the refund
 * they carry written by Sales Receipt → Refund. Refund bodies from the ASSEMBLED builder
 * `workflowRefund` (scripts/dev/fixtures/highlevel/SOURCES.md "Refunds").
 */
import { workflowPayment, workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import {
	TypedCredentialsHelper,
	WebhookHarness,
	runNode,
	useEmulatedQuickBooks,
} from '../helpers/engine';

const SECRET = 'f3c1b2a9d8e7f6a5b4c3d2e1';
const bearer = { Authorization: `Bearer ${SECRET}` };

const trigger = (events: string[]) =>
	new WebhookHarness(
		new TypedCredentialsHelper({ highLevelWebhookApi: { authType: 'bearer', token: SECRET } }),
		{
			events,
			invoicesSynced: true,
			workflowDeliveries: 'secret',
			options: {},
		},
	);

test('Payment Refunded: a refund comes out of Received once; a repeat is answered without an execution; failed refunds are skipped', async () => {
	const t = trigger(['payment', 'order', 'refund']);
	const body = JSON.stringify(
		workflowRefund({ refundId: 're_t_1', transactionId: 'ch_t_1', amount: 40, type: 'partial' }),
	);
	const first = await t.deliver(body, bearer);
	expect([first.status, first.body]).toEqual([
		200,
		{ received: true, event: 'PaymentRefunded', kind: 'refund', skipped: false },
	]);
	expect(first.outputs?.[0]).toEqual([
		expect.objectContaining({
			kind: 'refund',
			key: 'refund:re_t_1',
			ids: expect.objectContaining({ refundId: 're_t_1', transactionId: 'ch_t_1' }),
			amounts: { refunded: 40 },
		}),
	]);
	const again = await t.deliver(body, bearer);
	expect([again.status, again.body, again.outputs]).toEqual([
		200,
		{ received: true, duplicate: true, event: 'PaymentRefunded', key: 'refund:re_t_1' },
		undefined,
	]);
	const failed = await t.deliver(
		JSON.stringify(workflowRefund({ refundId: 're_t_2', status: 'failed' })),
		bearer,
	);
	expect([failed.status, failed.body.skipped, failed.outputs?.[0]]).toEqual([200, true, []]);
});

test('a trigger left on its default events skips refunds with the reason (answered 200, never refused)', async () => {
	const t = trigger(['payment', 'order']);
	const answer = await t.deliver(JSON.stringify(workflowRefund()), bearer);
	expect(answer.status).toBe(200);
	expect(answer.outputs?.[1]?.[0]).toMatchObject({ kind: 'refund', skipped: true });
	expect(answer.body.reason).toMatch(/refund event, which this trigger is not set to emit/);
});

describe('the trigger’s event into Sales Receipt → Refund', () => {
	const qb = useEmulatedQuickBooks();
	test('payment, then its refund: one receipt, one refund receipt of the refunded amount', async () => {
		const t = trigger(['payment', 'order', 'refund']);
		const paid = await t.deliver(
			JSON.stringify(workflowPayment({ transactionId: 'ch_t_9', subTotal: 80, tax: 6.8 })),
			bearer,
		);
		const receipt = (
			await runNode(
				qb.creds,
				{
					resource: 'salesReceipt',
					operation: 'createFromPayment',
					source: 'highLevel',
					body: '={{ $json.body ?? $json }}',
					options: {},
				},
				paid.outputs![0],
			)
		).output('QuickBooks Sync')[0].json as Record<string, any>;
		expect(receipt.TotalAmt).toBe(86.8);
		const refunded = await t.deliver(
			JSON.stringify(workflowRefund({ refundId: 're_t_9', transactionId: 'ch_t_9', amount: 86.8 })),
			bearer,
		);
		const out = (
			await runNode(
				qb.creds,
				{
					resource: 'salesReceipt',
					operation: 'refund',
					source: 'highLevel',
					body: '={{ $json.body ?? $json }}',
					options: {},
				},
				refunded.outputs![0],
			)
		).output('QuickBooks Sync')[0].json as Record<string, any>;
		expect(out).toMatchObject({
			TotalAmt: 86.8,
			TxnTaxDetail: { TotalTax: 6.8 },
			CustomerRef: { value: receipt.CustomerRef.value },
			sync: { action: 'created', refundOf: { qboId: receipt.Id } },
		});
		expect(qb.realm().all('RefundReceipt')).toHaveLength(1);
	});
});
