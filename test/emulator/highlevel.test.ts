import { createPublicKey, verify } from 'crypto';
import http from 'http';

import { createEventSender } from './highlevel/events';
import { HIGHLEVEL_VERSION, startHighLevelEmulator, type HighLevelEmulator } from './highlevel/server';

let hl: HighLevelEmulator;
beforeAll(async () => {
	hl = await startHighLevelEmulator({ perTenSeconds: 5 });
});
afterAll(async () => await hl.stop());
beforeEach(() => hl.reset());

const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
	const res = await fetch(`${hl.url}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${hl.token}`, Version: HIGHLEVEL_VERSION, ...headers },
		body: JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json()) as any };
};

describe('HighLevel emulator', () => {
	test('upsert by e-mail (case-insensitive), tags, messages, search', async () => {
		const first = await call('/contacts/upsert', { locationId: 'loc', email: 'Ann@Example.com', firstName: 'Ann' });
		expect([first.status, first.body.new]).toEqual([201, true]);
		const second = await call('/contacts/upsert', { locationId: 'loc', email: 'ann@example.com', lastName: 'Lee' });
		expect([second.status, second.body.new, second.body.contact.id]).toEqual([200, false, first.body.contact.id]);
		expect(second.body.contact).toMatchObject({ firstName: 'Ann', lastName: 'Lee' });
		expect((await call(`/contacts/${first.body.contact.id}/tags`, { tags: ['review'] })).body.tags).toEqual(['review']);
		expect((await call('/conversations/messages', { type: 'Email', contactId: first.body.contact.id, html: 'hi' })).status).toBe(201);
		expect((await call('/contacts/search', { locationId: 'loc', query: 'ann@example.com' })).body.total).toBe(1);
		expect(hl.calls.map((c) => c.status)).toEqual([201, 200, 201, 201, 200]);
	});

	test('refuses a missing Version header, a wrong token, bad input; limits requests per location', async () => {
		expect((await call('/contacts/upsert', { locationId: 'loc', email: 'a@example.com' }, { Version: '' })).status).toBe(400);
		expect((await call('/contacts/upsert', { locationId: 'loc', email: 'a@example.com' }, { Authorization: 'Bearer nope' })).status).toBe(401);
		expect((await call('/contacts/upsert', { email: 'a@example.com' })).status).toBe(422);
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++) statuses.push((await call('/contacts/upsert', { locationId: 'busy', email: `x${i}@example.com` })).status);
		expect(statuses.filter((s) => s === 429)).toHaveLength(2);
	});

	test('the event sender signs the exact body with Ed25519 and adds webhookId and timestamp', async () => {
		const sender = createEventSender();
		let received: { raw: string; signature: string } | undefined;
		const sink = http.createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				received = { raw, signature: String(req.headers['x-ghl-signature']) };
				res.end('ok');
			});
		});
		await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
		await sender.post(`http://127.0.0.1:${(sink.address() as any).port}/`, { type: 'InvoicePaid', _id: 'inv1' }, { webhookId: 'wh-1' });
		sink.close();
		const body = JSON.parse(received!.raw);
		expect(body).toMatchObject({ type: 'InvoicePaid', _id: 'inv1', webhookId: 'wh-1' });
		expect(Date.parse(body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
		expect(verify(null, Buffer.from(received!.raw), createPublicKey(sender.publicKeyPem), Buffer.from(received!.signature, 'base64'))).toBe(true);
		expect(createEventSender(sender.privateKeyPem).publicKeyPem).toBe(sender.publicKeyPem);
	});
});
