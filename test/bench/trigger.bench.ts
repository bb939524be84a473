/**
 * Benchmark: the QuickBooks Sync Trigger. API calls per poll, poll duration, memory, and the delay
 * from a change in QuickBooks to the emitted item at a one-minute poll. Peer: n8n has no
 * QuickBooks trigger; the usual stand-in is a Schedule Trigger + the built-in QuickBooks node's
 * "Get Many customers" every minute (run here unmodified through n8n-core), which re-reads every
 * customer and cannot tell new from old without extra nodes.
 */

import { startQboEmulator } from '../../scripts/dev/emulator/qbo/server';
import {
	MemoryCredentialsHelper,
	TestNodeTypes,
	TriggerHarness,
	emulatorCredential,
	runNode,
} from '../helpers/engine';
import { loadPeerQuickBooksNode, routeIntuitHostsTo } from './intuitHostShim';

const EXISTING = Number(process.env.BENCH_CUSTOMERS ?? 5000);
const POLLS = 30;

void (async () => {
	const emulator = await startQboEmulator();
	const realm = emulator.defaultRealm;
	emulator.seed(
		realm,
		'Customer',
		Array.from({ length: EXISTING }, (_, i) => ({
			DisplayName: `Existing ${i}`,
			PrimaryEmailAddr: { Address: `existing${i}@example.com` },
		})),
	);
	await new Promise((r) => setTimeout(r, 1100));

	const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
	const scenarios: Array<{
		label: string;
		parameters: Record<string, unknown>;
		change: (poll: number) => void;
	}> = [
		{
			label: 'New Customer',
			parameters: { events: ['newCustomer'], start: 'now', options: {} },
			change: (poll) =>
				emulator.seed(
					realm,
					'Customer',
					Array.from({ length: poll % 7 }, (_, i) => ({
						DisplayName: `New ${poll}-${i}`,
						PrimaryEmailAddr: { Address: `new${poll}.${i}@example.com` },
					})),
				),
		},
		{
			label: 'Invoice Paid in Full, first only',
			parameters: { events: ['invoicePaid'], firstInvoiceOnly: true, start: 'now', options: {} },
			change: (poll) => {
				if (poll % 3 !== 0) return;
				const customer = String(1 + ((poll * 37) % EXISTING));
				const id = emulator
					.company(realm)
					.all('Customer')
					.find((c) => c.DisplayName === `Existing ${customer}`)!.Id;
				const [inv] = emulator.seed(realm, 'Invoice', [
					{
						CustomerRef: { value: id },
						Line: [{ DetailType: 'SalesItemLineDetail', Amount: 100, SalesItemLineDetail: {} }],
					},
				]);
				emulator.seed(realm, 'Payment', [
					{
						CustomerRef: { value: id },
						TotalAmt: 100,
						Line: [{ Amount: 100, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
					},
				]);
			},
		},
	];

	console.log(
		`\nQuickBooks Sync Trigger: ${POLLS} polls over a company with ${EXISTING} customers`,
	);
	console.log(
		'| trigger | API calls / poll (mean, max) | items emitted | poll duration (mean, max) | delay at a 1-min poll (mean, max) | heap Δ |',
	);
	console.log('|---|---:|---:|---:|---:|---:|');
	for (const scenario of scenarios) {
		const trigger = new TriggerHarness(creds, scenario.parameters);
		await trigger.poll();
		const calls: number[] = [];
		const durations: number[] = [];
		let emitted = 0;
		global.gc?.();
		const heap = process.memoryUsage().heapUsed;
		for (let poll = 1; poll <= POLLS; poll++) {
			scenario.change(poll);
			const before = emulator.log.length;
			const started = process.hrtime.bigint();
			emitted += (await trigger.poll()).length;
			durations.push(Number(process.hrtime.bigint() - started) / 1e6);
			calls.push(emulator.log.length - before);
		}
		const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
		// A change waits for the next poll: uniform over the minute, then the poll's own time.
		const delayMean = 30 + mean(durations) / 1000;
		const delayMax = 60 + Math.max(...durations) / 1000;
		console.log(
			`| ${scenario.label} | ${mean(calls).toFixed(2)}, ${Math.max(...calls)} | ${emitted} | ${mean(durations).toFixed(1)} ms, ${Math.max(...durations).toFixed(1)} ms | ${delayMean.toFixed(1)} s, ${delayMax.toFixed(1)} s | ${((process.memoryUsage().heapUsed - heap) / 1048576).toFixed(1)} MiB |`,
		);
	}

	const peer = loadPeerQuickBooksNode();
	if (peer) {
		TestNodeTypes.extra['n8n-nodes-base.quickbooks'] = peer as never;
		const restore = routeIntuitHostsTo(emulator.url);
		try {
			const peerCreds = new MemoryCredentialsHelper({
				...emulatorCredential(emulator),
				environment: 'sandbox',
			});
			const before = emulator.log.length;
			const started = process.hrtime.bigint();
			const out = (
				await runNode(
					peerCreds,
					{ resource: 'customer', operation: 'getAll', returnAll: true, filters: {} },
					[{}],
					{ nodeType: 'n8n-nodes-base.quickbooks', credentialType: 'quickBooksOAuth2Api' },
				)
			).output('QuickBooks Sync');
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			console.log(
				`| Schedule Trigger + built-in QuickBooks node "Get Many customers" | ${emulator.log.length - before} | ${out.length} (all, every poll) | ${ms.toFixed(1)} ms | 30 s, 60 s (+ de-duplication left to the user) | - |`,
			);
		} finally {
			restore();
		}
	}
	await emulator.stop();
	process.exit(0);
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
