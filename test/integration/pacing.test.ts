/**
 * Pacing (nodes/shared/transport/pacing.ts) against the emulator with its limits on. QboClients on
 * one clock stand for concurrent executions in one n8n process; a client on a clock of its own is
 * another process. The emulator's window is shortened (option windowMs; QuickBooks counts over a
 * minute) and the clients pace to the same figures, so no test waits a real minute.
 */
import { QboClient } from '../../nodes/shared/transport/client';
import type { Clock, PaceLimits } from '../../nodes/shared/quickbooks/types';
import { runNode, plainSend, useEmulatedQuickBooks } from '../helpers/engine';

const qb = useEmulatedQuickBooks();

const realClock = (): Clock => ({
	now: () => Date.now(),
	sleep: async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)),
	random: () => Math.random(),
});

function client(clock: Clock, pace: PaceLimits): QboClient {
	const send = plainSend(qb.creds);
	return new QboClient(
		{ baseUrl: qb.emulator.url, realmId: qb.emulator.defaultRealm, pace },
		send,
		clock,
	);
}

const throttledAnswers = () => qb.emulator.log.filter((entry) => entry.status === 429);

describe('executions of one process share the company budget', () => {
	// QuickBooks' 10 a second, with a shortened "minute" that allows 20 a second on average.
	const SMALL = { perMinute: 40, perSecond: 10, concurrent: 4, batchPerMinute: 4, windowMs: 2_000 };
	const pace: PaceLimits = {
		windowMs: SMALL.windowMs,
		perWindow: SMALL.perMinute,
		batchPerWindow: SMALL.batchPerMinute,
		concurrent: SMALL.concurrent,
		perSecond: SMALL.perSecond,
	};

	/** What one execution does: one batch of look-ups, then six customers written one by one. */
	async function execution(c: QboClient, name: string): Promise<void> {
		const [lookup] = await c.batch([
			{
				entity: 'Customer',
				operation: 'query',
				payload: `SELECT * FROM Customer WHERE DisplayName LIKE '${name}%'`,
			},
		]);
		expect(lookup).toMatchObject({ ok: true, records: [] });
		for (let k = 0; k < 6; k++) await c.create('Customer', { DisplayName: `${name} ${k}` });
	}

	test('control: with a budget per execution (each on its own clock), the company throttles them', async () => {
		qb.emulator.setOptions({ limits: true, ...SMALL, latencyMs: [20, 40] });
		// Three calls each, 24 in all: every client keeps its own 10 a second, so the company gets up
		// to 80 a second whatever the timing of the machine (one call each could arrive spread out).
		const clients = Array.from({ length: 8 }, () => client(realClock(), pace));
		await Promise.all(
			clients.map(async (c) => {
				for (let k = 0; k < 3; k++) await c.count({ entity: 'Customer' });
			}),
		);
		expect(throttledAnswers().length).toBeGreaterThan(0);
	}, 30_000);

	test('eight executions writing one company at once: 56 calls, 8 of them batch, every one answered, none throttled', async () => {
		qb.emulator.setOptions({ limits: true, ...SMALL, latencyMs: [5, 40] });
		const clock = realClock();
		const clients = Array.from({ length: 8 }, () => client(clock, pace));
		const started = Date.now();
		await Promise.all(clients.map(async (c, i) => await execution(c, `Paced ${i}`)));
		const elapsed = Date.now() - started;

		expect(throttledAnswers()).toEqual([]);
		expect(qb.emulator.log.filter((entry) => entry.status === 200)).toHaveLength(56);
		expect(
			qb
				.realm()
				.all('Customer')
				.filter((r) => /^Paced /.test(String(r.DisplayName))),
		).toHaveLength(48);
		// 56 calls at 40 a window, 8 batches at 4: not inside one window; the budget made them wait.
		expect(elapsed).toBeGreaterThanOrEqual(SMALL.windowMs);
		const { company } = clients[0].stats;
		expect(company).toMatchObject({ requests: 56, throttled: 0 });
		expect(company.waitedMs).toBeGreaterThan(0);
		const own = clients.map((c) => c.stats);
		expect(own.reduce((sum, s) => sum + s.requests, 0)).toBe(56);
		expect(own.reduce((sum, s) => sum + s.waitedMs, 0)).toBe(company.waitedMs);
		console.log(
			`pacing: 8 executions, 56 calls in ${elapsed} ms; waited ${company.waitedMs} ms in all; throttled ${company.throttled}`,
		);
	}, 15_000);
});

test('a 429 storm of 13 s (the window used up by another process) is waited out: one hold for all, every call answered', async () => {
	// The window's storm alone: the per-second limit out of the way.
	const STORM = {
		perMinute: 20,
		perSecond: 1_000,
		concurrent: 10,
		batchPerMinute: 40,
		windowMs: 13_000,
	};
	qb.emulator.setOptions({ limits: true, ...STORM, latencyMs: [5, 20] });
	const pace: PaceLimits = {
		windowMs: STORM.windowMs,
		perWindow: STORM.perMinute,
		batchPerWindow: STORM.batchPerMinute,
		concurrent: STORM.concurrent,
	};
	// Another n8n process on the same app spends the company's whole window.
	const other = client(realClock(), pace);
	await Promise.all(Array.from({ length: 20 }, async () => await other.count({ entity: 'Item' })));
	const stormStarted = Date.now();

	const clock = realClock();
	const clients = Array.from({ length: 4 }, () => client(clock, pace));
	await Promise.all(
		clients.map(async (c) => {
			for (let k = 0; k < 3; k++) await c.count({ entity: 'Customer' });
		}),
	);
	const ours = qb.emulator.log.slice(20);
	const throttled = ours.filter((entry) => entry.status === 429);
	const answered = ours.filter((entry) => entry.status === 200);
	// Only the four calls already in flight met the storm; the hold kept every other call back.
	expect(throttled).toHaveLength(4);
	expect(answered).toHaveLength(12);
	expect(Math.min(...answered.map((entry) => entry.at)) - stormStarted).toBeGreaterThanOrEqual(
		STORM.windowMs - 500,
	);
	expect(clients[0].stats.company).toMatchObject({ requests: 16, throttled: 4 });
	// Today's retry budget gave up after about 12 s.
	expect(Date.now() - stormStarted).toBeGreaterThan(12_000);
}, 30_000);

test('through n8n: concurrent executions of the node share one budget per company (10 at once)', async () => {
	qb.emulator.setOptions({
		limits: true,
		perMinute: 500,
		perSecond: 10,
		concurrent: 10,
		batchPerMinute: 40,
		windowMs: 60_000,
		latencyMs: 150,
	});
	const runs = await Promise.all(
		Array.from({ length: 14 }, async () =>
			(
				await runNode(
					qb.creds,
					{ resource: 'item', operation: 'getMany', returnAll: true, filters: {} },
					[{}],
				)
			).output('QuickBooks Sync'),
		),
	);
	expect(runs.map((out) => out[0].json.Name)).toEqual(Array(14).fill('Services'));
	expect(throttledAnswers()).toEqual([]);
	expect(qb.emulator.log).toHaveLength(14);
}, 10_000);

afterAll(() =>
	qb.emulator.setOptions({ limits: false, latencyMs: undefined, windowMs: undefined }),
);
