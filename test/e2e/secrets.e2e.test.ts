/**
 * Issue 13, item 4: secrets stay secret in queue mode. A workload that goes through the success
 * and the failure paths (token refresh, QuickBooks faults, a refused delivery, dead letters, a
 * revoked connection), then every place something is written is searched for every secret value
 * (test/helpers/secrets.ts: plain, URL-encoded, inside base64, cut short): every line of every n8n
 * process at debug level, the whole n8n database (execution data, data tables, event log),
 * every execution as the REST API shows it, the alert the error workflow posted, Redis (keys and
 * the append-only file), the user folder, the PostgreSQL and Redis server output, the answers to
 * the deliveries, and the emulators' logs, state and persisted file.
 */
import { until as untilOf } from '../helpers/until';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';

import { marketplaceInvoice, workflowPayment } from '../../scripts/dev/fixtures/highlevel';
import {
	createMarketplaceSender,
	createWorkflowSender,
	type Delivery,
} from '../../scripts/dev/emulator/highlevel/delivery';
import { DEFAULT_CLIENT } from '../../scripts/dev/emulator/qbo/server';
import {
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	startStack,
	type Stack,
} from '../../scripts/dev/stack';
import { findLeaks, needles, type Leak, type Secret } from '../helpers/secrets';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alertReceiver';

jest.setTimeout(8 * 60_000);

const lines: string[] = [];
const deliveries: Delivery[] = [];
const dir = mkdtempSync(join(tmpdir(), 'qbsync-secrets-'));
const persistFile = join(dir, 'qbo-state.json');
let alerts: AlertReceiver;
let stack: Stack;
let stopped = false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = <T>(what: string, probe: () => Promise<T | undefined | false>, ms = 90_000) =>
	untilOf(what, probe, ms, {
		everyMs: 300,
		context: async () => JSON.stringify(await stack.outbox.rows().catch(() => [])),
	});

const receipts = () =>
	stack.qbo
		.company(REALM_ID)
		.all('SalesReceipt')
		.filter((r) => r.status !== 'Deleted');
const workflowSender = (token = WEBHOOK_SECRET) =>
	createWorkflowSender({ action: 'customWebhook', auth: { type: 'bearer', token } });
async function pay(transactionId: string, url: string, sender = workflowSender()) {
	const body = workflowPayment({ transactionId, email: `${transactionId}@example.com` });
	const delivery = await sender.send(url, body);
	deliveries.push(delivery);
	return delivery.attempts[delivery.attempts.length - 1].status;
}
const directUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment);
const durableUrl = () => stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable);

/** psql / pg_dump against the stack's PostgreSQL, without the 1 MB output limit of `sql()`. */
function pg(bin: 'psql' | 'pg_dump', args: string[]): string {
	const { port, user, database } = stack.queue!.postgres;
	return execFileSync(
		join(process.env.QBSYNC_PG_BIN!, bin),
		['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, ...args],
		{ encoding: 'utf8', maxBuffer: 1 << 30 },
	);
}
const sql = (statement: string) => pg('psql', ['-tAc', statement]).trim();
/** Waits until no execution is queued or running (twice in a row: a webhook enqueues as it answers). */
async function settle() {
	let quiet = 0;
	await until(
		'the executions to finish',
		async () => {
			await sleep(400);
			const busy = sql(`select count(*) from execution_entity where status in ('new','running')`);
			quiet = busy === '0' ? quiet + 1 : 0;
			return quiet >= 2;
		},
		150_000,
	);
}
const drain = async () => {
	await stack.drain();
	await settle();
};
/** The back-off wait, skipped: pending rows due now, as if their nextTryAt had passed. */
const makeDue = async () =>
	await stack.outbox.update(
		{ status: 'pending' },
		{ nextTryAt: new Date(Date.now() - 1000).toISOString() },
	);

function redisCli(args: string[], input?: string): string {
	return execFileSync('redis-cli', ['-p', String(stack.queue!.redis.port), ...args], {
		encoding: 'utf8',
		input,
		maxBuffer: 1 << 30,
	});
}

/** Every value in Redis, read by its type (a DUMP could compress a long string). */
function redisValues(): { keys: number; text: string } {
	const keys = redisCli(['--scan']).split('\n').filter(Boolean);
	if (!keys.length) return { keys: 0, text: '' };
	const quote = (k: string) => `"${k.replace(/(["\\])/g, '\\$1')}"`;
	const types = redisCli([], keys.map((k) => `TYPE ${quote(k)}`).join('\n'))
		.split('\n')
		.filter(Boolean);
	const read: Record<string, string> = {
		string: 'GET',
		hash: 'HGETALL',
		list: 'LRANGE',
		set: 'SMEMBERS',
		zset: 'ZRANGE',
		stream: 'XRANGE',
	};
	const tail: Record<string, string> = { list: ' 0 -1', zset: ' 0 -1 WITHSCORES', stream: ' - +' };
	const commands = keys.map((k, i) =>
		read[types[i]] ? `${read[types[i]]} ${quote(k)}${tail[types[i]] ?? ''}` : `TYPE ${quote(k)}`,
	);
	return { keys: keys.length, text: `${keys.join('\n')}\n${redisCli([], commands.join('\n'))}` };
}

/** Every file under `root` (text as UTF-8), except the package n8n loads. */
function filesUnder(root: string, skip: (path: string) => boolean): Array<[string, string]> {
	return readdirSync(root).flatMap((name): Array<[string, string]> => {
		const path = join(root, name);
		if (skip(path)) return [];
		const stat = statSync(path);
		if (stat.isDirectory()) return filesUnder(path, skip);
		return stat.size < 64 << 20 ? [[path, readFileSync(path, 'utf8')]] : [];
	});
}

beforeAll(async () => {
	alerts = await startAlertReceiver();
	stack = await startStack({
		queue: { workers: 2, webhookProcess: true },
		persistFile,
		log: (line) => lines.push(line),
		n8nEnv: { N8N_LOG_LEVEL: 'debug' },
		config: {
			alertWebhookUrl: alerts.url,
			maxAttempts: 2,
		},
	});
}, 600_000);

afterAll(async () => {
	if (!stopped) await stack?.stop();
	await alerts?.close();
	rmSync(dir, { recursive: true, force: true });
});

/** A GET read again once when the pooled connection was closed under it (ECONNRESET). */
async function readText(url: string): Promise<string> {
	const get = async () => await (await fetch(url)).text();
	return await get().catch(get);
}

test('no client secret, token or webhook secret in logs, execution data, errors, Redis or the emulators', async () => {
	const started = Date.now();
	const { qbo } = stack;

	// The templates answer HighLevel before they run: each step waits for its executions, so that
	// the faults it injects meet its own calls.
	// Direct template: plain successes, with the secret in the header and in Custom Data.
	expect(await pay('ch_sec_ok_1', directUrl())).toBe(200);
	const plainWebhook = createWorkflowSender({
		action: 'webhook',
		customData: { secret: WEBHOOK_SECRET },
	});
	expect(await pay('ch_sec_ok_2', directUrl(), plainWebhook)).toBe(200);
	// A wrong secret is refused (and what it says names no secret).
	expect(await pay('ch_sec_wrong', directUrl(), workflowSender('not-the-secret-4d1c'))).toBe(401);
	await settle();
	// Expired access token: n8n refreshes it (the refresh token rotates) and goes on.
	qbo.expireAccessTokens();
	await pay('ch_sec_expired', directUrl());
	await settle();
	// A 401 that a refresh cures, then throttling.
	qbo.injectFault({ action: 401, count: 1, path: 'salesreceipt' });
	await pay('ch_sec_401_once', directUrl());
	await settle();
	qbo.injectFault({ action: 429, count: 2, path: 'salesreceipt' });
	await pay('ch_sec_429', directUrl());
	await settle();
	// 401 twice (n8n refreshes on the first), a bad e-mail, QuickBooks down for good.
	qbo.injectFault({ action: 401, count: 2, path: 'salesreceipt' });
	await pay('ch_sec_401_twice', directUrl());
	await settle();
	const badEmail = workflowPayment({ transactionId: 'ch_sec_bad_email', email: 'not-an-email' });
	deliveries.push(await workflowSender().send(directUrl(), badEmail));
	await settle();
	qbo.injectFault({ action: 500, count: 6, path: 'salesreceipt' });
	await pay('ch_sec_500', directUrl());
	await settle();
	qbo.clearFaults();

	// An invoice event (signed marketplace delivery).
	const signed = createMarketplaceSender({
		privateKeyPem: stack.sender.privateKeyPem,
		retry: { intervalMs: 200 },
	});
	const invoice = marketplaceInvoice('InvoiceSent', {
		id: '6650e2e0000000000000e401',
		invoiceNumber: 'INV-SEC-001',
		email: 'invoice.secret@example.com',
		issueDate: '2026-11-20',
	});
	const invoiceDelivery = await signed.send(stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice), invoice);
	deliveries.push(invoiceDelivery);
	expect(invoiceDelivery.attempts.at(-1)!.status).toBe(200);
	await settle();

	// Durable template (its every-minute drain runs too): drains while QuickBooks fails (rows keep
	// the error), then until the rows are written; then a row that keeps failing becomes a dead
	// letter, which the error workflow reports.
	const drainUntil = async (statuses: string) =>
		await until(
			`outbox rows ${statuses}`,
			async () => {
				const rows = await stack.outbox.rows();
				if (rows.map((r) => r.status).join() === statuses) return true;
				await makeDue();
				await drain();
				return false;
			},
			150_000,
		);
	qbo.injectFault({ action: 500, count: 6, path: 'batch' });
	for (const id of ['ch_sec_dur_1', 'ch_sec_dur_2']) expect(await pay(id, durableUrl())).toBe(200);
	await settle();
	await drain();
	qbo.clearFaults();
	await drainUntil('done,done');
	const deadLetter = {
		...badEmail,
		payment: { ...badEmail.payment, transaction_id: 'ch_sec_dur_bad' },
	};
	deliveries.push(await workflowSender().send(durableUrl(), deadLetter));
	await settle();
	await drainUntil('done,done,dead');
	await until('the dead letter alert', async () => alerts.raw.length > 0);

	// The connection revoked: the refresh is refused (invalid_grant), the item says "reconnect".
	const issued = qbo.issuedTokens();
	const revokedAt = qbo.now();
	const revoke = await fetch(`${qbo.url}/v2/oauth2/tokens/revoke`, {
		method: 'POST',
		headers: {
			Authorization: `Basic ${Buffer.from(`${DEFAULT_CLIENT.clientId}:${DEFAULT_CLIENT.clientSecret}`).toString('base64')}`,
			'Content-Type': 'application/json',
		},
		body: JSON.stringify({ token: issued.refreshTokens.at(-1) }),
	});
	expect(revoke.status).toBe(200);
	await pay('ch_sec_revoked', directUrl());

	// Everything finished before anything is read.
	await settle();
	const workloadMs = Date.now() - started;

	// The workload went where it should: refreshes, failures, receipts, a refused delivery.
	const calls = qbo.log;
	expect(
		calls.filter((c) => c.operation === 'token:refresh_token' && c.status === 200).length,
	).toBeGreaterThanOrEqual(2);
	// Refreshes were granted until the revoke, and refused after it (the token endpoint logs its status).
	const refused = calls.filter((c) => c.operation === 'token:refresh_token' && c.status !== 200);
	expect(refused.filter((c) => c.at < revokedAt)).toEqual([]);
	expect(refused.length).toBeGreaterThan(0);
	expect(calls.filter((c) => c.status === 401).length).toBeGreaterThanOrEqual(3);
	expect(calls.filter((c) => c.status === 500).length).toBeGreaterThanOrEqual(7);
	const docNumbers = receipts().map((r) => r.DocNumber);
	for (const id of [
		'ch_sec_ok_1',
		'ch_sec_ok_2',
		'ch_sec_expired',
		'ch_sec_401_once',
		'ch_sec_429',
		'ch_sec_dur_1',
		'ch_sec_dur_2',
	])
		expect([id, docNumbers.includes(id)]).toEqual([id, true]);
	for (const id of ['ch_sec_wrong', 'ch_sec_bad_email', 'ch_sec_500', 'ch_sec_revoked'])
		expect([id, docNumbers.includes(id)]).toEqual([id, false]);
	const failed = sql(`select id from execution_entity where status in ('error','crashed')`)
		.split('\n')
		.filter(Boolean);
	expect(failed.length).toBeGreaterThanOrEqual(4);

	// ---- the secrets, in every form ----
	const tokens = qbo.issuedTokens();
	const encryptionKey = stack.n8n.env().N8N_ENCRYPTION_KEY!;
	const secrets: Secret[] = [
		{ name: 'QuickBooks client secret', value: DEFAULT_CLIENT.clientSecret },
		{ name: 'HighLevel webhook secret', value: WEBHOOK_SECRET, random: true },
		{ name: 'HighLevel API token', value: stack.highLevel.token },
		{ name: 'n8n encryption key', value: encryptionKey },
		...tokens.accessTokens.map((value, i) => ({
			name: `access token ${i + 1}`,
			value,
			random: true,
		})),
		...tokens.refreshTokens.map((value, i) => ({
			name: `refresh token ${i + 1}`,
			value,
			random: true,
		})),
	];
	const all = needles(secrets);
	const withoutKey = all.filter((n) => n.secret !== 'n8n encryption key');
	const leaks: Leak[] = [];
	const search = (text: string, where: string, list = all) =>
		leaks.push(...findLeaks(text, where, list));

	// Execution data: the database row and the REST view of every execution.
	const ids = sql('select id from execution_entity order by id').split('\n').filter(Boolean);
	const dataRows = Number(sql('select count(*) from execution_data'));
	for (const id of ids)
		search(
			JSON.stringify(await stack.n8n.rest('GET', `/executions/${id}`)),
			`REST /executions/${id}`,
		);
	// The whole database: execution_data, the outbox data table (lastError), the event log, ….
	const dump = pg('pg_dump', ['--data-only', '--inserts']);
	search(dump, 'PostgreSQL (pg_dump of the n8n database)');
	// Redis: what is queued now, and every command it ever stored (the append-only file).
	const redis = redisValues();
	search(redis.text, 'Redis values');
	const aof = filesUnder(stack.queue!.redis.dir, () => false);
	for (const [path, text] of aof)
		search(text, `Redis file ${relative(stack.queue!.redis.dir, path)}`);
	// The user folder (n8n keeps its own encryption key in .n8n/config: that one is expected).
	const folder = stack.n8n.userFolder;
	const files = filesUnder(folder, (p) => p === join(folder, '.n8n', 'nodes'));
	for (const [path, text] of files)
		search(
			text,
			`user folder ${relative(folder, path)}`,
			path.endsWith(join('.n8n', 'config')) ? withoutKey : all,
		);
	// What the services and the emulators print, log and keep.
	search(stack.queue!.postgres.logs(), 'PostgreSQL output');
	search(stack.queue!.redis.logs(), 'Redis output');
	search(JSON.stringify(qbo.log), 'QuickBooks emulator request log');
	search(await readText(`${qbo.url}/admin/log?tail=100000`), 'QuickBooks emulator /admin/log');
	search(JSON.stringify(qbo.company(REALM_ID).toJSON()), 'QuickBooks emulator state');
	search(
		await readText(`${stack.highLevel.url}/admin/state`),
		'HighLevel emulator state and calls',
	);
	search(alerts.raw.join('\n'), 'alerts the error workflow posted');
	for (const d of deliveries)
		search(d.attempts.map((a) => a.responseBody ?? '').join('\n'), `answer to ${d.url}`);

	// Stopped: the shutdown lines are searched too, and the emulator's state file is written.
	await stack.stop();
	stopped = true;
	search(lines.join('\n'), 'n8n process output');
	search(readFileSync(persistFile, 'utf8'), 'QuickBooks emulator persisted state');

	console.log(
		[
			`secrets: ${secrets.length} values (${tokens.accessTokens.length} access and ${tokens.refreshTokens.length} refresh tokens), ${all.length} forms`,
			`searched: ${lines.length} n8n log lines, ${ids.length} executions (${dataRows} execution_data rows, ${failed.length} failed) via REST, pg_dump ${dump.length} chars`,
			`Redis: ${redis.keys} keys, ${aof.reduce((n, [, t]) => n + t.length, 0)} chars of append-only file; user folder: ${files.length} files`,
			`QuickBooks emulator: ${qbo.log.length} requests; alerts: ${alerts.raw.length}; deliveries: ${deliveries.length}; workload ${Math.round(workloadMs / 1000)} s`,
			...leaks.map((l) => `LEAK ${l.secret} (${l.form}) in ${l.where}: …${l.context}…`),
		].join('\n'),
	);
	expect(leaks.map((l) => `${l.secret} (${l.form}) in ${l.where}: …${l.context}…`)).toEqual([]);
});
