/**
 * Benchmark on the real path (issue 12, part 4): CRM payments delivered as HighLevel webhooks to a
 * REAL n8n (the pinned release, this package installed from `npm pack`), against the QuickBooks
 * emulator with QuickBooks' per-realm limits on (500 requests/min, 10 concurrent, 40 batch
 * requests/min) and 100–250 ms latency. Three systems run side by side in one n8n, each on a
 * QuickBooks company (realm) of its own, because QuickBooks' limits are per realm:
 *
 *   direct   workflows/crm-payment-to-sales-receipt.json (HighLevel Trigger → e-mail matching →
 *            Create Sales Receipt)
 *   durable  workflows/crm-payment-to-sales-receipt-durable.json (HighLevel Trigger → n8n Data
 *            Table outbox → drain in batches of 30), with its error workflow; skipped with a
 *            printed line when those files are not in workflows/
 *   peer     the same flow with n8n's built-in nodes only (test/bench/peer-payment-workflow.json):
 *            Webhook → built-in QuickBooks customer Get Many (e-mail query) → IF → built-in
 *            QuickBooks customer Create → Merge → HTTP Request (credential quickBooksOAuth2Api)
 *            POST /salesreceipt. The built-in credential hard-codes Intuit's hosts: n8n is started
 *            with a preload that sends them to the emulator (intuitHostPreload.ts), for this
 *            benchmark only.
 *
 * Scenarios: `burst` (BENCH_PAYMENTS deliveries, default 1,000, at concurrency 10: 60 % payments by
 * customers that exist in QuickBooks before n8n starts, 30 % by new customers, 10 % repeated
 * deliveries of an earlier payment) and `outage` (the same, with every QuickBooks API request
 * answered 503 for BENCH_OUTAGE_MINUTES, default 10, from the moment half of the deliveries have
 * been sent: a TEST fault of the emulator, not a documented QuickBooks behaviour). Each scenario
 * gets a fresh stack. Also measured: the QuickBooks Sync Trigger's back-fill peak memory
 * (backfillMemory.ts).
 *
 *   npm run bench -- real        (only this benchmark; `npm run build` first is done by bench.sh)
 *
 * Environment: BENCH_PAYMENTS, BENCH_OUTAGE_MINUTES, BENCH_CONCURRENCY (10), BENCH_SYSTEMS
 * (direct,durable,peer), BENCH_SCENARIOS (burst,outage), BENCH_LATENCY_MS (100,250),
 * BENCH_TIMEOUT_MINUTES (per scenario; default 30 + outage), BENCH_CALIBRATION (30 payments sent
 * before the first measured run to count the calls a payment needs unthrottled; 0 = none) after
 * BENCH_CALIBRATION_WARMUP (10),
 * BENCH_BACKFILL_SIZES (1000,10000; empty = skip), BENCH_RESULTS (bench/results/latest.json).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import { dirname, join } from 'path';

import { createWorkflowSender } from '../../scripts/dev/emulator/highlevel/delivery';
import { DEFAULT_CLIENT, type QboEmulator } from '../../scripts/dev/emulator/qbo/server';
import { REPO, freePort } from '../../scripts/dev/n8n';
import {
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	loadTemplates,
	oauthTokenData,
	packageCredential,
	startStack,
	type Stack,
} from '../../scripts/dev/stack';
import {
	failedExecutions,
	failureReasons,
	planPayments,
	receiptsByTransaction,
	rewired,
	round2,
	runningExecutions,
	SHARE,
	type Plan,
} from '../helpers/paymentRun';
import { measureBackfill, type BackfillMemory } from './backfillMemory';
import { intuitHostPreload } from './intuitHostPreload';
import peerWorkflow from './peer-payment-workflow.json';

// ---- configuration ------------------------------------------------------------------------------

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const PAYMENTS = Number(env('BENCH_PAYMENTS', '1000'));
const OUTAGE_MINUTES = Number(env('BENCH_OUTAGE_MINUTES', '10'));
const CONCURRENCY = Number(env('BENCH_CONCURRENCY', '10'));
const CALIBRATION = Number(env('BENCH_CALIBRATION', '30'));
const WARMUP = Number(env('BENCH_CALIBRATION_WARMUP', '10'));
const SYSTEMS = env('BENCH_SYSTEMS', 'direct,durable,peer').split(',').filter(Boolean);
const SCENARIOS = env('BENCH_SCENARIOS', 'burst,outage').split(',').filter(Boolean);
const LATENCY = env('BENCH_LATENCY_MS', '100,250').split(',').map(Number) as [number, number];
const TIMEOUT_MS = Number(env('BENCH_TIMEOUT_MINUTES', String(30 + OUTAGE_MINUTES))) * 60_000;
const BACKFILL_SIZES = env('BENCH_BACKFILL_SIZES', '1000,10000')
	.split(',')
	.filter(Boolean)
	.map(Number);
const RESULTS = env('BENCH_RESULTS', join(REPO, 'bench', 'results', 'latest.json'));

/** QuickBooks' documented per-realm limits (DESIGN.md "Limits per realm"). */
const LIMITS = { perMinute: 500, concurrent: 10, batchPerMinute: 40 };

type SystemName = 'direct' | 'durable' | 'peer';
type Scenario = 'burst' | 'outage';

// ---- the payments -------------------------------------------------------------------------------

const TAGS = { burst: 'bb', outage: 'bo', calibration: 'bc', warmup: 'bw' } as const;
// ---- systems ------------------------------------------------------------------------------------

/**
 * One system under test, as a small descriptor: how it is installed in n8n, where HighLevel
 * delivers to, and how the harness tells that it has finished (no work in flight any more: no
 * running execution, and for the durable system no outbox row waiting) and which payments it
 * still holds for a retry (retrievable, so not lost).
 */
interface SystemDescriptor {
	name: SystemName;
	/** Its QuickBooks company: QuickBooks' limits are per realm. */
	realm: string;
	/** Why it cannot run in this worktree; it is then skipped with this line, never faked. */
	pending(): string | undefined;
	/** Files of workflows/ the stack imports and publishes for it. */
	templateFiles(): string[];
	/** Credentials imported with n8n's CLI before n8n starts. */
	credentials(qbo: QboEmulator): Array<Record<string, unknown>>;
	/** Workflows imported and published with n8n's CLI before n8n starts. */
	workflows(qbo: QboEmulator): Array<Record<string, any>>;
	/** The n8n workflows whose executions are its work. */
	workflowIds(stack: Stack): string[];
	webhookUrl(stack: Stack): string;
	/**
	 * Work of its own still waiting besides running executions (durable: outbox rows); undefined
	 * when it cannot tell (the harness then waits for every payment to be booked or held).
	 */
	waiting(stack: Stack): Promise<number | undefined>;
	/** CRM transaction ids it gave up on but still holds for a retry (durable: dead letters). */
	retrievable(stack: Stack): Promise<Set<string>>;
}

const PAYMENT_TEMPLATE = 'crm-payment-to-sales-receipt.json';
const DIRECT_REALM = '9130350000000101';
const PEER_REALM = '9130350000000102';

const direct: SystemDescriptor = {
	name: 'direct',
	realm: DIRECT_REALM,
	pending: () => undefined,
	templateFiles: () => [],
	credentials: (qbo) => [
		packageCredential(
			qbo,
			'qbsyncBenchQboDirect',
			`QuickBooks Sync (${DIRECT_REALM})`,
			DIRECT_REALM,
		),
	],
	workflows: () => {
		const template = loadTemplates().find((t) => t.file === PAYMENT_TEMPLATE)!.workflow;
		return [
			rewired(template, 'qbsyncBenchDirect', 'qbsync-bench-direct', {
				quickBooksSyncOAuth2Api: {
					id: 'qbsyncBenchQboDirect',
					name: `QuickBooks Sync (${DIRECT_REALM})`,
				},
			}),
		];
	},
	workflowIds: () => ['qbsyncBenchDirect'],
	webhookUrl: (stack) => stack.triggerUrl('qbsync-bench-direct'),
	waiting: async () => 0,
	retrievable: async () => new Set(),
};

const peer: SystemDescriptor = {
	name: 'peer',
	realm: PEER_REALM,
	pending: () => undefined,
	templateFiles: () => [],
	credentials: (qbo) => [
		{
			id: 'qbsyncBenchPeerQbo',
			name: 'QuickBooks (built-in credential)',
			type: 'quickBooksOAuth2Api',
			data: {
				// n8n's built-in credential: Intuit's hosts are hard-coded (rerouted by the preload).
				environment: 'production',
				grantType: 'authorizationCode',
				authUrl: 'https://appcenter.intuit.com/connect/oauth2',
				accessTokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
				scope: 'com.intuit.quickbooks.accounting',
				authQueryParameters: '',
				authentication: 'header',
				clientId: DEFAULT_CLIENT.clientId,
				clientSecret: DEFAULT_CLIENT.clientSecret,
				oauthTokenData: oauthTokenData(qbo.issueTokens(PEER_REALM), PEER_REALM),
			},
		},
		{
			id: 'qbsyncBenchPeerHook',
			name: 'Peer webhook secret',
			type: 'httpHeaderAuth',
			data: { name: 'Authorization', value: `Bearer ${WEBHOOK_SECRET}` },
		},
	],
	workflows: (qbo) => {
		const workflow = structuredClone(peerWorkflow) as Record<string, any>;
		const item = qbo
			.company(PEER_REALM)
			.all('Item')
			.find((i) => i.Name === 'Services');
		const config = workflow.nodes.find((n: any) => n.name === 'Config');
		for (const a of config.parameters.assignments.assignments)
			a.value = a.name === 'realmId' ? PEER_REALM : String(item?.Id ?? '1');
		return [workflow];
	},
	workflowIds: () => [String(peerWorkflow.id)],
	webhookUrl: (stack) => stack.webhookUrl('bench-peer-payment'),
	waiting: async () => 0,
	retrievable: async () => new Set(),
};

/**
 * The durable template (workflows/crm-payment-to-sales-receipt-durable.json): the HighLevel
 * Trigger answers 200 once the event is in an n8n Data Table outbox; a drain (every minute, and on
 * demand) takes due rows in rounds and writes receipts with batch requests; failed rows are retried
 * with back-off and end `dead` after maxAttempts, which starts the error workflow
 * (sync-failure-alert.json). The stack imports both on its own credential and realm (REALM_ID),
 * and reads the outbox through n8n's REST API (`stack.outbox`). The bench never starts a drain
 * itself: the template's schedule does, as in a real install.
 */
const DURABLE_FILES = ['crm-payment-to-sales-receipt-durable.json', 'sync-failure-alert.json'];

const outboxKeyToTransaction = (key: string) => key.replace(/^payment:/, '');

const durable: SystemDescriptor = {
	name: 'durable',
	realm: REALM_ID,
	pending: () => {
		const files = new Set(loadTemplates().map((t) => t.file));
		const missing = DURABLE_FILES.filter((f) => !files.has(f));
		return missing.length
			? `durable: PENDING, not run. ${missing.join(' and ')} not in workflows/ of this worktree.`
			: undefined;
	},
	templateFiles: () => DURABLE_FILES,
	credentials: () => [],
	workflows: () => [],
	workflowIds: (stack) =>
		stack.templates.filter((t) => DURABLE_FILES.includes(t.file)).map((t) => t.id),
	webhookUrl: (stack) => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable),
	waiting: async (stack) => {
		try {
			const rows = await stack.outbox.rows();
			return rows.filter((r) => r.status === 'pending' || r.status === 'processing').length;
		} catch {
			return undefined;
		}
	},
	// Rows not done are held: pending ones are retried by the next drain, dead ones stay in the
	// table (and the error workflow reported them) for a re-run.
	retrievable: async (stack) => {
		try {
			const rows = await stack.outbox.rows();
			return new Set(
				rows.filter((r) => r.status !== 'done').map((r) => outboxKeyToTransaction(r.key)),
			);
		} catch {
			return new Set();
		}
	},
};

const DESCRIPTORS: Record<SystemName, SystemDescriptor> = { direct, durable, peer };

// ---- one scenario -------------------------------------------------------------------------------

interface Row {
	scenario: Scenario;
	system: SystemName;
	payments: number;
	wallMs: number;
	apiCalls: number;
	callsPerPayment: number;
	paymentsPerMin: number;
	floorPaymentsPerMin: number;
	duplicates: number;
	lost: number;
	totalsDiffer: number;
}

interface Detail {
	scenario: Scenario;
	system: SystemName;
	realm: string;
	distinctPayments: number;
	booked: number;
	retrievable: number;
	calls429: number;
	calls5xx: number;
	batchCalls: number;
	usefulCalls: number;
	usefulBatchCalls: number;
	usefulCallsPerBookedPayment: number;
	/** Where floorPaymentsPerMin comes from: the calibration, or this run when there was none. */
	floorFrom: string;
	extraReceipts: number;
	failedExecutions: number;
	deliveriesNot2xx: number;
	deliveriesMs: number;
	timedOut: boolean;
	callsByKind: Record<string, number>;
	/** Why executions failed (a sample of at most 100 per workflow). */
	failureReasons: Record<string, number>;
	/** Queries QuickBooks answered, by entity (batch items included). */
	queriesByEntity: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Diagnostics only: which entity each query that QuickBooks answered asked for, per realm (the
 * emulator's log says "query" without it). Wraps the emulator's private query runner in-process.
 */
function countQueries(qbo: QboEmulator): Map<string, Record<string, number>> {
	const counts = new Map<string, Record<string, number>>();
	const target = qbo as unknown as {
		runQuery: (company: { realmId: string }, text: string) => unknown;
	};
	const original = target.runQuery.bind(qbo);
	target.runQuery = (company, text) => {
		const entity = /\bFROM\s+(\w+)/i.exec(text)?.[1] ?? '?';
		const realm = counts.get(company.realmId) ?? {};
		realm[entity] = (realm[entity] ?? 0) + 1;
		counts.set(company.realmId, realm);
		return original(company, text);
	};
	return counts;
}

interface Run {
	system: SystemDescriptor;
	url: string;
	statuses: Array<number | null>;
	receipts: number;
	lastReceiptAt: number;
	doneAt: number;
	timedOut: boolean;
	deliveriesMs: number;
}

/**
 * Delivers the plan to every system (CONCURRENCY deliveries in flight per system, like HighLevel
 * firing its workflow webhooks) and waits until each has settled: every delivery answered, then
 * no work in flight in two checks 2 s apart (running executions; for the durable system also its
 * outbox, or, when that cannot be read, every payment booked or held), or the timeout.
 */
async function deliverAndSettle(
	stack: Stack,
	label: string,
	plan: Plan,
	runs: Run[],
	t0: number,
	timeoutMs: number,
	onSent: () => void = () => undefined,
): Promise<void> {
	const sender = createWorkflowSender({
		action: 'customWebhook',
		auth: { type: 'bearer', token: WEBHOOK_SECRET },
	});
	const deliver = async (run: Run) => {
		let next = 0;
		const worker = async () => {
			while (next < plan.deliveries.length) {
				const d = plan.deliveries[next++];
				const delivery = await sender.send(run.url, d.body);
				run.statuses.push(delivery.attempts[delivery.attempts.length - 1].status);
				onSent();
			}
		};
		await Promise.all(Array.from({ length: CONCURRENCY }, worker));
		run.deliveriesMs = Date.now() - t0;
	};
	const watch = async (run: Run, delivered: Promise<void>) => {
		let sending = true;
		void delivered.then(() => (sending = false));
		let idleChecks = 0;
		let lastCheck = 0;
		for (;;) {
			const count = stack.qbo.company(run.system.realm).all('SalesReceipt').length;
			if (count !== run.receipts) {
				run.receipts = count;
				run.lastReceiptAt = Date.now();
			}
			if (Date.now() - t0 > timeoutMs) {
				run.timedOut = true;
				break;
			}
			if (!sending && Date.now() - lastCheck >= 2000) {
				lastCheck = Date.now();
				let busy = await run.system.waiting(stack);
				if (busy === undefined) {
					const booked = receiptsByTransaction(stack.qbo, run.system.realm, plan.totals);
					const held = await run.system.retrievable(stack);
					busy = [...plan.totals.keys()].filter((id) => !booked.has(id) && !held.has(id)).length;
				}
				for (const id of run.system.workflowIds(stack))
					busy += await runningExecutions(stack.n8n, id);
				idleChecks = busy === 0 ? idleChecks + 1 : 0;
				if (idleChecks >= 2) break;
			}
			await sleep(250);
		}
		run.doneAt = Date.now();
		console.log(
			`[${label}] ${run.system.name}: settled after ${((run.doneAt - t0) / 1000).toFixed(1)} s${run.timedOut ? ' (TIMED OUT)' : ''}, ${run.receipts} receipts in its realm`,
		);
	};
	console.log(
		`[${label}] delivering ${plan.deliveries.length} payments to each system at concurrency ${CONCURRENCY}`,
	);
	await Promise.all(
		runs.map((run) => {
			const delivered = deliver(run);
			return Promise.all([delivered, watch(run, delivered)]);
		}),
	);
}

const newRun = (system: SystemDescriptor, stack: Stack): Run => ({
	system,
	url: system.webhookUrl(stack),
	statuses: [],
	receipts: 0,
	lastReceiptAt: 0,
	doneAt: 0,
	timedOut: false,
	deliveriesMs: 0,
});

/** Calls QuickBooks did the work for: neither throttled (429) nor failed (5xx, dropped). */
const isUseful = (e: { status: number }) => e.status > 0 && e.status !== 429 && e.status < 500;

/** Calls (and /batch calls) per booked payment when nothing is throttled: the floor's c and b. */
interface Calibration {
	payments: number;
	booked: number;
	callsPerPayment: number;
	batchCallsPerPayment: number;
	floorPaymentsPerMin: number;
}

/**
 * Before the measured burst: WARMUP payments by new customers (default 10) fill what a system
 * looks up once per company (items, the company's preferences; caches of the package), then
 * CALIBRATION payments of the burst's mix (default 30; 30 × the direct template's calls stays
 * under 500/min) go to each system. What the calibration payments cost is the fewest calls a
 * system needs per payment, with no 429 or retry in the count. Then the harness waits until the
 * realms' one-minute windows are empty again, so the burst starts from a clean limit.
 */
async function calibrate(
	stack: Stack,
	systems: SystemDescriptor[],
	poolSize: number,
): Promise<Map<SystemName, Calibration>> {
	if (WARMUP > 0) {
		const warm = planPayments(TAGS.warmup, WARMUP, 0, { existing: 0, new: 1, repeat: 0 });
		const runs = systems.map((s) => newRun(s, stack));
		await deliverAndSettle(stack, 'warm-up', warm, runs, Date.now(), 5 * 60_000);
	}
	const plan = planPayments(TAGS.calibration, CALIBRATION, poolSize);
	const runs = systems.map((s) => newRun(s, stack));
	const t0 = Date.now();
	await deliverAndSettle(stack, 'calibration', plan, runs, t0, 5 * 60_000);
	const out = new Map<SystemName, Calibration>();
	let lastCall = t0;
	for (const run of runs) {
		const entries = stack.qbo.log.filter((e) => e.realmId === run.system.realm && e.at >= t0);
		lastCall = Math.max(lastCall, ...entries.map((e) => e.at));
		const useful = entries.filter(isUseful);
		const booked = receiptsByTransaction(stack.qbo, run.system.realm, plan.totals).size;
		const c = booked ? useful.length / booked : 0;
		const b = booked ? useful.filter((e) => e.endpoint === 'batch').length / booked : 0;
		out.set(run.system.name, {
			payments: plan.deliveries.length,
			booked,
			callsPerPayment: round2(c),
			batchCallsPerPayment: round2(b),
			floorPaymentsPerMin: floorPerMin(c, b),
		});
		console.log(
			`[calibration] ${run.system.name}: ${booked}/${plan.totals.size} payments booked, ${round2(c)} calls (${round2(b)} batch calls) per payment → floor ${floorPerMin(c, b)} payments/min`,
		);
	}
	const wait = lastCall + 61_000 - Date.now();
	if (wait > 0) {
		console.log(
			`[calibration] waiting ${Math.ceil(wait / 1000)} s for QuickBooks' one-minute windows to empty`,
		);
		await sleep(wait);
	}
	return out;
}

async function runScenario(
	scenario: Scenario,
	systems: SystemDescriptor[],
	withCalibration: boolean,
): Promise<{
	rows: Row[];
	details: Detail[];
	outage?: { fromMs: number; untilMs: number; startsAfterMs?: number };
	calibration?: Map<SystemName, Calibration>;
}> {
	const plan = planPayments(TAGS[scenario], PAYMENTS);
	const qboPort = await freePort();
	const preloadDir = mkdtempSync(join(os.tmpdir(), 'qbsync-bench-preload-'));
	const log = (line: string) => {
		if (process.env.BENCH_N8N_LOG) console.log(`[n8n] ${line}`);
	};
	console.log(
		`\n[${scenario}] starting the stack (emulators, n8n ${process.env.N8N_VERSION ?? ''}) for ${systems.map((s) => s.name).join(', ')}`,
	);
	const stack = await startStack({
		qboPort,
		log,
		n8nEnv: {
			...intuitHostPreload(preloadDir, `http://127.0.0.1:${qboPort}`),
			// Another n8n on this machine (e.g. an end-to-end run) holds the default 5679.
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		},
		templates: (file) => systems.some((s) => s.templateFiles().includes(file)),
		beforeN8n: ({ qbo }) => {
			for (const s of systems) qbo.seed(s.realm, 'Customer', plan.existing);
		},
		beforeN8nStart: ({ qbo, n8n }) => {
			const credentials = systems.flatMap((s) => s.credentials(qbo));
			if (credentials.length) n8n.importCredentials(credentials);
			for (const workflow of systems.flatMap((s) => s.workflows(qbo))) {
				n8n.importWorkflow(workflow);
				n8n.publishWorkflow(String(workflow.id));
			}
		},
	});
	const qbo = stack.qbo;
	try {
		qbo.setOptions({ limits: true, ...LIMITS, latencyMs: LATENCY });
		const queries = countQueries(qbo);
		const calibration =
			withCalibration && CALIBRATION > 0
				? await calibrate(stack, systems, plan.existing.length)
				: undefined;
		for (const realm of queries.keys()) queries.delete(realm);

		const runs = systems.map((s) => newRun(s, stack));
		const totalDeliveries = plan.deliveries.length * runs.length;
		const t0 = Date.now();
		let sent = 0;
		let outage: { fromMs: number; untilMs: number; startsAfterMs?: number } | undefined;
		const onSent = () => {
			sent++;
			if (scenario === 'outage' && !outage && sent >= totalDeliveries / 2) {
				const fromMs = qbo.now();
				outage = { fromMs, untilMs: fromMs + OUTAGE_MINUTES * 60_000 };
				// TEST fault: every QuickBooks API request of every realm answered 503 for the window.
				qbo.injectFault({ action: 503, ...outage });
				outage.startsAfterMs = fromMs - t0;
				console.log(
					`[${scenario}] QuickBooks outage (test fault, 503 on every API request) for ${OUTAGE_MINUTES} min from now`,
				);
			}
		};
		await deliverAndSettle(stack, scenario, plan, runs, t0, TIMEOUT_MS, onSent);

		const rows: Row[] = [];
		const details: Detail[] = [];
		for (const run of runs) {
			const { system } = run;
			const entries = qbo.log.filter((e) => e.realmId === system.realm && e.at >= t0);
			const useful = entries.filter(isUseful);
			const callsByKind: Record<string, number> = {};
			for (const e of entries) {
				const key = `${e.method} ${e.operation}${e.entity ? ` ${e.entity}` : ''} → ${e.status}`;
				callsByKind[key] = (callsByKind[key] ?? 0) + 1;
			}
			const byTxn = receiptsByTransaction(qbo, system.realm, plan.totals);
			const retrievable = await system.retrievable(stack);
			let duplicates = 0;
			let extraReceipts = 0;
			let totalsDiffer = 0;
			let lost = 0;
			for (const [id, total] of plan.totals) {
				const list = byTxn.get(id) ?? [];
				if (list.length > 1) {
					duplicates++;
					extraReceipts += list.length - 1;
				}
				if (list.some((r) => round2(Number(r.TotalAmt)) !== round2(total))) totalsDiffer++;
				if (list.length === 0 && !retrievable.has(id)) lost++;
			}
			const booked = byTxn.size;
			const wallMs = (run.lastReceiptAt || run.doneAt) - t0;
			const usefulBatch = useful.filter((e) => e.endpoint === 'batch').length;
			const perPayment = booked ? useful.length / booked : 0;
			const batchPerPayment = booked ? usefulBatch / booked : 0;
			let failed = 0;
			const reasons: Record<string, number> = {};
			for (const id of system.workflowIds(stack)) {
				failed += await failedExecutions(stack.n8n, id, t0);
				for (const [k, v] of Object.entries(await failureReasons(stack.n8n, id, t0)))
					reasons[k] = (reasons[k] ?? 0) + v;
			}
			rows.push({
				scenario,
				system: system.name,
				payments: plan.deliveries.length,
				wallMs,
				apiCalls: entries.length,
				callsPerPayment: round2(entries.length / plan.deliveries.length),
				paymentsPerMin: round2(booked / (wallMs / 60_000)),
				// Replaced by the calibration's figure when there is one (see main).
				floorPaymentsPerMin: floorPerMin(perPayment, batchPerPayment),
				duplicates,
				lost,
				totalsDiffer,
			});
			details.push({
				scenario,
				system: system.name,
				realm: system.realm,
				distinctPayments: plan.totals.size,
				booked,
				retrievable: retrievable.size,
				calls429: entries.filter((e) => e.status === 429).length,
				calls5xx: entries.filter((e) => e.status >= 500).length,
				batchCalls: entries.filter((e) => e.endpoint === 'batch').length,
				usefulCalls: useful.length,
				usefulBatchCalls: usefulBatch,
				usefulCallsPerBookedPayment: round2(perPayment),
				floorFrom: 'this run',
				extraReceipts,
				failedExecutions: failed,
				deliveriesNot2xx: run.statuses.filter((s) => s === null || s < 200 || s >= 300).length,
				deliveriesMs: run.deliveriesMs,
				timedOut: run.timedOut,
				callsByKind,
				failureReasons: reasons,
				queriesByEntity: queries.get(system.realm) ?? {},
			});
		}
		return { rows, details, outage, calibration };
	} catch (error) {
		console.error(`--- n8n log (tail) ---\n${stack.n8n.logs().slice(-6000)}`);
		throw error;
	} finally {
		await stack.stop();
	}
}

/**
 * The rate-limit floor: payments per minute QuickBooks' per-realm limits allow at the calls a
 * system needs per payment, floor = min(500 / c, 40 / b), c = API calls per booked payment that
 * QuickBooks did not refuse (429 and 5xx answers excluded: they are not calls the system needs;
 * measured by `calibrate`), b = the same for /batch calls (b = 0: no batch bound). The
 * 10-concurrent limit bounds latency, not a per-minute count, and is left out.
 */
function floorPerMin(c: number, b: number): number {
	if (!c) return 0;
	return Math.floor(
		Math.min(LIMITS.perMinute / c, b ? LIMITS.batchPerMinute / b : Number.POSITIVE_INFINITY),
	);
}

// ---- report -------------------------------------------------------------------------------------

function machine(): { text: string; detail: Record<string, unknown> } {
	const cpus = os.cpus();
	const detail = {
		cpu: cpus[0]?.model ?? 'unknown',
		cores: cpus.length,
		memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
		node: process.version,
		n8n: process.env.N8N_VERSION ?? 'unknown',
	};
	return {
		text: `${detail.cpu}, ${detail.cores} cores, ${detail.memoryGiB} GiB, Node ${detail.node}, n8n ${detail.n8n}`,
		detail,
	};
}

function printTable(rows: Row[], details: Detail[]): void {
	console.log(
		'\n| scenario | system | payments | wall | API calls | calls / payment | 429s | 5xx | payments / min | floor / min | duplicates | totals differ | lost | failed executions |',
	);
	console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
	for (const r of rows) {
		const d = details.find((x) => x.scenario === r.scenario && x.system === r.system)!;
		console.log(
			`| ${r.scenario} | ${r.system} | ${r.payments} | ${(r.wallMs / 1000).toFixed(1)} s${d.timedOut ? ' (timed out)' : ''} | ${r.apiCalls} | ${r.callsPerPayment} | ${d.calls429} | ${d.calls5xx} | ${r.paymentsPerMin} | ${r.floorPaymentsPerMin} | ${r.duplicates} | ${r.totalsDiffer} | ${r.lost} | ${d.failedExecutions} |`,
		);
	}
}

const DEFINITIONS = {
	payments: `deliveries sent (${Math.round(SHARE.existing * 100)} % by customers existing in QuickBooks before n8n starts, ${Math.round(SHARE.new * 100)} % by new customers, ${Math.round(SHARE.repeat * 100)} % repeated deliveries of an earlier payment)`,
	wallMs: 'first delivery to the last sales receipt written in the system’s realm',
	apiCalls:
		'requests to the system’s realm in the emulator log, 429 and 5xx answers included (token calls excluded)',
	callsPerPayment: 'apiCalls / payments',
	paymentsPerMin: 'distinct CRM payments with a receipt / wall minutes',
	floorPaymentsPerMin: `min(500 / c, 40 / b) (QuickBooks: 500 requests/min, 40 batch requests/min per realm; b = 0: no batch bound): c = API calls per booked payment, b = the same for /batch calls, both counted in a calibration of ${CALIBRATION} payments of the same mix sent before the first measured run (after a warm-up of ${WARMUP} payments by new customers), with no call throttled (429) or failed (5xx); without a calibration, the same from the run's own calls not answered 429/5xx`,
	duplicates: 'CRM transactions with more than one non-void receipt',
	totalsDiffer:
		'CRM transactions with a non-void receipt whose TotalAmt differs from the CRM total',
	lost: 'distinct CRM payments without a receipt that the system does not hold for a retry; for direct and peer a failed execution is lost (HighLevel already had its 200)',
};

void (async () => {
	const started = Date.now();
	const host = machine();
	console.log(
		`Real-path benchmark: ${PAYMENTS} payments per system and scenario, concurrency ${CONCURRENCY}, QuickBooks latency ${LATENCY.join('–')} ms, limits ${LIMITS.perMinute}/min, ${LIMITS.concurrent} concurrent, ${LIMITS.batchPerMinute} batch/min per realm; outage ${OUTAGE_MINUTES} min`,
	);
	console.log(`Machine: ${host.text}`);

	let backfill: BackfillMemory[] = [];
	if (BACKFILL_SIZES.length) {
		console.log(
			`\nQuickBooks Sync Trigger back-fill memory at ${BACKFILL_SIZES.join(', ')} customers`,
		);
		backfill = await measureBackfill(BACKFILL_SIZES);
		console.log(
			'| customers | polls | time | heap peak Δ | RSS peak Δ | heap peak Δ, GC between polls | heap retained after a poll |',
		);
		console.log('|---:|---:|---:|---:|---:|---:|---:|');
		for (const b of backfill)
			console.log(
				`| ${b.customers} | ${b.polls} | ${b.durationMs} ms | ${b.heapGrowthMiB} MiB | ${b.rssGrowthMiB} MiB | ${b.heapGrowthGcEachPollMiB} MiB | ${b.retainedAfterGcMiB} MiB |`,
			);
	}

	const wanted = SYSTEMS.map((name) => {
		const d = DESCRIPTORS[name as SystemName];
		if (!d) throw new Error(`unknown system ${name} (direct, durable, peer)`);
		return d;
	});
	const skipped: string[] = [];
	const runnable = wanted.filter((d) => {
		const reason = d.pending();
		if (reason) {
			skipped.push(reason);
			console.log(`\n${reason}`);
		}
		return !reason;
	});

	const rows: Row[] = [];
	const details: Detail[] = [];
	const outages: Record<string, unknown> = {};
	let calibration: Map<SystemName, Calibration> | undefined;
	if (runnable.length) {
		for (const scenario of SCENARIOS as Scenario[]) {
			if (scenario !== 'burst' && scenario !== 'outage')
				throw new Error(`unknown scenario ${scenario}`);
			const result = await runScenario(scenario, runnable, !calibration);
			calibration ??= result.calibration;
			for (const row of result.rows) {
				const cal = calibration?.get(row.system);
				if (!cal?.booked) continue;
				row.floorPaymentsPerMin = cal.floorPaymentsPerMin;
				result.details.find(
					(d) => d.scenario === row.scenario && d.system === row.system,
				)!.floorFrom = 'calibration';
			}
			rows.push(...result.rows);
			details.push(...result.details);
			if (result.outage) outages[scenario] = result.outage;
			printTable(result.rows, result.details);
			for (const d of result.details) {
				const reasons = Object.entries(d.failureReasons).sort((a, b) => b[1] - a[1]);
				if (reasons.length)
					console.log(
						`${d.system} failed executions, why (sample): ${reasons.map(([k, v]) => `${v}× ${k}`).join(' | ')}`,
					);
				console.log(
					`${d.system} queries by entity: ${JSON.stringify(d.queriesByEntity)}; calls: ${JSON.stringify(d.callsByKind)}`,
				);
			}
		}
	}

	console.log(
		`\nAll scenarios (the systems ran side by side in ONE n8n on this ${host.detail.cores}-core machine, each on its own QuickBooks realm; they shared its CPU):`,
	);
	printTable(rows, details);
	for (const [k, v] of Object.entries(DEFINITIONS)) console.log(`- ${k}: ${v}`);
	if (skipped.length) console.log(skipped.map((s) => `- ${s}`).join('\n'));

	const result = {
		machine: host.text,
		scenarios: rows,
		details: {
			machine: host.detail,
			sharedN8n: `The systems ran side by side in one n8n ${host.detail.n8n} on a ${host.detail.cores}-core machine, each on its own QuickBooks realm, one fresh stack per scenario.`,
			config: {
				payments: PAYMENTS,
				concurrency: CONCURRENCY,
				latencyMs: LATENCY,
				limits: LIMITS,
				share: SHARE,
				outageMinutes: OUTAGE_MINUTES,
				outageNote:
					'Outage = the emulator answers every QuickBooks API request 503 for the window (a test fault, not a documented QuickBooks behaviour), from the moment half of the deliveries were sent.',
				timeoutMs: TIMEOUT_MS,
				systems: SYSTEMS,
				scenarios: SCENARIOS,
			},
			definitions: DEFINITIONS,
			skipped,
			outages,
			calibration: Object.fromEntries(calibration ?? []),
			perRun: details,
			backfillMemory: {
				note: 'QuickBooks Sync Trigger, New Customer with back-fill (1,000 per poll), run through n8n-core in a child process with --expose-gc; polls back to back. Δ = above the heap/RSS after a full GC before the first poll.',
				runs: backfill,
			},
			durationMs: Date.now() - started,
		},
	};
	mkdirSync(dirname(RESULTS), { recursive: true });
	// The queue bench's figures live in the same file (test/bench/queue.bench.ts): kept.
	const kept = existsSync(RESULTS)
		? JSON.parse(readFileSync(RESULTS, 'utf8')).queueWorkers
		: undefined;
	writeFileSync(RESULTS, `${JSON.stringify({ ...result, queueWorkers: kept }, null, 2)}\n`);
	console.log(`\nWritten: ${RESULTS}`);
	process.exit(0);
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
