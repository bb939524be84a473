/**
 * The HighLevel Payments node run by n8n-core (runNode) against the HighLevel emulator's payments
 * and invoices routes (scripts/dev/emulator/highlevel/server.ts): paging to the end, date range,
 * live-only default, get by id, the same event as the HighLevel Trigger's for the same payment,
 * scopes, and HighLevel's request limit. Records are the documented examples with values varied
 * (scripts/dev/fixtures/highlevel, SOURCES.md "Payments and invoices API").
 */
import { generateKeyPairSync, sign, type KeyObject } from 'crypto';
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { HighLevelApi } from '../../credentials/HighLevelApi.credentials';
import { HighLevelPayments } from '../../nodes/HighLevelPayments/HighLevelPayments.node';
import { paymentFromHighLevel, invoiceFromHighLevel } from '../../nodes/shared/highlevel/toCrm';
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import {
	HighLevelEmulator,
	startHighLevelEmulator,
	type HighLevelEmulatorOptions,
} from '../../scripts/dev/emulator/highlevel/server';
import {
	apiInvoice,
	apiOrder,
	apiTransaction,
	documented,
	workflowPayment,
	workflowRefund,
} from '../../scripts/dev/fixtures/highlevel';
import {
	MemoryCredentialsHelper,
	TestNodeTypes,
	TypedCredentialsHelper,
	WebhookHarness,
	runNode,
} from '../helpers/engine';

TestNodeTypes.extra['n8n-nodes-quickbooks-sync.highLevelPayments'] = new HighLevelPayments();

const LOCATION = 'Z4Bxl8J4SaPEPLq9IQ8g';
const NODE = 'QuickBooks Sync'; // runNode's name for the node under test

/** Resolves the credential's generic `authenticate` the way n8n's CredentialsHelper does ({{$credentials.x}}). */
function resolve(value: unknown, data: ICredentialDataDecryptedObject): string {
	return String(value)
		.replace(/^=/, '')
		.replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, name: string) => String(data[name] ?? ''));
}

class HighLevelCredentials extends MemoryCredentialsHelper {
	async authenticate(
		data: ICredentialDataDecryptedObject,
		_type: string,
		requestOptions: IHttpRequestOptions,
	) {
		const headers = new HighLevelApi().authenticate.properties.headers ?? {};
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, resolve(v, data)])),
			},
		};
	}

	getCredentialsProperties() {
		return new HighLevelApi().properties;
	}
}

function credentialFor(hl: HighLevelEmulator, token = hl.token) {
	return new HighLevelCredentials({
		token,
		locationId: LOCATION,
		environment: 'custom',
		customBaseUrl: hl.url,
	});
}

const emulators: HighLevelEmulator[] = [];
async function emulator(options: HighLevelEmulatorOptions = {}) {
	const hl = await startHighLevelEmulator(options);
	emulators.push(hl);
	return hl;
}
afterAll(async () => {
	for (const hl of emulators) await hl.stop();
});

async function pull(
	hl: HighLevelEmulator,
	parameters: Record<string, unknown>,
	options: { token?: string; continueOnFail?: boolean } = {},
) {
	const result = await runNode(credentialFor(hl, options.token), parameters, [{}], {
		nodeType: 'n8n-nodes-quickbooks-sync.highLevelPayments',
		credentialType: 'highLevelApi',
		continueOnFail: options.continueOnFail,
	});
	return {
		received: result.output(NODE, 0).map((i) => i.json as Record<string, any>),
		skipped: result.output(NODE, 1).map((i) => i.json as Record<string, any>),
		error: result.error(NODE),
	};
}

const MARCH = { startDate: '2026-03-01T00:00:00', endDate: '2026-03-31T00:00:00' };
const day = (d: number) => `2026-03-${String(d).padStart(2, '0')}T12:00:00.000Z`;
const live = (id: string, createdAt: string, extra: Record<string, unknown> = {}) =>
	apiTransaction({
		id,
		locationId: LOCATION,
		createdAt,
		liveMode: true,
		amountRefunded: 0,
		...extra,
	});
const listCalls = (hl: HighLevelEmulator, path: string) =>
	hl.calls.filter((c) => c.method === 'GET' && c.path === path);

describe('Get Many', () => {
	test('transactions over a range of 3 pages: every record once, none outside the range, all pages followed', async () => {
		const hl = await emulator({ maxPageSize: 3 });
		const inRange = Array.from({ length: 8 }, (_, i) => live(`tx-${i + 1}`, day(i + 1)));
		hl.seedPayments({
			transactions: [
				...inRange,
				live('tx-feb', '2026-02-28T23:59:00.000Z'),
				live('tx-apr', '2026-04-01T00:00:00.000Z'),
				live('tx-other-location', day(5), { locationId: 'OtherLocation0000001' }),
			],
		});
		const { received, skipped, error } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			...MARCH,
		});
		expect(error).toBeUndefined();
		expect(skipped).toEqual([]);
		expect(received.map((e) => e.key).sort()).toEqual(
			inRange.map((t) => `payment:${t._id}`).sort(),
		);
		expect(received.every((e) => e.format === 'highlevel-event/1' && e.delivery === 'api')).toBe(
			true,
		);
		const calls = listCalls(hl, '/payments/transactions');
		expect(calls.map((c) => c.query?.offset)).toEqual(['0', '3', '6']);
		expect(calls[0].query).toMatchObject({
			altId: LOCATION,
			altType: 'location',
			startAt: '2026-03-01',
			endAt: '2026-03-31',
			paymentMode: 'live',
			limit: '100',
		});
	});

	test('Exact Times: only transactions created within the times are kept; the days asked are widened by one on each side', async () => {
		const hl = await emulator();
		const at = (time: string) => `2026-03-10T${time}.000Z`;
		const inside = [live('tx-1000', at('10:00:00')), live('tx-1059', at('10:59:59'))];
		hl.seedPayments({
			transactions: [
				...inside,
				live('tx-0959', at('09:59:59')),
				live('tx-1101', at('11:00:01')),
				live('tx-day-before', '2026-03-09T10:30:00.000Z'),
			],
		});
		const { received } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			startDate: at('10:00:00'),
			endDate: at('11:00:00'),
			options: { exactTimes: true },
		});
		expect(received.map((e) => e.key).sort()).toEqual(inside.map((t) => `payment:${t._id}`));
		expect(listCalls(hl, '/payments/transactions')[0].query).toMatchObject({
			startAt: '2026-03-09',
			endAt: '2026-03-11',
		});
		// Without the option the same range is its whole day.
		const days = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			startDate: at('10:00:00'),
			endDate: at('11:00:00'),
		});
		expect(days.received).toHaveLength(4);
		const backwards = await pull(
			hl,
			{
				resource: 'transaction',
				operation: 'getMany',
				startDate: at('11:00:00'),
				endDate: at('10:00:00'),
				options: { exactTimes: true },
			},
			{ continueOnFail: true },
		);
		expect(backwards.received[0].error).toMatch(/endDate.*before the Start Date/);
	});

	test('Refunds of Older Payments From: the refunds of transactions created before the range (from that day on) join the range’s events; their payments do not', async () => {
		const hl = await emulator({ maxPageSize: 2 });
		const at = (time: string) => `2026-03-10T${time}.000Z`;
		hl.seedPayments({
			transactions: [
				live('tx-in', at('10:30:00'), { amount: 50, amountRefunded: 5 }),
				live('tx-old-refunded', day(2), { amount: 40, amountRefunded: 40 }),
				live('tx-old-half', '2026-03-10T09:00:00.000Z', { amount: 30, amountRefunded: 15 }),
				live('tx-old-plain', day(3), { amount: 20 }),
				live('tx-too-old', '2026-02-20T12:00:00.000Z', { amount: 10, amountRefunded: 10 }),
			],
		});
		const run = (refundsFrom: string) =>
			pull(hl, {
				resource: 'transaction',
				operation: 'getMany',
				startDate: at('10:00:00'),
				endDate: at('11:00:00'),
				options: { exactTimes: true, refundsFrom },
			});
		const { received, error } = await run('2026-03-01T00:00:00.000Z');
		expect(error).toBeUndefined();
		expect(received.map((e) => [e.key, e.kind, e.record.refundedTotal]).sort()).toEqual(
			[
				['payment:tx-in', 'payment', undefined],
				['refund:tx-in:refunded-total:5', 'refund', 5],
				['refund:tx-old-half:refunded-total:15', 'refund', 15],
				['refund:tx-old-refunded:refunded-total:40', 'refund', 40],
			].sort(),
		);
		// The older span is read day-wise from the day before that day, and none of it twice.
		const calls = listCalls(hl, '/payments/transactions').map((c) => c.query);
		expect(calls.some((q) => q?.startAt === '2026-02-28')).toBe(true);
		// Empty, or not before the range: the range alone.
		hl.calls.length = 0;
		expect((await run('')).received.map((e) => e.key).sort()).toEqual([
			'payment:tx-in',
			'refund:tx-in:refunded-total:5',
		]);
		expect((await run(at('10:00:00'))).received).toHaveLength(2);
		expect(listCalls(hl, '/payments/transactions')).toHaveLength(2);
		const bad = await pull(
			hl,
			{
				resource: 'transaction',
				operation: 'getMany',
				startDate: at('10:00:00'),
				endDate: at('11:00:00'),
				options: { refundsFrom: 'last spring' },
			},
			{ continueOnFail: true },
		);
		expect(bad.received[0].error).toMatch(/refundsFrom.*not a date/);
	});

	test('orders: listed over 2 pages, each then read by id, so the events carry the items as the order webhooks do', async () => {
		const hl = await emulator({ maxPageSize: 3 });
		const orders = Array.from({ length: 4 }, (_, i) =>
			apiOrder({ locationId: LOCATION, liveMode: true, createdAt: day(i + 10) }),
		);
		hl.seedPayments({ orders });
		const { received } = await pull(hl, { resource: 'order', operation: 'getMany', ...MARCH });
		expect(received.map((e) => e.key).sort()).toEqual(orders.map((o) => `order:${o._id}`).sort());
		expect(
			received.map((e) => [e.event, e.linesKnown, e.record.lines.length, e.record.total]),
		).toEqual(orders.map(() => ['OrderStatusUpdate', true, 2, 150.1]));
		expect(listCalls(hl, '/payments/orders').map((c) => c.query?.offset)).toEqual(['0', '3']);
		expect(hl.calls.filter((c) => c.path.startsWith('/payments/orders/'))).toHaveLength(4);
		// No altType: list-orders documents none.
		expect(listCalls(hl, '/payments/orders')[0].query?.altType).toBeUndefined();
	});

	test('invoices over 3 pages, by issue date', async () => {
		const hl = await emulator({ maxPageSize: 2 });
		const invoices = Array.from({ length: 5 }, (_, i) =>
			apiInvoice('InvoiceSent', {
				altId: LOCATION,
				liveMode: true,
				issueDate: `2026-03-0${i + 1}`,
			}),
		);
		const outside = apiInvoice('InvoiceSent', {
			altId: LOCATION,
			liveMode: true,
			issueDate: '2026-04-02',
		});
		hl.seedPayments({ invoices: [...invoices, outside] });
		const { received } = await pull(hl, { resource: 'invoice', operation: 'getMany', ...MARCH });
		expect(received.map((e) => e.ids.invoiceId).sort()).toEqual(invoices.map((i) => i._id).sort());
		expect(received.every((e) => e.kind === 'invoice' && e.event === 'InvoiceSent')).toBe(true);
		expect(listCalls(hl, '/invoices/').map((c) => c.query?.offset)).toEqual(['0', '2', '4']);
	});

	test('test-mode records are left out by default; "Live and Test" reads them too', async () => {
		const hl = await emulator();
		hl.seedPayments({
			transactions: [
				live('live-1', day(2)),
				live('live-2', day(3)),
				live('test-1', day(2), { liveMode: false }),
				live('test-2', day(4), { liveMode: false }),
			],
		});
		const liveOnly = await pull(hl, { resource: 'transaction', operation: 'getMany', ...MARCH });
		expect(liveOnly.received.map((e) => e.key).sort()).toEqual([
			'payment:live-1',
			'payment:live-2',
		]);
		expect(listCalls(hl, '/payments/transactions').map((c) => c.query?.paymentMode)).toEqual([
			'live',
		]);
		hl.calls.length = 0;
		const both = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			paymentMode: 'liveAndTest',
			...MARCH,
		});
		expect(both.received.map((e) => e.key).sort()).toEqual([
			'payment:live-1',
			'payment:live-2',
			'payment:test-1',
			'payment:test-2',
		]);
		expect(listCalls(hl, '/payments/transactions').map((c) => c.query?.paymentMode)).toEqual([
			'live',
			'test',
		]);
	});
});

describe('Get', () => {
	test('one transaction, order and invoice by id; a refunded total shows as a refund event; an unknown id fails naming it', async () => {
		const hl = await emulator();
		const txn = live('tx-refunded', day(9), {
			amount: 80,
			amountRefunded: 30,
			status: 'succeeded',
		});
		const order = apiOrder({ locationId: LOCATION, liveMode: false });
		const invoice = apiInvoice('InvoicePartiallyPaid', { altId: LOCATION });
		hl.seedPayments({ transactions: [txn], orders: [order], invoices: [invoice] });

		const t = await pull(hl, {
			resource: 'transaction',
			operation: 'get',
			transactionId: { __rl: true, mode: 'id', value: 'tx-refunded' },
		});
		expect(t.received.map((e) => [e.key, e.kind, e.refund?.refundedTotal, e.refund?.type])).toEqual(
			[
				['payment:tx-refunded', 'payment', undefined, undefined],
				['refund:tx-refunded:refunded-total:30', 'refund', 30, 'partial'],
			],
		);
		expect(t.skipped).toEqual([]);
		// The get route's contact snapshot, not the list's contactName.
		expect(t.received[0].body.contactSnapshot).toBeDefined();

		// A test-mode order asked for by id is read: it was asked for.
		const o = await pull(hl, {
			resource: 'order',
			operation: 'get',
			orderId: { __rl: true, mode: 'id', value: order._id },
		});
		expect(o.received.map((e) => [e.key, e.record.lines.length])).toEqual([
			[`order:${order._id}`, 2],
		]);

		const i = await pull(hl, {
			resource: 'invoice',
			operation: 'get',
			invoiceId: { __rl: true, mode: 'list', value: invoice._id },
		});
		expect(i.received.map((e) => [e.key, e.event])).toEqual([
			[
				`invoice:${invoice._id}:partially_paid:${invoice.amountPaid}:${invoice.total}:${invoice.updatedAt}`,
				'InvoicePartiallyPaid',
			],
		]);

		const missing = await pull(hl, {
			resource: 'transaction',
			operation: 'get',
			transactionId: { __rl: true, mode: 'id', value: 'no-such-transaction' },
		});
		expect(missing.error?.message).toMatch(
			/GET \/payments\/transactions\/no-such-transaction: Transaction not found/,
		);
	});
});

describe('a pulled event is the pushed one', () => {
	let ed: { privateKey: KeyObject; pem: string };
	beforeAll(() => {
		const pair = generateKeyPairSync('ed25519');
		ed = {
			privateKey: pair.privateKey,
			pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		};
	});
	const SECRET = 'a3f09c1d7e5b4a2c8d6e0f1a';

	function trigger() {
		return new WebhookHarness(
			new TypedCredentialsHelper({ highLevelWebhookApi: { authType: 'bearer', token: SECRET } }),
			{
				events: ['payment', 'order', 'invoice'],
				invoicesSynced: true,
				workflowDeliveries: 'secret',
				options: { ed25519PublicKey: ed.pem, bookTestMode: true },
			},
		);
	}

	/** Signed as HighLevel signs marketplace webhooks (Ed25519 over the bytes sent), with webhookId and timestamp. */
	function signed(body: object): [string, Record<string, string>] {
		const raw = JSON.stringify(
			{
				...body,
				webhookId: `wh-${Math.random().toString(36).slice(2)}`,
				timestamp: new Date().toISOString(),
			},
			null,
			2,
		);
		return [
			raw,
			{ 'X-GHL-Signature': sign(null, Buffer.from(raw), ed.privateKey).toString('base64') },
		];
	}

	/** Everything but HighLevel's body and how the event came. */
	function comparable(event: Record<string, any>) {
		const { body: _body, delivery: _delivery, ...rest } = event;
		return { ...rest, ids: { ...rest.ids, webhookId: undefined } };
	}

	test('the documented OrderStatusUpdate and InvoicePaid: the same key, record and every other field', async () => {
		const hl = await emulator();
		// The documented examples' own ids; the order example is in test mode (liveMode false).
		const order = apiOrder({ id: '660ed43bfdf9fc05a0de7a40', contactId: 'ff2JstbQJfRuofXzeT0M' });
		const invoice = apiInvoice('InvoicePaid', {
			id: '6578278e879ad2646715ba9c',
			contact: { id: '6578278e879ad2646715ba9c' },
			altId: LOCATION,
		});
		hl.seedPayments({ orders: [order], invoices: [invoice] });

		const pushedOrder = (await trigger().deliver(...signed(documented('OrderStatusUpdate'))))
			.outputs![0][0];
		const pulledOrders = await pull(hl, {
			resource: 'order',
			operation: 'getMany',
			paymentMode: 'liveAndTest',
			startDate: '2024-04-01T00:00:00',
			endDate: '2024-04-30T00:00:00',
		});
		expect(pulledOrders.received).toHaveLength(1);
		const [pulledOrder] = pulledOrders.received;
		expect(pulledOrder.key).toBe('order:660ed43bfdf9fc05a0de7a40');
		expect(comparable(pulledOrder)).toEqual(comparable(pushedOrder));
		// What the QuickBooks nodes read from each (toCrm's reader of the normalized event).
		expect(paymentFromHighLevel(pulledOrder)).toEqual(paymentFromHighLevel(pushedOrder));

		const invoiceBody = { ...documented('InvoicePaid'), altId: LOCATION };
		const pushedInvoice = (await trigger().deliver(...signed(invoiceBody))).outputs![0][0];
		const { received } = await pull(hl, {
			resource: 'invoice',
			operation: 'get',
			invoiceId: { __rl: true, mode: 'id', value: '6578278e879ad2646715ba9c' },
		});
		expect(received[0].key).toBe(pushedInvoice.key);
		expect(comparable(received[0])).toEqual(comparable(pushedInvoice));
		expect(invoiceFromHighLevel(received[0])).toEqual(invoiceFromHighLevel(pushedInvoice));
	});

	test('a workflow Payment Received and the transaction it reports: the same key and receipt figures', async () => {
		const hl = await emulator();
		const id = '61dd0feac077f72010f78804';
		hl.seedPayments({
			transactions: [
				live(id, '2026-03-07T18:30:00.000Z', {
					amount: 149.5,
					contactName: 'Jamie Rivera',
					email: 'jamie@example.com',
				}),
			],
		});
		const delivery = workflowPayment({
			transactionId: id,
			email: 'jamie@example.com',
			subTotal: 149.5,
			currency: 'USD',
			createdOn: '2026-03-07T18:30:00.000Z',
		});
		const answer = await trigger().deliver(JSON.stringify(delivery), {
			Authorization: `Bearer ${SECRET}`,
		});
		const pushed = answer.outputs![0][0];
		const { received } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			...MARCH,
		});
		expect(received).toHaveLength(1);
		const [pulled] = received;
		expect([pulled.key, pulled.kind, pulled.event, pulled.skipped]).toEqual([
			`payment:${id}`,
			pushed.kind,
			pushed.event,
			false,
		]);
		expect(pushed.key).toBe(pulled.key);
		const figures = (e: Record<string, any>) => {
			const r = paymentFromHighLevel(e);
			return {
				id: r.transactionId,
				total: r.total,
				currency: r.currency,
				date: r.date,
				lines: r.lines,
				email: r.person.email,
				name: r.person.name,
			};
		};
		expect(figures(pulled)).toEqual(figures(pushed));
	});
});

describe('scopes and limits', () => {
	test('a token without payments/transactions.readonly fails with the scope named; its invoices.readonly still reads invoices', async () => {
		const hl = await emulator();
		hl.addToken('pit-invoices-only', ['invoices.readonly']);
		hl.seedPayments({
			transactions: [live('tx-1', day(2))],
			invoices: [
				apiInvoice('InvoiceSent', { altId: LOCATION, liveMode: true, issueDate: '2026-03-02' }),
			],
		});
		const refused = await pull(
			hl,
			{ resource: 'transaction', operation: 'getMany', ...MARCH },
			{ token: 'pit-invoices-only' },
		);
		expect(refused.error?.message).toMatch(
			/the token lacks the scope payments\/transactions\.readonly/,
		);
		expect((refused.error as { description?: string }).description).toMatch(
			/add the scope payments\/transactions\.readonly/,
		);
		const orders = await pull(
			hl,
			{ resource: 'order', operation: 'getMany', ...MARCH },
			{ token: 'pit-invoices-only', continueOnFail: true },
		);
		expect(orders.received[0].error).toMatch(/payments\/orders\.readonly/);
		const invoices = await pull(
			hl,
			{ resource: 'invoice', operation: 'getMany', ...MARCH },
			{ token: 'pit-invoices-only' },
		);
		expect([invoices.error, invoices.received.length]).toEqual([undefined, 1]);
	});

	test("the credential's test request reads one transaction: 200 with the scope, 401 without", async () => {
		const hl = await emulator();
		hl.addToken('pit-contacts-only', ['contacts.readonly']);
		const credential = new HighLevelApi();
		const request = credential.test.request;
		const status = async (token: string) => {
			const data = { token, locationId: LOCATION, environment: 'custom', customBaseUrl: hl.url };
			const base = (data.environment === 'custom' ? data.customBaseUrl : '') as string;
			const qs = new URLSearchParams(
				Object.entries(request.qs ?? {}).map(([k, v]): [string, string] => [k, resolve(v, data)]),
			);
			const headers = Object.fromEntries(
				Object.entries({ ...request.headers, ...credential.authenticate.properties.headers }).map(
					([k, v]) => [k, resolve(v, data)],
				),
			);
			return (await fetch(`${base}${request.url}?${qs}`, { headers })).status;
		};
		expect([await status(hl.token), await status('pit-contacts-only')]).toEqual([200, 401]);
		expect(hl.calls.map((c) => c.query?.altId)).toEqual([LOCATION, LOCATION]);
	});

	test('429s from HighLevel are waited out, and the node paces itself to the limit it is told (5 per interval): only the 2 injected 429s', async () => {
		const hl = await emulator({ perTenSeconds: 5, intervalMs: 1_000, maxPageSize: 2 });
		const records = Array.from({ length: 20 }, (_, i) => live(`tx-${i}`, day((i % 28) + 1)));
		hl.seedPayments({ transactions: records });
		hl.injectFault({ route: 'GET /payments/transactions', status: 429, count: 2 });
		const started = Date.now();
		const { received, error } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			...MARCH,
		});
		const elapsed = Date.now() - started;
		expect(error).toBeUndefined();
		expect(received.map((e) => e.key).sort()).toEqual(
			records.map((r) => `payment:${r._id}`).sort(),
		);
		const statuses = hl.calls.map((c) => c.status);
		expect(statuses.filter((s) => s === 429)).toHaveLength(2);
		expect(statuses.filter((s) => s === 200)).toHaveLength(10);
		// Each 429 holds the location for an interval, and 10 pages at 4 per interval take 2 more.
		expect(elapsed).toBeGreaterThanOrEqual(2_000);
	});

	test('a location whose limit another client used up: the first call gets 429, the node waits an interval and reads everything', async () => {
		const hl = await emulator({ perTenSeconds: 5, intervalMs: 1_000 });
		hl.seedPayments({ transactions: [live('tx-a', day(3)), live('tx-b', day(4))] });
		const headers = { Authorization: `Bearer ${hl.token}`, Version: '2021-07-28' };
		for (let i = 0; i < 5; i++)
			await fetch(`${hl.url}/payments/transactions?altId=${LOCATION}&altType=location&limit=1`, {
				headers,
			});
		const { received, error } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			...MARCH,
		});
		expect(error).toBeUndefined();
		expect(received.map((e) => e.key).sort()).toEqual(['payment:tx-a', 'payment:tx-b']);
		expect(hl.calls.slice(5).map((c) => c.status)).toEqual([429, 200]);
	});
});

describe('Transaction → Add Line Items (23.3)', () => {
	/** A workflow "Payment Received" delivery as the trigger emits it: no lines, one total. */
	const delivered = (transactionId: string, total: number) =>
		normalizeHighLevelBody(
			workflowPayment({ transactionId, subTotal: total, email: 'buyer@example.com' }),
			{ delivery: 'workflow', invoicesSynced: false },
		);
	const order = (id: string) =>
		apiOrder({
			id,
			locationId: LOCATION,
			status: 'completed',
			items: [
				{ name: 'Strategy Session', qty: 2, amount: 60 },
				{ name: 'Workbook', qty: 1, amount: 40, taxes: [{ name: 'Sales tax', rate: 10 }] },
			],
		});
	const addLines = async (
		hl: HighLevelEmulator,
		events: unknown[],
		options: { token?: string } = {},
	) => {
		const result = await runNode(
			credentialFor(hl, options.token),
			{ resource: 'transaction', operation: 'addLines', event: '={{ $json }}' },
			events as Array<Record<string, unknown>>,
			{ nodeType: 'n8n-nodes-quickbooks-sync.highLevelPayments', credentialType: 'highLevelApi' },
		);
		return result.output(NODE, 0).map((i) => i.json as Record<string, any>);
	};

	test("a payment delivered without lines gets its order's items, tax and discount; its key, total and other fields stay", async () => {
		const hl = await emulator();
		const total = order('ord-1').amount;
		hl.seedPayments({
			transactions: [
				live('tx-lines', day(3), { entityType: 'order', entityId: 'ord-1', amount: total }),
			],
			orders: [order('ord-1')],
		});
		const event = { ...delivered('tx-lines', total), outbox: { id: 7 } };
		expect(event.linesKnown).toBe(false);
		const [out] = await addLines(hl, [event]);
		expect(out).toMatchObject({
			key: 'payment:tx-lines',
			linesKnown: true,
			ids: { transactionId: 'tx-lines', orderId: 'ord-1' },
			outbox: { id: 7 },
			amounts: { total, tax: 4 },
		});
		expect(out.linesHint).toBeUndefined();
		expect(out.record.lines.map((l: any) => [l.name, l.qty, l.unitPrice, l.taxRate])).toEqual([
			['Strategy Session', 2, 60, 0],
			['Workbook', 1, 40, 10],
		]);
		// The transaction read for its order also tells who took the payment (deposit rules read it).
		expect(out.record).toMatchObject({
			transactionId: 'tx-lines',
			total,
			taxAmount: 4,
			provider: 'stripe',
		});
		expect(hl.calls.filter((c) => c.method === 'GET').map((c) => c.path)).toEqual([
			'/payments/transactions/tx-lines',
			'/payments/orders/ord-1',
		]);
	});

	test('a payment pulled from the transaction list already names its order: itemized with one HighLevel call (the order), not two', async () => {
		const hl = await emulator();
		const total = order('ord-3').amount;
		hl.seedPayments({
			transactions: [
				live('tx-pulled', day(4), { entityType: 'order', entityId: 'ord-3', amount: total }),
			],
			orders: [order('ord-3')],
		});
		const { received } = await pull(hl, {
			resource: 'transaction',
			operation: 'getMany',
			...MARCH,
		});
		expect(received).toHaveLength(1);
		expect(received[0]).toMatchObject({ linesKnown: false, ids: { orderId: 'ord-3' } });
		hl.calls.length = 0;
		const [out] = await addLines(hl, received);
		expect(out).toMatchObject({ key: 'payment:tx-pulled', linesKnown: true, amounts: { total } });
		expect(out.record.lines).toHaveLength(2);
		expect(hl.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /payments/orders/ord-3']);
	});

	test('no order, another total, or no scope: one line stays and linesHint says why; other events pass untouched', async () => {
		const hl = await emulator();
		hl.addToken('pit-invoices-only', ['invoices.readonly']);
		hl.seedPayments({
			transactions: [
				live('tx-alone', day(3), { entityType: '', entityId: '', amount: 150 }),
				live('tx-part', day(3), { entityType: 'order', entityId: 'ord-2', amount: 50 }),
			],
			orders: [order('ord-2')],
		});
		const refund = { ...delivered('tx-other', 80), kind: 'refund' };
		const outs = await addLines(hl, [delivered('tx-alone', 150), delivered('tx-part', 50), refund]);
		expect(outs.map((o) => o.linesKnown)).toEqual([false, false, false]);
		expect(outs[0].linesHint).toMatch(
			/transaction tx-alone names no order: the receipt gets one line/,
		);
		expect(outs[1].linesHint).toMatch(
			/order ord-2 totals [0-9.]+, this payment 50 \(a part of the order/,
		);
		expect(outs[1].record.lines).toHaveLength(1);
		expect(outs[2]).toEqual(refund);

		const [noScope] = await addLines(hl, [delivered('tx-part', 50)], {
			token: 'pit-invoices-only',
		});
		expect(noScope.linesKnown).toBe(false);
		expect(noScope.linesHint).toMatch(/add the scope payments\/transactions\.readonly/);
	});

	test('a pushed refund gets the total HighLevel shows refunded on its transaction (one call); without the scope it stays as delivered', async () => {
		const hl = await emulator();
		hl.addToken('pit-invoices-only', ['invoices.readonly']);
		hl.seedPayments({
			transactions: [live('tx-refunded', day(3), { amount: 100, amountRefunded: 70 })],
		});
		const refund = normalizeHighLevelBody(
			workflowRefund({ refundId: 're-1', transactionId: 'tx-refunded', amount: 20 }),
			{ delivery: 'workflow', invoicesSynced: true, kinds: ['refund'] },
		);
		const before = hl.calls.length;
		const [out] = await addLines(hl, [refund]);
		expect(out).toMatchObject({
			key: 'refund:re-1',
			refund: { amount: 20, refundedTotal: 70 },
			record: { refundId: 're-1', amount: 20, refundedTotal: 70 },
		});
		expect(hl.calls.slice(before).map((c) => c.path)).toEqual([
			'/payments/transactions/tx-refunded',
		]);
		const [noScope] = await addLines(hl, [refund], { token: 'pit-invoices-only' });
		expect(noScope).toEqual(refund);
	});

	test('an item that is not an event stops with the item and the field named', async () => {
		const hl = await emulator();
		const result = await runNode(
			credentialFor(hl),
			{ resource: 'transaction', operation: 'addLines', event: '={{ $json }}' },
			[{ total: 5 }],
			{ nodeType: 'n8n-nodes-quickbooks-sync.highLevelPayments', credentialType: 'highLevelApi' },
		);
		expect(result.error(NODE)?.message).toMatch(
			/^Item 0: .*event.*is not an event of the HighLevel Trigger/,
		);
	});
});
