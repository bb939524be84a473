/**
 * Peak memory of the QuickBooks Sync Trigger's back-fill (New Customer, "Emit Existing Customers
 * Too", default 1,000 per poll) over companies of different sizes. The trigger runs through
 * n8n-core (TriggerHarness) in a child process of its own, started with --expose-gc, so that its
 * heap and RSS are not mixed with the emulator's (which stays in the parent and holds the
 * customers). The child polls until the back-fill is done, sampling memory every 5 ms.
 */
import { spawn } from 'child_process';

import { startQboEmulator } from '../../scripts/dev/emulator/qbo/server';
import { packageCredentialData } from '../../scripts/dev/stack';

const CHILD_ENV = 'QBSYNC_BENCH_BACKFILL_CHILD';
const MiB = 1048576;

export interface BackfillMemory {
	customers: number;
	polls: number;
	emitted: number;
	durationMs: number;
	heapBaselineMiB: number;
	heapPeakMiB: number;
	heapGrowthMiB: number;
	rssBaselineMiB: number;
	rssPeakMiB: number;
	rssGrowthMiB: number;
	/** Second run, with a full GC after every poll: the heap a poll leaves behind (max over polls). */
	retainedAfterGcMiB: number;
	/** Second run: peak heap above baseline when garbage is collected between polls. */
	heapGrowthGcEachPollMiB: number;
}

interface ChildConfig {
	url: string;
	realmId: string;
	accessToken: string;
	refreshToken: string;
	customers: number;
	gcEachPoll: boolean;
}

/** Measures each size in a fresh child process (sizes run one after another). */
export async function measureBackfill(sizes: number[]): Promise<BackfillMemory[]> {
	const results: BackfillMemory[] = [];
	for (const customers of sizes) {
		const realmId = `91303500${String(customers).padStart(8, '0')}`;
		const emulator = await startQboEmulator({ realms: [realmId], quiet: true });
		try {
			for (let i = 0; i < customers; i += 1000) {
				emulator.seed(
					realmId,
					'Customer',
					Array.from({ length: Math.min(1000, customers - i) }, (_, k) => ({
						DisplayName: `Backfill Customer ${i + k}`,
						GivenName: 'Backfill',
						FamilyName: `Customer ${i + k}`,
						PrimaryEmailAddr: { Address: `backfill${i + k}@example.com` },
						PrimaryPhone: { FreeFormNumber: '+15555550100' },
						BillAddr: { Line1: `${i + k} Main Street`, City: 'Springfield', PostalCode: '12345' },
					})),
				);
			}
			// Customers created before activation (QuickBooks stamps to the second) are back-filled.
			await new Promise((r) => setTimeout(r, 1100));
			const tokens = emulator.issueTokens(realmId);
			const config: ChildConfig = {
				url: emulator.url,
				realmId,
				accessToken: tokens.access_token,
				refreshToken: tokens.refresh_token,
				customers,
				gcEachPoll: false,
			};
			const natural = await runChild(config);
			const collected = await runChild({ ...config, gcEachPoll: true });
			results.push({
				...natural,
				retainedAfterGcMiB: collected.retainedAfterGcMiB,
				heapGrowthGcEachPollMiB: collected.heapGrowthMiB,
			});
		} finally {
			await emulator.stop();
		}
	}
	return results;
}

async function runChild(config: ChildConfig): Promise<BackfillMemory> {
	const child = spawn(
		process.execPath,
		['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename],
		{
			env: { ...process.env, [CHILD_ENV]: JSON.stringify(config) },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let out = '';
	let err = '';
	child.stdout.on('data', (c) => (out += c));
	child.stderr.on('data', (c) => (err += c));
	const code = await new Promise<number | null>((r) => child.on('exit', r));
	const line = out
		.split('\n')
		.reverse()
		.find((l) => l.startsWith('{'));
	if (code !== 0 || !line)
		throw new Error(`back-fill child failed (${code}):\n${out.slice(-2000)}\n${err.slice(-4000)}`);
	return JSON.parse(line);
}

async function child(config: ChildConfig): Promise<void> {
	// Loaded here so that the parent never loads n8n-core for nothing.
	const { MemoryCredentialsHelper, TriggerHarness } = await import('../helpers/engine');
	const creds = new MemoryCredentialsHelper(
		packageCredentialData(
			config.url,
			{ access_token: config.accessToken, refresh_token: config.refreshToken, expires_in: 3600 },
			config.realmId,
		),
	);
	const trigger = new TriggerHarness(creds, {
		events: ['newCustomer'],
		start: 'backfill',
		options: {},
	});
	const gc = (global as { gc?: () => void }).gc;
	if (!gc) throw new Error('run with --expose-gc');
	gc();
	gc();
	const base = process.memoryUsage();
	let heapPeak = base.heapUsed;
	let rssPeak = base.rss;
	const sample = () => {
		const m = process.memoryUsage();
		heapPeak = Math.max(heapPeak, m.heapUsed);
		rssPeak = Math.max(rssPeak, m.rss);
	};
	const sampler = setInterval(sample, 5);
	const started = Date.now();
	let polls = 0;
	let emitted = 0;
	let retained = 0;
	while (!trigger.state.state?.backfill?.done && polls < 1000) {
		emitted += (await trigger.poll()).length;
		polls++;
		sample();
		if (config.gcEachPoll) {
			gc();
			retained = Math.max(retained, process.memoryUsage().heapUsed - base.heapUsed);
		}
	}
	clearInterval(sampler);
	const result: BackfillMemory = {
		customers: config.customers,
		polls,
		emitted,
		durationMs: Date.now() - started,
		heapBaselineMiB: round1(base.heapUsed / MiB),
		heapPeakMiB: round1(heapPeak / MiB),
		heapGrowthMiB: round1((heapPeak - base.heapUsed) / MiB),
		rssBaselineMiB: round1(base.rss / MiB),
		rssPeakMiB: round1(rssPeak / MiB),
		rssGrowthMiB: round1((rssPeak - base.rss) / MiB),
		retainedAfterGcMiB: round1(retained / MiB),
		heapGrowthGcEachPollMiB: 0,
	};
	console.log(JSON.stringify(result));
}

const round1 = (n: number) => Math.round(n * 10) / 10;

if (require.main === module && process.env[CHILD_ENV]) {
	child(JSON.parse(process.env[CHILD_ENV]))
		.then(() => process.exit(0))
		.catch((error) => {
			console.error(error);
			process.exit(1);
		});
}
