/**
 * Fault matrix, HighLevel's side (issue 13), in queue mode (PostgreSQL, Redis, main, 2 workers, a
 * webhook process), one stack for both rows:
 * 1. HighLevel answering 429 to contact upserts while the QuickBooks customers → HighLevel contacts
 *    template back-fills and syncs new customers.
 * 2. Hostile deliveries to the HighLevel Trigger webhooks (huge, deeply nested, injection strings).
 */
import { until as untilOf } from '../helpers/until';
import { readFileSync } from 'fs';

import { crmMarker } from '../../nodes/shared/domain/docNumber';
import { marketplaceInvoice, workflowPayment } from '../../scripts/dev/fixtures/highlevel';
import {
	createMarketplaceSender,
	createWorkflowSender,
} from '../../scripts/dev/emulator/highlevel/delivery';
import {
	LOCATION_ID,
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	startStack,
	type Stack,
} from '../../scripts/dev/stack';
import { recordFault } from './record';

jest.setTimeout(20 * 60_000);

const until = <T>(what: string, probe: () => Promise<T | undefined | false> | T, ms: number) =>
	untilOf(what, probe, ms, { context: () => stack.n8n.logs().slice(-3000) });
let stack: Stack;
const company = () => stack.qbo.company(REALM_ID);

const SEEDED = 300;
const DURING_STORM = 30;
const STORM_MS = 45_000;
const emailOf = (i: number) => `storm.customer.${String(i).padStart(4, '0')}@example.com`;
const customer = (i: number) => ({
	DisplayName: `Storm Customer ${i}`,
	GivenName: 'Storm',
	FamilyName: `Customer ${i}`,
	PrimaryEmailAddr: { Address: emailOf(i) },
});

beforeAll(async () => {
	stack = await startStack({
		queue: { workers: 2, webhookProcess: true },
		templates: (file) => file !== 'first-invoice-paid-review-request.json',
		beforeN8n: ({ qbo, highLevel }) => {
			// Existing customers: the template's first poll back-fills them (500 per poll, one execution).
			qbo.seed(
				REALM_ID,
				'Customer',
				Array.from({ length: SEEDED }, (_, i) => customer(i)),
			);
			// The storm opens at the first upsert, whenever the first poll comes.
			highLevel.injectFault({ route: 'POST /contacts/upsert', status: 429, durationMs: STORM_MS });
		},
	});
}, 8 * 60_000);

afterAll(async () => {
	await stack?.stop();
});

const contactsByEmail = () => {
	const out = new Map<string, number>();
	for (const c of stack.highLevel.contacts.values())
		if (c.locationId === LOCATION_ID && c.email) out.set(c.email, (out.get(c.email) ?? 0) + 1);
	return out;
};

test('HighLevel answering 429 to contact upserts: no contact lost, none duplicated', async () => {
	const upserts = () => stack.highLevel.calls.filter((c) => c.path === '/contacts/upsert');
	// Wait for the storm to open (the back-fill's first upsert), then add customers during it.
	const openedAt = await until('the first upsert', () => upserts()[0]?.at, 4 * 60_000);
	stack.qbo.seed(
		REALM_ID,
		'Customer',
		Array.from({ length: DURING_STORM }, (_, i) => customer(SEEDED + i)),
	);
	const expected = Array.from({ length: SEEDED + DURING_STORM }, (_, i) => emailOf(i));
	const stormEnd = openedAt + STORM_MS;
	const allThere = () => expected.every((e) => contactsByEmail().has(e));
	// Generous: the back-off may need a few minutes; a template that drops contacts never gets there.
	await until('storm end', () => Date.now() > stormEnd, STORM_MS + 5000).catch(() => undefined);
	const doneAt = await until('every contact', () => allThere() && Date.now(), 5 * 60_000).catch(
		() => undefined,
	);

	const present = contactsByEmail();
	const lost = expected.filter((e) => !present.has(e));
	const duplicated = [...present.values()].filter((n) => n > 1).length;
	const calls = upserts();
	const refused = calls.filter((c) => c.status === 429).length;
	const accepted = new Map<string, number>();
	for (const c of calls.filter((c) => c.status === 200))
		accepted.set(c.body.email, (accepted.get(c.body.email) ?? 0) + 1);
	const repeated = [...accepted.values()].filter((n) => n > 1).length;
	const executions = await stack.n8n.rest(
		'GET',
		`/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: 'qbsyncTplContacts' }))}&limit=100`,
	);
	const statuses = ((executions.results ?? executions) as Array<{ status: string }>).map(
		(e) => e.status,
	);
	recordFault({
		fault: 'HighLevel answering 429 to contact upserts',
		load: `${SEEDED} existing QuickBooks customers back-filled + ${DURING_STORM} created during the storm; every upsert answered 429 for ${STORM_MS / 1000} s from the first; contacts template, queue mode, 2 workers`,
		events: expected.length,
		lost: lost.length,
		duplicated,
		recoverySeconds: doneAt ? Math.max(0, Math.round((doneAt - stormEnd) / 100) / 10) : null,
		notes:
			lost.length === 0
				? 'The template waits and re-sends the upserts HighLevel answered 429 (or 5xx) with back-off, in the same execution'
				: `${lost.length} customers never became contacts: the trigger's cursor had moved past them`,
		detail: {
			upsertCalls: calls.length,
			answered429: refused,
			contactsUpsertedMoreThanOnce: repeated,
			executions: statuses,
			lostSample: lost.slice(0, 5),
		},
	});
	expect(lost).toEqual([]);
	expect(duplicated).toBe(0);
	expect(refused).toBeGreaterThan(0);
	expect(statuses.filter((s) => s === 'error')).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Row 2: hostile deliveries
// ---------------------------------------------------------------------------------------------

/** scripts/dev/n8n.ts gives every n8n of the stack this key. */
const ENCRYPTION_KEY = 'qbsync-local-demo-encryption-key';
const INJECT = {
	sql: "'; DROP TABLE x;--",
	qboQuery: "' OR Id > '0",
	env: '{{ $env.N8N_ENCRYPTION_KEY }}',
	expression: '={{ 1+1 }}',
	script: '<script>alert(1)</script>',
	path: '../../etc/passwd',
	crlf: 'a\r\nX-Injected: yes',
	nul: 'nul\u0000byte',
	rtl: '\u202Eevil\u202C مرحبا 😀👨‍👩‍👧',
};
const ALL = Object.values(INJECT).join(' ');
/** Valid (RFC 5322 and the package's check), and a QuickBooks query injection if it were not escaped. */
const INJECTION_EMAIL = "victim'or'1'='1@example.com";

type Answer = { status: number | string; ms: number; body: string };

async function post(url: string, raw: string, headers: Record<string, string>): Promise<Answer> {
	const started = Date.now();
	try {
		const res = await fetch(url, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', ...headers },
			body: raw,
			signal: AbortSignal.timeout(60_000),
		});
		const body = await res.text();
		return { status: res.status, ms: Date.now() - started, body: body.slice(0, 300) };
	} catch (error) {
		return { status: `no answer: ${(error as Error).message}`, ms: Date.now() - started, body: '' };
	}
}

const bearer = { Authorization: `Bearer ${WEBHOOK_SECRET}` };
const nested = (depth: number, inner: string) => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

function rssMb(pid: number | undefined): number | undefined {
	if (!pid) return undefined;
	try {
		const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
		return kb ? Math.round(Number(kb) / 1024) : undefined;
	} catch {
		return undefined;
	}
}

async function healthy(): Promise<Record<string, boolean>> {
	const processes = {
		main: stack.n8n,
		...Object.fromEntries((stack.queue?.workers ?? []).map((w, i) => [`worker ${i + 1}`, w])),
		...(stack.queue?.webhook ? { webhook: stack.queue.webhook } : {}),
	};
	const out: Record<string, boolean> = {};
	for (const [name, p] of Object.entries(processes)) {
		const res = await fetch(`${p.url}/healthz`).catch(() => undefined);
		out[name] = !!p.pid && !!res?.ok;
	}
	return out;
}

test('hostile deliveries: definite answers, every process up, nothing half-written, strings stored verbatim, a normal payment after is booked', async () => {
	const receipts = () => company().all('SalesReceipt');
	const invoices = () => company().all('Invoice');
	const customers = () => company().all('Customer');
	const [victim] = stack.qbo.seed(REALM_ID, 'Customer', [
		{ DisplayName: 'Victim Vera', PrimaryEmailAddr: { Address: 'victim@example.com' } },
	]);
	const victimBefore = JSON.stringify(company().get('Customer', victim.Id));

	const urls = {
		'payment direct': stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment),
		'payment durable': stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable),
		invoice: stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice),
	};
	const webhookPid = stack.queue?.webhook?.pid;
	const rssBefore = rssMb(webhookPid);
	let rssPeak = rssBefore ?? 0;
	const answers: Record<string, Record<string, Answer>> = {};
	const sentTx: Record<string, string> = {};
	let n = 0;
	for (const [target, url] of Object.entries(urls)) {
		answers[target] = {};
		const payment = (extra: Record<string, unknown> = {}) => {
			const tx = `ch_hostile_${target.replace(/\W/g, '')}_${++n}`;
			return {
				tx,
				body: {
					...workflowPayment({ transactionId: tx, email: `hostile${n}@example.com` }),
					...extra,
				},
			};
		};
		const cases: Record<
			string,
			() => { tx?: string; raw: string; headers?: Record<string, string> }
		> = {
			'5 MB body (a payment padded)': () => {
				const p = payment({ padding: 'x'.repeat(5 * 1024 * 1024) });
				return { tx: p.tx, raw: JSON.stringify(p.body) };
			},
			'10,000 levels deep (a payment plus a nested field)': () => {
				const p = payment();
				return {
					tx: p.tx,
					raw: JSON.stringify(p.body).replace(/}$/, `,"nest":${nested(10_000, '1')}}`),
				};
			},
			'100,000 levels deep': () => {
				const p = payment();
				return {
					tx: p.tx,
					raw: JSON.stringify(p.body).replace(/}$/, `,"nest":${nested(100_000, '1')}}`),
				};
			},
			'100,000 levels deep, no secret': () => ({ raw: nested(100_000, '1'), headers: {} }),
		};
		for (const [name, make] of Object.entries(cases)) {
			const c = make();
			if (c.tx) sentTx[`${target}: ${name}`] = c.tx;
			const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(webhookPid) ?? 0)), 100);
			answers[target][name] = await post(url, c.raw, c.headers ?? bearer);
			clearInterval(sampler);
		}
	}

	// Injection strings in every free-text field of a legitimate-looking payment (and invoice).
	const injectionPayment = (tx: string) => {
		const body = workflowPayment({
			transactionId: tx,
			email: INJECTION_EMAIL,
			firstName: `Ann ${INJECT.sql} ${INJECT.env}`,
			lastName: `${INJECT.expression} ${INJECT.script} ${INJECT.crlf}`,
			phone: `+1 555 0100 ${INJECT.nul}`,
			source: INJECT.qboQuery,
			couponCode: INJECT.env,
		});
		body.full_name = ALL;
		body.company_name = `${INJECT.path} ${INJECT.rtl} ${'L'.repeat(5000)}`;
		body.payment.customer = {
			name: ALL,
			email: INJECTION_EMAIL,
			company_name: body.company_name,
		};
		return body;
	};
	const injectionTx = {
		'payment direct': `ch_inj_direct${INJECT.qboQuery}`,
		'payment durable': `ch_inj_durable${INJECT.sql}`,
	};
	const workflow = createWorkflowSender({
		action: 'customWebhook',
		auth: { type: 'bearer', token: WEBHOOK_SECRET },
	});
	for (const [target, tx] of Object.entries(injectionTx)) {
		const d = await workflow.send(urls[target as keyof typeof urls], injectionPayment(tx));
		const last = d.attempts[d.attempts.length - 1];
		answers[target]['injection strings'] = {
			status: last.status ?? 'none',
			ms: 0,
			body: String(last.responseBody ?? '').slice(0, 300),
		};
	}
	const marketplace = createMarketplaceSender({
		privateKeyPem: stack.sender.privateKeyPem,
		retry: { intervalMs: 200 },
	});
	const injectedInvoice = marketplaceInvoice('InvoiceSent', {
		invoiceNumber: 'INV-HOSTILE-1',
		name: ALL,
		title: INJECT.expression,
		issueDate: '2026-11-20',
		contact: { name: ALL, email: INJECTION_EMAIL, companyName: INJECT.path, phoneNo: INJECT.crlf },
		items: [
			{ name: `${INJECT.env} ${INJECT.sql}`, qty: 1, amount: 100 },
			{ name: `${INJECT.script} ${INJECT.rtl}`, qty: 2, amount: 25 },
		],
	});
	{
		const d = await marketplace.send(urls.invoice, injectedInvoice);
		const last = d.attempts[d.attempts.length - 1];
		answers.invoice['injection strings (signed InvoiceSent)'] = {
			status: last.status ?? 'none',
			ms: 0,
			body: String(last.responseBody ?? '').slice(0, 300),
		};
	}
	const health = await healthy();
	console.log(JSON.stringify({ answers, health }, null, 1));

	// A normal payment right after, on both payment templates.
	const normal = { direct: 'ch_after_hostile_direct', durable: 'ch_after_hostile_durable' };
	const afterAt = Date.now();
	await workflow.send(
		urls['payment direct'],
		workflowPayment({ transactionId: normal.direct, email: 'after@example.com' }),
	);
	await workflow.send(
		urls['payment durable'],
		workflowPayment({ transactionId: normal.durable, email: 'after@example.com' }),
	);
	await stack.drain().catch(() => undefined);
	const ownMarker = (r: any, tx: string) =>
		new RegExp(
			`${crmMarker('payment', tx).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![^\\s(),;])`,
		).test(String(r.PrivateNote ?? ''));
	const booked = (tx: string) => receipts().some((r) => ownMarker(r, tx));
	const normalBookedAt = await until(
		'the normal payments after the hostile ones',
		() => booked(normal.direct) && booked(normal.durable) && Date.now(),
		120_000,
	).catch(() => undefined);
	await until(
		'the injection receipts',
		() => Object.values(injectionTx).every((tx) => receiptOfKey(tx)),
		90_000,
	).catch(() => undefined);
	await until(
		'the injection invoice',
		() => invoices().some((i) => i.DocNumber === 'INV-HOSTILE-1'),
		60_000,
	).catch(() => undefined);

	// The receipt's PrivateNote carries the package's marker of the transaction (its id made safe).
	function receiptOfKey(tx: string) {
		return receipts().find((r) => ownMarker(r, tx));
	}
	// Findings
	const health2 = await healthy();
	const acceptedHostile = Object.entries(sentTx).filter(([k]) => {
		const [target, name] = k.split(': ');
		const status = answers[target][name]?.status;
		return typeof status === 'number' && status < 300;
	});
	const refusedHostile = Object.entries(sentTx).filter(
		([k]) => !acceptedHostile.some(([a]) => a === k),
	);
	const paymentTargets = (k: string) => k.startsWith('payment');
	const receiptsFor = (tx: string) => receipts().filter((r) => ownMarker(r, tx)).length;
	const bookedAccepted = acceptedHostile.filter(
		([k, tx]) => !paymentTargets(k) || receiptsFor(tx) === 1,
	);
	const refusedButBooked = refusedHostile.filter(([, tx]) => receiptsFor(tx) > 0);
	const receiptCustomers = new Set(receipts().map((r) => r.CustomerRef?.value));
	const orphanCustomers = customers()
		.filter((c) => /hostile|victim'|after@/.test(JSON.stringify(c.PrimaryEmailAddr ?? '')))
		.filter(
			(c) => !receiptCustomers.has(c.Id) && !invoices().some((i) => i.CustomerRef?.value === c.Id),
		);
	const injectionRecords = [
		...Object.values(injectionTx).map((tx) => receiptOfKey(tx)),
		...Object.values(injectionTx).map((tx) => {
			const r = receiptOfKey(tx);
			return r && company().get('Customer', r.CustomerRef.value);
		}),
		invoices().find((i) => i.DocNumber === 'INV-HOSTILE-1'),
	];
	const everything = JSON.stringify({
		qbo: [...receipts(), ...customers(), ...invoices()],
		highLevel: [...stack.highLevel.contacts.values()],
	});
	const keyLeaked = everything.includes(ENCRYPTION_KEY);
	const verbatim = {
		env: everything.includes(INJECT.env),
		expression: everything.includes('{{ 1+1 }}'),
		sql: everything.includes(INJECT.sql),
		qboQuery: everything.includes(INJECT.qboQuery),
	};
	const victimAfter = JSON.stringify(company().get('Customer', victim.Id));
	const victimUsed =
		receipts().some((r) => r.CustomerRef?.value === victim.Id) ||
		invoices().some((i) => i.CustomerRef?.value === victim.Id);

	recordFault({
		fault: 'Hostile deliveries to the HighLevel Trigger webhooks',
		load: 'payment direct, payment durable and invoice triggers: a 5 MB payment, 10,000- and 100,000-level nested bodies (with the secret, and without), a payment and a signed invoice whose free-text fields carry SQL, QuickBooks-query, n8n-expression, script, path, CRLF, NUL, RTL/emoji and 5,000-character strings; then a normal payment; queue mode, 2 workers, webhook process',
		events: Object.keys(sentTx).length + Object.keys(injectionTx).length + 1 + 2,
		lost:
			(normalBookedAt ? 0 : 2) +
			Object.values(injectionTx).filter((tx) => !receiptOfKey(tx)).length +
			(invoices().some((i) => i.DocNumber === 'INV-HOSTILE-1') ? 0 : 1),
		duplicated: Object.values({ ...normal, ...injectionTx }).filter((tx) => receiptsFor(tx) > 1)
			.length,
		recoverySeconds: null,
		notes: `every process up: ${Object.values(health2).every(Boolean)}; encryption key in a record: ${keyLeaked}; orphan customers: ${orphanCustomers.length}; normal payment booked ${normalBookedAt ? ((normalBookedAt - afterAt) / 1000).toFixed(1) + ' s' : 'never'} after`,
		detail: {
			answers: Object.fromEntries(
				Object.entries(answers).map(([t, cases]) => [
					t,
					Object.fromEntries(
						Object.entries(cases).map(([k, a]) => [k, `${a.status} in ${a.ms} ms`]),
					),
				]),
			),
			webhookRssMb: { before: rssBefore, peak: rssPeak, after: rssMb(webhookPid) },
			health: health2,
			acceptedHostileBooked: `${bookedAccepted.length}/${acceptedHostile.length}`,
			refusedButBooked: refusedButBooked.map(([k]) => k),
			orphanCustomers: orphanCustomers.map((c) => c.DisplayName),
			verbatim,
			victimUnchanged: victimBefore === victimAfter,
			victimUsed,
			injectionRecordsFound: injectionRecords.filter(Boolean).length,
		},
	});
	expect(health).toEqual(health2);
	expect(Object.values(health2).every(Boolean)).toBe(true);
	// Every hostile or odd delivery gets an answer, and none is a crash (5xx) or no answer at all.
	const crashed = Object.entries(answers).flatMap(([target, cases]) =>
		Object.entries(cases)
			.filter(([, a]) => typeof a.status !== 'number' || a.status >= 500)
			.map(([name, a]) => `${target}: ${name} → ${String(a.status)}`),
	);
	expect(crashed).toEqual([]);
	expect(normalBookedAt).toBeDefined();
	expect(keyLeaked).toBe(false);
	expect(verbatim).toEqual({ env: true, expression: true, sql: true, qboQuery: true });
	expect(refusedButBooked).toEqual([]);
	expect(bookedAccepted.length).toBe(acceptedHostile.length);
	expect(orphanCustomers).toEqual([]);
	expect(victimAfter).toBe(victimBefore);
	expect(victimUsed).toBe(false);
	expect(injectionRecords.every(Boolean)).toBe(true);
});
