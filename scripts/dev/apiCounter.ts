/**
 * A pass-through in front of n8n's public API that counts the requests by route (ids folded), for
 * the queue bench: how many requests the workers' shared budget and look-ups make of n8n's main
 * process, which answers every one of them.
 */
import { createServer, request } from 'http';
import { freePort } from './n8n';

export interface ApiCounter {
	url: string;
	/** Requests so far by "METHOD /path" with ids as :id. */
	counts(): Record<string, number>;
	stop(): Promise<void>;
}

export async function countingProxy(target: string): Promise<ApiCounter> {
	const counts = new Map<string, number>();
	const upstream = new URL(target);
	const server = createServer((req, res) => {
		const path = (req.url ?? '')
			.split('?')[0]
			.replace(/\/[A-Za-z0-9]{16}(?=\/|$)/g, '/:id')
			.replace(/\/\d+(?=\/|$)/g, '/:id');
		const route = `${req.method} ${path}`;
		counts.set(route, (counts.get(route) ?? 0) + 1);
		const forward = request(
			{
				host: upstream.hostname,
				port: upstream.port,
				path: req.url,
				method: req.method,
				headers: req.headers,
			},
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			},
		);
		forward.on('error', () => {
			res.writeHead(502);
			res.end();
		});
		req.pipe(forward);
	});
	const port = await freePort();
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${port}`,
		counts: () => Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
		stop: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
