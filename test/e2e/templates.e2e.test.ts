/**
 * The templates inside a real n8n (pinned 2.x, this package loaded as a community package),
 * against the QuickBooks and HighLevel emulators, driven by HighLevel deliveries of both kinds:
 * unsigned workflow Custom Webhook bodies with the secret, and signed marketplace bodies.
 */
import { mkdirSync } from 'fs';
import { join } from 'path';
import { chromium } from 'playwright-core';

import {
	marketplaceInvoice,
	orderCreate,
	orderStatusUpdate,
	workflowPayment,
} from '../../scripts/dev/fixtures/highlevel';
import { docNumberFor } from '../../nodes/shared/domain/docNumber';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alertReceiver';
import { DEFAULT_CLIENT } from '../../scripts/dev/emulator/qbo/server';
import {
	createMarketplaceSender,
	createWorkflowSender,
	type Delivery,
	type WorkflowAuth,
} from '../../scripts/dev/emulator/highlevel/delivery';
import { REPO } from '../../scripts/dev/n8n';
import {
	LOCATION_ID,
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	configure,
	loadTemplates,
	startStack,
	type Stack,
} from '../../scripts/dev/stack';

jest.setTimeout(15 * 60_000);

let stack: Stack;
let alerts: AlertReceiver;
const company = () => stack.qbo.company(REALM_ID);
const receipts = () =>
	company()
		.all('SalesReceipt')
		.filter((r) => r.status !== 'Deleted');
const invoiceByNumber = (n: string) =>
	company()
		.all('Invoice')
		.find((i) => i.DocNumber === n && i.status !== 'Deleted');
const customerOf = (record: any) => company().get('Customer', record.CustomerRef.value);
const round2 = (n: number) => Math.round(n * 100) / 100;

async function until<T>(
	what: string,
	probe: () => T | undefined | false,
	timeoutMs = 60_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value) return value;
		if (Date.now() > deadline)
			throw new Error(
				`timed out waiting for ${what}\n--- n8n log ---\n${stack.n8n.logs().slice(-4000)}`,
			);
		await new Promise((r) => setTimeout(r, 250));
	}
}

const EXISTING = [
	{
		DisplayName: 'Existing Eve',
		GivenName: 'Eve',
		FamilyName: 'Stone',
		PrimaryEmailAddr: { Address: 'eve.stone@example.com' },
		PrimaryPhone: { FreeFormNumber: '+15555550001' },
	},
	{
		DisplayName: 'Existing Finn',
		GivenName: 'Finn',
		PrimaryEmailAddr: { Address: 'finn@example.com' },
		CompanyName: 'Finn Foods',
	},
	{ DisplayName: 'Existing Gil', PrimaryEmailAddr: { Address: 'gil@example.com' } },
	{ DisplayName: 'No E-Mail Corp' },
];

/** Proves the editor check can fail: an unknown node and a node missing a required value. */
const BROKEN = {
	id: 'qbsyncDetectorChk',
	name: 'Detector check (must show problems)',
	nodes: [
		{
			id: 'b1',
			name: 'Not Installed',
			type: 'n8n-nodes-not-installed.nothing',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: 'b2',
			name: 'Missing E-Mail',
			type: 'n8n-nodes-quickbooks-sync.quickBooksSync',
			typeVersion: 1,
			position: [300, 0],
			parameters: { resource: 'customer', operation: 'findByEmail', email: '', options: {} },
			credentials: {
				quickBooksSyncOAuth2Api: { id: 'qbsyncQboCred01', name: 'QuickBooks Sync account' },
			},
		},
	],
	connections: {},
	settings: { executionOrder: 'v1' },
	active: false,
};

beforeAll(async () => {
	const review = loadTemplates().find(
		(t) => t.file === 'first-invoice-paid-review-request.json',
	)!.workflow;
	const reviewOff = {
		...configure(review, { sendReviewRequests: false, reviewTag: 'review-switched-off' }),
		id: 'qbsyncTplReviewOff',
		name: 'Review requests (switched off)',
	};
	const reviewByMessage = {
		...configure(review, {
			reviewRequestBy: 'message',
			reviewLink: 'https://reviews.example.com/acme',
		}),
		id: 'qbsyncTplReviewMsg',
		name: 'Review requests (by message)',
	};
	// What the drift report's alert posts to (the failure-alert template shares the URL).
	alerts = await startAlertReceiver();
	stack = await startStack({
		config: {
			alertWebhookUrl: alerts.url,
			// The drift check looks back to the drift test's day (2026-10-05).
			days: Math.ceil((Date.now() - Date.parse('2026-10-01')) / 86_400_000),
		},
		extraWorkflows: [
			{ workflow: reviewOff },
			{ workflow: reviewByMessage },
			{ workflow: BROKEN, publish: false },
		],
		beforeN8n: ({ qbo }) => {
			qbo.seed(REALM_ID, 'Customer', EXISTING);
		},
	});
}, 300_000);

afterAll(async () => {
	await stack?.stop();
	await alerts?.close();
});

describe('templates in a real n8n', () => {
	/**
	 * HighLevel's two delivery kinds from the emulator's senders: a workflow Custom Webhook action
	 * (unsigned, the secret as a Bearer token), and marketplace webhooks signed over bytes that are not
	 * compact JSON.stringify output (a verifier that re-serializes the parsed body would refuse them).
	 */
	const answerOf = (delivery: Delivery) => {
		const last = delivery.attempts[delivery.attempts.length - 1];
		return {
			status: last.status,
			body: JSON.parse(last.responseBody || '{}'),
			attempts: delivery.attempts.length,
		};
	};
	async function workflowPost(
		url: string,
		body: Record<string, unknown>,
		auth: WorkflowAuth = { type: 'bearer', token: WEBHOOK_SECRET },
	) {
		return answerOf(await createWorkflowSender({ action: 'customWebhook', auth }).send(url, body));
	}
	async function marketplacePost(
		url: string,
		body: Record<string, unknown>,
		options: { badSignature?: boolean } = {},
	) {
		const sender = createMarketplaceSender({
			privateKeyPem: stack.sender.privateKeyPem,
			retry: { intervalMs: 200 },
		});
		return answerOf(await sender.send(url, body, options));
	}
	const paymentUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment);
	const invoiceUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice);
	const failedExecutions = async (workflowId: string) => {
		const page = await stack.n8n.rest(
			'GET',
			`/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId, status: ['error'] }))}&limit=50`,
		);
		return (page.results ?? page) as Array<{ id: string }>;
	};

	test('workflow Payment Received deliveries with the secret become one receipt each; refused without it; failed payments, pending orders and repeats make none', async () => {
		const url = paymentUrl();
		const p1 = workflowPayment({
			transactionId: 'ch_e2e_0001',
			email: 'jamie@example.com',
			firstName: 'Jamie',
			lastName: 'Rivera',
			subTotal: 150,
			discount: 15,
			tax: 11.48,
			createdOn: '2026-11-19T22:10:00.000Z',
		});
		const p2 = workflowPayment({
			transactionId: 'ch_e2e_0002',
			email: '  JAMIE@Example.com ',
			firstName: 'Jamie',
			lastName: 'Rivera',
			source: 'subscription',
			subTotal: 499,
		});
		const o3 = orderStatusUpdate({
			id: '6650e2e0000000000000c003',
			email: 'booker@example.com',
			source: { type: 'calendar' },
			items: [
				{ name: 'Strategy Session', qty: 1, amount: 250, taxes: [{ name: '8.5%', rate: 8.5 }] },
			],
		});
		const o4 = orderStatusUpdate({
			id: '6650e2e0000000000000c004',
			email: 'eve.stone@example.com',
			source: { type: 'membership' },
			items: [{ name: 'Gold Membership', qty: 1, amount: 99 }],
			discount: 9.9,
			shipping: 5,
		});
		const pending = orderCreate({ id: '6650e2e0000000000000c005', email: 'pending@example.com' });
		const racers = ['ch_e2e_race_a', 'ch_e2e_race_b', 'ch_e2e_race_c'].map((id) =>
			workflowPayment({
				transactionId: id,
				email: 'racer@example.com',
				firstName: 'Rae',
				lastName: 'Cer',
				subTotal: 40,
			}),
		);

		const first = await workflowPost(url, p1);
		expect([first.status, first.body]).toEqual([
			200,
			{ received: true, event: 'PaymentReceived', kind: 'payment', skipped: false },
		]);
		await until('receipt 1', () => receipts().length === 1);
		expect((await workflowPost(url, p2)).status).toBe(200);
		for (const body of [o3, o4]) expect((await marketplacePost(url, body)).status).toBe(200);
		const racing = await Promise.all(racers.map((body) => workflowPost(url, body)));
		expect(racing.map((r) => r.status)).toEqual([200, 200, 200]);

		// Not money, or not HighLevel: answered, never a receipt.
		const noSecret = await workflowPost(
			url,
			workflowPayment({ transactionId: 'ch_e2e_no_secret', email: 'thief@example.com' }),
			{ type: 'none' },
		);
		expect([noSecret.status, noSecret.body.error]).toEqual([
			401,
			'unsigned delivery without an Authorization header',
		]);
		expect(
			(
				await workflowPost(url, workflowPayment({ transactionId: 'ch_e2e_wrong_secret' }), {
					type: 'bearer',
					token: 'guessed',
				})
			).status,
		).toBe(401);
		const failed = await workflowPost(
			url,
			workflowPayment({
				transactionId: 'ch_e2e_failed',
				email: 'failed@example.com',
				status: 'failed',
			}),
		);
		expect([failed.status, failed.body.skipped, failed.body.reason]).toEqual([
			200,
			true,
			'payment status is "failed", not a success: no money was received',
		]);
		const pendingAnswer = await marketplacePost(url, pending);
		expect([pendingAnswer.status, pendingAnswer.body.skipped]).toEqual([200, true]);
		const repeat = await workflowPost(url, p1);
		expect([repeat.status, repeat.body.duplicate]).toEqual([200, true]);

		await until('7 receipts', () => receipts().length === 7);
		await new Promise((r) => setTimeout(r, 3000));
		expect(receipts()).toHaveLength(7);

		const expected: Array<[string, string, number]> = [
			['ch_e2e_0001', 'jamie@example.com', p1.payment.total_amount],
			['ch_e2e_0002', 'jamie@example.com', p2.payment.total_amount],
			[docNumberFor('6650e2e0000000000000c003'), 'booker@example.com', o3.amount],
			[docNumberFor('6650e2e0000000000000c004'), 'eve.stone@example.com', o4.amount],
			['ch_e2e_race_a', 'racer@example.com', racers[0].payment.total_amount],
		];
		for (const [docNumber, email, total] of expected) {
			const receipt = receipts().find((r) => r.DocNumber === docNumber);
			expect([
				docNumber,
				receipt?.TotalAmt,
				receipt && customerOf(receipt).PrimaryEmailAddr.Address,
			]).toEqual([docNumber, round2(total), email]);
		}
		expect(receipts().find((r) => r.DocNumber === 'ch_e2e_0001')!.TxnDate).toBe('2026-11-19');
		const customers = company().all('Customer');
		expect(
			customers.filter((c) => c.PrimaryEmailAddr?.Address?.toLowerCase() === 'jamie@example.com'),
		).toHaveLength(1);
		expect(
			customers.filter((c) => c.PrimaryEmailAddr?.Address === 'racer@example.com'),
		).toHaveLength(1);
		expect(
			customers.filter((c) => c.PrimaryEmailAddr?.Address === 'eve.stone@example.com'),
		).toHaveLength(1);
		expect(
			customers.some((c) =>
				['thief@example.com', 'failed@example.com', 'pending@example.com'].includes(
					c.PrimaryEmailAddr?.Address,
				),
			),
		).toBe(false);
	});

	test('invoice life cycles from HighLevel-shaped bodies (no type) end in the right QuickBooks state; an invoice payment is booked on the invoice once, never as a receipt', async () => {
		const url = invoiceUrl();
		const send = async (body: any) => expect((await marketplacePost(url, body)).status).toBe(200);
		const a = {
			id: '6650e2e0000000000000a001',
			invoiceNumber: 'INV-E2E-001',
			email: 'riley.chen@example.com',
			issueDate: '2026-11-20',
		};
		const itemsA = [
			{ name: 'Website Design', qty: 1, amount: 1200, taxes: [{ name: 'Sales Tax', rate: 7.25 }] },
			{ name: 'Hosting', qty: 12, amount: 15 },
		];
		const itemsA2 = [...itemsA, { name: 'Logo', qty: 1, amount: 300 }];

		const sentA = marketplaceInvoice('InvoiceSent', {
			...a,
			items: itemsA,
			discount: { type: 'percentage', value: 10 },
		});
		expect(sentA.type).toBeUndefined();
		await send(sentA);
		await until('invoice A', () => invoiceByNumber('INV-E2E-001')?.TotalAmt === sentA.total);
		const updatedA = marketplaceInvoice('InvoiceUpdate', {
			...a,
			status: 'sent',
			items: itemsA2,
			discount: { type: 'fixed', value: 100 },
		});
		await send(updatedA);
		await until(
			'invoice A updated',
			() => invoiceByNumber('INV-E2E-001')?.TotalAmt === updatedA.total,
		);
		await send(
			marketplaceInvoice('InvoicePartiallyPaid', {
				...a,
				items: itemsA2,
				discount: { type: 'fixed', value: 100 },
				amountPaid: 300,
			}),
		);
		await until(
			'invoice A partially paid',
			() => invoiceByNumber('INV-E2E-001')?.Balance === round2(updatedA.total - 300),
		);

		// The same payment reaches the payment template through "Payment Received" (source invoice):
		// with "Invoices Are Synced Too" on it is skipped there, and booked once on the invoice here.
		const receiptsBefore = receipts().length;
		const invoicePayment = await workflowPost(
			paymentUrl(),
			workflowPayment({
				transactionId: 'ch_e2e_inv_a',
				email: a.email,
				source: 'invoice',
				subTotal: round2(updatedA.total - 300),
			}),
		);
		expect([invoicePayment.status, invoicePayment.body.skipped]).toEqual([200, true]);
		await send(
			marketplaceInvoice('InvoicePaid', {
				...a,
				items: itemsA2,
				discount: { type: 'fixed', value: 100 },
			}),
		);
		await until('invoice A paid', () => invoiceByNumber('INV-E2E-001')?.Balance === 0);

		const b = {
			id: '6650e2e0000000000000b002',
			invoiceNumber: 'INV-E2E-002',
			email: 'out.of.order@example.com',
			issueDate: '2026-11-20',
		};
		const paidB = marketplaceInvoice('InvoicePaid', b);
		await send(paidB);
		await send(
			marketplaceInvoice('InvoiceSent', { ...b, status: 'paid', amountPaid: paidB.total }),
		);
		await until('invoice B paid', () => invoiceByNumber('INV-E2E-002')?.Balance === 0);

		const c = {
			id: '6650e2e0000000000000c003',
			invoiceNumber: 'INV-E2E-003',
			issueDate: '2026-11-20',
		};
		await send(marketplaceInvoice('InvoiceSent', c));
		await until('invoice C', () => invoiceByNumber('INV-E2E-003'));
		await send(marketplaceInvoice('InvoiceVoid', c));
		await until('invoice C void', () => invoiceByNumber('INV-E2E-003')?.TotalAmt === 0);

		// HighLevel's documented InvoicePaid example as published (ids, number, e-mail and date varied only).
		const documentedPaid = marketplaceInvoice('InvoicePaid', {
			id: '6650e2e0000000000000e005',
			invoiceNumber: 'INV-E2E-DOC',
			email: 'alex.doc@example.com',
			issueDate: '2026-11-21',
		});
		await send(documentedPaid);
		await until('documented InvoicePaid', () => invoiceByNumber('INV-E2E-DOC')?.Balance === 0);

		await send(
			marketplaceInvoice('InvoiceSent', {
				id: '6650e2e0000000000000d004',
				invoiceNumber: 'INV-OLD-004',
				issueDate: '2025-12-01',
			}),
		);
		await new Promise((r) => setTimeout(r, 3000));

		const numbers = company()
			.all('Invoice')
			.map((i) => i.DocNumber)
			.sort();
		expect(numbers).toEqual(['INV-E2E-001', 'INV-E2E-002', 'INV-E2E-003', 'INV-E2E-DOC']);
		const paymentsFor = (n: string) => company().paymentsFor(invoiceByNumber(n)!.Id);
		expect(paymentsFor('INV-E2E-001').map((p) => p.amount)).toEqual([
			300,
			round2(updatedA.total - 300),
		]);
		expect(paymentsFor('INV-E2E-002')).toHaveLength(1);
		expect(paymentsFor('INV-E2E-DOC').map((p) => p.amount)).toEqual([documentedPaid.total]);
		expect(invoiceByNumber('INV-E2E-001')!.TotalAmt).toBe(updatedA.total);
		expect(receipts()).toHaveLength(receiptsBefore);
	});

	test('a forged delivery is refused with 401; an unusable body is answered 200 and fails its execution visibly; nothing is written', async () => {
		const before = {
			receipts: receipts().length,
			customers: company().all('Customer').length,
			invoices: company().all('Invoice').length,
		};
		const failedBefore = {
			payment: (await failedExecutions('qbsyncTplPayment')).length,
			invoice: (await failedExecutions('qbsyncTplInvoice')).length,
		};
		const forged = await marketplacePost(
			paymentUrl(),
			orderStatusUpdate({ id: '6650e2e0000000000000f001' }),
			{ badSignature: true },
		);
		expect([forged.status, forged.body.error]).toEqual([
			401,
			'X-GHL-Signature does not match the body (Ed25519, HighLevel public key)',
		]);

		const noEmail: any = workflowPayment({ transactionId: 'ch_e2e_bad_1', email: '' });
		const accepted = await workflowPost(paymentUrl(), noEmail);
		expect([accepted.status, accepted.body.skipped]).toEqual([200, false]);
		const badTotal: any = marketplaceInvoice('InvoiceSent', {
			id: '6650e2e0000000000000f002',
			invoiceNumber: 'INV-E2E-BAD',
			issueDate: '2026-11-20',
		});
		badTotal.total = 'abc';
		expect((await marketplacePost(invoiceUrl(), badTotal)).status).toBe(200);

		const deadline = Date.now() + 60_000;
		let failedNow = failedBefore;
		while (Date.now() < deadline) {
			failedNow = {
				payment: (await failedExecutions('qbsyncTplPayment')).length,
				invoice: (await failedExecutions('qbsyncTplInvoice')).length,
			};
			if (failedNow.payment > failedBefore.payment && failedNow.invoice > failedBefore.invoice)
				break;
			await new Promise((r) => setTimeout(r, 500));
		}
		expect([
			failedNow.payment - failedBefore.payment,
			failedNow.invoice - failedBefore.invoice,
		]).toEqual([1, 1]);
		expect({
			receipts: receipts().length,
			customers: company().all('Customer').length,
			invoices: company().all('Invoice').length,
		}).toEqual(before);
	});

	test("connecting QuickBooks through n8n's OAuth2 flow: the custom environment's login, the realmId from the callback, a working credential", async () => {
		const n8n = stack.n8n;
		const credential = await n8n.rest('POST', '/credentials', {
			name: 'QuickBooks connected through OAuth',
			type: 'quickBooksSyncOAuth2Api',
			data: {
				environment: 'custom',
				customBaseUrl: stack.qbo.url,
				customAuthUrl: `${stack.qbo.url}/connect/oauth2`,
				customTokenUrl: `${stack.qbo.url}/oauth2/v1/tokens/bearer`,
				clientId: DEFAULT_CLIENT.clientId,
				clientSecret: DEFAULT_CLIENT.clientSecret,
			},
		});
		const authorizeUrl: string = await n8n.rest(
			'GET',
			`/oauth2-credential/auth?id=${credential.id}`,
		);
		expect(authorizeUrl.startsWith(`${stack.qbo.url}/connect/oauth2?`)).toBe(true);
		expect(new URL(authorizeUrl).searchParams.get('scope')).toBe(
			'com.intuit.quickbooks.accounting',
		);
		const login = await fetch(authorizeUrl, { redirect: 'manual' });
		const callback = login.headers.get('location')!;
		expect(callback).toContain(`realmId=${REALM_ID}`);
		expect((await fetch(callback, { headers: { Cookie: n8n.cookie } })).status).toBe(200);

		const workflow = await n8n.rest('POST', '/workflows', {
			name: 'OAuth check',
			settings: { executionOrder: 'v1' },
			connections: {
				Webhook: { main: [[{ node: 'Find', type: 'main', index: 0 }]] },
				Find: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] },
			},
			nodes: [
				{
					id: 'w1',
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: 'oauth-check-hook',
					parameters: {
						httpMethod: 'GET',
						path: 'oauth-check',
						responseMode: 'responseNode',
						options: {},
					},
				},
				{
					id: 'w2',
					name: 'Find',
					type: 'n8n-nodes-quickbooks-sync.quickBooksSync',
					typeVersion: 1,
					position: [200, 0],
					parameters: {
						resource: 'customer',
						operation: 'findByEmail',
						email: 'EVE.STONE@example.com',
						options: {},
					},
					credentials: { quickBooksSyncOAuth2Api: { id: credential.id, name: credential.name } },
				},
				{
					id: 'w3',
					name: 'Respond',
					type: 'n8n-nodes-base.respondToWebhook',
					typeVersion: 1.1,
					position: [400, 0],
					parameters: { respondWith: 'firstIncomingItem', options: {} },
				},
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
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
		try {
			const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
			await context.addCookies(
				stack.n8n.cookie.split('; ').map((pair) => {
					const [name, ...rest] = pair.split('=');
					return { name, value: rest.join('='), domain: '127.0.0.1', path: '/' };
				}),
			);
			const page = await context.newPage();
			const problemsIn = async (id: string, nodeCount: number, screenshot: string) => {
				await page.goto(`${stack.n8n.url}/workflow/${id}`, { waitUntil: 'domcontentloaded' });
				await page.waitForFunction(
					(n) =>
						(globalThis as any).document.querySelectorAll('[data-test-id="canvas-node"]').length >=
						n,
					nodeCount,
					{ timeout: 60_000 },
				);
				await page.waitForTimeout(1500);
				await page.screenshot({ path: join(dir, screenshot) });
				return {
					unknown: await page.locator('[data-test-id="node-not-installed"]').count(),
					issues: await page.locator('[data-test-id="node-issues"]').count(),
				};
			};
			expect(await problemsIn(BROKEN.id, 2, 'detector-check.png')).toEqual({
				unknown: 1,
				issues: 1,
			});
			const problems: string[] = [];
			for (const t of stack.templates) {
				const nodeCount = t.workflow.nodes.filter(
					(n: any) => n.type !== 'n8n-nodes-base.stickyNote',
				).length;
				const { unknown, issues } = await problemsIn(
					t.id,
					nodeCount,
					t.file.replace('.json', '.png'),
				);
				if (unknown || issues)
					problems.push(`${t.file}: ${unknown} unknown node(s), ${issues} node(s) with issues`);
			}
			expect(problems).toEqual([]);
		} finally {
			await browser.close();
		}
	});

	test('QuickBooks customers (existing and new) become CRM contacts once each; one review request per first paid invoice, none when switched off', async () => {
		// First poll of every trigger: the contacts template back-fills the existing customers.
		const contactEmails = () =>
			[...stack.highLevel.contacts.values()]
				.filter((c) => c.locationId === LOCATION_ID)
				.map((c) => c.email)
				.sort();
		await until(
			'back-filled contacts',
			() =>
				['eve.stone@example.com', 'finn@example.com', 'gil@example.com'].every((e) =>
					contactEmails().includes(e),
				),
			150_000,
		);
		// Wait a little so that the review triggers (same schedule) have started their clock too.
		await new Promise((r) => setTimeout(r, 5000));

		const [newA, newB] = stack.qbo.seed(REALM_ID, 'Customer', [
			{ DisplayName: 'New Nora', PrimaryEmailAddr: { Address: 'nora@example.com' } },
			{ DisplayName: 'New Omar', PrimaryEmailAddr: { Address: 'omar@example.com' } },
		]);
		const invoice = (customerId: string, amount: number) =>
			stack.qbo.seed(REALM_ID, 'Invoice', [
				{
					CustomerRef: { value: customerId },
					Line: [{ DetailType: 'SalesItemLineDetail', Amount: amount, SalesItemLineDetail: {} }],
				},
			])[0];
		const pay = (inv: any) =>
			stack.qbo.seed(REALM_ID, 'Payment', [
				{
					CustomerRef: inv.CustomerRef,
					TotalAmt: inv.TotalAmt,
					Line: [{ Amount: inv.TotalAmt, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
				},
			]);
		const n1 = invoice(newA.Id, 120);
		const n2 = invoice(newA.Id, 80);
		pay(n1);
		pay(n2);
		pay(invoice(newB.Id, 45));

		await until(
			'new contacts and review tags',
			() => {
				const tagged = [...stack.highLevel.contacts.values()]
					.filter((c) => c.tags.includes('qbo-first-invoice-paid'))
					.map((c) => c.email);
				return ['nora@example.com', 'omar@example.com'].every(
					(e) => contactEmails().includes(e) && tagged.includes(e),
				);
			},
			200_000,
		);
		// One more poll cycle: a second event would show up now if the trigger repeated itself.
		await new Promise((r) => setTimeout(r, 65_000));

		// Once each: every QuickBooks customer with an e-mail (the seeded ones, those the payment
		// and invoice templates created earlier, the new ones) was upserted exactly one time.
		const qboEmails = company()
			.all('Customer')
			.map((c) => c.PrimaryEmailAddr?.Address?.toLowerCase())
			.filter(Boolean)
			.sort();
		expect(qboEmails).toEqual(
			expect.arrayContaining([
				'eve.stone@example.com',
				'finn@example.com',
				'gil@example.com',
				'jamie@example.com',
				'nora@example.com',
				'omar@example.com',
				'racer@example.com',
			]),
		);
		const upserts = stack.highLevel.calls.filter(
			(c) => c.path === '/contacts/upsert' && c.body.source === 'QuickBooks',
		);
		const perEmail: Record<string, number> = {};
		for (const u of upserts) perEmail[u.body.email] = (perEmail[u.body.email] ?? 0) + 1;
		expect(perEmail).toEqual(Object.fromEntries(qboEmails.map((e) => [e, 1])));
		expect(contactEmails()).toEqual(qboEmails);
		// Upserts overwrite every field they carry: only the Config's contactFields are sent. The
		// contacts template sends its default choice; the review templates (contactFields empty)
		// find the contact by e-mail and change nothing on it.
		const allowed = new Set([
			'locationId',
			'email',
			'firstName',
			'lastName',
			'name',
			'phone',
			'companyName',
			'source',
		]);
		expect(upserts.flatMap((u) => Object.keys(u.body)).filter((k) => !allowed.has(k))).toEqual([]);
		const reviewUpserts = stack.highLevel.calls.filter(
			(c) => c.path === '/contacts/upsert' && c.body.source !== 'QuickBooks',
		);
		expect(reviewUpserts.length).toBeGreaterThan(0);
		expect([...new Set(reviewUpserts.map((u) => Object.keys(u.body).sort().join(',')))]).toEqual([
			'email,locationId',
		]);

		// Expected review requests, from QuickBooks' own records: customers whose first invoice
		// became paid in full after the review trigger started (invoices paid earlier in this
		// suite may fall on either side of that moment, so it is read from the trigger's state).
		const workflow = await stack.n8n.rest('GET', '/workflows/qbsyncTplReview');
		const activatedAt =
			workflow.staticData?.['node:First Invoice Paid in Full']?.state?.activatedAt;
		expect(typeof activatedAt).toBe('number');
		const paidAt = (invoiceId: string) =>
			Math.max(
				...company()
					.paymentsFor(invoiceId)
					.map(
						(p) =>
							company().changes.find((c) => c.entity === 'Payment' && c.id === p.paymentId)!.at,
					),
			);
		const firstPaid = new Map<string, number>();
		for (const inv of company().all('Invoice')) {
			if (inv.status === 'Deleted' || !(inv.TotalAmt > 0) || inv.Balance !== 0) continue;
			const at = paidAt(inv.Id);
			const customer = inv.CustomerRef.value;
			firstPaid.set(customer, Math.min(firstPaid.get(customer) ?? Infinity, at));
		}
		const expectedTagged = [...firstPaid]
			.filter(([, at]) => at >= activatedAt)
			.map(([id]) => company().get('Customer', id).PrimaryEmailAddr.Address.toLowerCase())
			.sort();
		expect(expectedTagged).toEqual(
			expect.arrayContaining(['nora@example.com', 'omar@example.com']),
		);

		const tagCalls = stack.highLevel.calls.filter((c) => /\/contacts\/[^/]+\/tags$/.test(c.path));
		const taggedEmails = tagCalls
			.map((c) => stack.highLevel.contacts.get(c.path.split('/')[2])?.email)
			.sort();
		expect(taggedEmails).toEqual(expectedTagged);
		expect(
			tagCalls.every(
				(c) => JSON.stringify(c.body.tags) === JSON.stringify(['qbo-first-invoice-paid']),
			),
		).toBe(true);
		// The copy set to "message" e-mailed the review link instead, to the same customers.
		await until(
			'review messages',
			() => stack.highLevel.messages.length >= expectedTagged.length,
			90_000,
		);
		const messaged = stack.highLevel.messages
			.map((m: any) => stack.highLevel.contacts.get(m.contactId)?.email)
			.sort();
		expect(messaged).toEqual(expectedTagged);
		expect(
			stack.highLevel.messages.every(
				(m: any) =>
					m.type === 'Email' && String(m.html).includes('https://reviews.example.com/acme'),
			),
		).toBe(true);
		expect(
			[...stack.highLevel.contacts.values()].some((c) => c.tags.includes('review-switched-off')),
		).toBe(false);
	});
	test("the drift report page: per day, HighLevel's payments against their receipts, the one never booked named; the morning check posts the differences older than a day (23.5)", async () => {
		const day = '2026-10-05';
		const body = (n: number) =>
			workflowPayment({
				transactionId: `ch_drift_e2e_${n}`,
				email: `drift.e2e.${n}@example.com`,
				subTotal: 10 * n,
				createdOn: `${day}T15:00:00.000Z`,
			});
		const before = receipts().length;
		for (const n of [1, 2]) expect((await workflowPost(paymentUrl(), body(n))).status).toBe(200);
		await until('2 receipts', () => receipts().length === before + 2);
		// HighLevel recorded all three; the third was never delivered (its workflow webhook failed).
		stack.recordPayments([1, 2, 3].map(body));

		const res = await fetch(`${stack.webhookUrl('quickbooks-sync-drift')}?from=${day}&to=${day}`);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/^text\/html/);
		const html = await res.text();
		expect(html).toMatch(/^<!doctype html>/);
		expect(html).toContain(
			'HighLevel 3 payments, 60.00; QuickBooks 2 receipts, 30.00. Missing 1, extra 0, differing 0.',
		);
		expect(html).toContain('<td>missing</td><td>2026-10-05</td><td>ch_drift_e2e_3</td><td>30</td>');
		// The template's invoice list is merged in: the invoices issued that day are compared too.
		expect(html).toContain('<h2>Invoices (by issue day)</h2>');
		expect(html).not.toMatch(/<script/i);

		// The check (every morning, or now by POST): differences older than alertAfterHours (24) are posted.
		const checked = await fetch(stack.webhookUrl('quickbooks-sync-drift-check'), {
			method: 'POST',
		});
		expect(checked.status).toBe(202);
		const alert = await until('the drift alert', () => alerts.bodies.find((a) => a.differences));
		expect(alert.text).toMatch(
			/^QuickBooks Sync drift: \d+ difference\(s\) between HighLevel and QuickBooks older than 24 h \(missing [1-9]/,
		);
		expect(alert.differences).toContainEqual(
			expect.objectContaining({
				kind: 'missing',
				transactionId: 'ch_drift_e2e_3',
				day,
				crmTotal: 30,
			}),
		);
		// Today's differences (payments the other tests sent without HighLevel recording them) wait.
		const today = new Date().toISOString().slice(0, 10);
		expect(alert.differences.filter((d: { day: string }) => d.day >= today)).toEqual([]);
	});
});
