/** A local endpoint in place of the alert URL (a Slack-style incoming webhook): keeps what is posted to it. */
import { createServer } from 'http';
import type { AddressInfo } from 'net';

export interface AlertReceiver {
	url: string;
	/** Each body as sent, in arrival order. */
	raw: string[];
	/** Each body read as JSON ({} when empty). */
	bodies: Array<Record<string, any>>;
	close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
	const raw: string[] = [];
	const bodies: Array<Record<string, any>> = [];
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			raw.push(body);
			bodies.push(JSON.parse(body || '{}'));
			res.end('ok');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alert`,
		raw,
		bodies,
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}
