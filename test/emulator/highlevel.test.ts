import { createPublicKey, verify } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

import {
	capturedDeliveries,
	documented,
	marketplaceInvoice,
	orderCreate,
	workflowPayment,
} from '../../scripts/dev/fixtures/highlevel';
import {
	createEventSender,
	createMarketplaceSender,
	createWorkflowSender,
	highLevelBytes,
	replay,
} from '../../scripts/dev/emulator/highlevel/events';
import {
	HIGHLEVEL_VERSION,
	INVALID_TOKEN,
	RATE_LIMITED,
	SCOPE_REFUSAL,
	startHighLevelEmulator,
	type HighLevelEmulator,
} from '../../scripts/dev/emulator/highlevel/server';

let hl: HighLevelEmulator;
beforeAll(async () => {
	hl = await startHighLevelEmulator({
		perTenSeconds: 5,
		tokens: {
			'pit-contacts': ['contacts.write', 'contacts.readonly'],
			'pit-read': ['contacts.readonly'],
		},
	});
});
const openSinks = new Set<http.Server>();
afterAll(async () => await hl.stop());
beforeEach(() => hl.reset());
afterEach(() => {
	for (const server of openSinks) server.close();
	for (const server of openSinks) server.closeAllConnections();
	openSinks.clear();
});

const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
	const res = await fetch(`${hl.url}${path}`, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			Authorization: `Bearer ${hl.token}`,
			Version: HIGHLEVEL_VERSION,
			...headers,
		},
		body: JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json()) as any, headers: res.headers };
};

/** A receiver that records raw bytes and headers and answers with the given statuses in turn (the last repeats). */
async function startSink(statuses: number[] = [200]) {
	const received: Array<{ raw: string; headers: http.IncomingHttpHeaders; at: number }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			received.push({
				raw: Buffer.concat(chunks).toString('utf8'),
				headers: req.headers,
				at: Date.now(),
			});
			res.writeHead(statuses[Math.min(received.length - 1, statuses.length - 1)], {
				'Content-Type': 'application/json',
			});
			res.end('{}');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	openSinks.add(server);
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
		received,
		close: async () => {
			openSinks.delete(server);
			server.close();
			server.closeAllConnections();
		},
	};
}

const ed25519Valid = (raw: string, signature: string, publicKeyPem: string) =>
	verify(null, Buffer.from(raw), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));

describe('HighLevel emulator: API', () => {
	test('upsert answers 200 for a new and an existing contact, overwrites every field sent, replaces tags', async () => {
		const first = await call('/contacts/upsert', {
			locationId: 'loc',
			email: 'Ann@Example.com',
			firstName: 'Ann',
			companyName: 'Acme',
			tags: ['a', 'b'],
		});
		expect([first.status, first.body.new, typeof first.body.traceId]).toEqual([
			200,
			true,
			'string',
		]);
		const second = await call('/contacts/upsert', {
			locationId: 'loc',
			email: 'ann@example.com',
			firstName: 'Annie',
			lastName: 'Lee',
			tags: ['c'],
			source: 'QuickBooks',
		});
		expect([second.status, second.body.new, second.body.contact.id]).toEqual([
			200,
			false,
			first.body.contact.id,
		]);
		// Sent fields overwrite, fields not sent stay, tags are replaced (documented: "will overwrite all current tags").
		expect(second.body.contact).toMatchObject({
			firstName: 'Annie',
			lastName: 'Lee',
			companyName: 'Acme',
			source: 'QuickBooks',
			tags: ['c'],
		});
		// Phone as a duplicate key only when the location is set so (default here: e-mail only).
		const byPhone = await call('/contacts/upsert', {
			locationId: 'loc',
			phone: '+1 555 0100',
			firstName: 'Bo',
		});
		expect(
			(await call('/contacts/upsert', { locationId: 'loc', phone: '+15550100', lastName: 'Ng' }))
				.body.new,
		).toBe(true);
		hl.matchBy = ['email', 'phone'];
		try {
			expect(
				(
					await call('/contacts/upsert', {
						locationId: 'loc',
						phone: '+15550100',
						email: 'bo@example.com',
					})
				).body,
			).toMatchObject({
				new: false,
				contact: { id: byPhone.body.contact.id, firstName: 'Bo', email: 'bo@example.com' },
			});
		} finally {
			hl.matchBy = ['email'];
		}
	});

	test('tags add (201), messages answer 200, search finds by e-mail', async () => {
		const { body } = await call('/contacts/upsert', {
			locationId: 'loc',
			email: 'ann@example.com',
			tags: ['x'],
		});
		const tagged = await call(`/contacts/${body.contact.id}/tags`, { tags: ['review'] });
		expect([tagged.status, tagged.body.tags]).toEqual([201, ['x', 'review']]);
		const message = await call('/conversations/messages', {
			type: 'Email',
			contactId: body.contact.id,
			html: 'hi',
			subject: 's',
		});
		expect(message.status).toBe(200);
		expect(message.body).toMatchObject({
			conversationId: expect.any(String),
			messageId: expect.any(String),
			emailMessageId: expect.any(String),
			msg: expect.any(String),
		});
		expect(hl.messages).toHaveLength(1);
		expect(
			(await call('/contacts/search', { locationId: 'loc', query: 'ann@example.com' })).body.total,
		).toBe(1);
		expect(hl.calls.map((c) => c.status)).toEqual([200, 201, 200, 200]);
	});

	test('refuses a wrong token (documented 401 body), a missing Version header, bad input', async () => {
		expect(
			await call(
				'/contacts/upsert',
				{ locationId: 'loc', email: 'a@example.com' },
				{ Authorization: 'Bearer nope' },
			),
		).toMatchObject({ status: 401, body: INVALID_TOKEN });
		expect(
			(
				await call(
					'/contacts/upsert',
					{ locationId: 'loc', email: 'a@example.com' },
					{ Version: '' },
				)
			).status,
		).toBe(400);
		expect((await call('/contacts/upsert', { email: 'a@example.com' })).status).toBe(422);
		expect((await call('/contacts/upsert', { locationId: 'loc', firstName: 'x' })).status).toBe(
			422,
		);
	});

	test('scopes: a token without conversations/message.write cannot send messages; a read-only token cannot upsert', async () => {
		const contacts = { Authorization: 'Bearer pit-contacts' };
		const { body } = await call(
			'/contacts/upsert',
			{ locationId: 'loc', email: 'a@example.com' },
			contacts,
		);
		expect(body.new).toBe(true);
		expect(
			await call(
				'/conversations/messages',
				{ type: 'Email', contactId: body.contact.id, html: 'hi' },
				contacts,
			),
		).toMatchObject({ status: 401, body: SCOPE_REFUSAL });
		expect(hl.messages).toHaveLength(0);
		expect(
			await call(
				'/contacts/upsert',
				{ locationId: 'loc', email: 'b@example.com' },
				{ Authorization: 'Bearer pit-read' },
			),
		).toMatchObject({ status: 401, body: SCOPE_REFUSAL });
		expect(
			(
				await call(
					'/contacts/search',
					{ locationId: 'loc', query: 'a@example.com' },
					{ Authorization: 'Bearer pit-read' },
				)
			).status,
		).toBe(200);
		hl.addToken('pit-late', ['conversations/message.write']);
		expect(
			(
				await call(
					'/conversations/messages',
					{ type: 'SMS', contactId: body.contact.id, message: 'hi' },
					{ Authorization: 'Bearer pit-late' },
				)
			).status,
		).toBe(200);
	});

	test('100 / 10 s per location (5 here): 429 past the limit, with the documented rate-limit headers', async () => {
		const answers = [];
		for (let i = 0; i < 7; i++)
			answers.push(
				await call('/contacts/upsert', { locationId: 'busy', email: `x${i}@example.com` }),
			);
		expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
		expect(answers[0].headers.get('x-ratelimit-max')).toBe('5');
		expect(answers[4].headers.get('x-ratelimit-remaining')).toBe('0');
		expect(answers[6].headers.get('x-ratelimit-interval-milliseconds')).toBe('10000');
		expect(
			(await call('/contacts/upsert', { locationId: 'other', email: 'y@example.com' })).status,
		).toBe(200);
	});

	test('injected 429 storm: the next N upserts, or a window from the first hit; nothing stored; other routes untouched', async () => {
		hl.injectFault({ count: 2 });
		const upsert = (i: number) =>
			call('/contacts/upsert', { locationId: 'storm', email: `s${i}@example.com` });
		const first = await upsert(0);
		expect([first.status, first.body]).toEqual([429, RATE_LIMITED]);
		expect(first.headers.get('x-ratelimit-remaining')).toBe('0');
		expect(first.headers.get('retry-after')).toBeNull();
		expect(first.headers.get('x-ratelimit-limit-daily')).toBe('200000');
		expect((await call('/contacts/search', { locationId: 'storm' })).status).toBe(200);
		expect((await upsert(1)).status).toBe(429);
		expect((await upsert(2)).status).toBe(200);
		expect([...hl.contacts.values()].map((c) => c.email)).toEqual(['s2@example.com']);

		hl.reset();
		hl.injectFault({ durationMs: 300, status: 503 });
		expect(hl.faultsEndAt()).toBeUndefined();
		expect((await upsert(3)).status).toBe(503);
		expect(hl.faultsEndAt()).toBeGreaterThan(Date.now());
		await new Promise((r) => setTimeout(r, 350));
		expect((await upsert(4)).status).toBe(200);
		// The admin endpoint takes the same rule.
		await fetch(`${hl.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ count: 1 }) });
		expect((await upsert(5)).status).toBe(429);
		expect((await upsert(6)).status).toBe(200);
	});
});

describe('HighLevel emulator: marketplace deliveries', () => {
	test('Ed25519 X-GHL-Signature verifies over the exact raw bytes and fails over re-serialized JSON', async () => {
		const sink = await startSink([200]);
		const sender = createMarketplaceSender();
		const body = marketplaceInvoice('InvoicePaid', {
			contact: { name: 'Zoë Ünal' },
			email: 'zoe@example.com',
		});
		const delivery = await sender.send(sink.url, body, { webhookId: 'wh-1' });
		await sink.close();
		expect(delivery.outcome).toBe('delivered');
		const { raw, headers } = sink.received[0];
		expect(raw).toBe(delivery.raw);
		const signature = String(headers['x-ghl-signature']);
		expect(ed25519Valid(raw, signature, sender.publicKeyPem)).toBe(true);
		const reserialized = JSON.stringify(JSON.parse(raw));
		expect(reserialized).not.toBe(raw);
		expect(ed25519Valid(reserialized, signature, sender.publicKeyPem)).toBe(false);
		// Non-ASCII as \u escapes, a space after ':' — same value, different bytes.
		expect(raw).toContain('Zo\\u00eb \\u00dcnal');
		expect(raw.startsWith('{"timestamp": "')).toBe(true);
		// The documented body plus webhookId/timestamp, nothing else (no `type` on invoice events).
		const parsed = JSON.parse(raw);
		expect(parsed).toEqual({ timestamp: expect.any(String), webhookId: 'wh-1', ...body });
		expect(parsed).not.toHaveProperty('type');
		expect(headers['x-wh-signature']).toBeUndefined();
	});

	test('optional legacy RSA X-WH-Signature over the same bytes; a tampered delivery does not verify', async () => {
		const sink = await startSink([200]);
		const sender = createMarketplaceSender({ rsa: true });
		await sender.send(sink.url, orderCreate({ email: 'm@example.com' }));
		await sender.send(sink.url, documented('ContactCreate'), { badSignature: true });
		await sink.close();
		const [good, bad] = sink.received;
		expect(
			verify(
				'sha256',
				Buffer.from(good.raw),
				createPublicKey(sender.rsaPublicKeyPem!),
				Buffer.from(String(good.headers['x-wh-signature']), 'base64'),
			),
		).toBe(true);
		expect(JSON.parse(good.raw)).toMatchObject({
			type: 'OrderCreate',
			status: 'pending',
			webhookId: expect.any(String),
		});
		expect(ed25519Valid(bad.raw, String(bad.headers['x-ghl-signature']), sender.publicKeyPem)).toBe(
			false,
		);
		expect(createMarketplaceSender({ privateKeyPem: sender.privateKeyPem }).publicKeyPem).toBe(
			sender.publicKeyPem,
		);
	});

	test('highLevelBytes parses back to the same value', () => {
		const value = { a: 'x/y "q" é 😀\n', b: [1, 2.5, null, true, { c: {} }], d: [] };
		const bytes = highLevelBytes(value);
		expect(JSON.parse(bytes)).toEqual(value);
		expect(bytes).not.toBe(JSON.stringify(value));
		expect(bytes).toMatch(/^[\x20-\x7e]*$/);
	});

	test('retried only on 429: 1 + 6 attempts, the interval apart, same bytes; then recorded as lost', async () => {
		const sink = await startSink([429]);
		const sender = createMarketplaceSender({ retry: { intervalMs: 40 } });
		const delivery = await sender.send(sink.url, marketplaceInvoice('InvoiceSent'));
		await sink.close();
		expect(delivery.attempts.map((a) => a.status)).toEqual([429, 429, 429, 429, 429, 429, 429]);
		expect(sink.received).toHaveLength(7);
		expect(new Set(sink.received.map((r) => r.raw)).size).toBe(1);
		expect(new Set(sink.received.map((r) => r.headers['x-ghl-signature'])).size).toBe(1);
		for (let i = 1; i < delivery.attempts.length; i++)
			expect(delivery.attempts[i].at - delivery.attempts[i - 1].at).toBeGreaterThanOrEqual(35);
		expect(delivery.outcome).toBe('lost');
		expect(delivery.reason).toMatch(/429 on all 7 attempts/);
		expect(sender.lost()).toEqual([delivery]);
		expect(sender.policy).toMatchObject({ maxRetries: 6 });
		expect(createMarketplaceSender().policy.intervalMs).toBe(600_000);
	});

	test('429 then 200 is delivered on the retry; any other error status is final on the first attempt', async () => {
		const flaky = await startSink([429, 429, 200]);
		const sender = createMarketplaceSender({ retry: { intervalMs: 5 } });
		expect(
			(await sender.send(flaky.url, marketplaceInvoice('InvoicePaid'))).attempts.map(
				(a) => a.status,
			),
		).toEqual([429, 429, 200]);
		await flaky.close();
		for (const status of [400, 401, 404, 500, 503]) {
			const sink = await startSink([status, 200]);
			const d = await sender.send(sink.url, marketplaceInvoice('InvoicePaid'));
			await sink.close();
			expect([d.outcome, d.attempts.length, sink.received.length]).toEqual(['lost', 1, 1]);
			expect(d.reason).toMatch(new RegExp(`answered ${status}; final`));
		}
		expect(sender.lost()).toHaveLength(5);
		expect(sender.deliveries.filter((d) => d.outcome === 'delivered')).toHaveLength(1);
	});
});

describe('HighLevel emulator: workflow deliveries', () => {
	test('Webhook action: unsigned, no webhookId/timestamp, custom data under customData', async () => {
		const sink = await startSink([200]);
		const sender = createWorkflowSender({ customData: { secret: 's3cr3t', template: 'payments' } });
		const body = workflowPayment({ transactionId: 'txn-1', email: 'ann@example.com' });
		const d = await sender.send(sink.url, body);
		await sink.close();
		const { raw, headers } = sink.received[0];
		expect(d.outcome).toBe('delivered');
		expect(JSON.parse(raw)).toEqual({
			...body,
			customData: { secret: 's3cr3t', template: 'payments' },
		});
		for (const h of ['x-ghl-signature', 'x-wh-signature', 'authorization'])
			expect(headers[h]).toBeUndefined();
		expect(JSON.parse(raw)).not.toHaveProperty('webhookId');
		expect(JSON.parse(raw)).not.toHaveProperty('timestamp');
		expect(() =>
			createWorkflowSender({ action: 'webhook', auth: { type: 'bearer', token: 't' } }).prepare(
				body,
			),
		).toThrow(/customWebhook/);
	});

	test('Custom Webhook: Bearer, API-key header or Basic auth plus custom headers; no signature', () => {
		const body = workflowPayment();
		const bearer = createWorkflowSender({
			auth: { type: 'bearer', token: 'tok' },
			headers: { 'X-Source': 'highlevel' },
		}).prepare(body);
		expect(bearer.headers).toMatchObject({ Authorization: 'Bearer tok', 'X-Source': 'highlevel' });
		expect(bearer.body).toEqual(body);
		expect(
			createWorkflowSender({ auth: { type: 'apiKey', header: 'X-API-Key', value: 'k' } }).prepare(
				body,
			).headers['X-API-Key'],
		).toBe('k');
		expect(
			createWorkflowSender({ auth: { type: 'basic', username: 'u', password: 'p' } }).prepare(body)
				.headers.Authorization,
		).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
		for (const p of [bearer])
			expect(Object.keys(p.headers).map((h) => h.toLowerCase())).not.toContain('x-ghl-signature');
	});

	test('a refused workflow delivery is recorded as lost, not retried (HighLevel documents no workflow retry)', async () => {
		const sink = await startSink([401]);
		const sender = createWorkflowSender({
			action: 'customWebhook',
			auth: { type: 'bearer', token: 'wrong' },
		});
		const d = await sender.send(sink.url, workflowPayment());
		const limited = await sender.send(sink.url.replace('/webhook', '/other'), workflowPayment(), {
			retry: { maxRetries: 0 },
		});
		await sink.close();
		expect([d.outcome, d.attempts.length]).toEqual(['lost', 1]);
		expect(limited.outcome).toBe('lost');
		expect(sender.lost()).toHaveLength(2);
	});
});

describe('legacy event sender (current e2e suite)', () => {
	test('signs the exact compact body with Ed25519 and adds webhookId and timestamp', async () => {
		const sender = createEventSender();
		const sink = await startSink([200]);
		await sender.post(sink.url, { type: 'InvoicePaid', _id: 'inv1' }, { webhookId: 'wh-1' });
		await sink.close();
		const { raw, headers } = sink.received[0];
		expect(JSON.parse(raw)).toMatchObject({ type: 'InvoicePaid', _id: 'inv1', webhookId: 'wh-1' });
		expect(Date.parse(JSON.parse(raw).timestamp)).toBeGreaterThan(Date.now() - 60_000);
		expect(ed25519Valid(raw, String(headers['x-ghl-signature']), sender.publicKeyPem)).toBe(true);
		expect(createEventSender(sender.privateKeyPem).publicKeyPem).toBe(sender.publicKeyPem);
	});
});

describe('replay of captured bytes', () => {
	test('posts the captured bytes and headers unchanged (hop-by-hop headers dropped), 429-only retries for signed ones', async () => {
		const sink = await startSink([429, 200]);
		const raw =
			'{"timestamp": "2026-01-01T00:00:00Z", "webhookId": "w1", "_id": "x", "name": "Zo\\u00eb"}';
		const d = await replay(
			sink.url,
			{ raw, headers: { 'x-ghl-signature': 'c2ln', host: 'example.com', 'content-length': '3' } },
			{ retry: { intervalMs: 5 } },
		);
		await sink.close();
		expect([d.kind, d.outcome, d.attempts.length, d.webhookId]).toEqual([
			'marketplace',
			'delivered',
			2,
			'w1',
		]);
		expect(sink.received.map((r) => r.raw)).toEqual([raw, raw]);
		expect(sink.received[0].headers['x-ghl-signature']).toBe('c2ln');
		expect(sink.received[0].headers.host).not.toBe('example.com');
	});

	test('capturedDeliveries reads <name>.json and <name>.headers.json', () => {
		const dir = mkdtempSync(join(tmpdir(), 'captured-'));
		writeFileSync(join(dir, 'wf.json'), '{"email":"a@example.com","payment":{}}');
		writeFileSync(join(dir, 'mp.json'), '{"webhookId":"w","_id":"i"}');
		writeFileSync(
			join(dir, 'mp.headers.json'),
			'{"X-GHL-Signature":"abc","Content-Type":"application/json"}',
		);
		writeFileSync(join(dir, 'README.md'), '#');
		expect(
			capturedDeliveries(dir).map((c) => [c.name, c.kind, c.headers['x-ghl-signature']]),
		).toEqual([
			['mp', 'marketplace', 'abc'],
			['wf', 'workflow', undefined],
		]);
		expect(Array.isArray(capturedDeliveries())).toBe(true);
	});
});
