/**
 * The durable payment template in a real n8n: HighLevel deliveries are stored in an n8n Data Table
 * before they are answered, and a drain writes them to QuickBooks in batches, retries what failed
 * with back-off, and sends rows that keep failing to the error workflow.
 */
import { until as untilOf } from '../helpers/until';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alertReceiver';

import {
	apiOrder,
	apiTransaction,
	orderStatusUpdate,
	workflowPayment,
	workflowRefund,
} from '../../scripts/dev/fixtures/highlevel';
import { docNumberFor } from '../../nodes/shared/domain/docNumber';
import {
	createMarketplaceSender,
	createWorkflowSender,
	type Delivery,
} from '../../scripts/dev/emulator/highlevel/delivery';
import {
	LOCATION_ID,
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	startStack,
	type OutboxRow,
	type Stack,
} from '../../scripts/dev/stack';

jest.setTimeout(10 * 60_000);

const until = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 90_000) =>
	untilOf(what, probe, ms, { everyMs: 300, context: () => stack.n8n.logs().slice(-3000) });
let stack: Stack;
let alerts: AlertReceiver;
const company = () => stack.qbo.company(REALM_ID);
const receipts = () =>
	company()
		.all('SalesReceipt')
		.filter((r) => r.status !== 'Deleted');
const round2 = (n: number) => Math.round(n * 100) / 100;

const answerOf = (delivery: Delivery) => {
	const last = delivery.attempts[delivery.attempts.length - 1];
	return { status: last.status, body: JSON.parse(last.responseBody || '{}') };
};
const durableUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable);
const directUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment);
const refundReceipts = (transactionId: string) =>
	company()
		.all('RefundReceipt')
		.filter((r) => r.status !== 'Deleted' && String(r.PrivateNote).includes(transactionId));
const workflowSender = () =>
	createWorkflowSender({
		action: 'customWebhook',
		auth: { type: 'bearer', token: WEBHOOK_SECRET },
	});
async function deliver(
	bodies: Array<Record<string, unknown>>,
	concurrency = 8,
	url = durableUrl(),
) {
	const sender = workflowSender();
	// HighLevel records a payment before it sends the webhook: the durable template's reconcile pass
	// finds it there (payments to the direct template are not the durable outbox's).
	if (url === durableUrl()) stack.recordPayments(bodies.filter((b) => b.payment));
	const answers: Array<{ status: number | null; body: any }> = new Array(bodies.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < bodies.length) {
				const i = next++;
				answers[i] = answerOf(await sender.send(url, bodies[i]));
			}
		}),
	);
	return answers;
}
const failedExecutions = async (workflowId: string) => {
	const page = await stack.n8n.rest(
		'GET',
		`/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId, status: ['error'] }))}&limit=100`,
	);
	return (page.results ?? page) as Array<{ id: string }>;
};
const rowsByKey = async () => {
	const map = new Map<string, OutboxRow[]>();
	for (const row of await stack.outbox.rows()) map.set(row.key, [...(map.get(row.key) ?? []), row]);
	return map;
};
/** Drains until no row is due: what the every-minute schedule does, without waiting for it. */
async function drainUntilSettled(keys: string[]) {
	await stack.drain();
	return await until('the drain to settle the rows', async () => {
		const rows = (await stack.outbox.rows()).filter((r) => keys.includes(r.key));
		return rows.length && rows.every((r) => r.status !== 'processing' && r.status !== 'pending')
			? rows
			: undefined;
	});
}
/** The back-off wait, skipped: rows due now, as if their nextTryAt had passed. */
const makeDue = async (key: string) =>
	await stack.outbox.update({ key }, { nextTryAt: new Date(Date.now() - 1000).toISOString() });

beforeAll(async () => {
	alerts = await startAlertReceiver();
	stack = await startStack({
		config: { alertWebhookUrl: alerts.url, maxAttempts: 2 },
		beforeN8n: ({ qbo }) => {
			qbo.seed(
				REALM_ID,
				'Customer',
				Array.from({ length: 12 }, (_, i) => ({
					DisplayName: `Existing ${i}`,
					PrimaryEmailAddr: { Address: `existing${i}@example.com` },
				})),
			);
		},
	});
}, 300_000);

afterAll(async () => {
	await stack?.stop();
	await alerts?.close();
});

describe('durable payment template (outbox in an n8n Data Table)', () => {
	test('every delivery is stored before it is answered; the drain writes one receipt per CRM payment through batch calls', async () => {
		const payments = [
			...Array.from({ length: 12 }, (_, i) =>
				workflowPayment({
					transactionId: `ch_dur_old_${i}`,
					email: `EXISTING${i}@example.com`,
					subTotal: 10 + i,
				}),
			),
			...Array.from({ length: 8 }, (_, i) =>
				workflowPayment({
					transactionId: `ch_dur_new_${i}`,
					email: `newbie${i}@example.com`,
					firstName: `New${i}`,
					lastName: 'Buyer',
					subTotal: 100 + i,
					tax: 8.25,
				}),
			),
		];
		const repeats = payments.slice(0, 4);
		const orderId = '6650e2e0000000000000d001';
		const order = orderStatusUpdate({
			id: orderId,
			email: 'existing0@example.com',
			items: [{ name: 'Gold Membership', qty: 1, amount: 99 }],
		});
		const callsBefore = stack.qbo.log.length;
		// The contacts template polls QuickBooks by CDC on its own; the payments' calls are the rest.
		const paymentCalls = () => stack.qbo.log.slice(callsBefore).filter((c) => c.endpoint !== 'cdc');
		const answers = await deliver([...payments, ...repeats]);
		const signed = createMarketplaceSender({ privateKeyPem: stack.sender.privateKeyPem });
		answers.push(answerOf(await signed.send(durableUrl(), order)));
		expect(answers.map((a) => [a.status, a.body.stored])).toEqual(answers.map(() => [200, true]));
		// Every 200 stands for a stored row (the every-minute drain may already be at work).
		const stored = await rowsByKey();
		expect([...stored.values()].flat()).toHaveLength(25);

		const rows = await drainUntilSettled([...stored.keys()]);
		expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'done'));
		const transactions = [...payments.map((p) => p.payment.transaction_id), orderId];
		expect(receipts()).toHaveLength(transactions.length);
		for (const p of payments) {
			const receipt = receipts().find((r) => r.DocNumber === p.payment.transaction_id);
			expect([p.payment.transaction_id, receipt?.TotalAmt]).toEqual([
				p.payment.transaction_id,
				round2(p.payment.total_amount),
			]);
			// A repeated delivery's row points at the same receipt.
			for (const row of stored.get(`payment:${p.payment.transaction_id}`)!) {
				const now = rows.find((r) => r.id === row.id)!;
				expect([now.qboId, now.docNumber]).toEqual([receipt!.Id, p.payment.transaction_id]);
			}
		}
		expect(receipts().find((r) => r.DocNumber === docNumberFor(orderId))?.TotalAmt).toBe(99);
		// Existing customers matched (case aside), new ones created once each.
		const customers = company().all('Customer');
		expect(customers).toHaveLength(12 + 8);
		const calls = paymentCalls();
		expect(calls.filter((c) => c.endpoint === 'batch').length).toBeGreaterThan(0);
		expect(calls.length / transactions.length).toBeLessThan(1.5);
	});

	test("a workflow delivery has no line items: its receipt carries the items and tax of the order it paid, read from HighLevel's API (23.3)", async () => {
		const orderId = '6650e2e0000000000000d0a1';
		const order = apiOrder({
			id: orderId,
			locationId: LOCATION_ID,
			status: 'completed',
			email: 'existing5@example.com',
			items: [
				{ name: 'Coaching Package', qty: 1, amount: 120 },
				{ name: 'Workbook', qty: 2, amount: 15, taxes: [{ name: 'Sales tax', rate: 10 }] },
			],
		});
		const total = round2(order.amount);
		// What HighLevel records before it sends the workflow webhook: the transaction names the order.
		stack.highLevel.seedPayments({
			transactions: [
				apiTransaction({
					id: 'ch_dur_itemized',
					locationId: LOCATION_ID,
					email: 'existing5@example.com',
					amount: total,
					status: 'succeeded',
					liveMode: true,
					entityType: 'order',
					entityId: orderId,
					amountRefunded: 0,
				}),
			],
			orders: [order],
		});
		const p = workflowPayment({
			transactionId: 'ch_dur_itemized',
			email: 'existing5@example.com',
			subTotal: total,
		});
		expect(answerOf(await workflowSender().send(durableUrl(), p)).status).toBe(200);
		const [row] = await drainUntilSettled(['payment:ch_dur_itemized']);
		expect(row.status).toBe('done');
		const receipt = receipts().find((r) => r.DocNumber === 'ch_dur_itemized')!;
		expect(receipt.TotalAmt).toBe(total);
		const lines = receipt.Line.filter((l: any) => l.DetailType === 'SalesItemLineDetail').map(
			(l: any) => [l.SalesItemLineDetail.ItemRef.name, l.SalesItemLineDetail.Qty, l.Amount],
		);
		expect(lines).toEqual([
			['Coaching Package', 1, 120],
			['Workbook', 2, 30],
		]);
		expect(receipt.TxnTaxDetail.TotalTax).toBe(3);
		// A delivery whose transaction names no order keeps one line, and the row's event says why.
		const plain = workflowPayment({
			transactionId: 'ch_dur_one_line',
			email: 'existing6@example.com',
		});
		expect((await deliver([plain]))[0].status).toBe(200);
		await drainUntilSettled(['payment:ch_dur_one_line']);
		const one = receipts().find((r) => r.DocNumber === 'ch_dur_one_line')!;
		expect(one.Line.filter((l: any) => l.DetailType === 'SalesItemLineDetail')).toHaveLength(1);
	});

	test('QuickBooks down: rows stay in the outbox with the error and a later try, then sync once it is back', async () => {
		stack.qbo.injectFault({ action: 503, count: 10_000 });
		const p = workflowPayment({ transactionId: 'ch_dur_outage', email: 'existing3@example.com' });
		expect((await deliver([p]))[0]).toMatchObject({ status: 200, body: { stored: true } });
		await stack.drain();
		const failed = await until('the failed try to be recorded', async () => {
			const row = (await rowsByKey()).get('payment:ch_dur_outage')?.[0];
			return row?.attempts === 1 ? row : undefined;
		});
		expect(failed.status).toBe('pending');
		expect(failed.lastError).toMatch(/QuickBooks|503|System Failure/);
		expect(Date.parse(failed.nextTryAt!)).toBeGreaterThan(Date.now());
		expect(receipts().some((r) => r.DocNumber === 'ch_dur_outage')).toBe(false);

		stack.qbo.clearFaults();
		// Not due yet: a drain leaves it alone.
		await stack.drain();
		await new Promise((r) => setTimeout(r, 3000));
		expect((await rowsByKey()).get('payment:ch_dur_outage')![0].attempts).toBe(1);
		await makeDue('payment:ch_dur_outage');
		const [done] = await drainUntilSettled(['payment:ch_dur_outage']);
		expect([done.status, done.attempts]).toEqual(['done', 1]);
		expect(receipts().filter((r) => r.DocNumber === 'ch_dur_outage')).toHaveLength(1);
	});

	test('a payment that keeps failing becomes a dead letter and the error workflow posts the alert; the new customers of its round are written meanwhile', async () => {
		alerts.bodies.length = 0;
		const bad = workflowPayment({ transactionId: 'ch_dur_bad_email', email: 'not-an-email' });
		// In one round with new customers: a failed look-up must not stall the round (it once left
		// every row "processing" until the lease ran out: n8n's Merge waiting inside the drain loop).
		const mixed = [1, 2].map((i) =>
			workflowPayment({ transactionId: `ch_dur_mixed_${i}`, email: `mixed${i}@example.com` }),
		);
		expect((await deliver([bad, ...mixed], 1)).map((a) => a.status)).toEqual([200, 200, 200]);
		await stack.drain();
		await until('the first failure', async () =>
			(await rowsByKey()).get('payment:ch_dur_bad_email')?.[0]?.attempts === 1 ? true : undefined,
		);
		// The others are booked without waiting for the lease (15 minutes) to run out; a drain of the
		// schedule may have claimed the failing row alone, a moment before this one claimed the others.
		await until(
			'the round’s new customers booked',
			async () => {
				const rows = await rowsByKey();
				return [1, 2].every((i) => rows.get(`payment:ch_dur_mixed_${i}`)?.[0]?.status === 'done')
					? true
					: undefined;
			},
			60_000,
		);
		await makeDue('payment:ch_dur_bad_email');
		const [dead] = await drainUntilSettled(['payment:ch_dur_bad_email']);
		expect([dead.status, dead.attempts]).toEqual(['dead', 2]);
		expect(dead.lastError).toMatch(/email/);
		const alert = await until('the alert', async () => alerts.bodies[0]);
		expect(String(alert.text)).toMatch(/dead-letter state/);
		expect(String(alert.text)).toMatch(/payment:ch_dur_bad_email/);
		expect(String(alert.workflow)).toMatch(/durable/);
	});

	test('a delivery the outbox cannot store is answered 429 (HighLevel delivers it again), and the redelivery is stored', async () => {
		const table = (await stack.outbox.table())!;
		const columns = await stack.n8n.rest<Array<{ id: string; name: string }>>(
			'GET',
			`/projects/${table.projectId}/data-tables/${table.id}/columns`,
		);
		const event = columns.find((c) => c.name === 'event')!;
		const rename = async (name: string) =>
			await stack.n8n.rest(
				'PATCH',
				`/projects/${table.projectId}/data-tables/${table.id}/columns/${event.id}/rename`,
				{ name },
			);
		const orderId = '6650e2e0000000000000d429';
		const order = orderStatusUpdate({
			id: orderId,
			email: 'existing5@example.com',
			items: [{ name: 'Gold Membership', qty: 1, amount: 49 }],
		});
		const signed = createMarketplaceSender({
			privateKeyPem: stack.sender.privateKeyPem,
			retry: { maxRetries: 0 },
		});
		await rename('event_broken');
		try {
			const refused = answerOf(await signed.send(durableUrl(), order));
			expect([refused.status, refused.body.retry]).toEqual([429, true]);
		} finally {
			await rename('event');
		}
		const again = answerOf(await signed.send(durableUrl(), order));
		expect([again.status, again.body.stored]).toEqual([200, true]);
		const key = `order:${orderId}`;
		expect((await rowsByKey()).get(key)).toHaveLength(1);
		await drainUntilSettled([key]);
		expect(receipts().filter((r) => r.DocNumber === docNumberFor(orderId))).toHaveLength(1);
	});

	test('refunds through the durable template: one refund receipt per CRM refund, a repeat adds none, a refund stored before its payment waits for the receipt', async () => {
		const payment = workflowPayment({
			transactionId: 'ch_dur_refunded',
			email: 'existing7@example.com',
			subTotal: 80,
		});
		const early = workflowRefund({
			refundId: 're_dur_early',
			transactionId: 'ch_dur_refunded',
			email: 'existing7@example.com',
			amount: 30,
			type: 'partial',
		});
		// The refund arrives first: stored, tried, and kept for later with the reason.
		expect((await deliver([early]))[0]).toMatchObject({ status: 200, body: { stored: true } });
		await stack.drain();
		const waiting = await until('the refund to wait for its receipt', async () => {
			const row = (await rowsByKey()).get('refund:re_dur_early')?.[0];
			return row?.attempts === 1 ? row : undefined;
		});
		expect([waiting.status, waiting.lastError]).toEqual([
			'pending',
			expect.stringMatching(/receipt/),
		]);
		expect(refundReceipts('ch_dur_refunded')).toHaveLength(0);

		await deliver([payment]);
		await drainUntilSettled(['payment:ch_dur_refunded']);
		await makeDue('refund:re_dur_early');
		const rest = workflowRefund({
			refundId: 're_dur_rest',
			transactionId: 'ch_dur_refunded',
			email: 'existing7@example.com',
			amount: 50,
			type: 'partial',
		});
		await deliver([rest, rest]);
		const rows = await drainUntilSettled(['refund:re_dur_early', 'refund:re_dur_rest']);
		expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done']);
		const refunds = refundReceipts('ch_dur_refunded');
		expect(refunds.map((r) => r.TotalAmt).sort()).toEqual([30, 50]);
		const receipt = receipts().find((r) => r.DocNumber === 'ch_dur_refunded')!;
		for (const r of refunds) expect(r.CustomerRef.value).toBe(receipt.CustomerRef.value);
	});

	test('refunds through the direct template: a refund before its receipt fails its execution with what to do; retried from the Executions list after the payment, one refund receipt, never two', async () => {
		const failedBefore = await failedExecutions('qbsyncTplPayment');
		const refund = workflowRefund({
			refundId: 're_direct_1',
			transactionId: 'ch_direct_refunded',
			email: 'existing8@example.com',
			amount: 25,
			type: 'partial',
		});
		expect((await deliver([refund], 1, directUrl()))[0].status).toBe(200);
		const failed = await until('the refund execution to fail', async () => {
			const now = await failedExecutions('qbsyncTplPayment');
			return now.length > failedBefore.length ? now : undefined;
		});
		const failedId = failed.find((e) => !failedBefore.some((b) => b.id === e.id))!.id;
		const execution = await stack.n8n.rest('GET', `/executions/${failedId}`);
		expect(String(execution.data)).toMatch(/receipt/);
		expect(refundReceipts('ch_direct_refunded')).toHaveLength(0);

		const payment = workflowPayment({
			transactionId: 'ch_direct_refunded',
			email: 'existing8@example.com',
			subTotal: 60,
		});
		await deliver([payment], 1, directUrl());
		await until('the receipt', async () =>
			receipts().find((r) => r.DocNumber === 'ch_direct_refunded'),
		);
		// What the README tells users: retry the failed execution. Twice, and HighLevel repeating it.
		await stack.n8n.rest('POST', `/executions/${failedId}/retry`, { loadWorkflow: false });
		await until('the refund receipt', async () =>
			refundReceipts('ch_direct_refunded').length ? true : undefined,
		);
		// n8n may refuse a second retry of an execution whose retry succeeded; either way, no second receipt.
		await stack.n8n
			.rest('POST', `/executions/${failedId}/retry`, { loadWorkflow: false })
			.catch(() => undefined);
		const repeat = (await deliver([refund], 1, directUrl()))[0];
		expect([repeat.status, repeat.body.duplicate]).toEqual([200, true]);
		await new Promise((r) => setTimeout(r, 4000));
		expect(refundReceipts('ch_direct_refunded').map((r) => r.TotalAmt)).toEqual([25]);
	});
});
