/**
 * Queue mode under QuickBooks' limits (issue 20): the 1,000-delivery run of the queue test
 * (800 payments + 200 repeats sent at the same moment as their original) with 1, 2 and 4 workers.
 * The direct template (its own QuickBooks company) and the durable one (the stack's) run side by
 * side in one n8n, as in test/e2e/queue.e2e.test.ts; the emulator enforces QuickBooks' limits per
 * company (500 a minute, 10 a second, 10 in flight, 40 batch calls a minute).
 *
 * Per worker count and template: payments booked per minute (first delivery → last receipt
 * created), QuickBooks calls and 429 answers, lost / duplicated payments. The peer is one worker:
 * more workers must never book fewer payments a minute than one.
 *
 *   npm run bench -- queue
 *
 * Environment: BENCH_QUEUE_WORKERS (1,2,4), BENCH_PAYMENTS (1000), BENCH_TIMEOUT_MINUTES (30 per
 * worker count), BENCH_RESULTS (bench/results/latest.json; this bench sets its `queueWorkers` key).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import { dirname, join } from 'path';

import { REPO } from '../../scripts/dev/n8n';
import { REALM_ID } from '../../scripts/dev/stack';
import { TRIGGER_WEBHOOK_IDS } from '../../scripts/dev/stack';
import {
	DIRECT_HOOK,
	countBy,
	DIRECT_REALM,
	deliver,
	lastBookedAt,
	settle,
	sleep,
	startPaymentQueue,
	tally,
} from '../helpers/queueRun';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const WORKERS = env('BENCH_QUEUE_WORKERS', '1,2,4').split(',').map(Number);
const PAYMENTS = Number(env('BENCH_PAYMENTS', '1000'));
const TIMEOUT_MS = Number(env('BENCH_TIMEOUT_MINUTES', '30')) * 60_000;
const RESULTS = env('BENCH_RESULTS', join(REPO, 'bench', 'results', 'latest.json'));

async function runWith(workers: number) {
	const run = await startPaymentQueue(`qb${workers}`, PAYMENTS, {
		queue: { workers, webhookProcess: true, countApi: true },
	});
	const { stack, plan } = run;
	try {
		const t0 = Date.now();
		let sending = true;
		const drains = (async () => {
			while (sending) {
				await stack.drain().catch(() => undefined);
				await sleep(15_000);
			}
		})();
		const [directAnswers, durableAnswers] = await Promise.all([
			deliver(stack.triggerUrl(DIRECT_HOOK), plan.deliveries),
			deliver(stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable), plan.deliveries),
		]);
		sending = false;
		await drains;
		const { timedOut } = await settle(run, TIMEOUT_MS);
		const figures = (realm: string, answers: Array<number | null>) => {
			const calls = stack.qbo.log.filter(
				(e) => e.realmId === realm && e.at >= t0 && e.endpoint !== 'cdc',
			);
			const minutes = (lastBookedAt(run, realm) - t0) / 60_000;
			const counts = tally(stack, realm, plan);
			return {
				...counts,
				paymentsPerMin: Math.round((counts.booked / minutes) * 10) / 10,
				minutesToLastReceipt: Math.round(minutes * 100) / 100,
				apiCalls: calls.length,
				throttled: calls.filter((e) => e.status === 429).length,
				callsByKind: countBy(
					calls.map((e) => `${e.operation} ${e.entity ?? e.queried ?? ''} ${e.status}`.trim()),
				),
				refusedDeliveries: answers.filter((s) => s !== 200).length,
			};
		};
		// What the shared budget and look-ups asked of n8n's main process, per QuickBooks call.
		const apiRequests = stack.apiRequests?.() ?? {};
		const n8nApiRequests = Object.values(apiRequests).reduce((sum, n) => sum + n, 0);
		const quickBooksCalls = stack.qbo.log.filter((e) => e.at >= t0 && e.endpoint !== 'cdc').length;
		return {
			workers,
			n8nApiRequests,
			n8nApiRequestsPerQuickBooksCall: Math.round((n8nApiRequests / quickBooksCalls) * 100) / 100,
			n8nApiRequestsByRoute: apiRequests,
			deliveries: plan.deliveries.length,
			payments: plan.totals.size,
			timedOut,
			direct: figures(DIRECT_REALM, directAnswers),
			durable: figures(REALM_ID, durableAnswers),
		};
	} finally {
		await stack.stop();
	}
}

async function main() {
	const runs = [];
	for (const workers of WORKERS) {
		console.log(`[queue bench] ${workers} worker(s), ${PAYMENTS} deliveries …`);
		const result = await runWith(workers);
		console.log(`[queue bench] ${JSON.stringify(result)}`);
		runs.push(result);
	}
	const one = runs.find((r) => r.workers === 1);
	console.log('\nworkers | template | booked/lost/dup | payments/min | calls | 429s');
	for (const r of runs)
		for (const t of ['direct', 'durable'] as const) {
			const f = r[t];
			const vsOne =
				one && one !== r
					? ` (${Math.round((f.paymentsPerMin / one[t].paymentsPerMin) * 100)} % of 1 worker)`
					: '';
			console.log(
				`${r.workers} | ${t} | ${f.booked}/${f.lost}/${f.duplicates} | ${f.paymentsPerMin}${vsOne} | ${f.apiCalls} | ${f.throttled}`,
			);
		}
	for (const r of runs)
		console.log(
			`${r.workers} worker(s): ${r.n8nApiRequests} requests to n8n's API (budget and look-ups), ${r.n8nApiRequestsPerQuickBooksCall} per QuickBooks call`,
		);
	const cpus = os.cpus();
	const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
	previous.queueWorkers = {
		machine: `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${Math.round((os.totalmem() / 1024 ** 3) * 10) / 10} GiB, Node ${process.version}, n8n ${process.env.N8N_VERSION ?? 'unknown'}`,
		setup:
			'n8n queue mode (PostgreSQL, Redis, main, webhook process, N workers at concurrency 10); direct and durable templates side by side on two QuickBooks companies of the emulator with QuickBooks limits (500/min, 10/s, 10 in flight, 40 batch/min), 20-60 ms latency; payments/min from the first delivery to the last receipt created',
		runs,
	};
	mkdirSync(dirname(RESULTS), { recursive: true });
	writeFileSync(RESULTS, `${JSON.stringify(previous, null, 2)}\n`);
	console.log(`\nWritten: ${RESULTS} (queueWorkers)`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
