/**
 * Issue 23.2 and the regular-mode rows of 23.7: the durable template's reconcile pass in a real n8n.
 * HighLevel records every payment (the emulator holds its transaction before the delivery is sent);
 * deliveries that never reach the outbox (n8n stopped: connection refused; a wrong secret: 401) are
 * not sent again, as HighLevel's workflow Custom Webhook action never retries. The pass lists what
 * HighLevel recorded, keeps what is neither in the outbox nor in QuickBooks, stores it, and the drain
 * books it: 0 lost and 0 duplicated receipts after each pass. A gap-free pass stores nothing, and its
 * QuickBooks calls are counted. The every-15-minutes schedule is switched off in this copy of the
 * template so that no scheduled pass interleaves with the ones the test asks for (POST /drain with
 * {"reconcile": true}, the template's on-demand path).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { until as untilOf } from '../helpers/until';
import {
	importForm,
	passCommitted,
	receiptsByTransaction,
	templateWithout,
	unflatten,
} from '../helpers/paymentRun';
import { LIMITS } from '../helpers/queueRun';
import { refundTargetOf } from '../../nodes/shared/domain/refund';
import {
	apiInvoice,
	apiTransactionFor,
	workflowPayment,
	workflowRefund,
} from '../../scripts/dev/fixtures/highlevel';
import {
	createMarketplaceSender,
	createWorkflowSender,
} from '../../scripts/dev/emulator/highlevel/delivery';
import {
	LOCATION_ID,
	REALM_ID,
	RECONCILE_TABLE,
	TEMPLATE_IDS,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	startStack,
	updateDataTableRows,
	type OutboxRow,
	type Stack,
} from '../../scripts/dev/stack';

jest.setTimeout(10 * 60_000);

const DURABLE = 'crm-payment-to-sales-receipt-durable.json';
const INVOICES = 'crm-invoice-to-qbo-invoice.json';
let stack: Stack;
// Kept across the restart of test 2 (the stack removes a user folder it was not given).
const userFolder = mkdtempSync(join(tmpdir(), 'qbsync-reconcile-'));
const until = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 120_000) =>
	untilOf(what, probe, ms, { everyMs: 250, context: () => stack.n8n.logs().slice(-3000) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const figures: Record<string, unknown> = {};

/**
 * N payments by existing (seeded) and new customers, as HighLevel's workflow sends them: created now,
 * or spread evenly over the last `spreadMinutes` (what HighLevel recorded while n8n missed them).
 */
function payments(tag: string, n: number, spreadMinutes = 0) {
	const start = Date.now() - spreadMinutes * 60_000;
	return Array.from({ length: n }, (_, i) =>
		workflowPayment({
			transactionId: `ch_${tag}_${String(i).padStart(3, '0')}`,
			email: i % 2 ? `existing${i % 10}@example.com` : `new.${tag}.${i}@example.com`,
			firstName: i % 2 ? 'Existing' : 'New',
			lastName: `Buyer ${tag} ${i}`,
			subTotal: 20 + i,
			tax: i % 3 === 0 ? 1.5 : 0,
			createdOn: new Date(start + (i * spreadMinutes * 60_000) / n).toISOString(),
		}),
	);
}
const totalsOf = (bodies: Array<Record<string, any>>) =>
	new Map(bodies.map((b) => [String(b.payment.transaction_id), Number(b.payment.total_amount)]));

/** Sends as HighLevel's Custom Webhook action does (one attempt each); the final statuses. */
async function deliver(bodies: Array<Record<string, any>>, token = WEBHOOK_SECRET) {
	const sender = createWorkflowSender({ action: 'customWebhook', auth: { type: 'bearer', token } });
	const url = stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable);
	const statuses: Array<number | null> = [];
	const queue = [...bodies];
	await Promise.all(
		Array.from({ length: 8 }, async () => {
			for (let body = queue.shift(); body; body = queue.shift()) {
				const d = await sender.send(url, body);
				statuses.push(d.attempts[d.attempts.length - 1].status);
			}
		}),
	);
	return statuses;
}

/** Booked, lost and duplicated receipts of these payments; with every receipt's total checked. */
function tally(bodies: Array<Record<string, any>>) {
	const totals = totalsOf(bodies);
	const byTxn = receiptsByTransaction(stack.qbo, REALM_ID, totals);
	const wrongTotal = [...byTxn].filter(([id, list]) =>
		list.some((r) => Math.abs(Number(r.TotalAmt) - totals.get(id)!) > 0.005),
	).length;
	return {
		booked: byTxn.size,
		lost: [...totals.keys()].filter((id) => !byTxn.has(id)).length,
		duplicated: [...byTxn.values()].filter((list) => list.length > 1).length,
		wrongTotal,
		lastCreatedAt: Math.max(
			...[...byTxn.values()].flat().map((r) => Date.parse(r.MetaData?.CreateTime ?? '') || 0),
		),
	};
}

const rowsOf = async (bodies: Array<Record<string, any>>) => {
	const keys = new Set(bodies.map((b) => `payment:${b.payment.transaction_id}`));
	return (await stack.outbox.rows()).filter((r) => keys.has(r.key));
};

/**
 * Asks for a pass (and waits until its window is committed): its summary, the QuickBooks and
 * HighLevel calls made between the request and the commit.
 */
async function pass(ask: () => Promise<unknown> = () => stack.reconcile()) {
	const qboBefore = stack.qbo.log.length;
	const hlBefore = stack.highLevel.calls.length;
	const askedAt = new Date().toISOString();
	await ask();
	const summary = await passCommitted(stack, askedAt);
	return {
		summary,
		qboCalls: stack.qbo.log.slice(qboBefore).filter((c) => c.endpoint !== 'cdc'),
		highLevelCalls: stack.highLevel.calls
			.slice(hlBefore)
			.filter((c) => c.path.startsWith('/payments/')),
	};
}

/** Until every row of these payments is done (the pass's own drain, and the every-minute one). */
async function booked(bodies: Array<Record<string, any>>) {
	return await until('every row of the payments done', async () => {
		const rows = await rowsOf(bodies);
		const keys = new Set(rows.map((r) => r.key));
		return keys.size === bodies.length && rows.every((r) => r.status === 'done') ? rows : undefined;
	});
}

/** The template's executions started since `since`, finished, each with the names of the nodes it ran. */
async function executionsSince(since: string) {
	const filter = encodeURIComponent(
		JSON.stringify({ workflowId: TEMPLATE_IDS[DURABLE], startedAfter: since }),
	);
	const page = await stack.n8n.rest('GET', `/executions?filter=${filter}&limit=50`);
	const list = (page.results ?? page) as Array<{ id: string; status: string }>;
	const out: Array<{ id: string; status: string; ran: string[] }> = [];
	for (const e of list) {
		const full = await stack.n8n.rest('GET', `/executions/${e.id}`);
		const data = typeof full.data === 'string' ? unflatten(full.data) : full.data;
		out.push({ id: e.id, status: e.status, ran: Object.keys(data?.resultData?.runData ?? {}) });
	}
	return out;
}
/** Passes asked for since `since`, once each has finished: how many committed and how many were refused. */
async function passesSince(since: string, expected: number) {
	return await until(`${expected} reconcile passes to finish`, async () => {
		const passes = (await executionsSince(since)).filter((e) => e.ran.includes('Reconcile Pass'));
		if (
			passes.length < expected ||
			passes.some((e) => ['new', 'running', 'waiting'].includes(e.status))
		)
			return undefined;
		return {
			committed: passes.filter((e) => e.ran.includes('Commit Window')).length,
			skipped: passes.filter((e) => e.ran.includes('Pass Skipped')).length,
			failed: passes.filter((e) => e.status !== 'success').length,
		};
	});
}

/** Where the last committed pass ended (its lease over): as if it ran then. */
const setWindow = async (windowEnd: string) =>
	await updateDataTableRows(
		stack.n8n,
		RECONCILE_TABLE,
		{ name: 'transactions' },
		{ windowEnd, leaseUntil: new Date(Date.now() - 1000).toISOString() },
	);
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** What this sync's refund receipts add up to, per payment of these bodies (0: none). */
function refundedInQuickBooks(bodies: Array<Record<string, any>>) {
	const byTxn = new Map<string, number>();
	for (const r of stack.qbo.company(REALM_ID).all('RefundReceipt')) {
		if (r.status === 'Deleted') continue;
		const of = refundTargetOf(r.PrivateNote);
		if (of)
			byTxn.set(of.id, Math.round(((byTxn.get(of.id) ?? 0) + Number(r.TotalAmt)) * 100) / 100);
	}
	return bodies.map((body) => byTxn.get(String(body.payment.transaction_id)) ?? 0);
}

const perKey = (rows: OutboxRow[]) => {
	const counts = new Map<string, number>();
	for (const r of rows) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
	return [...counts.values()];
};

beforeAll(async () => {
	stack = await startStack({
		templates: (file) => file === 'sync-failure-alert.json' || file === 'crm-history-import.json',
		extraWorkflows: [
			{ workflow: templateWithout(DURABLE, ['Every 15 Minutes']) },
			{ workflow: templateWithout(INVOICES, ['Every 15 Minutes']) },
		],
		userFolder,
		keep: true,
		beforeN8n: ({ qbo }) => {
			qbo.seed(
				REALM_ID,
				'Customer',
				Array.from({ length: 10 }, (_, i) => ({
					DisplayName: `Existing ${i}`,
					PrimaryEmailAddr: { Address: `existing${i}@example.com` },
				})),
			);
		},
	});
	// QuickBooks' per-realm limits and a short latency, as in the queue-mode runs.
	stack.qbo.setOptions(LIMITS);
}, 300_000);

afterAll(async () => {
	console.log(`reconcile figures ${JSON.stringify(figures, null, 2)}`);
	await stack?.stop();
	rmSync(userFolder, { recursive: true, force: true });
});

describe('reconcile with HighLevel’s API (durable template, regular mode)', () => {
	const gapFree = payments('rcfree', 60);
	const missed = payments('rcdown', 300, 30);

	test('gap-free: every delivery arrived; the pass stores nothing: 0 QuickBooks calls with the rows in the outbox, 2 (60 payments / 50 per query) once they were purged', async () => {
		stack.recordPayments(gapFree);
		expect(new Set(await deliver(gapFree))).toEqual(new Set([200]));
		await stack.drain();
		await booked(gapFree);
		expect(tally(gapFree)).toMatchObject({ booked: 60, lost: 0, duplicated: 0, wrongTotal: 0 });

		// The first pass ever: the window starts reconcileFirstHours (24) back.
		const first = await pass();
		expect(first.summary).toMatchObject({
			reconcile: 'pass',
			listed: 60,
			alreadyStored: 60,
			alreadyBooked: 0,
			storedNow: 0,
			caughtUp: true,
		});
		expect(first.qboCalls).toEqual([]);
		const [window] = await stack.reconcileWindow();
		expect(Date.parse(first.summary.to)).toBeGreaterThan(Date.now() - 60_000);

		// Rows purged (keepSyncedDays), or booked by the direct template: QuickBooks answers.
		await stack.outbox.update({ status: 'done' }, { key: 'purged' });
		const purged = await pass();
		expect(purged.summary).toMatchObject({
			listed: 60,
			alreadyStored: 0,
			alreadyBooked: 60,
			storedNow: 0,
		});
		const receiptQueries = purged.qboCalls.filter((c) => c.queried === 'SalesReceipt');
		expect(receiptQueries).toHaveLength(2);
		expect(purged.qboCalls.length).toBeLessThanOrEqual(60 / 30);
		expect(tally(gapFree)).toMatchObject({ booked: 60, lost: 0, duplicated: 0 });
		figures.gapFree = {
			payments: 60,
			qboCallsWithRowsInOutbox: first.qboCalls.length,
			qboCallsRowsPurged: purged.qboCalls.length,
			qboCallsPer30Payments: (purged.qboCalls.length / 60) * 30,
			highLevelCallsPerPass: purged.highLevelCalls.length,
			window: { from: purged.summary.from, to: purged.summary.to, before: window.windowEnd },
		};
	});

	test('n8n stopped for 30 minutes while 300 payments are delivered (connection refused, not sent again): the next pass books every one', async () => {
		// The 30 minutes compressed: the last pass ended as n8n went down, 30 minutes ago, and HighLevel
		// recorded the 300 payments over those minutes; each delivery meets a stopped n8n.
		stack.recordPayments(missed);
		await setWindow(minutesAgo(30));
		await stack.n8n.stop();
		const statuses = await deliver(missed);
		expect(new Set(statuses)).toEqual(new Set([null]));
		await stack.n8n.start();
		const recoveredAt = Date.now();
		// n8n answers ready before it has registered its webhooks: the first request that is taken starts the pass.
		const { summary, highLevelCalls } = await pass(
			async () =>
				await until('n8n to take the reconcile request (webhook registered)', () =>
					stack.reconcile().then(
						() => true,
						() => sleep(250).then(() => false),
					),
				),
		);
		// The gap-free payments' rows were purged: QuickBooks answers for them.
		expect(summary).toMatchObject({
			listed: 360,
			alreadyStored: 0,
			alreadyBooked: 60,
			storedNow: 300,
			caughtUp: true,
		});
		// The summary names the first 100 it stored.
		const missedKeys = new Set(missed.map((b) => `payment:${b.payment.transaction_id}`));
		expect(summary.storedKeys).toHaveLength(100);
		expect(summary.storedKeys.every((k) => missedKeys.has(k))).toBe(true);
		const rows = await booked(missed);
		expect(perKey(rows)).toEqual(missed.map(() => 1));
		expect(
			rows.every((r) => (JSON.parse(r.event) as { delivery: string }).delivery === 'api'),
		).toBe(true);
		const result = tally(missed);
		expect(result).toMatchObject({ booked: 300, lost: 0, duplicated: 0, wrongTotal: 0 });
		expect(tally(gapFree)).toMatchObject({ booked: 60, lost: 0, duplicated: 0 });
		figures.n8nStopped = {
			payments: 300,
			minutesDown: 30,
			answered: 'connection refused (300)',
			secondsFromRecoveryToLastReceipt: (result.lastCreatedAt - recoveredAt) / 1000,
			highLevelCalls: highLevelCalls.length,
			summary: { ...summary, storedKeys: `${summary.storedKeys.length} keys` },
		};
	});

	test('a wrong webhook secret for an hour (every delivery 401): two passes asked at once store each payment once; a third right after stores nothing', async () => {
		// The hour compressed: the last pass ended as the secret went wrong, an hour ago, and HighLevel
		// recorded 120 payments over that hour, each refused with 401 (the scheduled passes of that hour
		// would have booked them sooner: this is the case of none running).
		const refused = payments('rcsecret', 120, 60);
		stack.recordPayments(refused);
		await setWindow(minutesAgo(60));
		const statuses = await deliver(refused, 'the-secret-before-it-was-rotated-7f3a');
		expect(new Set(statuses)).toEqual(new Set([401]));
		expect(await rowsOf(refused)).toEqual([]);

		// A pass holds the window (its lease): a pass asked for meanwhile lists and stores nothing.
		const heldSince = new Date().toISOString();
		const lease = new Date(Date.now() + 10 * 60_000).toISOString();
		await updateDataTableRows(
			stack.n8n,
			RECONCILE_TABLE,
			{ name: 'transactions' },
			{ leaseUntil: lease },
		);
		const hlBefore = stack.highLevel.calls.length;
		await stack.reconcile();
		expect(await passesSince(heldSince, 1)).toEqual({ committed: 0, skipped: 1, failed: 0 });
		expect(stack.highLevel.calls.length).toBe(hlBefore);
		expect(await rowsOf(refused)).toEqual([]);
		await updateDataTableRows(
			stack.n8n,
			RECONCILE_TABLE,
			{ name: 'transactions' },
			{ leaseUntil: new Date(Date.now() - 1000).toISOString() },
		);

		// Two passes asked at once: one claims the window, the other is refused (or, if n8n ran them
		// one after the other, the second finds everything stored).
		const fixedAt = Date.now();
		const askedAt = new Date().toISOString();
		const [a, b] = await Promise.all([stack.reconcile(), stack.reconcile()]);
		expect([a, b]).toEqual([undefined, undefined]);
		const together = await passesSince(askedAt, 2);
		expect(together.failed).toBe(0);
		expect(together.committed + together.skipped).toBe(2);
		const rows = await booked(refused);
		expect(perKey(rows)).toEqual(refused.map(() => 1));
		const result = tally(refused);
		expect(result).toMatchObject({ booked: 120, lost: 0, duplicated: 0, wrongTotal: 0 });
		const [window] = await stack.reconcileWindow();
		expect(JSON.parse(window.lastPass).at >= askedAt).toBe(true);

		const again = await pass();
		// Every payment of the window (its last hour): the 60 whose rows were purged are answered by
		// QuickBooks, the others by the outbox (the oldest of the hour may have left the window by now).
		const inWindow = [...gapFree, ...missed, ...refused].filter(
			(b) => b.payment.created_on >= again.summary.from,
		).length;
		expect(inWindow).toBeGreaterThan(470);
		expect(again.summary).toMatchObject({
			listed: inWindow,
			alreadyStored: inWindow - 60,
			alreadyBooked: 60,
			storedNow: 0,
		});
		expect(perKey(await rowsOf(refused))).toEqual(refused.map(() => 1));
		expect(tally(refused)).toMatchObject({ booked: 120, lost: 0, duplicated: 0 });
		figures.wrongSecret = {
			payments: 120,
			minutesRefused: 60,
			answered: '401 (120)',
			secondsFromFixToLastReceipt: (result.lastCreatedAt - fixedAt) / 1000,
			twoPassesAtOnce: together,
			passRightAfter: again.summary,
		};
	});
	test('refunds whose deliveries were lost are found by the pass, and a late delivery of one is not booked again: each payment refunded exactly what HighLevel shows', async () => {
		const paid = payments('rcrefund', 8);
		stack.recordPayments(paid);
		expect(new Set(await deliver(paid))).toEqual(new Set([200]));
		await stack.drain();
		await booked(paid);
		// HighLevel refunds six of them (three in full, three in half) and records it on the
		// transactions; three "Refund" deliveries arrive, three never do.
		const refunded = paid.slice(0, 6).map((body, i) => {
			const total = Number(body.payment.total_amount);
			return { body, amount: i % 2 ? Math.round(total * 50) / 100 : total };
		});
		stack.highLevel.seedPayments({
			transactions: refunded.map(({ body, amount }) => ({
				...apiTransactionFor(body, LOCATION_ID),
				amountRefunded: amount,
				updatedAt: new Date().toISOString(),
			})),
		});
		const refundOf = ({ body, amount }: (typeof refunded)[number], i: number) =>
			workflowRefund({
				refundId: `re_rcrefund_${i}`,
				transactionId: String(body.payment.transaction_id),
				amount,
				type: amount < Number(body.payment.total_amount) ? 'partial' : 'full',
			});
		const deliveries = refunded.map(refundOf);
		expect(new Set(await deliver(deliveries.slice(0, 3)))).toEqual(new Set([200]));
		await stack.drain();
		const refundsBooked = () => refundedInQuickBooks(refunded.map(({ body }) => body));
		await until('the three delivered refunds booked', async () =>
			refundsBooked().filter((t) => t > 0).length === 3 ? true : undefined,
		);

		const askedAt = Date.now();
		const found = await pass();
		expect(found.summary).toMatchObject({ refunds: 6, storedNow: 3 });
		await until('every refund booked', async () =>
			refundsBooked().every((t, i) => Math.abs(t - refunded[i].amount) < 0.005) ? true : undefined,
		);
		const secondsToBooked = (Date.now() - askedAt) / 1000;
		// A lost delivery arrives after all (HighLevel does not retry, but a user may replay it).
		expect(await deliver([deliveries[4]])).toEqual([200]);
		await stack.drain();
		await until('the late refund row done', async () => {
			const rows = (await stack.outbox.rows()).filter((r) => r.key === 'refund:re_rcrefund_4');
			return rows.length && rows.every((r) => r.status === 'done') ? rows : undefined;
		});
		expect(refundsBooked()).toEqual(refunded.map((r) => r.amount));
		const again = await pass();
		expect(again.summary).toMatchObject({ refunds: 6, storedNow: 0 });
		expect(tally(paid)).toMatchObject({ booked: 8, lost: 0, duplicated: 0, wrongTotal: 0 });
		figures.refunds = {
			refunded: 6,
			delivered: 3,
			storedByPass: found.summary.storedNow,
			secondsToBooked,
		};
	});

	test('refunds of payments older than the window, their deliveries lost: the regular pass cannot see them; the refund sweep (due daily, or asked with "refunds": true) books each once', async () => {
		const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
		const old = [0, 1, 2].map((i) =>
			workflowPayment({
				transactionId: `ch_rcold_${i}`,
				email: `old.${i}@example.com`,
				subTotal: 40 + i,
				createdOn: hoursAgo(5),
			}),
		);
		stack.recordPayments(old);
		expect(new Set(await deliver(old))).toEqual(new Set([200]));
		await stack.drain();
		await booked(old);
		const refundNow = (body: Record<string, any>, amount: number) =>
			stack.highLevel.seedPayments({
				transactions: [
					{
						...apiTransactionFor(body, LOCATION_ID),
						amountRefunded: amount,
						updatedAt: new Date().toISOString(),
					},
				],
			});
		const totals = old.map((b) => Number(b.payment.total_amount));
		const refundKeys = (i: number, amount: number) =>
			`refund:ch_rcold_${i}:refunded-total:${amount}`;
		// Refunded in HighLevel now, five hours after the payments; no Refund delivery arrives.
		refundNow(old[0], totals[0]);
		refundNow(old[1], Math.round(totals[1] * 50) / 100);

		// The suite's first pass swept (none since): this one reads the last hour only.
		const quiet = await pass();
		expect(quiet.summary).toMatchObject({ refundsFrom: '', storedNow: 0 });
		expect(refundedInQuickBooks(old)).toEqual([0, 0, 0]);

		// A day after the last sweep, the next pass sweeps: from 60 days back, but never before the
		// day before reconcile first ran (the window row's creation), payments it never booked.
		const [row] = await stack.reconcileWindow();
		await updateDataTableRows(
			stack.n8n,
			RECONCILE_TABLE,
			{ name: 'transactions' },
			{
				lastPass: JSON.stringify({ ...JSON.parse(row.lastPass), refundsSweptAt: hoursAgo(25) }),
				leaseUntil: new Date(Date.now() - 1000).toISOString(),
			},
		);
		const due = await pass();
		expect(due.summary.refundsFrom).not.toBe('');
		expect(Date.parse(due.summary.refundsFrom)).toBeLessThan(Date.parse(hoursAgo(5)));
		expect([...due.summary.storedKeys].sort()).toEqual([
			refundKeys(0, totals[0]),
			refundKeys(1, Math.round(totals[1] * 50) / 100),
		]);
		await until('the swept refunds booked', async () =>
			refundedInQuickBooks(old)[1] > 0 && refundedInQuickBooks(old)[0] > 0 ? true : undefined,
		);

		// Asked for: a third refund, an hour later than the sweep would come by itself.
		refundNow(old[2], totals[2]);
		const asked = await pass(() => stack.reconcile({ refunds: true }));
		expect(asked.summary.storedKeys).toEqual([refundKeys(2, totals[2])]);
		const after = await pass();
		expect(after.summary).toMatchObject({ refundsFrom: '', storedNow: 0 });
		await until('every swept refund booked', async () =>
			refundedInQuickBooks(old)[2] > 0 ? true : undefined,
		);
		const again = await pass(() => stack.reconcile({ refunds: true }));
		expect(again.summary.storedNow).toBe(0);
		expect(refundedInQuickBooks(old)).toEqual([
			totals[0],
			Math.round(totals[1] * 50) / 100,
			totals[2],
		]);
		expect(tally(old)).toMatchObject({ booked: 3, lost: 0, duplicated: 0, wrongTotal: 0 });
		figures.refundSweep = {
			refundsFrom: due.summary.refundsFrom,
			highLevelCallsDue: due.highLevelCalls.length,
			qboCallsDue: due.qboCalls.length,
		};
	});

	test('a long gap: 30 hours are taken 24 h per pass (the second pass catches up); a gap past reconcileMaxDays (7) is cut and the summary names what it left', async () => {
		const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
		const recorded = (tag: string, h: number) =>
			workflowPayment({
				transactionId: `ch_rcgap_${tag}`,
				email: `gap.${tag}@example.com`,
				subTotal: 33,
				createdOn: hoursAgo(h),
			});
		// Recorded by HighLevel, never delivered.
		const early = recorded('29h', 29);
		const late = recorded('3h', 3);
		stack.recordPayments([early, late]);
		await setWindow(hoursAgo(30));
		const first = await pass();
		expect(first.summary).toMatchObject({ caughtUp: false, storedKeys: ['payment:ch_rcgap_29h'] });
		// The page ends 24 h after where the last pass ended: 6 h ago.
		expect(Math.round((Date.now() - Date.parse(first.summary.to)) / 3_600_000)).toBe(6);
		const second = await pass();
		expect(second.summary).toMatchObject({ caughtUp: true, storedKeys: ['payment:ch_rcgap_3h'] });

		const tooOld = recorded('8d', 8 * 24);
		const inReach = recorded('6d12h', 6 * 24 + 12);
		stack.recordPayments([tooOld, inReach]);
		await setWindow(hoursAgo(9 * 24));
		const capped = await pass();
		expect(capped.summary).toMatchObject({
			caughtUp: false,
			storedKeys: ['payment:ch_rcgap_6d12h'],
		});
		expect(capped.summary.note).toMatch(/longer than reconcileMaxDays.*were not reconciled/);
		// What stays outside is said, not booked; what was stored is booked once.
		const rows = await booked([early, late, inReach]);
		expect(perKey(rows)).toEqual([1, 1, 1]);
		expect(tally([early, late, inReach])).toMatchObject({ booked: 3, lost: 0, duplicated: 0 });
		expect(tally([tooOld]).booked).toBe(0);
		await setWindow(new Date().toISOString());
		figures.longGap = {
			thirtyHours: [first.summary, second.summary].map((x) => ({
				from: x.from,
				to: x.to,
				storedNow: x.storedNow,
				caughtUp: x.caughtUp,
			})),
			nineDays: { from: capped.summary.from, to: capped.summary.to, note: capped.summary.note },
		};
	});
});

const progressPage = async (id = '') =>
	await (
		await fetch(stack.webhookUrl(`quickbooks-sync-import-progress${id && `?id=${id}`}`))
	).text();

describe('history import (crm-history-import.json feeding the durable template’s outbox)', () => {
	const daysAgo = (d: number, i: number) =>
		new Date(Date.now() - d * 86_400_000 + i * 60_000).toISOString();
	// 40 payments HighLevel recorded 20 to 24 days ago, before this n8n existed (beyond reconcile's 7 days).
	const history = Array.from({ length: 40 }, (_, i) =>
		workflowPayment({
			transactionId: `ch_hist_${String(i).padStart(3, '0')}`,
			email: i % 2 ? `existing${i % 10}@example.com` : `history.${i}@example.com`,
			lastName: `History ${i}`,
			subTotal: 50 + i,
			tax: i % 4 === 0 ? 2.5 : 0,
			createdOn: daysAgo(20 + (i % 5), i),
		}),
	);
	const day = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);

	test('imports what is neither in the outbox nor in QuickBooks, shows its progress, and a second run stores nothing; live deliveries beside it are booked once', async () => {
		stack.recordPayments(history);
		// 10 were delivered and booked back then (their rows purged since), 10 delivered and still in the outbox.
		expect(new Set(await deliver(history.slice(0, 20)))).toEqual(new Set([200]));
		await booked(history.slice(0, 20));
		for (const b of history.slice(0, 10))
			await stack.outbox.update({ key: `payment:${b.payment.transaction_id}` }, { key: 'purged' });
		expect(await rowsOf(history.slice(0, 10))).toEqual([]);

		// Two invoices HighLevel issued in the range (one paid since), never delivered; one before it.
		const histInvoice = (
			n: number,
			event: Parameters<typeof apiInvoice>[0],
			issuedDaysAgo: number,
		) =>
			apiInvoice(event, {
				id: `inv_hist_${n}`,
				invoiceNumber: `HIST-${n}`,
				altId: LOCATION_ID,
				issueDate: day(issuedDaysAgo),
				email: `history.invoice${n}@example.com`,
				items: [{ name: 'Consulting', qty: 2, amount: 150 + n }],
			});
		stack.highLevel.seedPayments({
			invoices: [
				histInvoice(1, 'InvoiceSent', 21),
				histInvoice(2, 'InvoicePaid', 22),
				histInvoice(3, 'InvoiceSent', 30),
			],
		});

		const live = payments('histlive', 12);
		stack.recordPayments(live);
		const started = Date.now();
		const [answer, liveStatuses] = await Promise.all([
			importForm(stack, day(25), day(19)),
			deliver(live),
		]);
		expect(new Set(liveStatuses)).toEqual(new Set([200]));
		const importId = /Import (import-\d+) \(/.exec(answer)?.[1];
		expect(answer).toContain(
			'HighLevel listed 40 payments; 10 were already in the outbox, 10 already in QuickBooks; 20 stored to be booked',
		);
		expect(importId).toBeDefined();
		expect(answer).toContain('Invoices: HighLevel listed 2, 2 synced now');
		const histInvoices = stack.qbo
			.company(REALM_ID)
			.all('Invoice')
			.filter((r) => /CRM invoice inv_hist_/.test(String(r.PrivateNote)));
		expect(
			histInvoices.map((r) => [r.DocNumber, Number(r.TotalAmt), Number(r.Balance)]).sort(),
		).toEqual([
			['HIST-1', 302, 302],
			['HIST-2', 304, 0],
		]);

		await stack.drain();
		const rows = await booked(history.slice(10));
		expect(perKey(rows)).toEqual(history.slice(10).map(() => 1));
		const result = tally(history);
		expect(result).toMatchObject({ booked: 40, lost: 0, duplicated: 0, wrongTotal: 0 });
		await booked(live);
		expect(tally(live)).toMatchObject({ booked: 12, lost: 0, duplicated: 0 });

		const page = await progressPage(importId);
		expect(page).toContain(`CRM history import ${importId}`);
		expect(page).toContain('Finished: every payment it stored is booked.');
		expect(page).toMatch(/<th>Booked<\/th><td>20<\/td>/);
		expect(page).not.toMatch(/<script/i);
		expect(await progressPage()).toContain(`CRM history import ${importId}`);

		const again = await importForm(stack, day(25), day(19));
		expect(again).toContain(
			'HighLevel listed 40 payments; 30 were already in the outbox, 10 already in QuickBooks; 0 stored',
		);
		expect(again).toContain('Invoices: HighLevel listed 2, 0 synced now');
		expect(perKey(await rowsOf(history))).toEqual(history.slice(10).map(() => 1));
		expect(tally(history)).toMatchObject({ booked: 40, lost: 0, duplicated: 0 });

		const refused = await importForm(stack, day(19), day(25));
		expect(refused).toMatch(/Nothing imported: From \(.*\) must be a day on or before To/);
		figures.historyImport = {
			payments: 40,
			alreadyStored: 10,
			alreadyBooked: 10,
			stored: 20,
			secondsToLastReceipt: (result.lastCreatedAt - started) / 1000,
			liveBesideIt: tally(live),
		};
	});
});

describe('invoices: reconcile with HighLevel’s API (crm-invoice-to-qbo-invoice.json)', () => {
	const issued = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
	const invoice = (n: number, event: Parameters<typeof apiInvoice>[0], amountPaid?: number) =>
		apiInvoice(event, {
			id: `inv_rc_${n}`,
			invoiceNumber: `RC-${n}`,
			altId: LOCATION_ID,
			issueDate: issued,
			email: `invoice.buyer${n}@example.com`,
			items: [{ name: 'Retainer', qty: 1, amount: 500 + n * 10 }],
			...(amountPaid === undefined ? {} : { amountPaid }),
		});
	const ours = () =>
		new Map(
			stack.qbo
				.company(REALM_ID)
				.all('Invoice')
				.filter((r) => r.status !== 'Deleted' && /CRM invoice inv_rc_/.test(String(r.PrivateNote)))
				.map((r) => [String(r.DocNumber), r]),
		);
	const askPass = async () => {
		const res = await fetch(`${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice)}/drain`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ reconcile: true }),
		});
		expect(res.status).toBe(200);
	};
	const passesFinished = async (since: string, expected: number) =>
		await until(`${expected} invoice passes to finish`, async () => {
			const filter = encodeURIComponent(
				JSON.stringify({ workflowId: TEMPLATE_IDS[INVOICES], startedAfter: since }),
			);
			const page = await stack.n8n.rest('GET', `/executions?filter=${filter}&limit=50`);
			const list = (page.results ?? page) as Array<{ status: string }>;
			return list.length >= expected &&
				list.every((e) => !['new', 'running', 'waiting'].includes(e.status))
				? list
				: undefined;
		});

	test('invoices sent, paid and voided while their deliveries were lost are synced by one pass; the next pass writes nothing', async () => {
		const sender = createMarketplaceSender({ privateKeyPem: stack.sender.privateKeyPem });
		// Delivered: RC-1, RC-2 and RC-3 sent. Never delivered: RC-2 paid, RC-3 voided, RC-4 sent,
		// RC-5 sent and paid in part.
		for (const n of [1, 2, 3]) {
			const d = await sender.send(
				stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice),
				invoice(n, 'InvoiceSent'),
			);
			expect(d.attempts[d.attempts.length - 1].status).toBe(200);
		}
		await until('the three delivered invoices', async () => (ours().size === 3 ? true : undefined));
		stack.highLevel.seedPayments({
			invoices: [
				invoice(1, 'InvoiceSent'),
				invoice(2, 'InvoicePaid'),
				invoice(3, 'InvoiceVoid'),
				invoice(4, 'InvoiceSent'),
				invoice(5, 'InvoicePartiallyPaid', 200),
			],
		});
		const askedAt = new Date().toISOString();
		await askPass();
		const synced = await until('every invoice level with HighLevel', async () => {
			const now = ours();
			const level =
				now.size === 5 &&
				Number(now.get('RC-2')!.Balance) === 0 &&
				/^Voided/.test(String(now.get('RC-3')!.PrivateNote)) &&
				Number(now.get('RC-4')!.TotalAmt) === 540 &&
				Number(now.get('RC-5')!.TotalAmt) - Number(now.get('RC-5')!.Balance) === 200;
			return level ? now : undefined;
		});
		expect(Number(synced.get('RC-1')!.TotalAmt)).toBe(510);
		await passesFinished(askedAt, 1);
		const secondsToLevel = (Date.now() - Date.parse(askedAt)) / 1000;

		const qboBefore = stack.qbo.log.length;
		const againAt = new Date().toISOString();
		await askPass();
		await passesFinished(againAt, 1);
		const writes = stack.qbo.log
			.slice(qboBefore)
			.filter((c) => c.realmId === REALM_ID && c.operation !== 'query' && c.endpoint !== 'cdc');
		expect(writes).toEqual([]);
		expect(ours().size).toBe(5);
		figures.invoices = { invoices: 5, lostDeliveries: 4, secondsToLevel };
	});
});
