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
import {
	SHARE_TIMING,
	SharedCompanyBudget,
	shareFor,
	type OwnUse,
} from '../../nodes/shared/transport/sharedBudget';
import type { BudgetStore, ShareEntry } from '../../nodes/shared/quickbooks/types';
import { ManualClock } from '../helpers/manualClock';

/** The Data Table store's contract, in memory: an entry per process and company, each written by its process. */
class MemoryBudgetStore {
	readonly companies = new Map<string, Map<string, ShareEntry>>();
	reads = 0;
	writes = 0;
	/** Processes whose store calls fail (their database connection is gone). */
	readonly cutOff = new Set<string>();
	/** Processes whose store calls take this long (n8n's API under load), on the test's clock. */
	readonly slow = new Map<string, number>();

	constructor(private readonly clock?: ManualClock) {}

	forProcess(name: string): BudgetStore {
		const check = () => {
			if (this.cutOff.has(name)) throw new Error('connection terminated');
		};
		return {
			entries: async (company: string) => {
				if (this.slow.has(name)) await this.clock!.sleep(this.slow.get(name)!);
				check();
				this.reads++;
				return structuredClone([...(this.companies.get(company)?.values() ?? [])]);
			},
			put: async (company: string, entry: ShareEntry) => {
				if (this.slow.has(name)) await this.clock!.sleep(this.slow.get(name)!);
				check();
				this.writes++;
				if (!this.companies.has(company)) this.companies.set(company, new Map());
				this.companies.get(company)!.set(entry.me, structuredClone(entry));
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
		// Each look at the store is a request to n8n's main instance: a read and a write per process
		// and lease (2 s) while busy, whatever the calls sent meanwhile (the one row every
		// process compare-and-set before: 2.5 per call with one process, up to 7 with four).
		expect((four.store.reads + four.store.writes) / 1_200).toBeLessThan(0.75);
		expect((one.store.reads + one.store.writes) / 1_200).toBeLessThan(0.25);
		// The minute limit bounds both: four processes finish within 10 % of one.
		expect(four.tookMs).toBeLessThanOrEqual(one.tookMs * 1.1);
		// Both ran at the company's pace: 1,200 calls at 480 a minute end in the third window.
		expect(one.tookMs).toBeLessThan(3 * 60_000);
	});

	test("bound by latency (4 executions calling one after another, 1 s answers): 2 and 4 processes send side by side, as many calls as one process but for a joiner's first 300 ms", async () => {
		const one = await lanes(1, 4, 1_000, 60_000);
		const two = await lanes(2, 2, 1_000, 60_000);
		const four = await lanes(4, 1, 1_000, 60_000);
		const figures = {
			callsInAMinute: { one: one.calls, two: two.calls, four: four.calls },
			maxInFlight: [one, two, four].map((r) => r.log.maxInFlight()),
			storeWrites: { one: one.store.writes, two: two.store.writes, four: four.store.writes },
		};
		console.log(`shared budget, latency-bound: ${JSON.stringify(figures)}`);
		// 4 calls in flight every second, inside every limit: 240 a minute. A process joining the
		// others takes nothing until they have seen it: under one call per joiner here.
		expect(one.calls).toBeGreaterThanOrEqual(236);
		expect(two.calls).toBeGreaterThanOrEqual(one.calls - 1);
		expect(four.calls).toBeGreaterThanOrEqual(one.calls - 3);
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
		// a sent nothing past the share it held when its store went; b took the company when a's
		// lease lapsed, never beside a's whole share.
		expect(lastOfA).toBeLessThan(diedAt + SHARE_TIMING.leaseMs + SHARE_TIMING.graceMs);
		expect(firstOfB).toBeGreaterThan(diedAt);
		expect(firstOfB).toBeLessThanOrEqual(
			diedAt +
				SHARE_TIMING.leaseMs +
				SHARE_TIMING.graceMs +
				SHARE_TIMING.pollMs +
				SHARE_TIMING.pollMs * 2,
		);
		expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
		void aCalls;
	});

	test('a throttled answer holds every process: the other waits out the hold written to its entry', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		const throttled = call(clock, log, a, 100, undefined, { retryAfterMs: 20_000 });
		await clock.advanceTo(1_000);
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
		store.companies.set(
			'realm-1',
			new Map([
				[
					'elsewhere',
					{
						me: 'elsewhere',
						leaseUntil: Number.MAX_SAFE_INTEGER,
						concurrent: 10,
						perSecond: 10,
						calls: 20,
						batches: 0,
						answers: [],
						batchAnswers: [],
						wantsBatches: false,
						heldUntil: 0,
					},
				],
			]),
		);
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

	test.each([1_200, 3_000])(
		'a process whose reads and writes take %i ms each renews late: together they still never pass the limits',
		async (slowMs) => {
			const clock = new ManualClock();
			const store = new MemoryBudgetStore(clock);
			store.slow.set('a', slowMs);
			const log = new CompanyLog();
			const a = processOn(clock, store, 'a');
			const b = processOn(clock, store, 'b');
			let finished = 0;
			const calls = Array.from({ length: 900 }, (_, i) =>
				call(clock, log, i % 2 ? b : a, latency(i)).then(() => finished++),
			);
			await runUntil(clock, () => finished === 900, 10 * 60_000);
			await Promise.all(calls);
			const ofA = log.sends.filter((s) => s.process === 'a').length;
			console.log(
				`shared budget, one slow store: ${JSON.stringify({ tookS: clock.now() / 1000, ofA, maxPerSecond: log.maxStartedWithin(1_000), maxInFlight: log.maxInFlight() })}`,
			);
			expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
			expect(log.maxStartedWithin(1_000)).toBeLessThanOrEqual(QBO_PACE.perSecond!);
			expect(log.maxStartedWithin(60_000)).toBeLessThanOrEqual(QBO_PACE.perWindow);
			// The slow one still sends its calls, only later.
			expect(ofA).toBe(450);
		},
	);

	test('four processes joining at the same moment through a slow store (400 ms a read or write) never pass the limits together', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore(clock);
		const log = new CompanyLog();
		const all = ['a', 'b', 'c', 'd'].map((name) => {
			store.slow.set(name, 400);
			return processOn(clock, store, name);
		});
		let finished = 0;
		const calls = Array.from({ length: 400 }, (_, i) =>
			call(clock, log, all[i % 4], latency(i)).then(() => finished++),
		);
		await runUntil(clock, () => finished === 400, 5 * 60_000);
		await Promise.all(calls);
		expect(finished).toBe(400);
		expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
		expect(log.maxStartedWithin(1_000)).toBeLessThanOrEqual(QBO_PACE.perSecond!);
	});

	test('a process joining one that holds the whole company gets its part within two leases, never beside the whole', async () => {
		const clock = new ManualClock();
		const store = new MemoryBudgetStore();
		const log = new CompanyLog();
		const a = processOn(clock, store, 'a');
		const b = processOn(clock, store, 'b');
		const aCalls = Array.from({ length: 600 }, (_, i) => call(clock, log, a, latency(i)));
		await clock.advanceTo(10_000);
		const joinedAt = clock.now();
		const bCalls = Array.from({ length: 100 }, (_, i) => call(clock, log, b, latency(i)));
		await runUntil(clock, () => log.sends.filter((s) => s.process === 'b').length >= 5, 30_000);
		const firstOfB = Math.min(...log.sends.filter((s) => s.process === 'b').map((s) => s.at));
		// a gives up half at its next lease, and its calls in flight beyond it end by the one after.
		expect(firstOfB - joinedAt).toBeLessThanOrEqual(
			SHARE_TIMING.pollMs + 2 * SHARE_TIMING.leaseMs + SHARE_TIMING.pollMs,
		);
		// Over the next 20 s both send, about half each.
		const from = clock.now();
		await clock.advanceTo(from + 20_000);
		const after = log.sends.filter((s) => s.at >= from && s.at < from + 20_000);
		const ofB = after.filter((s) => s.process === 'b').length / after.length;
		expect(ofB).toBeGreaterThan(0.35);
		expect(ofB).toBeLessThan(0.65);
		expect(log.maxInFlight()).toBeLessThanOrEqual(QBO_PACE.concurrent);
		expect(log.maxStartedWithin(1_000)).toBeLessThanOrEqual(QBO_PACE.perSecond!);
		void aCalls;
		void bCalls;
	});
});

describe("one process's share of what the others leave", () => {
	const idle: OwnUse = {
		answers: [],
		batchAnswers: [],
		inFlight: 0,
		batchesInFlight: 0,
		waiting: 50,
		wantsBatches: false,
	};
	const entry = (me: string, over: Partial<ShareEntry> = {}): ShareEntry => ({
		me,
		leaseUntil: 10_000,
		concurrent: 0,
		perSecond: 0,
		calls: 0,
		batches: 0,
		answers: [],
		batchAnswers: [],
		wantsBatches: false,
		heldUntil: 0,
		...over,
	});

	test('alone: the whole company, 10 in flight, 10 a second, 20 calls for a 2 s lease', () => {
		expect(shareFor([], 'a', idle, QBO_PACE, 2_000, 0)).toMatchObject({
			concurrent: 10,
			perSecond: 10,
			calls: 20,
		});
	});

	test('the parts of processes seeing the same entries add up to the limits, the remainder to the first', () => {
		const entries = ['a', 'b', 'c'].map((me) => entry(me));
		const shares = ['a', 'b', 'c'].map((me) => shareFor(entries, me, idle, QBO_PACE, 2_000, 0));
		expect(shares.map((s) => s.concurrent)).toEqual([4, 3, 3]);
		expect(shares.map((s) => s.perSecond)).toEqual([4, 3, 3]);
	});

	test('a newcomer takes only what the current shares leave; a lapsed entry leaves its part', () => {
		const whole = entry('a', { concurrent: 10, perSecond: 10, calls: 20 });
		expect(shareFor([whole], 'b', idle, QBO_PACE, 2_000, 0)).toMatchObject({
			concurrent: 0,
			perSecond: 0,
		});
		expect(shareFor([whole], 'b', idle, QBO_PACE, 2_000, 10_000)).toMatchObject({
			concurrent: 10,
			perSecond: 10,
		});
	});

	test('the minute counts every answer in the window and what others were granted, until a window after their lease', () => {
		const busy = entry('a', {
			answers: Array.from({ length: 470 }, (_, i) => 1_000 + i),
			calls: 6,
		});
		// 480 - 470 answered - 6 granted = 4 left.
		expect(shareFor([busy], 'b', idle, QBO_PACE, 2_000, 5_000).calls).toBe(2);
		expect(shareFor([busy], 'b', idle, QBO_PACE, 2_000, 20_000).calls).toBe(4);
		// A minute after the answers and the lapsed lease, all of it again.
		expect(shareFor([busy], 'b', idle, QBO_PACE, 2_000, 75_000).calls).toBe(20);
	});

	test('a hold in any entry holds everyone', () => {
		const held = entry('a', { heldUntil: 30_000 });
		expect(shareFor([held], 'b', idle, QBO_PACE, 2_000, 29_999)).toMatchObject({
			concurrent: 0,
			calls: 0,
			heldUntil: 30_000,
		});
	});

	test('a process with a few calls takes a few places and leaves the rest', () => {
		const share = shareFor([], 'a', { ...idle, waiting: 1 }, QBO_PACE, 2_000, 0);
		expect(share).toMatchObject({ concurrent: 3, small: true });
	});
});
