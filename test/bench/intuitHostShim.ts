/**
 * n8n's built-in QuickBooks node hard-codes Intuit's hosts. For the benchmark only, requests to
 * those hosts are sent to the emulator at the socket layer, so the built-in node runs unmodified
 * through n8n-core and its API calls can be counted against the same emulator. The real-path
 * benchmark loads the same function into a real n8n process (`intuitHostPreload`).
 */
import { existsSync } from 'fs';
import http from 'http';
import https from 'https';
import { join } from 'path';

export function routeIntuitHostsTo(emulatorUrl: string, extraHosts: string[] = []): () => void {
	const target = new URL(emulatorUrl);
	const hosts = new Set([
		'quickbooks.api.intuit.com',
		'sandbox-quickbooks.api.intuit.com',
		...extraHosts,
	]);
	const original = https.request;
	const patched = function (this: unknown, ...args: any[]) {
		let [url, options, callback] = args;
		if (typeof url === 'string' || url instanceof URL) {
			const parsed = new URL(String(url));
			if (typeof options === 'function') [options, callback] = [{}, options];
			options = {
				...options,
				protocol: parsed.protocol,
				hostname: parsed.hostname,
				path: `${parsed.pathname}${parsed.search}`,
			};
		} else {
			[options, callback] = [url, options];
		}
		const host = String(options.hostname ?? options.host ?? '').replace(/:\d+$/, '');
		if (!hosts.has(host)) return (original as any).apply(https, args);
		const rerouted = {
			...options,
			protocol: 'http:',
			hostname: target.hostname,
			host: target.hostname,
			port: target.port,
			agent: undefined,
		};
		delete rerouted.servername;
		return http.request(rerouted, callback);
	};
	(https as any).request = patched;
	return () => {
		(https as any).request = original;
	};
}

/** n8n's built-in QuickBooks node from the pinned n8n install (N8N_BIN), or undefined without it. */
export function loadPeerQuickBooksNode(): unknown {
	if (!process.env.N8N_BIN) return undefined;
	const path = join(
		process.env.N8N_BIN,
		'..',
		'..',
		'n8n-nodes-base',
		'dist',
		'nodes',
		'QuickBooks',
		'QuickBooks.node.js',
	);
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return existsSync(path) ? new (require(path).QuickBooks)() : undefined;
}
