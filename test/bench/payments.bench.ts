/**
 * Benchmark: CRM payments → QuickBooks, API calls per event, events per minute under QuickBooks'
 * limits, time and memory, for this package (one by one, and with batch requests) and for the
 * peer: n8n's built-in QuickBooks node (customer look-up, create, invoice + payment, as it has no
 * sales receipts), run unmodified through n8n-core against the same emulator.
 *
 *   npm run bench            (prints a table; N payments via BENCH_PAYMENTS, default 200)
 */

import { startQboEmulator } from '../../scripts/dev/emulator/qbo/server';
import { paymentReceived } from '../fixtures/highlevel';
import {
	MemoryCredentialsHelper,
	TestNodeTypes,
	emulatorCredential,
	runNode,
} from '../helpers/engine';
import { loadPeerQuickBooksNode, routeIntuitHostsTo } from './intuitHostShim';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';

const N = Number(process.env.BENCH_PAYMENTS ?? 200);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
/** The company's "Custom transaction numbers" preference (on: QuickBooks refuses duplicate numbers). */
const CUSTOM_TXN_NUMBERS = process.env.BENCH_CUSTOM_TXN_NUMBERS !== 'off';
const PER_MINUTE = 500;
const BATCH_PER_MINUTE = 40;

function payments(tag: string) {
	// Half of the payments come from returning customers, as in a real month of sales.
	return Array.from({ length: N }, (_, i) =>
		paymentReceived({
			transactionId: `${tag}-${i}`,
			email: `customer${i % (N / 2)}@example.com`,
			name: `Customer ${i % (N / 2)}`,
			items: [{ name: `Plan ${i % 4}`, qty: 1, price: 20 + (i % 7) }],
			tax: 1.5,
		}),
	);
}

interface Row {
	approach: string;
	calls: number;
	batchCalls: number;
	seconds: number;
	heapMiB: number;
	written: string;
}

function perMinute(row: Row): number {
	const perEvent = row.calls / N;
	const batchPerEvent = row.batchCalls / N;
	return Math.floor(
		Math.min(
			PER_MINUTE / perEvent,
			batchPerEvent ? BATCH_PER_MINUTE / batchPerEvent : Number.POSITIVE_INFINITY,
		),
	);
}

async function measure(
	approach: string,
	run: () => Promise<string>,
	emulator: Awaited<ReturnType<typeof startQboEmulator>>,
): Promise<Row> {
	emulator.reset();
	// A reset company reuses ids: the cache across executions starts empty with it.
	clearCompanyCaches();
	global.gc?.();
	const heapBefore = process.memoryUsage().heapUsed;
	const started = process.hrtime.bigint();
	const written = await run();
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	const api = emulator.log.filter((e) => e.endpoint !== 'token');
	return {
		approach,
		calls: api.length,
		batchCalls: api.filter((e) => e.endpoint === 'batch').length,
		seconds,
		heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 1048576,
		written,
	};
}

void (async () => {
	const emulator = await startQboEmulator({
		latencyMs: LATENCY_MS || undefined,
		preferences: { SalesFormsPrefs: { CustomTxnNumbers: CUSTOM_TXN_NUMBERS } },
	});
	const realm = () => emulator.company(emulator.defaultRealm);
	const summary = () =>
		`${realm().all('SalesReceipt').length} receipts, ${realm().all('Invoice').length} invoices, ${realm().all('Payment').length} payments, ${realm().all('Customer').length} customers`;
	const rows: Row[] = [];

	for (const batch of [false, true]) {
		rows.push(
			await measure(
				batch ? 'QuickBooks Sync, batch requests' : 'QuickBooks Sync, one by one',
				async () => {
					const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
					const result = await runNode(
						creds,
						{
							resource: 'salesReceipt',
							operation: 'createFromPayment',
							source: 'highLevel',
							body: '={{ $json }}',
							options: { batchRequests: batch },
						},
						payments(batch ? 'b' : 's'),
					);
					const out = result.output('QuickBooks Sync');
					if (out.length !== N || out.some((o) => o.json.error))
						throw new Error(
							`unexpected output: ${JSON.stringify(out.find((o) => o.json.error)?.json)}`,
						);
					return summary();
				},
				emulator,
			),
		);
	}

	// Real traffic: one execution per CRM webhook. The second half are repeat payments of known
	// customers, served by the cache across executions (sync/companyCache.ts).
	let repeatCalls = 0;
	rows.push(
		await measure(
			'QuickBooks Sync, one execution per payment',
			async () => {
				const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
				for (const [i, body] of payments('e').entries()) {
					const before = emulator.log.filter((e) => e.endpoint !== 'token').length;
					const result = await runNode(
						creds,
						{
							resource: 'salesReceipt',
							operation: 'createFromPayment',
							source: 'highLevel',
							body: '={{ $json }}',
							options: {},
						},
						[body],
					);
					const out = result.output('QuickBooks Sync');
					if (out.length !== 1 || out[0].json.error)
						throw new Error(`unexpected output: ${JSON.stringify(out[0]?.json)}`);
					if (i >= N / 2)
						repeatCalls += emulator.log.filter((e) => e.endpoint !== 'token').length - before;
				}
				return summary();
			},
			emulator,
		),
	);

	const peer = loadPeerQuickBooksNode();
	if (peer) {
		TestNodeTypes.extra['n8n-nodes-base.quickbooks'] = peer as never;
		const restore = routeIntuitHostsTo(emulator.url);
		try {
			rows.push(
				await measure(
					"n8n's built-in QuickBooks node",
					async () => {
						const data = { ...emulatorCredential(emulator), environment: 'sandbox' };
						const creds = new MemoryCredentialsHelper(data);
						const peer = (parameters: Record<string, unknown>) =>
							runNode(creds, parameters, [{}], {
								nodeType: 'n8n-nodes-base.quickbooks',
								credentialType: 'quickBooksOAuth2Api',
							});
						const item = realm().all('Item')[0];
						for (const body of payments('p')) {
							const email = body.payment.customer.email;
							const found = (
								await peer({
									resource: 'customer',
									operation: 'getAll',
									returnAll: false,
									limit: 1,
									filters: { query: `WHERE PrimaryEmailAddr = '${email}'` },
								})
							).output('QuickBooks Sync');
							let customerId = found[0]?.json?.Id as string | undefined;
							if (!customerId) {
								const created = (
									await peer({
										resource: 'customer',
										operation: 'create',
										displayName: body.payment.customer.name,
										additionalFields: { PrimaryEmailAddr: email },
									})
								).output('QuickBooks Sync');
								customerId = created[0].json.Id as string;
							}
							const total = body.payment.total_amount;
							const invoice = (
								await peer({
									resource: 'invoice',
									operation: 'create',
									CustomerRef: customerId,
									Line: [
										{
											DetailType: 'SalesItemLineDetail',
											Amount: total,
											Description: body.payment.line_items[0].title,
											itemId: item.Id,
										},
									],
									additionalFields: {},
								})
							).output('QuickBooks Sync');
							if (!invoice[0]?.json?.Id) throw new Error('peer invoice failed');
							await peer({
								resource: 'payment',
								operation: 'create',
								CustomerRef: customerId,
								TotalAmt: total,
								additionalFields: {},
							});
						}
						return summary();
					},
					emulator,
				),
			);
		} finally {
			restore();
		}
	} else {
		console.log(
			"(n8n's built-in QuickBooks node not found: run through `npm run bench`, which installs the pinned n8n)",
		);
	}

	console.log(
		`\nCRM payments → QuickBooks: ${N} payments (${N / 2} customers, each paying twice), emulator latency ${LATENCY_MS} ms, custom transaction numbers ${CUSTOM_TXN_NUMBERS ? 'on' : 'off'}`,
	);
	console.log(
		'| approach | API calls | calls / payment | batch calls | payments / min under 500 req/min & 40 batch/min | wall time | heap Δ | written |',
	);
	console.log('|---|---:|---:|---:|---:|---:|---:|---|');
	for (const r of rows) {
		console.log(
			`| ${r.approach} | ${r.calls} | ${(r.calls / N).toFixed(2)} | ${r.batchCalls} | ${perMinute(r)} | ${r.seconds.toFixed(2)} s | ${r.heapMiB.toFixed(1)} MiB | ${r.written} |`,
		);
	}
	console.log(
		`\nOne execution per payment, repeat payments of known customers (warm cache): ${(repeatCalls / (N / 2)).toFixed(2)} calls / payment`,
	);
	await emulator.stop();
	process.exit(0);
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
