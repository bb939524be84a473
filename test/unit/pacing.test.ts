/**
 * The per-company budget of nodes/shared/transport/pacing.ts on a clock the test moves: the window,
 * concurrency and batch limits, FIFO order, what a throttled answer does to every call of the
 * company, bounded memory, and companies kept apart. Then the client through it: a 429 storm is
 * waited out, within the bound of recovery R1a.
 */
import { QboClient, type HttpResponse } from '../../nodes/shared/transport/client';
import {
	QBO_PACE,
	companiesRemembered,
	companyBudget,
	type CompanyBudget,
} from '../../nodes/shared/transport/pacing';
import type { PaceLimits, Slot } from '../../nodes/shared/quickbooks/types';
import { THROTTLED_RETRY } from '../../nodes/shared/recovery';
import { ManualClock } from '../helpers/manualClock';

const LIMITS: PaceLimits = { windowMs: 60_000, perWindow: 5, batchPerWindow: 2, concurrent: 10 };

/** A call as an execution makes it: waits for a slot, is answered `latencyMs` later. */
async function call(
	clock: ManualClock,
	budget: CompanyBudget,
	log: Array<{ name: string; at: number }>,
	name: string,
	options: { batch?: boolean; latencyMs?: number; since?: number } = {},
): Promise<Slot> {
	// No give-up (R20) unless a test asks: backlogs here run longer than its bound on purpose.
	const slot = await budget.acquire(
		options.batch ?? false,
		options.since,
		Number.POSITIVE_INFINITY,
	);
	log.push({ name, at: clock.now() });
	await clock.sleep(options.latencyMs ?? 100);
	slot.release();
	return slot;
}

let realm = 0;
/** A fresh company on a fresh clock. */
function company(limits: PaceLimits = LIMITS) {
	const clock = new ManualClock();
	const budget = companyBudget(clock, `https://qbo/v3/company/${++realm}`, limits);
	return { clock, budget, log: [] as Array<{ name: string; at: number }> };
}

describe('a company budget', () => {
	test('the window: at most perWindow requests within a window counted from their answers', async () => {
		const { clock, budget, log } = company();
		const calls = Array.from({ length: 12 }, (_, i) => call(clock, budget, log, `c${i}`));
		await clock.advanceTo(300_000);
		await Promise.all(calls);
		// Answered at 100, the first five leave the window at 60,100; the next five at 120,200.
		expect(log.map((entry) => entry.at)).toEqual([
			0, 0, 0, 0, 0, 60_100, 60_100, 60_100, 60_100, 60_100, 120_200, 120_200,
		]);
		expect(budget.stats).toEqual({
			requests: 12,
			throttled: 0,
			waitedMs: 5 * 60_100 + 2 * 120_200,
		});
	});

	test('concurrency: no more than `concurrent` in flight, the next goes when one is answered', async () => {
		const { clock, budget, log } = company({ ...LIMITS, perWindow: 100, concurrent: 2 });
		const calls = Array.from({ length: 5 }, (_, i) =>
			call(clock, budget, log, `c${i}`, { latencyMs: 1_000 }),
		);
		await clock.advanceTo(10_000);
		await Promise.all(calls);
		expect(log.map((entry) => entry.at)).toEqual([0, 0, 1_000, 1_000, 2_000]);
	});

	test('batch: at most batchPerWindow; a batch held by it lets ordinary calls pass, and counts toward perWindow', async () => {
		const { clock, budget, log } = company({ ...LIMITS, perWindow: 6 });
		const calls = [
			call(clock, budget, log, 'b1', { batch: true }),
			call(clock, budget, log, 'b2', { batch: true }),
			call(clock, budget, log, 'b3', { batch: true }),
			call(clock, budget, log, 'o1'),
			call(clock, budget, log, 'o2'),
			call(clock, budget, log, 'o3'),
			call(clock, budget, log, 'o4'),
			call(clock, budget, log, 'o5'),
		];
		await clock.advanceTo(200_000);
		await Promise.all(calls);
		const at = Object.fromEntries(log.map((entry) => [entry.name, entry.at]));
		// b3 waits for the batch window; o1-o4 pass it and fill the window of six with b1 and b2.
		expect(at).toMatchObject({ b1: 0, b2: 0, o1: 0, o2: 0, o3: 0, o4: 0 });
		expect(at.b3).toBe(60_100);
		// o5 asked after b3: it does not jump it once b3 can go.
		expect(at.o5).toBe(60_100);
		expect(log.findIndex((e) => e.name === 'b3')).toBeLessThan(
			log.findIndex((e) => e.name === 'o5'),
		);
	});

	test('FIFO: calls go in the order they first asked; a retried call keeps its place', async () => {
		const { clock, budget, log } = company({ ...LIMITS, perWindow: 100, concurrent: 1 });
		const calls = [call(clock, budget, log, 'holder', { latencyMs: 1_000 })];
		for (const name of ['a', 'b', 'c']) {
			await clock.advanceTo(clock.now() + 100);
			calls.push(call(clock, budget, log, name));
		}
		// A call that first asked at 50 asks again (its retry): it goes before a, b and c.
		calls.push(call(clock, budget, log, 'retry', { since: 50 }));
		await clock.advanceTo(10_000);
		await Promise.all(calls);
		expect(log.map((entry) => entry.name)).toEqual(['holder', 'retry', 'a', 'b', 'c']);
	});

	test('a throttled answer holds every call of the company, a window from the answer without Retry-After', async () => {
		const { clock, budget, log } = company({ ...LIMITS, perWindow: 100 });
		const first = await budget.acquire(false);
		const second = await budget.acquire(false);
		await clock.advanceTo(200);
		const other = call(clock, budget, log, 'other');
		await clock.advanceTo(300);
		expect(first.release({})).toBe(60_000);
		// Another execution's call asked now waits for the hold, as does the answer in flight's.
		const later = call(clock, budget, log, 'later');
		await clock.advanceTo(400);
		expect(second.release({})).toBe(60_000);
		await clock.advanceTo(60_399);
		expect(log.map((entry) => entry.name)).toEqual(['other']);
		await clock.advanceTo(70_000);
		await Promise.all([other, later]);
		expect(log).toEqual([
			{ name: 'other', at: 200 },
			{ name: 'later', at: 60_400 },
		]);
		expect(budget.stats).toMatchObject({ requests: 4, throttled: 2 });
	});

	test('with Retry-After: the later of it and a backoff doubling per episode, up to a window; an answer resets it', async () => {
		const { clock, budget } = company({ ...LIMITS, perWindow: 1_000 });
		const next = async () => {
			const slot = budget.acquire(false);
			await clock.advanceTo(clock.now() + 100_000);
			return await slot;
		};
		const holds: number[] = [];
		for (const retryAfterMs of [0, 0, 0, 20_000, 0, 0, 0]) {
			holds.push((await next()).release({ retryAfterMs }));
		}
		expect(holds).toEqual([1_000, 2_000, 4_000, 20_000, 16_000, 32_000, 60_000]);
		(await next()).release();
		expect((await next()).release({ retryAfterMs: 0 })).toBe(THROTTLED_RETRY.baseDelayMs);
		// Answers to requests sent before the last throttled answer are its episode: no doubling.
		const [a, b] = [await next(), await budget.acquire(false)];
		expect(a.release({ retryAfterMs: 0 })).toBe(2_000);
		expect(b.release({ retryAfterMs: 0 })).toBe(2_000);
	});

	test('memory stays bounded: a window holds at most its limit; idle companies are forgotten', async () => {
		const clock = new ManualClock();
		const busy = companyBudget(clock, 'busy', QBO_PACE);
		const log: Array<{ name: string; at: number }> = [];
		const calls = Array.from({ length: 2_000 }, (_, i) =>
			call(clock, busy, log, i % 10 === 0 ? 'batch' : 'call', { batch: i % 10 === 0 }),
		);
		const footprints: number[] = [];
		for (let t = 0; t <= 600_000; t += 5_000) {
			await clock.advanceTo(t);
			footprints.push(busy.footprint().answers);
		}
		await Promise.all(calls);
		expect(Math.max(...footprints)).toBeLessThanOrEqual(
			QBO_PACE.perWindow + QBO_PACE.batchPerWindow + (QBO_PACE.perSecond ?? 0),
		);
		expect(busy.footprint().waiting).toBe(0);
		// Never more than the pace in any window, for all requests and for batch requests.
		for (let i = 0; i + QBO_PACE.perWindow < log.length; i++) {
			expect(log[i + QBO_PACE.perWindow].at - log[i].at).toBeGreaterThan(QBO_PACE.windowMs);
		}
		const batches = log.filter((entry) => entry.name === 'batch');
		for (let i = 0; i + QBO_PACE.batchPerWindow < batches.length; i++) {
			expect(batches[i + QBO_PACE.batchPerWindow].at - batches[i].at).toBeGreaterThan(
				QBO_PACE.windowMs,
			);
		}

		const other = new ManualClock();
		for (let i = 0; i < 1_000; i++) {
			(await companyBudget(other, `company ${i}`).acquire(false)).release();
		}
		expect(companiesRemembered(other)).toBe(1_000);
		await other.advanceTo(QBO_PACE.windowMs);
		companyBudget(other, 'one more');
		expect(companiesRemembered(other)).toBe(1);
	});

	test('two companies are independent: one full and held does not slow the other', async () => {
		const clock = new ManualClock();
		const a = companyBudget(clock, 'https://qbo/v3/company/A', LIMITS);
		const b = companyBudget(clock, 'https://qbo/v3/company/B', LIMITS);
		for (let i = 1; i < LIMITS.perWindow; i++) (await a.acquire(false)).release();
		(await a.acquire(false)).release({});
		const log: Array<{ name: string; at: number }> = [];
		const calls = [call(clock, a, log, 'a'), call(clock, b, log, 'b')];
		await clock.advanceTo(100_000);
		await Promise.all(calls);
		expect(log).toEqual([
			{ name: 'b', at: 0 },
			{ name: 'a', at: 60_000 },
		]);
		expect(companyBudget(clock, 'https://qbo/v3/company/A', LIMITS)).toBe(a);
	});
});

describe('the client waits out a throttled company (recovery R1a)', () => {
	const throttled = (retryAfter?: string): HttpResponse => ({
		statusCode: 429,
		headers: retryAfter ? { 'Retry-After': retryAfter } : {},
		body: '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message></Error></Fault></IntuitResponse>',
	});
	const ok: HttpResponse = { statusCode: 200, headers: {}, body: { Customer: { Id: '1' } } };

	/** Clients (executions) on one clock, calling one company that throttles until `stormEndsAt`. */
	function stormy(stormEndsAt: number, retryAfter?: string) {
		const clock = new ManualClock();
		const realmId = `storm-${++realm}`;
		const sentAt: number[] = [];
		const client = () =>
			new QboClient(
				{ baseUrl: 'https://qbo', realmId },
				async () => {
					sentAt.push(clock.now());
					await clock.sleep(50);
					return clock.now() < stormEndsAt ? throttled(retryAfter) : ok;
				},
				clock,
			);
		return { clock, sentAt, client };
	}

	test('a storm of 100 s without Retry-After: the call waits two windows and succeeds', async () => {
		const { clock, sentAt, client } = stormy(100_000);
		const c = client();
		const read = c.read('Customer', '1');
		await clock.advanceTo(300_000);
		await expect(read).resolves.toMatchObject({ Id: '1' });
		expect(sentAt).toEqual([0, 60_050, 120_100]);
		expect(c.stats).toMatchObject({ requests: 3, retries: 2, throttled: 2, waitedMs: 120_000 });
	});

	test('a storm of 20 s with Retry-After 1: five executions hold back together, waits doubling, and all succeed', async () => {
		const { clock, sentAt, client } = stormy(20_000, '1');
		const clients = Array.from({ length: 5 }, () => client());
		const reads = clients.map(async (c) => await c.read('Customer', '1'));
		await clock.advanceTo(300_000);
		await Promise.all(reads);
		// Today's budget (6 attempts, ~16 s of waits) would have failed all five.
		const rounds = [0, 1_050, 3_100, 7_150, 15_200, 31_250];
		expect(sentAt).toEqual(rounds.flatMap((at) => Array(5).fill(at)));
		expect(clients[0].stats).toMatchObject({ throttled: 5, company: { throttled: 25 } });
	});

	test('a storm longer than three windows fails at the bound, about 3 minutes after the first try', async () => {
		const { clock, sentAt, client } = stormy(Number.POSITIVE_INFINITY);
		const read = client().read('Customer', '1');
		const failed = expect(read).rejects.toMatchObject({ kind: 'throttled', httpStatus: 429 });
		await clock.advanceTo(1_000_000);
		await failed;
		expect(sentAt).toEqual([0, 60_050, 120_100, 180_150]);
	});
});
