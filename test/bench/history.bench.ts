/**
 * Issue 23.8 on the real path: the history import and a gap-free reconcile pass in a REAL n8n (the
 * pinned release, this package built), against the QuickBooks emulator with QuickBooks' per-company
 * limits (500 requests a minute, 10 a second, 10 in flight, 40 batch calls a minute; 100-250 ms
 * latency) and the HighLevel emulator with HighLevel's (100 requests per 10 s per location).
 *
 * HighLevel holds BENCH_IMPORT_PAYMENTS (10,000) live transactions spread over the last
 * BENCH_IMPORT_DAYS (20) days, each paying an order of one to three products (some taxed): 60 % by
 * customers QuickBooks already has, 30 % by new customers, 10 % refunded since (in full or in part).
 * None reached n8n. The import form (crm-history-import.json) is submitted for the whole range; the
 * durable template's drain (crm-payment-to-sales-receipt-durable.json) books the rows, reading each
 * order's items from HighLevel (Add Line Items). Then a reconcile pass over the last day, which has
 * no gap now: once with the rows still in the outbox, once with them purged (QuickBooks answers).
 *
 * Figures: import listing time, payments a minute from the form to the last receipt, QuickBooks calls
 * per payment, HighLevel calls (most in any 10 s, 429s), n8n's memory over the run, and the pass's
 * calls per 30 payments. Targets (issue 23.8): ≥400 payments a minute, ≤25 minutes for 10,000,
 * ≤0.2 QuickBooks calls per payment, ≤1 QuickBooks call per 30 payments for the gap-free pass.
 *
 *   npm run bench -- real        (with the real-path benchmark; `npm run bench -- history` alone)
 *
 * Environment: BENCH_IMPORT_PAYMENTS (10000), BENCH_IMPORT_DAYS (20), BENCH_EXISTING_CUSTOMERS
 * (1000), BENCH_TIMEOUT_MINUTES (90), BENCH_RESULTS (bench/results/latest.json; this bench sets its
 * `historyImport` key).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import { join } from 'path';

import { REPO } from '../../scripts/dev/n8n';
import { apiOrder, apiTransaction, type OrderLine } from '../../scripts/dev/fixtures/highlevel';
import { refundTargetOf } from '../../nodes/shared/domain/refund';
import {
	LOCATION_ID,
	REALM_ID,
	RECONCILE_TABLE,
	startStack,
	updateDataTableRows,
	type Stack,
} from '../../scripts/dev/stack';
import {
	importForm,
	passCommitted,
	prng,
	receiptsByTransaction,
	round2,
	templateWithout,
} from '../helpers/paymentRun';
import { LIMITS, countBy } from '../helpers/queueRun';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const PAYMENTS = Number(env('BENCH_IMPORT_PAYMENTS', '10000'));
const DAYS = Number(env('BENCH_IMPORT_DAYS', '20'));
const EXISTING = Number(env('BENCH_EXISTING_CUSTOMERS', '1000'));
const TIMEOUT_MS = Number(env('BENCH_TIMEOUT_MINUTES', '90')) * 60_000;
const RESULTS = env('BENCH_RESULTS', join(REPO, 'bench', 'results', 'latest.json'));
const DURABLE = 'crm-payment-to-sales-receipt-durable.json';
const DAY_MS = 86_400_000;
const TARGETS = {
	paymentsPerMin: 400,
	importMinutes: 25,
	qboCallsPerPayment: 0.2,
	passCallsPer30: 1,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const day = (at: number) => new Date(at).toISOString().slice(0, 10);
const PRODUCTS: OrderLine[] = [
	{ name: 'Coaching Session', qty: 1, amount: 120 },
	{ name: 'Workbook', qty: 2, amount: 15, taxes: [{ name: 'Sales tax', rate: 10 }] },
	{ name: 'Monthly Membership', qty: 1, amount: 49 },
	{ name: 'Workshop Ticket', qty: 3, amount: 25, taxes: [{ name: 'Sales tax', rate: 8 }] },
];

interface Planned {
	transactionId: string;
	kind: 'existing' | 'new' | 'refunded';
	total: number;
	/** What HighLevel shows refunded on the transaction (amountRefunded). */
	refunded: number;
	createdAt: number;
}

/** HighLevel's record of the history: transactions naming their orders, oldest first. */
function history(now: number): { planned: Planned[]; transactions: any[]; orders: any[] } {
	const random = prng(23_08);
	const start = now - DAYS * DAY_MS;
	const planned: Planned[] = [];
	const transactions: any[] = [];
	const orders: any[] = [];
	for (let i = 0; i < PAYMENTS; i++) {
		const r = i % 10;
		const kind = r < 6 ? 'existing' : r < 9 ? 'new' : 'refunded';
		const existing = Math.floor(random() * EXISTING);
		const isNew = kind === 'new' || (kind === 'refunded' && i % 20 === 9);
		const email = isNew ? `import.${i}@example.com` : `existing${existing}@example.com`;
		const contactName = isNew ? `Import Buyer ${i}` : `Existing ${existing}`;
		const createdAt = start + Math.floor(((i + 0.5) * (now - 60_000 - start)) / PAYMENTS);
		const at = new Date(createdAt).toISOString();
		const items = PRODUCTS.filter((_, p) => p === i % PRODUCTS.length || random() < 0.25);
		const order = apiOrder({
			id: `ord_imp_${i}`,
			locationId: LOCATION_ID,
			status: 'completed',
			email,
			firstName: contactName.split(' ')[0],
			lastName: contactName.split(' ').slice(1).join(' '),
			items,
			createdAt: at,
			updatedAt: at,
		});
		const total = round2(order.amount);
		const transactionId = `ch_imp_${String(i).padStart(5, '0')}`;
		const refunded = kind === 'refunded' ? (i % 20 === 19 ? total : round2(total / 2)) : 0;
		orders.push(order);
		transactions.push(
			apiTransaction({
				id: transactionId,
				locationId: LOCATION_ID,
				contactName,
				email,
				amount: total,
				status: 'succeeded',
				liveMode: true,
				entityType: 'order',
				entityId: order._id,
				amountRefunded: refunded,
				createdAt: at,
				updatedAt: at,
			}),
		);
		planned.push({ transactionId, kind, total, refunded, createdAt });
	}
	return { planned, transactions, orders };
}

/** Refund receipts per refunded payment against what HighLevel shows refunded on it. */
function refundsOf(stack: Stack, due: Planned[]) {
	const sums = new Map<string, number>();
	let receipts = 0;
	let lastAt = 0;
	for (const r of stack.qbo.company(REALM_ID).all('RefundReceipt')) {
		const of = r.status === 'Deleted' ? undefined : refundTargetOf(r.PrivateNote);
		if (!of) continue;
		receipts++;
		lastAt = Math.max(lastAt, Date.parse(r.MetaData?.CreateTime ?? '') || 0);
		sums.set(of.id, round2((sums.get(of.id) ?? 0) + Number(r.TotalAmt)));
	}
	const diff = due.map((p) => round2((sums.get(p.transactionId) ?? 0) - p.refunded));
	return {
		exact: diff.filter((d) => d === 0).length,
		short: diff.filter((d) => d < 0).length,
		over: diff.filter((d) => d > 0).length,
		receipts,
		lastAt,
	};
}

/** n8n's resident memory (MiB) every 5 s, with how many receipts were booked then. */
function sampleMemory(stack: Stack, booked: () => number) {
	const samples: Array<{ atS: number; rssMiB: number; booked: number }> = [];
	const t0 = Date.now();
	const timer = setInterval(() => {
		const pid = stack.n8n.pid;
		if (!pid || !existsSync(`/proc/${pid}/status`)) return;
		const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
		if (rss)
			samples.push({
				atS: Math.round((Date.now() - t0) / 1000),
				rssMiB: Math.round(Number(rss) / 1024),
				booked: booked(),
			});
	}, 5_000);
	return { samples, stop: () => clearInterval(timer) };
}

/** Most calls in any 10 s, and the 429s, of HighLevel calls since `from`. */
function highLevelFigures(stack: Stack, from: number) {
	const calls = stack.highLevel.calls.filter((c) => c.at >= from);
	let most = 0;
	for (let i = 0, j = 0; i < calls.length; i++) {
		while (calls[i].at - calls[j].at >= 10_000) j++;
		most = Math.max(most, i - j + 1);
	}
	const byRoute: Record<string, number> = {};
	for (const c of calls) {
		const route = c.path.replace(/\/[^/]*_[^/]+$/, '/{id}');
		byRoute[`${c.method} ${route} ${c.status}`] =
			(byRoute[`${c.method} ${route} ${c.status}`] ?? 0) + 1;
	}
	return {
		calls: calls.length,
		mostIn10s: most,
		throttled: calls.filter((c) => c.status === 429).length,
		byRoute,
	};
}

async function main() {
	const now = Date.now();
	const { planned, transactions, orders } = history(now);
	const totals = new Map(planned.map((p) => [p.transactionId, p.total]));
	console.log(`[history bench] ${PAYMENTS} payments over ${DAYS} days, n8n starting …`);
	const stack = await startStack({
		templates: (file) => file === 'sync-failure-alert.json' || file === 'crm-history-import.json',
		// No scheduled pass beside the measured ones; the every-minute drain stays.
		extraWorkflows: [{ workflow: templateWithout(DURABLE, ['Every 15 Minutes']) }],
		beforeN8n: ({ qbo, highLevel }) => {
			qbo.seed(
				REALM_ID,
				'Customer',
				Array.from({ length: EXISTING }, (_, i) => ({
					DisplayName: `Existing ${i}`,
					PrimaryEmailAddr: { Address: `existing${i}@example.com` },
				})),
			);
			highLevel.seedPayments({ transactions, orders });
		},
	});
	const booked = () => receiptsByTransaction(stack.qbo, REALM_ID, totals).size;
	const memory = sampleMemory(stack, booked);
	try {
		stack.qbo.setOptions({ ...LIMITS, latencyMs: [100, 250] });
		const qboFrom = stack.qbo.log.length;
		const t0 = Date.now();
		const summary = await importForm(stack, day(now - DAYS * DAY_MS), day(now), TIMEOUT_MS);
		const listedS = (Date.now() - t0) / 1000;
		console.log(`[history bench] form answered after ${listedS.toFixed(1)} s`);
		await stack.drain();
		const deadline = t0 + TIMEOUT_MS;
		let last = -1;
		for (;;) {
			const n = booked();
			if (n !== last)
				console.log(`[history bench] ${n} booked at ${Math.round((Date.now() - t0) / 1000)} s`);
			last = n;
			if (n >= PAYMENTS || Date.now() > deadline) break;
			await sleep(10_000);
		}
		// The refunds the import stored (HighLevel's refunded totals) follow their payments' receipts.
		const refundsDue = planned.filter((p) => p.refunded > 0);
		for (;;) {
			const { exact } = refundsOf(stack, refundsDue);
			if (exact === refundsDue.length || Date.now() > deadline) break;
			console.log(`[history bench] ${exact} of ${refundsDue.length} refunds booked`);
			await sleep(10_000);
		}
		const refunds = refundsOf(stack, refundsDue);
		const byTxn = receiptsByTransaction(stack.qbo, REALM_ID, totals);
		const lastReceiptAt = Math.max(
			...[...byTxn.values()].flat().map((r) => Date.parse(r.MetaData?.CreateTime ?? '') || 0),
		);
		const minutes = (lastReceiptAt - t0) / 60_000;
		const qboCalls = stack.qbo.log
			.slice(qboFrom)
			.filter((e) => e.realmId === REALM_ID && e.endpoint !== 'cdc');
		const itemized = [...byTxn.values()]
			.flat()
			.filter(
				(r) => r.Line.filter((l: any) => l.DetailType === 'SalesItemLineDetail').length > 1,
			).length;
		const importFigures = {
			payments: PAYMENTS,
			summary: /Import import-[\s\S]*?template\./.exec(summary)?.[0] ?? summary.slice(0, 500),
			formAnsweredAfterS: Math.round(listedS * 10) / 10,
			booked: byTxn.size,
			lost: PAYMENTS - byTxn.size,
			duplicated: [...byTxn.values()].filter((l) => l.length > 1).length,
			wrongTotal: [...byTxn].filter(([id, l]) =>
				l.some((r) => Math.abs(Number(r.TotalAmt) - totals.get(id)!) > 0.005),
			).length,
			receiptsWithSeveralLines: itemized,
			minutesToLastReceipt: Math.round(minutes * 100) / 100,
			paymentsPerMin: Math.round((byTxn.size / minutes) * 10) / 10,
			qboCalls: qboCalls.length,
			qboCallsPerPayment: Math.round((qboCalls.length / PAYMENTS) * 1000) / 1000,
			qboThrottled: qboCalls.filter((e) => e.status === 429).length,
			qboBatchCalls: qboCalls.filter((e) => e.endpoint === 'batch').length,
			qboCallsByKind: countBy(
				qboCalls.map((e) => `${e.operation} ${e.entity ?? e.queried ?? ''} ${e.status}`.trim()),
			),
			highLevel: highLevelFigures(stack, t0),
			refunds: {
				refunded: refundsDue.length,
				bookedExactly: refunds.exact,
				short: refunds.short,
				over: refunds.over,
				refundReceipts: refunds.receipts,
				minutesToLastRefund: Math.round(((refunds.lastAt - t0) / 60_000) * 100) / 100,
			},
		};
		console.log(`[history bench] import ${JSON.stringify(importFigures, null, 1)}`);

		// A day without gaps: every payment of the last 24 h is booked.
		const lastDay = planned.filter((p) => p.createdAt > Date.now() - DAY_MS).length;
		const pass = async () => {
			const q = stack.qbo.log.length;
			const h = Date.now();
			await updateDataTableRows(
				stack.n8n,
				RECONCILE_TABLE,
				{ name: 'transactions' },
				{
					windowEnd: new Date(Date.now() - DAY_MS).toISOString(),
					leaseUntil: new Date(Date.now() - 1000).toISOString(),
				},
			).catch(() => undefined); // no row before the first pass: it starts a day back
			const askedAt = new Date().toISOString();
			await stack.reconcile();
			const s = await passCommitted(stack, askedAt, 600_000);
			const calls = stack.qbo.log
				.slice(q)
				.filter((e) => e.realmId === REALM_ID && e.endpoint !== 'cdc');
			return {
				listed: s.listed,
				storedNow: s.storedNow,
				alreadyStored: s.alreadyStored,
				alreadyBooked: s.alreadyBooked,
				seconds: Math.round((Date.parse(s.at) - Date.parse(askedAt)) / 100) / 10,
				qboCalls: calls.length,
				qboCallsPer30Payments: Math.round((calls.length / Math.max(1, s.listed)) * 30 * 100) / 100,
				highLevelCalls: stack.highLevel.calls.filter(
					(c) => c.at >= h && c.path.startsWith('/payments/'),
				).length,
			};
		};
		const rowsInOutbox = await pass();
		await stack.outbox.update({ status: 'done' }, { key: 'purged' });
		const rowsPurged = await pass();
		const reconcileDay = { paymentsInTheDay: lastDay, rowsInOutbox, rowsPurged };
		console.log(`[history bench] gap-free pass ${JSON.stringify(reconcileDay, null, 1)}`);

		memory.stop();
		const rss = memory.samples.map((s) => s.rssMiB);
		const quarter = (f: number) => memory.samples.find((s) => s.booked >= PAYMENTS * f)?.rssMiB;
		const memoryFigures = {
			startMiB: rss[0],
			peakMiB: Math.max(...rss),
			endMiB: rss[rss.length - 1],
			atBooked: {
				'25%': quarter(0.25),
				'50%': quarter(0.5),
				'75%': quarter(0.75),
				'100%': quarter(1),
			},
		};
		const missed = {
			paymentsPerMin: importFigures.paymentsPerMin < TARGETS.paymentsPerMin,
			importMinutes: (PAYMENTS / 10_000) * TARGETS.importMinutes < minutes,
			qboCallsPerPayment: importFigures.qboCallsPerPayment > TARGETS.qboCallsPerPayment,
			passCallsPer30: rowsPurged.qboCallsPer30Payments > TARGETS.passCallsPer30,
		};
		console.log('\nfigure | measured | target');
		console.log(
			`payments/min (form → last receipt) | ${importFigures.paymentsPerMin} | ≥${TARGETS.paymentsPerMin}`,
		);
		console.log(
			`minutes for ${PAYMENTS} | ${importFigures.minutesToLastReceipt} | ≤${(PAYMENTS / 10_000) * TARGETS.importMinutes}`,
		);
		console.log(
			`QuickBooks calls/payment | ${importFigures.qboCallsPerPayment} | ≤${TARGETS.qboCallsPerPayment}`,
		);
		console.log(
			`gap-free pass, QuickBooks calls/30 payments (rows purged) | ${rowsPurged.qboCallsPer30Payments} | ≤${TARGETS.passCallsPer30}`,
		);
		console.log(
			`HighLevel calls, most in 10 s / 429s | ${importFigures.highLevel.mostIn10s} / ${importFigures.highLevel.throttled} | ≤100 / 0`,
		);
		console.log(
			`refunds booked to HighLevel's total / short / over | ${refunds.exact} / ${refunds.short} / ${refunds.over} of ${refundsDue.length} | all / 0 / 0`,
		);
		console.log(
			`n8n memory MiB start / peak / end | ${memoryFigures.startMiB} / ${memoryFigures.peakMiB} / ${memoryFigures.endMiB} | flat`,
		);

		const cpus = os.cpus();
		const results = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
		results.historyImport = {
			machine: `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${Math.round((os.totalmem() / 1024 ** 3) * 10) / 10} GiB, Node ${process.version}, n8n ${process.env.N8N_VERSION ?? 'unknown'}`,
			setup: `regular mode (SQLite); history import form → durable template's outbox and drain (Add Line Items, batches); ${PAYMENTS} HighLevel payments over ${DAYS} days (60 % existing customers of ${EXISTING}, 30 % new, 10 % refunded since); QuickBooks limits 500/min, 10/s, 10 in flight, 40 batch/min, 100-250 ms; HighLevel 100 per 10 s`,
			at: new Date().toISOString(),
			targets: TARGETS,
			missed,
			import: importFigures,
			reconcileDay,
			memory: memoryFigures,
			memorySamples: memory.samples.filter((_, i) => i % 6 === 0),
		};
		writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
		console.log(`[history bench] figures in ${RESULTS} (historyImport)`);
	} finally {
		memory.stop();
		await stack.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
