import {
	QboClient,
	type HttpRequest,
	type HttpResponse,
} from '../../nodes/shared/transport/client';
import { QboError } from '../../nodes/shared/quickbooks/errors';
import { companyBudget } from '../../nodes/shared/transport/pacing';
import { backoffDelay, withRetry } from '../../nodes/shared/transport/retry';
import type { Clock } from '../../nodes/shared/quickbooks/types';
import {
	HTTP_RETRY,
	RETRY_POLICIES,
	THROTTLED_RETRY,
	isTransient,
} from '../../nodes/shared/recovery';

class FakeClock implements Clock {
	t = 0;
	sleeps: number[] = [];
	now() {
		return this.t;
	}
	async sleep(ms: number) {
		this.sleeps.push(ms);
		this.t += ms;
	}
	random() {
		return 0.5;
	}
}

const fault = (
	status: number,
	code?: string,
	headers: Record<string, string> = {},
): HttpResponse => ({
	statusCode: status,
	headers: { intuit_tid: 'tid', ...headers },
	body: code ? { Fault: { Error: [{ Message: 'm', Detail: 'd', code }], type: 'x' } } : '',
});
const ok: HttpResponse = {
	statusCode: 200,
	headers: {},
	body: { Customer: { Id: '1', SyncToken: '0' } },
};

function clientWith(responses: Array<HttpResponse | Error>, clock = new FakeClock()) {
	const requests: HttpRequest[] = [];
	const client = new QboClient(
		{ baseUrl: 'http://qbo', realmId: '1' },
		async (req) => {
			requests.push(structuredClone(req));
			const next = responses.shift();
			if (!next) throw new Error('no more responses');
			if (next instanceof Error) throw next;
			return next;
		},
		clock,
	);
	return { client, requests, clock };
}

describe('retry policy', () => {
	test('429 waits at least Retry-After, then succeeds; without Retry-After a whole window', async () => {
		const { client, clock, requests } = clientWith([
			fault(429, '3001', { 'Retry-After': '9' }),
			ok,
			fault(429, '3001'),
			ok,
		]);
		await client.read('Customer', '1');
		expect(requests).toHaveLength(2);
		expect(clock.sleeps).toEqual([9000]);
		await client.read('Customer', '1');
		expect(clock.sleeps).toEqual([9000, 60_000]);
		expect(client.stats).toMatchObject({ requests: 4, retries: 2, throttled: 2 });
	});

	test('500, 503 and a reset connection are retried with growing delays', async () => {
		const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
		const { client, clock, requests } = clientWith([fault(500), fault(503, '3003'), reset, ok]);
		await client.read('Customer', '1');
		expect(requests).toHaveLength(4);
		expect(clock.sleeps).toEqual([
			backoffDelay(1, HTTP_RETRY, 0.5),
			backoffDelay(2, HTTP_RETRY, 0.5),
			backoffDelay(3, HTTP_RETRY, 0.5),
		]);
		expect(clock.sleeps[1]).toBeGreaterThan(clock.sleeps[0]);
		expect(client.stats).toEqual({
			requests: 4,
			retries: 3,
			throttled: 0,
			waitedMs: 0,
			company: { requests: 4, throttled: 0, waitedMs: 0 },
		});
	});

	test('throttled answers and server trouble draw on separate budgets: 7 attempts can still succeed', async () => {
		const { client, clock, requests } = clientWith([
			fault(429, '3001'),
			...Array.from({ length: HTTP_RETRY.maxAttempts - 1 }, () => fault(503)),
			ok,
		]);
		await client.read('Customer', '1');
		expect(requests).toHaveLength(HTTP_RETRY.maxAttempts + 1);
		expect(clock.sleeps[0]).toBe(60_000);
		expect(client.stats).toMatchObject({ throttled: 1, retries: HTTP_RETRY.maxAttempts });
	});

	test('validation faults (400) are never retried', async () => {
		const { client, requests } = clientWith([fault(400, '6240'), ok]);
		await expect(client.create('Customer', { DisplayName: 'x' })).rejects.toMatchObject({
			code: '6240',
		});
		expect(requests).toHaveLength(1);
	});

	test('attempts are bounded', async () => {
		const { client, requests } = clientWith(Array.from({ length: 20 }, () => fault(503)));
		await expect(client.read('Customer', '1')).rejects.toBeInstanceOf(QboError);
		expect(requests).toHaveLength(HTTP_RETRY.maxAttempts);
	});

	test('total time is bounded: a Retry-After beyond the budget ends the retries', async () => {
		const clock = new FakeClock();
		const calls: number[] = [];
		await expect(
			withRetry(
				async () => {
					calls.push(clock.now());
					throw new QboError('slow down', { kind: 'throttled', retryAfterMs: 90_000 });
				},
				clock,
				async () => await companyBudget(clock, 'company').acquire(false),
				{ ...RETRY_POLICIES, throttled: { ...THROTTLED_RETRY, maxTotalMs: 120_000 } },
			),
		).rejects.toThrow('slow down');
		expect(calls).toEqual([0, 90_000]);
	});

	test('a retried create sends the same requestid every time; a caller key makes it stable across runs', async () => {
		const { client, requests } = clientWith([fault(502), ok]);
		await client.create('Customer', { DisplayName: 'x' }, 'crm-key-1');
		expect(requests[0].qs.requestid).toBe(requests[1].qs.requestid);
		const again = clientWith([ok]);
		await again.client.create('Customer', { DisplayName: 'x' }, 'crm-key-1');
		expect(again.requests[0].qs.requestid).toBe(requests[0].qs.requestid);
		expect(String(requests[0].qs.requestid).length).toBeLessThanOrEqual(50);
		expect(requests[0].qs.minorversion).toBe(75);
	});

	test('classification', () => {
		expect(isTransient(new QboError('x', { kind: 'network' }))).toBe(true);
		expect(isTransient(new QboError('x', { kind: 'fault', httpStatus: 400 }))).toBe(false);
		expect(isTransient(new Error('plain'))).toBe(false);
	});
});
