/**
 * Several n8n processes sharing one QuickBooks company's budget (nodes/shared/transport/sharedBudget.ts),
 * on a clock the test moves and a store in memory with the compare-and-set of the Data Table one.
 * What a user would notice: together the processes never pass QuickBooks' limits (500 a minute
 * paced at 480, 10 a second, 10 in flight, 40 batch requests paced at 38), more processes never
 * book slower than one, whether the minute limit or the answers' latency bounds them, a dead
 * process's places come back, a throttled hold reaches every process, and a call that never gets a
 * place stops with a clear error having sent nothing.
 */
import { OutcomeError } from '../../nodes/shared/errors';
import { CompanyBudget, QBO_PACE } from '../../nodes/shared/transport/pacing';
import { SHARE_TIMING, SharedCompanyBudget } from '../../nodes/shared/transport/sharedBudget';
import type { BudgetRow, BudgetStore } from '../../nodes/shared/quickbooks/types';
import { ManualClock } from '../helpers/manualClock';

/** The Data Table store's contract, in memory: a row per company, written only at its version. */
class MemoryBudgetStore {
	readonly rows = new Map<string, BudgetRow>();
	reads = 0;
	writes = 0;
	/** Processes whose store calls fail (their database connection is gone). */
	readonly cutOff = new Set<string>();

	forProcess(name: string): BudgetStore {
		const check = () => {
			if (this.cutOff.has(name)) throw new Error('connection terminated');
		};
		return {
			read: async (company: string) => {
				check();
				this.reads++;
				const row = this.rows.get(company);
				return row && (JSON.parse(JSON.stringify(row)) as BudgetRow);
			},
			write: async (company: string, version: number, next: Omit<BudgetRow, 'version'>) => {
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
	readonly sends: Array<{ process: string; at: number; end?: number; batch?: boolean }> = [];

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

	/** The most requests (batch requests only: `batch`) started within any `ms`. */
	maxStartedWithin(ms: number, batch = false): number {
		const starts = this.sends
			.filter((s) => !batch || s.batch)
			.map((s) => s.at)
			.sort((a, b) => a - b);
		let max = 0;
		for (let i = 0, j = 0; i < starts.length; i++) {
			while (starts[i] - starts[j] >= ms) j++;
			max = Math.max(max, i - j + 1);
		}
		return max;
	}
}

function processOn(clock: ManualClock, store: MemoryBudgetStore, name: string) {
	const budget = new CompanyBudget(clock, QBO_PACE);
	const share = new SharedCompanyBudget(
		budget,
		store.forProcess(name),
		clock,
		name,
		'realm-1',
		QBO_PACE,
	);
	budget.shareWith(share);
	return { name, budget, share };
}

/** One call as an execution makes it: a slot, a request of `latencyMs`, the answer. */
async function call(
	clock: ManualClock,
	log: CompanyLog,
	process: { name: string; budget: CompanyBudget },
	latencyMs: number,
	maxWaitMs = Number.POSITIVE_INFINITY,
	throttled?: { retryAfterMs?: number },
	batch = false,
): Promise<void> {
	const slot = await process.budget.acquire(batch, clock.now(), maxWaitMs);
	const send: { process: string; at: number; end?: number; batch?: boolean } = {
		process: process.name,
		at: clock.now(),
		batch,
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
	const store = new MemoryBudgetStore();
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

/**
 * `lanes` executions per process, each making one call after another for `forMs`, every answer
 * taking `latencyMs`: work bound by latency, not by the limits (a drain, a burst of executions).
 */
async function lanes(processes: number, lanesEach: number, latencyMs: number, forMs: number) {
	const clock = new ManualClock();
	const store = new MemoryBudgetStore();
	const log = new CompanyLog();
	const all = Array.from({ length: processes }, (_, p) =>
		processOn(clock, store, `worker ${p + 1}`),
	);
	const lane = async (process: (typeof all)[number], startMs: number) => {
		await clock.sleep(startMs);
		while (clock.now() < forMs) {
			await call(clock, log, process, latencyMs);
		}
	};
	// Lanes start spread over one cycle, as executions do: never all at once.
	const cycle = latencyMs / (processes * lanesEach);
	const running = all.flatMap((process, p) =>
		Array.from({ length: lanesEach }, (_, l) => lane(process, (p * lanesEach + l) * cycle)),
	);
	await runUntil(clock, () => false, forMs + 10_000);
	await Promise.all(running);
	return { log, calls: log.sends.filter((s) => s.at < forMs).length, store };
}

describe('processes sharing a company share one budget', () => {
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
				storeReads: four.store.reads,
				conflicts: four.all.map((p) => p.share.stats.conflicts),
			},
			one: {
				tookS: one.tookMs / 1000,
				maxPerMinute: one.log.maxStartedWithin(60_000),
				storeWrites: one.store.writes,
				storeReads: one.store.reads,
			},
		};
		console.log(`shared budget, minute-bound: ${JSON.stringify(figures)}`);
		expect(four.log.sends).toHaveLength(1_200);
		expect(figures.four.maxInFlight).toBeLessThanOrEqual(QBO_PACE.concurrent);
		expect(figures.four.maxPerSecond).toBeLessThanOrEqual(QBO_PACE.perSecond!);
		expect(figures.four.maxPerMinute).toBeLessThanOrEqual(QBO_PACE.perWindow);
		expect(Object.values(four.perProcess)).toEqual([300, 300, 300, 300]);
		// Each look at the row is a request to n8n's main instance: few per call, whatever the
		// number of processes (7.0 and 2.5 per call before waiting processes took turns).
		expect((four.store.reads + four.store.writes) / 1_200).toBeLessThan(5);
		expect((one.store.reads + one.store.writes) / 1_200).toBeLessThan(2);
		// The minute limit bounds both: four processes finish within 10 % of one.
		expect(four.tookMs).toBeLessThanOrEqual(one.tookMs * 1.1);
		// Both ran at the company's pace: 1,200 calls at 480 a minute end in the third window.
		expect(one.tookMs).toBeLessThan(3 * 60_000);
	});

	test('bound by latency (4 executions calling one after another, 1 s answers): 2 and 4 processes send side by side, never fewer calls than one process', async () => {
		const one = await lanes(1, 4, 1_000, 60_000);
		const two = await lanes(2, 2, 1_000, 60_000);
		const four = await lanes(4, 1, 1_000, 60_000);
		const figures = {
			callsInAMinute: { one: one.calls, two: two.calls, four: four.calls },
			maxInFlight: [one, two, four].map((r) => r.log.maxInFlight()),
			storeWrites: { one: one.store.writes, two: two.store.writes, four: four.store.writes },
		};
		console.log(`shared budget, latency-bound: ${JSON.stringify(figures)}`);
		// 4 calls in flight every second, inside every limit: 240 a minute.
		expect(one.calls).toBeGreaterThanOrEqual(236);
		expect(two.calls).toBeGreaterThanOrEqual(one.calls);
		expect(four.calls).toBeGreaterThanOrEqual(one.calls);
		for (const run of [one, two, four])
			expect(run.log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
	});

	test('batch requests from 2 processes: never over 38 a minute together', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		let finished = 0;
		const calls = Array.from({ length: 80 }, (_, i) =>
			call(clock, log, i % 2 ? b : a, latency(i), undefined, undefined, true).then(
				() => finished++,
			),
		);
		await runUntil(clock, () => finished === 80, 5 * 60_000);
		await Promise.all(calls);
		expect(log.maxStartedWithin(60_000, true)).toBeLessThanOrEqual(QBO_PACE.batchPerWindow);
		// Both processes took part in every minute's 38.
		expect(new Set(log.sends.slice(0, 38).map((s) => s.process))).toEqual(new Set(['a', 'b']));
	});

	test('a process that dies (its database connection gone) takes no new places; its places come back to the others when its entry lapses', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		const aCalls = Array.from({ length: 2_000 }, (_, i) => call(clock, log, a, latency(i)));
		await clock.advanceTo(500);
		expect(log.sends.length).toBeGreaterThan(0);
		store.cutOff.add('a');
		const diedAt = clock.now();
		const bCalls = Array.from({ length: 50 }, (_, i) => call(clock, log, b, latency(i)));
		let bDone = 0;
		bCalls.forEach((c) => void c.then(() => bDone++));
		await runUntil(clock, () => bDone === 50, 60_000);
		const lastOfA = Math.max(...log.sends.filter((s) => s.process === 'a').map((s) => s.at));
		const firstOfB = Math.min(...log.sends.filter((s) => s.process === 'b').map((s) => s.at));
		expect(bDone).toBe(50);
		// a sent nothing without a place; b waited for a's places to lapse, never beside them.
		expect(lastOfA).toBeLessThanOrEqual(diedAt);
		expect(firstOfB).toBeGreaterThan(diedAt);
		expect(firstOfB).toBeLessThanOrEqual(diedAt + SHARE_TIMING.leaseMs + SHARE_TIMING.pollMs * 2);
		expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
		void aCalls;
	});

	test('a throttled answer holds every process: the other waits out the hold written to the row', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
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

	test('a call that never gets a place stops after its bound with a clear error, having sent nothing (R20)', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
		const log = new CompanyLog();
		// Another process has every place in flight and keeps its entry current.
		store.rows.set('realm-1', {
			version: 1,
			answers: [],
			batches: [],
			heldUntil: 0,
			taken: { elsewhere: { calls: 10, batches: 0, until: Number.MAX_SAFE_INTEGER } },
			wants: {},
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
	});
});
