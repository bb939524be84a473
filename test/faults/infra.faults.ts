/**
 * Fault matrix, infrastructure rows (issue 13): n8n in queue mode (PostgreSQL, Redis, main,
 * webhook process, two workers) takes a burst of payments (FAULT_PAYMENTS deliveries, default 300,
 * 20 % repeats sent at the same moment) on the direct template and the durable one, and one fault
 * strikes a third of the way in:
 *
 *   a worker killed with SIGKILL · PostgreSQL restarted · Redis restarted · QuickBooks answering
 *   429 to everything for 2 minutes · QuickBooks answering 503 for FAULT_OUTAGE_MINUTES (10)
 *
 * A supervisor restarts any n8n process that exits or stays "not ready" (what systemd's
 * Restart=always or a Kubernetes liveness probe on /healthz/readiness does in a real install). HighLevel redelivers a delivery answered 429, 10 minutes apart in
 * production (marketplace webhooks; UNCERTAIN for workflow actions): here 10 s apart, 6 times.
 * The durable template's claim lease (Config leaseMinutes, 15 in the template) is 2 minutes here,
 * so rows claimed by a killed drain come back within the test; the figure scales with it.
 *
 * Each row: deliveries, payments lost (no receipt and no outbox row holding them), payments booked
 * twice, and the time from the end of the fault to the last receipt booked.
 *
 * Reconcile rows (issue 23.7), durable template only (the direct one has no reconcile): HighLevel
 * records each payment before it delivers it, and its workflow Custom Webhook action sends once
 * (help article 155000007071, GoHighLevel/highlevel-api-docs#323), so a delivery answered 5xx, or not
 * at all, during a worker SIGKILL or a PostgreSQL restart is lost to the intake. Once the outbox has
 * settled, a reconcile pass is asked for (POST {"reconcile": true} to /drain): after it, every
 * payment must have exactly one receipt. The template's every-15-minutes pass is off in this stack,
 * so that no scheduled pass books, mid-row, what the row counts as lost before its pass.
 */
import { recordFault } from './record';
import {
	DIRECT_HOOK,
	DIRECT_REALM,
	countBy,
	deliver,
	duplicateCustomers,
	heldByOutbox,
	lastBookedAt,
	settle,
	sleep,
	startPaymentQueue,
	stuckExecutions,
	tally,
	type QueueRun,
} from '../helpers/queueRun';
import { passCommitted, planPayments, templateWithout, type Plan } from '../helpers/paymentRun';
import type { N8n } from '../../scripts/dev/n8n';
import { REALM_ID, TRIGGER_WEBHOOK_IDS, type ReconcileSummary } from '../../scripts/dev/stack';

const PAYMENTS = Number(process.env.FAULT_PAYMENTS ?? 300);
const OUTAGE_MINUTES = Number(process.env.FAULT_OUTAGE_MINUTES ?? 10);
const RETRY = {
	maxRetries: 6,
	intervalMs: 10_000,
	jitterMs: 0,
	retryOn: (s: number | null) => s === 429,
};
const SHARE = { existing: 0.5, new: 0.3, repeat: 0.2 };
const DURABLE = 'crm-payment-to-sales-receipt-durable.json';

let run: QueueRun;
let restarts = 0;
let supervising = true;
let supervisor: Promise<void>;

beforeAll(async () => {
	run = await startPaymentQueue('f0', 10, {
		config: { leaseMinutes: 2 },
		// Reconcile passes when a row asks for one only (see the top of this file).
		templates: (file) => !file.startsWith('crm-payment-to-sales-receipt'),
		extraWorkflows: [{ workflow: templateWithout(DURABLE, ['Every 15 Minutes']) }],
	});
	// What an orchestrator does (systemd Restart=always, Kubernetes' liveness probe on
	// /healthz/readiness): restarts an n8n process that exited, or whose readiness has failed three
	// checks in a row (n8n 2.30 workers stay "not ready" after losing PostgreSQL under load).
	supervisor = (async () => {
		const failures = new Map<N8n, number>();
		while (supervising) {
			const processes = [run.stack.n8n, ...run.stack.queue!.workers, run.stack.queue!.webhook!];
			for (const p of processes) {
				if (!supervising) break;
				let ready = p.alive();
				if (ready) {
					const path = p.role === 'webhook' ? '/healthz' : '/healthz/readiness';
					const res = await fetch(`${p.url}${path}`, { signal: AbortSignal.timeout(5_000) }).catch(
						() => undefined,
					);
					ready = res?.ok ?? false;
				}
				const failed = ready ? 0 : (failures.get(p) ?? 0) + 1;
				failures.set(p, failed);
				if (failed < 3) continue;
				failures.set(p, 0);
				restarts++;
				if (p.alive()) await p.kill(); // stop() would remove the main instance's user folder
				await sleep(2_000);
				await p.start().catch((e) => console.error(`[supervisor] ${p.role} did not restart: ${e}`));
			}
			await sleep(2_000);
		}
	})();
}, 900_000);

afterAll(async () => {
	supervising = false;
	await supervisor;
	await run?.stack.stop();
});

/**
 * One row: a fresh plan (its own transaction ids), deliveries to both templates, `strike` called
 * once a third of them are sent (it resolves when the fault is over), then settle and count.
 */
async function faultRow(
	fault: string,
	tag: string,
	strike: () => Promise<string>,
	settleMinutes = 20,
): Promise<void> {
	const plan = planPayments(tag, PAYMENTS, run.plan.existing.length, SHARE);
	const current: QueueRun = { ...run, plan };
	const restartsBefore = restarts;
	const stuckBefore = await stuckExecutions(current);
	const { struck, onSent } = strikeAtOneThird(plan, strike);
	const t0 = Date.now();
	const [direct, durable] = await Promise.all([
		deliver(run.stack.triggerUrl(DIRECT_HOOK), plan.deliveries, { retry: RETRY, onSent }),
		deliver(run.stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable), plan.deliveries, {
			retry: RETRY,
		}),
	]);
	const { endedAt, what } = await struck();
	const { timedOut } = await settle(current, settleMinutes * 60_000);
	const held = await heldByOutbox(run.stack);
	const stuck = (await stuckExecutions(current)) - stuckBefore;
	const rows = (await run.stack.outbox.rows()).filter((r) => r.key.includes(`_${tag}_`));
	for (const [template, realm, answers, heldHere] of [
		['durable', REALM_ID, durable, held],
		['direct', DIRECT_REALM, direct, new Set<string>()],
	] as const) {
		const t = tally(run.stack, realm, plan, heldHere);
		const last = lastBookedAt(current, realm);
		recordFault({
			fault: `${fault} — ${template} template`,
			load: `${plan.deliveries.length} deliveries (${plan.totals.size} payments, 20 % repeats) to the ${template} template, n8n queue mode with 2 workers`,
			events: plan.totals.size,
			lost: t.lost,
			duplicated: t.duplicates,
			// Nothing booked after the fault is no recovery at all, not a recovery in 0 s.
			recoverySeconds: last > endedAt ? Math.round((last - endedAt) / 1000) : t.booked ? 0 : null,
			notes: `${what}; answers ${JSON.stringify(countBy(answers as Array<number | null>))}${template === 'durable' ? `; outbox rows ${JSON.stringify(countBy(rows.map((r) => r.status)))}` : ''}; n8n processes restarted ${restarts - restartsBefore}${template === 'direct' && stuck ? `; ${stuck} direct executions left "running"/"new" for ever` : ''}${timedOut ? '; TIMED OUT settling' : ''}`,
			detail: {
				...t,
				duplicateCustomers: duplicateCustomers(run.stack, realm).length,
				deliveredSeconds: Math.round((Date.now() - t0) / 1000),
			},
		});
	}
	const durableTally = tally(run.stack, REALM_ID, plan, held);
	expect(durableTally.duplicates).toBe(0);
	expect(tally(run.stack, DIRECT_REALM, plan).duplicates).toBe(0);
	expect(durableTally.lost).toBe(0);
}

/** `onSent` strikes once a third of the plan's deliveries are sent; `struck` waits for the fault's end. */
function strikeAtOneThird(plan: Plan, strike: () => Promise<string>) {
	let struck: Promise<{ endedAt: number; what: string }> | undefined;
	return {
		onSent: (sent: number) => {
			if (!struck && sent >= plan.deliveries.length / 3)
				struck = strike().then((what) => ({ endedAt: Date.now(), what }));
		},
		struck: () => struck!,
	};
}

/**
 * A reconcile row: every payment recorded by HighLevel, then each delivery sent once to the durable
 * template, `strike` a third of the way in; what the deliveries alone lost once the outbox settled;
 * then passes until one has caught up, and the outbox settled again. Afterwards every payment has
 * exactly one receipt, of its total.
 */
async function reconcileRow(
	fault: string,
	tag: string,
	strike: () => Promise<string>,
): Promise<void> {
	const plan = planPayments(tag, PAYMENTS, run.plan.existing.length, SHARE);
	const current: QueueRun = { ...run, plan };
	recordNow(plan);
	const restartsBefore = restarts;
	const { struck, onSent } = strikeAtOneThird(plan, strike);
	const t0 = Date.now();
	const answers = await deliver(
		run.stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable),
		plan.deliveries,
		{ onSent },
	);
	const { endedAt, what } = await struck();
	const delivered = await settle(current, 20 * 60_000);
	// Lost by the deliveries alone: neither a receipt nor an outbox row (dead rows are held).
	const before = tally(run.stack, REALM_ID, plan, await heldByOutbox(run.stack));

	const askedAt = Date.now();
	const passes: ReconcileSummary[] = [];
	do {
		const at = new Date().toISOString();
		await run.stack.reconcile();
		passes.push(await passCommitted(run.stack, at, 10 * 60_000));
	} while (!passes[passes.length - 1].caughtUp && passes.length < 10);
	const reconciled = await settle(current, 20 * 60_000);

	const after = tally(run.stack, REALM_ID, plan);
	const stored = passes.reduce((n, p) => n + p.storedNow, 0);
	const last = lastBookedAt(current, REALM_ID);
	// Nothing booked after a moment is no recovery from it, not a recovery in 0 s.
	const since = (t: number) => (last > t ? Math.round((last - t) / 1000) : null);
	const rows = (await run.stack.outbox.rows()).filter((r) => r.key.includes(`_${tag}_`));
	recordFault({
		fault: `${fault} — durable template`,
		load: `${plan.deliveries.length} deliveries (${plan.totals.size} payments, 20 % repeats) to the durable template, each sent once (HighLevel's workflow Custom Webhook action), every payment recorded in HighLevel first; n8n queue mode with 2 workers`,
		events: plan.totals.size,
		lost: after.lost,
		duplicated: after.duplicates,
		recoverySeconds: since(endedAt),
		notes: `${what}; answers ${JSON.stringify(countBy(answers))}; lost by the deliveries alone ${before.lost}; reconcile: ${passes.length} pass(es) stored ${stored}, last receipt ${since(askedAt) ?? '—'} s after the request; outbox rows ${JSON.stringify(countBy(rows.map((r) => r.status)))}; n8n processes restarted ${restarts - restartsBefore}${delivered.timedOut || reconciled.timedOut ? '; TIMED OUT settling' : ''}`,
		detail: {
			answers: countBy(answers),
			lostBeforeReconcile: before.lost,
			bookedBeforeReconcile: before.booked,
			storedByReconcile: stored,
			passes: passes.map(({ storedKeys, ...p }) => ({ ...p, storedKeys: storedKeys.length })),
			secondsFromFaultEndToLastReceipt: since(endedAt),
			secondsFromReconcileToLastReceipt: since(askedAt),
			...after,
			duplicateCustomers: duplicateCustomers(run.stack, REALM_ID).length,
			deliveredSeconds: Math.round((askedAt - t0) / 1000),
		},
	});
	expect(after).toMatchObject({ lost: 0, duplicates: 0, wrongTotal: 0 });
	expect(after.booked).toBe(plan.totals.size);
	// The pass stored exactly what the deliveries had lost.
	expect(stored).toBe(before.lost);
}

/** HighLevel records a payment when it is paid, before it delivers it: each one, dated now, in the emulator. */
function recordNow(plan: Plan): void {
	const now = new Date().toISOString();
	const bodies = plan.deliveries.filter((d) => d.kind !== 'repeat').map((d) => d.body);
	// The plan's dates are fixed (November 2026), outside the pass's window; a repeat shares its body.
	for (const body of bodies) body.payment.created_on = now;
	run.stack.recordPayments(bodies);
}

async function killWorker(): Promise<string> {
	const worker = run.stack.queue!.workers[0];
	await worker.kill();
	// The supervisor brings it back; the fault is over once it serves again.
	while (!worker.alive()) await sleep(500);
	return 'worker 1 SIGKILLed, restarted by the supervisor after 2 s';
}

async function restartPostgres(): Promise<string> {
	const started = Date.now();
	await run.stack.queue!.postgres.restart();
	return `PostgreSQL down ${((Date.now() - started) / 1000).toFixed(1)} s (fast shutdown, start)`;
}

test('a worker killed with SIGKILL mid-burst', async () => {
	await faultRow('Worker killed (SIGKILL) mid-burst', 'fk', killWorker);
});

test('PostgreSQL restarted mid-burst', async () => {
	await faultRow('PostgreSQL restarted mid-burst', 'fp', restartPostgres);
});

test('Redis restarted mid-burst', async () => {
	await faultRow('Redis restarted mid-burst', 'fr', async () => {
		const started = Date.now();
		await run.stack.queue!.redis.restart();
		return `Redis down ${((Date.now() - started) / 1000).toFixed(1)} s (append-only file kept)`;
	});
});

test('QuickBooks answers 429 to every request for 2 minutes', async () => {
	await faultRow('QuickBooks 429 storm (every request, 2 min)', 'ft', async () => {
		const fromMs = run.stack.qbo.now();
		run.stack.qbo.injectFault({ action: 429, fromMs, untilMs: fromMs + 120_000 });
		await sleep(120_000);
		return '429 on every QuickBooks API request for 120 s (test fault)';
	});
});

test(`QuickBooks answers 503 for ${OUTAGE_MINUTES} minutes`, async () => {
	await faultRow(
		`QuickBooks outage (503, ${OUTAGE_MINUTES} min)`,
		'fo',
		async () => {
			const fromMs = run.stack.qbo.now();
			run.stack.qbo.injectFault({ action: 503, fromMs, untilMs: fromMs + OUTAGE_MINUTES * 60_000 });
			await sleep(OUTAGE_MINUTES * 60_000);
			return `503 on every QuickBooks API request for ${OUTAGE_MINUTES} min (test fault)`;
		},
		30,
	);
});

test('a worker killed with SIGKILL mid-burst, workflow deliveries (no retry), then reconcile', async () => {
	await reconcileRow(
		'Worker killed (SIGKILL) mid-burst, workflow deliveries (no retry), then reconcile',
		'rk',
		killWorker,
	);
});

test('PostgreSQL restarted mid-burst, workflow deliveries (no retry), then reconcile', async () => {
	await reconcileRow(
		'PostgreSQL restarted mid-burst, workflow deliveries (no retry), then reconcile',
		'rp',
		restartPostgres,
	);
});
