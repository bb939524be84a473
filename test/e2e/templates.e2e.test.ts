/**
 * The templates inside a real n8n (pinned 2.x, this package loaded as a community package),
 * against the QuickBooks and HighLevel emulators, driven by signed HighLevel webhooks.
 */
import { mkdirSync } from 'fs';
import { join } from 'path';
import { chromium } from 'playwright-core';

import { invoiceEvent, orderCreate, paymentReceived } from '../fixtures/highlevel';
import { DEFAULT_CLIENT } from '../emulator/qbo/server';
import { REPO } from './n8n';
import { LOCATION_ID, REALM_ID, configure, loadTemplates, startStack, type Stack } from './stack';

jest.setTimeout(15 * 60_000);

let stack: Stack;
const company = () => stack.qbo.company(REALM_ID);
const receipts = () => company().all('SalesReceipt').filter((r) => r.status !== 'Deleted');
const invoiceByNumber = (n: string) => company().all('Invoice').find((i) => i.DocNumber === n && i.status !== 'Deleted');
const customerOf = (record: any) => company().get('Customer', record.CustomerRef.value);
const round2 = (n: number) => Math.round(n * 100) / 100;

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- n8n log ---\n${stack.n8n.logs().slice(-4000)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

const EXISTING = [
	{ DisplayName: 'Existing Eve', GivenName: 'Eve', FamilyName: 'Stone', PrimaryEmailAddr: { Address: 'eve.stone@example.com' }, PrimaryPhone: { FreeFormNumber: '+15555550001' } },
	{ DisplayName: 'Existing Finn', GivenName: 'Finn', PrimaryEmailAddr: { Address: 'finn@example.com' }, CompanyName: 'Finn Foods' },
	{ DisplayName: 'Existing Gil', PrimaryEmailAddr: { Address: 'gil@example.com' } },
	{ DisplayName: 'No E-Mail Corp' },
];

/** Proves the editor check can fail: an unknown node and a node missing a required value. */
const BROKEN = {
	id: 'qbsyncDetectorChk',
	name: 'Detector check (must show problems)',
	nodes: [
		{ id: 'b1', name: 'Not Installed', type: 'n8n-nodes-not-installed.nothing', typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'b2', name: 'Missing E-Mail', type: 'n8n-nodes-quickbooks-sync.quickBooksSync', typeVersion: 1, position: [300, 0], parameters: { resource: 'customer', operation: 'findByEmail', email: '', options: {} }, credentials: { quickBooksSyncOAuth2Api: { id: 'qbsyncQboCred01', name: 'QuickBooks Sync account' } } },
	],
	connections: {},
	settings: { executionOrder: 'v1' },
	active: false,
};

beforeAll(async () => {
	const review = loadTemplates().find((t) => t.file === 'first-invoice-paid-review-request.json')!.workflow;
	const reviewOff = { ...configure(review, { sendReviewRequests: false, reviewTag: 'review-switched-off' }), id: 'qbsyncTplReviewOff', name: 'Review requests (switched off)' };
	const reviewByMessage = { ...configure(review, { reviewRequestBy: 'message', reviewLink: 'https://reviews.example.com/acme' }), id: 'qbsyncTplReviewMsg', name: 'Review requests (by message)' };
	stack = await startStack({
		extraWorkflows: [{ workflow: reviewOff }, { workflow: reviewByMessage }, { workflow: BROKEN, publish: false }],
		beforeN8n: ({ qbo }) => {
			qbo.seed(REALM_ID, 'Customer', EXISTING);
		},
	});
}, 300_000);

afterAll(async () => {
	await stack?.stop();
});

describe('templates in a real n8n', () => {
	test('every payment becomes exactly one sales receipt with the right customer and total, duplicates included', async () => {
		const url = stack.webhookUrl('highlevel-payment');
		const p1 = paymentReceived({ transactionId: 'ch_e2e_0001', email: 'jamie@example.com', name: 'Jamie Rivera', items: [{ name: 'Consultation', qty: 2, price: 75 }], discount: 15, tax: 11.48 });
		const p2 = paymentReceived({ transactionId: 'ch_e2e_0002', email: '  JAMIE@Example.com ', name: 'Jamie Rivera', source: 'subscription', items: [{ name: 'Monthly Retainer', qty: 1, price: 499 }] });
		const p3 = orderCreate({ id: '6650e2e0000000000000c003', sourceType: 'calendar', email: 'booker@example.com', items: [{ name: 'Strategy Session', qty: 1, price: 250 }], tax: 21.25 });
		const p4 = orderCreate({ id: '6650e2e0000000000000c004', sourceType: 'membership', email: 'eve.stone@example.com', items: [{ name: 'Gold Membership', qty: 1, price: 99 }], discount: 9.9, shipping: 5 });
		const racers = ['ch_e2e_race_a', 'ch_e2e_race_b', 'ch_e2e_race_c'].map((id) => paymentReceived({ transactionId: id, email: 'racer@example.com', name: 'Rae Cer' }));

		const first = await stack.sender.post(url, p1, { webhookId: 'wh-e2e-p1' });
		expect(first.status).toBe(200);
		expect(JSON.parse(first.body)).toMatchObject({ received: true });
		await until('receipt 1', () => receipts().length === 1);
		for (const body of [p2, p3, p4]) expect((await stack.sender.post(url, body)).status).toBe(200);
		const racing = await Promise.all(racers.map((body) => stack.sender.post(url, body)));
		expect(racing.map((r) => r.status)).toEqual([200, 200, 200]);

		// The same delivery again (same webhookId) is dropped at the door; the same payment
		// delivered again under a new webhookId is found by its transaction id.
		const repeat = await stack.sender.post(url, p1, { webhookId: 'wh-e2e-p1' });
		expect(JSON.parse(repeat.body)).toMatchObject({ received: false, duplicate: true });
		expect((await stack.sender.post(url, p2)).status).toBe(200);

		await until('7 receipts', () => receipts().length === 7);
		await new Promise((r) => setTimeout(r, 3000));
		expect(receipts()).toHaveLength(7);

		const expected: Array<[string, any, string, number]> = [
			['ch_e2e_0001', p1, 'jamie@example.com', p1.payment.total_amount],
			['ch_e2e_0002', p2, 'jamie@example.com', p2.payment.total_amount],
			['0e2e0000000000000c003', p3, 'booker@example.com', p3.amount],
			['0e2e0000000000000c004', p4, 'eve.stone@example.com', p4.amount],
			['ch_e2e_race_a', racers[0], 'racer@example.com', racers[0].payment.total_amount],
		];
		for (const [docNumber, , email, total] of expected) {
			const receipt = receipts().find((r) => r.DocNumber === docNumber);
			expect([docNumber, receipt?.TotalAmt, receipt && customerOf(receipt).PrimaryEmailAddr.Address]).toEqual([docNumber, round2(total), email]);
		}
		const customers = company().all('Customer');
		expect(customers.filter((c) => c.PrimaryEmailAddr?.Address?.toLowerCase() === 'jamie@example.com')).toHaveLength(1);
		expect(customers.filter((c) => c.PrimaryEmailAddr?.Address === 'racer@example.com')).toHaveLength(1);
		expect(customers.filter((c) => c.PrimaryEmailAddr?.Address === 'eve.stone@example.com')).toHaveLength(1);
	});

	test('invoice life cycles end in the right QuickBooks state with matching totals', async () => {
		const url = stack.webhookUrl('highlevel-invoice');
		const send = async (body: any) => expect((await stack.sender.post(url, body)).status).toBe(200);
		const a = { id: '6650e2e0000000000000a001', number: 'INV-E2E-001', email: 'riley.chen@example.com' };
		const itemsA = [{ name: 'Website Design', qty: 1, amount: 1200, taxes: [{ name: 'Sales Tax', rate: 7.25 }] }, { name: 'Hosting', qty: 12, amount: 15 }];
		const itemsA2 = [...itemsA, { name: 'Logo', qty: 1, amount: 300 }];

		await send(invoiceEvent('InvoiceSent', { ...a, items: itemsA, discount: { type: 'percentage', value: 10 } }));
		const sentA = invoiceEvent('InvoiceSent', { ...a, items: itemsA, discount: { type: 'percentage', value: 10 } });
		await until('invoice A', () => invoiceByNumber('INV-E2E-001')?.TotalAmt === sentA.total);
		const updatedA = invoiceEvent('InvoiceUpdate', { ...a, items: itemsA2, discount: { type: 'fixed', value: 100 } });
		await send(updatedA);
		await until('invoice A updated', () => invoiceByNumber('INV-E2E-001')?.TotalAmt === updatedA.total);
		await send(invoiceEvent('InvoicePartiallyPaid', { ...a, items: itemsA2, discount: { type: 'fixed', value: 100 }, amountPaid: 300 }));
		await until('invoice A partially paid', () => invoiceByNumber('INV-E2E-001')?.Balance === round2(updatedA.total - 300));
		await send(invoiceEvent('InvoicePaid', { ...a, items: itemsA2, discount: { type: 'fixed', value: 100 } }));
		await until('invoice A paid', () => invoiceByNumber('INV-E2E-001')?.Balance === 0);

		const b = { id: '6650e2e0000000000000b002', number: 'INV-E2E-002', email: 'out.of.order@example.com' };
		await send(invoiceEvent('InvoicePaid', b));
		await send(invoiceEvent('InvoiceSent', { ...b, status: 'paid', amountPaid: invoiceEvent('InvoicePaid', b).total }));
		await until('invoice B paid', () => invoiceByNumber('INV-E2E-002')?.Balance === 0);

		const c = { id: '6650e2e0000000000000c003', number: 'INV-E2E-003' };
		await send(invoiceEvent('InvoiceSent', c));
		await until('invoice C', () => invoiceByNumber('INV-E2E-003'));
		await send(invoiceEvent('InvoiceVoid', c));
		await until('invoice C void', () => invoiceByNumber('INV-E2E-003')?.TotalAmt === 0);

		await send(invoiceEvent('InvoiceSent', { id: '6650e2e0000000000000d004', number: 'INV-OLD-004', issueDate: '2025-12-01' }));
		await new Promise((r) => setTimeout(r, 3000));

		const numbers = company().all('Invoice').map((i) => i.DocNumber).sort();
		expect(numbers).toEqual(['INV-E2E-001', 'INV-E2E-002', 'INV-E2E-003']);
		const paymentsFor = (n: string) => company().paymentsFor(invoiceByNumber(n)!.Id);
		expect(paymentsFor('INV-E2E-001').map((p) => p.amount)).toEqual([300, round2(updatedA.total - 300)]);
		expect(paymentsFor('INV-E2E-002')).toHaveLength(1);
		expect(invoiceByNumber('INV-E2E-001')!.TotalAmt).toBe(updatedA.total);
	});

	test('a malformed or forged CRM body is answered with a clear error and writes nothing', async () => {
		const before = { receipts: receipts().length, customers: company().all('Customer').length, invoices: company().all('Invoice').length };
		const noEmail: any = paymentReceived({ transactionId: 'ch_e2e_bad_1' });
		noEmail.payment.customer.email = '';
		noEmail.email = 'not-an-email';
		const r1 = await stack.sender.post(stack.webhookUrl('highlevel-payment'), noEmail);
		expect([r1.status, JSON.parse(r1.body).error]).toEqual([400, 'payment.customer.email is missing or not an e-mail address']);
		const r2 = await stack.sender.post(stack.webhookUrl('highlevel-payment'), paymentReceived({ transactionId: 'ch_e2e_forged' }), { badSignature: true });
		expect([r2.status, JSON.parse(r2.body).error]).toEqual([401, 'invalid or missing X-GHL-Signature']);
		const r3 = await stack.sender.post(stack.webhookUrl('highlevel-payment'), paymentReceived({ transactionId: 'ch_e2e_stale' }), { timestamp: '2026-01-01T00:00:00Z' });
		expect(r3.status).toBe(400);
		expect(JSON.parse(r3.body).error).toMatch(/timestamp is missing or older than 300 s/);
		const r4 = await stack.sender.post(stack.webhookUrl('highlevel-invoice'), { type: 'InvoiceSent', _id: 'x1', contactDetails: { email: 'a@example.com' }, total: 'abc', invoiceItems: [{}] });
		expect([r4.status, JSON.parse(r4.body).error]).toEqual([400, 'total is missing or not a number']);
		await new Promise((r) => setTimeout(r, 2000));
		expect({ receipts: receipts().length, customers: company().all('Customer').length, invoices: company().all('Invoice').length }).toEqual(before);
	});

	test("connecting QuickBooks through n8n's OAuth2 flow: the custom environment's login, the realmId from the callback, a working credential", async () => {
		const n8n = stack.n8n;
		const credential = await n8n.rest('POST', '/credentials', {
			name: 'QuickBooks connected through OAuth',
			type: 'quickBooksSyncOAuth2Api',
			data: { environment: 'custom', customBaseUrl: stack.qbo.url, customAuthUrl: `${stack.qbo.url}/connect/oauth2`, customTokenUrl: `${stack.qbo.url}/oauth2/v1/tokens/bearer`, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret },
		});
		const authorizeUrl: string = await n8n.rest('GET', `/oauth2-credential/auth?id=${credential.id}`);
		expect(authorizeUrl.startsWith(`${stack.qbo.url}/connect/oauth2?`)).toBe(true);
		expect(new URL(authorizeUrl).searchParams.get('scope')).toBe('com.intuit.quickbooks.accounting');
		const login = await fetch(authorizeUrl, { redirect: 'manual' });
		const callback = login.headers.get('location')!;
		expect(callback).toContain(`realmId=${REALM_ID}`);
		expect((await fetch(callback, { headers: { Cookie: n8n.cookie } })).status).toBe(200);

		const workflow = await n8n.rest('POST', '/workflows', {
			name: 'OAuth check',
			settings: { executionOrder: 'v1' },
			connections: { Webhook: { main: [[{ node: 'Find', type: 'main', index: 0 }]] }, Find: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
			nodes: [
				{ id: 'w1', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: 'oauth-check-hook', parameters: { httpMethod: 'GET', path: 'oauth-check', responseMode: 'responseNode', options: {} } },
				{ id: 'w2', name: 'Find', type: 'n8n-nodes-quickbooks-sync.quickBooksSync', typeVersion: 1, position: [200, 0], parameters: { resource: 'customer', operation: 'findByEmail', email: 'EVE.STONE@example.com', options: {} }, credentials: { quickBooksSyncOAuth2Api: { id: credential.id, name: credential.name } } },
				{ id: 'w3', name: 'Respond', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1, position: [400, 0], parameters: { respondWith: 'firstIncomingItem', options: {} } },
			],
		});
		await n8n.rest('POST', `/workflows/${workflow.id}/activate`, { versionId: workflow.versionId });
		const answer = await fetch(stack.webhookUrl('oauth-check'));
		expect(answer.status).toBe(200);
		expect(await answer.json()).toMatchObject({ found: true, DisplayName: 'Existing Eve' });
	});

	test('each template opens in the n8n editor without unknown nodes or parameter issues (screenshots saved)', async () => {
		const dir = join(REPO, 'test-results', 'screenshots');
		mkdirSync(dir, { recursive: true });
		const browser = await chromium.launch({
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		try {
			const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
			await context.addCookies(stack.n8n.cookie.split('; ').map((pair) => {
				const [name, ...rest] = pair.split('=');
				return { name, value: rest.join('='), domain: '127.0.0.1', path: '/' };
			}));
			const page = await context.newPage();
			const problemsIn = async (id: string, nodeCount: number, screenshot: string) => {
				await page.goto(`${stack.n8n.url}/workflow/${id}`, { waitUntil: 'domcontentloaded' });
				await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('[data-test-id="canvas-node"]').length >= n, nodeCount, { timeout: 60_000 });
				await page.waitForTimeout(1500);
				await page.screenshot({ path: join(dir, screenshot) });
				return { unknown: await page.locator('[data-test-id="node-not-installed"]').count(), issues: await page.locator('[data-test-id="node-issues"]').count() };
			};
			expect(await problemsIn(BROKEN.id, 2, 'detector-check.png')).toEqual({ unknown: 1, issues: 1 });
			const problems: string[] = [];
			for (const t of stack.templates) {
				const nodeCount = t.workflow.nodes.filter((n: any) => n.type !== 'n8n-nodes-base.stickyNote').length;
				const { unknown, issues } = await problemsIn(t.id, nodeCount, t.file.replace('.json', '.png'));
				if (unknown || issues) problems.push(`${t.file}: ${unknown} unknown node(s), ${issues} node(s) with issues`);
			}
			expect(problems).toEqual([]);
		} finally {
			await browser.close();
		}
	});

	test('QuickBooks customers (existing and new) become CRM contacts once each; one review request per first paid invoice, none when switched off', async () => {
		// First poll of every trigger: the contacts template back-fills the existing customers.
		const contactEmails = () => [...stack.highLevel.contacts.values()].filter((c) => c.locationId === LOCATION_ID).map((c) => c.email).sort();
		await until('back-filled contacts', () => ['eve.stone@example.com', 'finn@example.com', 'gil@example.com'].every((e) => contactEmails().includes(e)), 150_000);
		// Wait a little so that the review triggers (same schedule) have started their clock too.
		await new Promise((r) => setTimeout(r, 5000));

		const [newA, newB] = stack.qbo.seed(REALM_ID, 'Customer', [
			{ DisplayName: 'New Nora', PrimaryEmailAddr: { Address: 'nora@example.com' } },
			{ DisplayName: 'New Omar', PrimaryEmailAddr: { Address: 'omar@example.com' } },
		]);
		const invoice = (customerId: string, amount: number) => stack.qbo.seed(REALM_ID, 'Invoice', [{ CustomerRef: { value: customerId }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: amount, SalesItemLineDetail: {} }] }])[0];
		const pay = (inv: any) => stack.qbo.seed(REALM_ID, 'Payment', [{ CustomerRef: inv.CustomerRef, TotalAmt: inv.TotalAmt, Line: [{ Amount: inv.TotalAmt, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] }]);
		const n1 = invoice(newA.Id, 120);
		const n2 = invoice(newA.Id, 80);
		pay(n1);
		pay(n2);
		pay(invoice(newB.Id, 45));

		await until('new contacts and review tags', () => {
			const tagged = [...stack.highLevel.contacts.values()].filter((c) => c.tags.includes('qbo-first-invoice-paid')).map((c) => c.email);
			return ['nora@example.com', 'omar@example.com'].every((e) => contactEmails().includes(e) && tagged.includes(e));
		}, 200_000);
		// One more poll cycle: a second event would show up now if the trigger repeated itself.
		await new Promise((r) => setTimeout(r, 65_000));

		// Once each: every QuickBooks customer with an e-mail (the seeded ones, those the payment
		// and invoice templates created earlier, the new ones) was upserted exactly one time.
		const qboEmails = company().all('Customer').map((c) => c.PrimaryEmailAddr?.Address?.toLowerCase()).filter(Boolean).sort();
		expect(qboEmails).toEqual(expect.arrayContaining(['eve.stone@example.com', 'finn@example.com', 'gil@example.com', 'jamie@example.com', 'nora@example.com', 'omar@example.com', 'racer@example.com']));
		const upserts = stack.highLevel.calls.filter((c) => c.path === '/contacts/upsert' && c.body.source === 'QuickBooks');
		const perEmail: Record<string, number> = {};
		for (const u of upserts) perEmail[u.body.email] = (perEmail[u.body.email] ?? 0) + 1;
		expect(perEmail).toEqual(Object.fromEntries(qboEmails.map((e) => [e, 1])));
		expect(contactEmails()).toEqual(qboEmails);

		// Expected review requests, from QuickBooks' own records: customers whose first invoice
		// became paid in full after the review trigger started (invoices paid earlier in this
		// suite may fall on either side of that moment, so it is read from the trigger's state).
		const workflow = await stack.n8n.rest('GET', '/workflows/qbsyncTplReview');
		const activatedAt = workflow.staticData?.['node:First Invoice Paid in Full']?.state?.activatedAt;
		expect(typeof activatedAt).toBe('number');
		const paidAt = (invoiceId: string) => Math.max(...company().paymentsFor(invoiceId).map((p) => company().changes.find((c) => c.entity === 'Payment' && c.id === p.paymentId)!.at));
		const firstPaid = new Map<string, number>();
		for (const inv of company().all('Invoice')) {
			if (inv.status === 'Deleted' || !(inv.TotalAmt > 0) || inv.Balance !== 0) continue;
			const at = paidAt(inv.Id);
			const customer = inv.CustomerRef.value;
			firstPaid.set(customer, Math.min(firstPaid.get(customer) ?? Infinity, at));
		}
		const expectedTagged = [...firstPaid].filter(([, at]) => at >= activatedAt).map(([id]) => company().get('Customer', id).PrimaryEmailAddr.Address.toLowerCase()).sort();
		expect(expectedTagged).toEqual(expect.arrayContaining(['nora@example.com', 'omar@example.com']));

		const tagCalls = stack.highLevel.calls.filter((c) => /\/contacts\/[^/]+\/tags$/.test(c.path));
		const taggedEmails = tagCalls.map((c) => stack.highLevel.contacts.get(c.path.split('/')[2])?.email).sort();
		expect(taggedEmails).toEqual(expectedTagged);
		expect(tagCalls.every((c) => JSON.stringify(c.body.tags) === JSON.stringify(['qbo-first-invoice-paid']))).toBe(true);
		// The copy set to "message" e-mailed the review link instead, to the same customers.
		await until('review messages', () => stack.highLevel.messages.length >= expectedTagged.length, 90_000);
		const messaged = stack.highLevel.messages.map((m: any) => stack.highLevel.contacts.get(m.contactId)?.email).sort();
		expect(messaged).toEqual(expectedTagged);
		expect(stack.highLevel.messages.every((m: any) => m.type === 'Email' && String(m.html).includes('https://reviews.example.com/acme'))).toBe(true);
		expect([...stack.highLevel.contacts.values()].some((c) => c.tags.includes('review-switched-off'))).toBe(false);
	});
});
