/**
 * Several n8n processes sharing one QuickBooks company take turns (nodes/shared/transport/turns.ts),
 * on a clock the test moves and a lease store in memory with the compare-and-set of the Data Table
 * one. What a user would notice: together the processes never pass QuickBooks' limits (500 a
 * minute paced at 480, 10 a second, 10 in flight), more processes never book slower than one, a
 * dead holder's turn comes back, a throttled hold reaches every process, and a call that never
 * gets a turn stops with a clear error having sent nothing.
 */
import { OutcomeError } from '../../nodes/shared/errors';
import { CompanyBudget, QBO_PACE } from '../../nodes/shared/transport/pacing';
import { CompanyTurns, TURN_TIMING } from '../../nodes/shared/transport/turns';
import type { LeaseRow, LeaseStore } from '../../nodes/shared/quickbooks/types';
import { ManualClock } from '../helpers/manualClock';

/** The Data Table store's contract, in memory: a row per company, written only at its version. */
class MemoryLeaseStore {
	readonly rows = new Map<string, LeaseRow>();
	writes = 0;
	/** Processes whose store calls fail (their database connection is gone). */
	readonly cutOff = new Set<string>();

	forProcess(name: string): LeaseStore {
		const check = () => {
			if (this.cutOff.has(name)) throw new Error('connection terminated');
		};
		return {
			read: async (company) => {
				check();
				const row = this.rows.get(company);
				return row && (JSON.parse(JSON.stringify(row)) as LeaseRow);
			},
			write: async (company, version, next) => {
				check();
				this.writes++;
				if ((this.rows.get(company)?.version ?? 0) !== version) return false;
				this.rows.set(company, JSON.parse(JSON.stringify({ ...next, version: version + 1 })));
				return true;
			},
		};
	}
}

/** What QuickBooks sees of the company: each request's start and end, by process. */
class CompanyLog {
	readonly sends: Array<{ process: string; at: number; end?: number }> = [];

	maxInFlight(): number {
		const edges = this.sends.flatMap((s) => [
			{ at: s.at, d: 1 },
			{ at: s.end ?? Number.POSITIVE_INFINITY, d: -1 },
		]);
		edges.sort((a, b) => a.at - b.at || a.d - b.d);
		let now = 0;
		let max = 0;
		for (const e of edges) max = Math.max(max, (now += e.d));
		return max;
	}

	/** The most requests started within any `ms`. */
	maxStartedWithin(ms: number): number {
		const starts = this.sends.map((s) => s.at).sort((a, b) => a - b);
		let max = 0;
		for (let i = 0, j = 0; i < starts.length; i++) {
			while (starts[i] - starts[j] >= ms) j++;
			max = Math.max(max, i - j + 1);
		}
		return max;
	}
}

function processOn(clock: ManualClock, store: MemoryLeaseStore, name: string) {
	const budget = new CompanyBudget(clock, QBO_PACE);
	const turns = new CompanyTurns(budget, store.forProcess(name), clock, name, 'realm-1');
	budget.shareWith(turns);
	return { name, budget, turns };
}

/** One call as an execution makes it: a slot, a request of `latencyMs`, the answer. */
async function call(
	clock: ManualClock,
	log: CompanyLog,
	process: { name: string; budget: CompanyBudget },
	latencyMs: number,
	maxWaitMs = Number.POSITIVE_INFINITY,
	throttled?: { retryAfterMs?: number },
): Promise<void> {
	const slot = await process.budget.acquire(false, clock.now(), maxWaitMs);
	const send: { process: string; at: number; end?: number } = {
		process: process.name,
		at: clock.now(),
	};
	log.sends.push(send);
	await clock.sleep(latencyMs);
	send.end = clock.now();
	slot.release(throttled);
}

/** Latencies between 50 and 400 ms, the same in every run. */
const latency = (i: number) => 50 + ((i * 7919) % 351);

async function runUntil(clock: ManualClock, done: () => boolean, limitMs: number, stepMs = 100) {
	while (!done() && clock.now() < limitMs) await clock.advanceTo(clock.now() + stepMs);
}

async function burst(processes: number, callsInAll: number) {
	const clock = new ManualClock();
	const store = new MemoryLeaseStore();
	const log = new CompanyLog();
	const all = Array.from({ length: processes }, (_, p) =>
		processOn(clock, store, `worker ${p + 1}`),
	);
	let finished = 0;
	const calls = Array.from({ length: callsInAll }, (_, i) =>
		call(clock, log, all[i % processes], latency(i)).then(() => finished++),
	);
	await runUntil(clock, () => finished === callsInAll, 20 * 60_000);
	await Promise.all(calls);
	const perProcess: Record<string, number> = {};
	for (const s of log.sends) perProcess[s.process] = (perProcess[s.process] ?? 0) + 1;
	return { clock, store, log, all, tookMs: clock.now(), perProcess };
}

describe('processes sharing a company take turns', () => {
	test('1,200 calls from 4 processes: never over 10 in flight, 10 a second or 480 a minute, each process served, as fast as one process', async () => {
		const four = await burst(4, 1_200);
		const one = await burst(1, 1_200);
		const figures = {
			four: {
				tookS: four.tookMs / 1000,
				maxInFlight: four.log.maxInFlight(),
				maxPerSecond: four.log.maxStartedWithin(1_000),
				maxPerMinute: four.log.maxStartedWithin(60_000),
				storeWrites: four.store.writes,
				turns: four.all.map((p) => p.turns.stats.taken),
			},
			one: { tookS: one.tookMs / 1000, maxPerMinute: one.log.maxStartedWithin(60_000) },
		};
		console.log(`turns: ${JSON.stringify(figures)}`);
		expect(four.log.sends).toHaveLength(1_200);
		expect(figures.four.maxInFlight).toBeLessThanOrEqual(QBO_PACE.concurrent);
		expect(figures.four.maxPerSecond).toBeLessThanOrEqual(QBO_PACE.perSecond!);
		expect(figures.four.maxPerMinute).toBeLessThanOrEqual(QBO_PACE.perWindow);
		expect(Object.values(four.perProcess)).toEqual([300, 300, 300, 300]);
		// The minute limit bounds both: four processes finish within 10 % of one.
		expect(four.tookMs).toBeLessThanOrEqual(one.tookMs * 1.1);
		// Both ran at the company's pace: 1,200 calls at 480 a minute end in the third window.
		expect(one.tookMs).toBeLessThan(3 * 60_000);
	});

	test('a holder that dies (its database connection gone) stops sending; the next process takes the turn once its lease ends', async () => {
		const clock = new ManualClock();
		const store = new MemoryLeaseStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		const aCalls = Array.from({ length: 2_000 }, (_, i) => call(clock, log, a, latency(i)));
		await clock.advanceTo(500);
		expect(store.rows.get('realm-1')?.holder).toBe('a');
		const bCalls = Array.from({ length: 50 }, (_, i) => call(clock, log, b, latency(i)));
		store.cutOff.add('a');
		const diedAt = clock.now();
		let bDone = 0;
		bCalls.forEach((c) => void c.then(() => bDone++));
		await runUntil(clock, () => bDone === 50, 60_000);
		const lastOfA = Math.max(...log.sends.filter((s) => s.process === 'a').map((s) => s.at));
		const firstOfB = Math.min(...log.sends.filter((s) => s.process === 'b').map((s) => s.at));
		expect(bDone).toBe(50);
		// a stopped before its lease ran out; b started after it did, never beside a.
		expect(lastOfA).toBeLessThan(diedAt + TURN_TIMING.leaseMs - TURN_TIMING.marginMs + 1);
		expect(firstOfB).toBeGreaterThanOrEqual(lastOfA);
		expect(firstOfB).toBeLessThanOrEqual(diedAt + TURN_TIMING.leaseMs + TURN_TIMING.pollMs * 2);
		expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
		void aCalls;
	});

	test('a throttled answer holds every process: the next holder waits out the hold it was handed', async () => {
		const clock = new ManualClock();
		const store = new MemoryLeaseStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		const throttled = call(clock, log, a, 100, undefined, { retryAfterMs: 20_000 });
		await clock.advanceTo(200);
		const heldUntil = log.sends[0].end! + 20_000;
		const later = call(clock, log, b, 100);
		await clock.advanceTo(40_000);
		await Promise.all([throttled, later]);
		expect(log.sends.map((s) => s.process)).toEqual(['a', 'b']);
		expect(log.sends[1].at).toBeGreaterThanOrEqual(heldUntil);
	});

	test('a call that never gets a turn stops after its bound with a clear error, having sent nothing (R20)', async () => {
		const clock = new ManualClock();
		const store = new MemoryLeaseStore();
		const log = new CompanyLog();
		// Another process holds the turn and keeps renewing it.
		store.rows.set('realm-1', {
			version: 1,
			holder: 'elsewhere',
			until: Number.MAX_SAFE_INTEGER,
			wants: {},
			pace: { answers: [], batches: [], heldUntil: 0 },
		});
		const b = processOn(clock, store, 'b');
		const outcome = call(clock, log, b, 100, 5_000).catch((error: unknown) => error);
		await clock.advanceTo(6_000);
		const error = await outcome;
		expect(error).toBeInstanceOf(OutcomeError);
		expect((error as OutcomeError).kind).toBe('busy');
		expect((error as OutcomeError).message).toMatch(/waited 5 s .* sent nothing/);
		expect(log.sends).toHaveLength(0);
		expect(b.budget.waiting).toBe(0);
		// It asked for the turn meanwhile.
		expect(Object.keys(store.rows.get('realm-1')!.wants)).toEqual(['b']);
	});
});
