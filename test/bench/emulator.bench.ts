/**
 * Benchmark: the in-process QuickBooks emulator's throughput with latency injection off, so that
 * it is known never to be the bottleneck of another benchmark (target: ≥ 2,000 requests/s).
 */
import http from 'http';

import { startQboEmulator } from '../../scripts/dev/emulator/qbo/server';

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = 16;

void (async () => {
	const emulator = await startQboEmulator();
	const realm = emulator.defaultRealm;
	const token = emulator.issueTokens(realm).access_token;
	const item = emulator.company(realm).all('Item')[0].Id;
	const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
	const paths = [
		`/v3/company/${realm}/item/${item}?minorversion=75`,
		`/v3/company/${realm}/query?query=${encodeURIComponent("SELECT * FROM Item WHERE Name = 'Services'")}&minorversion=75`,
	];
	const get = (path: string) =>
		new Promise<number>((resolve, reject) => {
			http
				.get(
					`${emulator.url}${path}`,
					{ agent, headers: { Authorization: `Bearer ${token}` } },
					(res) => {
						res.resume();
						res.on('end', () => resolve(res.statusCode ?? 0));
					},
				)
				.on('error', reject);
		});
	let next = 0;
	let failed = 0;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: CONNECTIONS }, async () => {
			while (next < TOTAL) {
				const path = paths[next++ % paths.length];
				if ((await get(path)) !== 200) failed++;
			}
		}),
	);
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	console.log(
		`\nQuickBooks emulator, in-process, latency off: ${TOTAL} requests (read by id and query, alternating) over ${CONNECTIONS} keep-alive connections`,
	);
	console.log(`| requests/s | mean ms/request | failed | RSS |`);
	console.log(`|---:|---:|---:|---:|`);
	console.log(
		`| ${Math.round(TOTAL / seconds)} | ${((seconds * 1000 * CONNECTIONS) / TOTAL).toFixed(2)} | ${failed} | ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB |`,
	);
	agent.destroy();
	await emulator.stop();
	process.exit(0);
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
