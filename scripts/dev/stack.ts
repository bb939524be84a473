/**
 * The whole local stack: QuickBooks emulator, HighLevel emulator, and a real n8n with this
 * package, credentials pointing at the emulators, and the four templates imported and published.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { startHighLevelEmulator, type HighLevelEmulator } from './emulator/highlevel/server';
import { createEventSender, type SignedSender } from './emulator/highlevel/events';
import { apiTransactionFor } from './fixtures/highlevel';
import { DEFAULT_CLIENT, startQboEmulator, type QboEmulator } from './emulator/qbo/server';
import { N8n, REPO, createN8n, freePort } from './n8n';
import { Postgres, Redis } from './services';
import { countingProxy } from './apiCounter';

export const REALM_ID = '9130350000000001';
export const LOCATION_ID = 'loc_demo_123';
export const QBO_CREDENTIAL_ID = 'qbsyncQboCred01';
export const HIGHLEVEL_CREDENTIAL_ID = 'qbsyncGhlCred01';
/** The HighLevel API credential (private integration token + location) the HighLevel Payments nodes use. */
export const HIGHLEVEL_API_CREDENTIAL_ID = 'qbsyncGhlApiCred';
/** The HighLevel Trigger's credential: the secret HighLevel's Custom Webhook action sends as a Bearer token. */
export const WEBHOOK_SECRET_CREDENTIAL_ID = 'qbsyncGhlHookCred';
export const WEBHOOK_SECRET = 'e2e-5f0c7a1d9b2e4c68a3f1d0b7c9e2a4f6';
/** webhookId of each template's HighLevel Trigger (its URL is /webhook/<webhookId>/highlevel). */
export const TRIGGER_WEBHOOK_IDS = {
	payment: 'qbsync-highlevel-payment',
	paymentDurable: 'qbsync-highlevel-payment-durable',
	invoice: 'qbsync-highlevel-invoice',
} as const;
/** The durable template's on-demand drain (a Webhook node path). */
/** The error workflow the durable template names in its settings. */
export const ALERT_WORKFLOW_ID = 'qbsyncTplAlert';

export const TEMPLATE_IDS: Record<string, string> = {
	'crm-payment-to-sales-receipt.json': 'qbsyncTplPayment',
	'crm-payment-to-sales-receipt-durable.json': 'qbsyncTplDurable',
	'sync-failure-alert.json': ALERT_WORKFLOW_ID,
	'crm-invoice-to-qbo-invoice.json': 'qbsyncTplInvoice',
	'qbo-customers-to-crm-contacts.json': 'qbsyncTplContacts',
	'first-invoice-paid-review-request.json': 'qbsyncTplReview',
	'crm-qbo-drift-report.json': 'qbsyncTplDrift',
	'crm-history-import.json': 'qbsyncTplImport',
};

export interface StackOptions {
	n8nPort?: number;
	qboPort?: number;
	highLevelPort?: number;
	userFolder?: string;
	keep?: boolean;
	persistFile?: string;
	log?: (line: string) => void;
	/** Extra workflows to import (and publish unless `publish` is false). */
	extraWorkflows?: Array<{ workflow: Record<string, any>; publish?: boolean }>;
	/** Values for the templates' Config nodes, over the stack's own (e.g. `alertWebhookUrl`). */
	config?: Record<string, unknown>;
	/** Runs after the emulators are up and before n8n starts (seed QuickBooks, etc.). */
	beforeN8n?: (stack: { qbo: QboEmulator; highLevel: HighLevelEmulator }) => Promise<void> | void;
	/** Which files of workflows/ to import and publish (default: all). */
	templates?: (file: string) => boolean;
	/** Extra environment for n8n (benchmark: NODE_OPTIONS). */
	n8nEnv?: Record<string, string>;
	/**
	 * n8n's queue mode: PostgreSQL and Redis (scripts/services-install.sh), the main instance,
	 * `workers` worker processes and, with `webhookProcess`, a webhook process that takes the
	 * production webhooks (then `triggerUrl` and `webhookUrl` point at it).
	 */
	queue?: QueueOptions;
	/** Runs after the imports and before n8n starts (more credentials and workflows via the CLI). */
	beforeN8nStart?: (stack: {
		qbo: QboEmulator;
		highLevel: HighLevelEmulator;
		n8n: N8n;
	}) => Promise<void> | void;
}

export interface QueueOptions {
	workers?: number;
	/** Each worker's concurrency (n8n's default: 10). */
	concurrency?: number;
	webhookProcess?: boolean;
	/**
	 * The QuickBooks credentials say they are shared, so that the workers share the budget of each
	 * company through n8n's API (default: true; false shows what each worker pacing alone does).
	 */
	sharedBudget?: boolean;
	/** Count the requests the shared budget and look-ups make of n8n's API (Stack.apiRequests). */
	countApi?: boolean;
	/** The webhook process's port (default: a free one). */
	webhookPort?: number;
	/** Where PostgreSQL and Redis keep their data (default: a temporary folder, removed on stop). */
	dataDir?: string;
	pgPort?: number;
	redisPort?: number;
}

export interface QueueCluster {
	postgres: Postgres;
	redis: Redis;
	workers: N8n[];
	webhook?: N8n;
}

export interface Stack {
	qbo: QboEmulator;
	highLevel: HighLevelEmulator;
	sender: SignedSender;
	n8n: N8n;
	/** Queue mode only: the database, Redis, the workers and the webhook process. */
	queue?: QueueCluster;
	templates: Array<{ file: string; id: string; workflow: Record<string, any> }>;
	webhookUrl(path: string): string;
	/** Production URL of a HighLevel Trigger. */
	triggerUrl(webhookId: string): string;
	/** The durable template's outbox (n8n Data Table): rows in id order, and a row patch. */
	outbox: Outbox;
	/** Starts the durable template's drain now (its on-demand webhook). */
	drain(): Promise<void>;
	/**
	 * Starts a reconcile pass of the durable template now (then its drain): POST {"reconcile": true}
	 * to the drain URL; `{ refunds: true }` asks that pass for the refunds of older payments too.
	 */
	reconcile(also?: { refunds?: boolean }): Promise<void>;
	/**
	 * Puts the transactions of workflow "Payment Received" bodies into the HighLevel emulator, as
	 * HighLevel records a payment before it sends the webhook (call it before delivering them).
	 */
	recordPayments(bodies: Array<Record<string, any>>): void;
	/** The reconcile window of the durable template (its Data Table row; [] before the first pass). */
	reconcileWindow(): Promise<ReconcileRow[]>;
	/** With `queue.countApi`: the requests made of n8n's public API so far, by route. */
	apiRequests?: () => Record<string, number>;
	stop(): Promise<void>;
}

export interface OutboxRow {
	id: number;
	key: string;
	event: string;
	status: 'pending' | 'processing' | 'done' | 'dead';
	attempts: number;
	version: number;
	nextTryAt: string | null;
	lastError: string | null;
	qboId: string | null;
	docNumber: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface Outbox {
	/** Undefined until the template created its table (on the first delivery or drain). */
	table(): Promise<{ id: string; projectId: string } | undefined>;
	rows(): Promise<OutboxRow[]>;
	update(filter: Partial<OutboxRow>, data: Partial<OutboxRow>): Promise<void>;
}

export const OUTBOX_TABLE = 'QuickBooks Sync Outbox';
export const RECONCILE_TABLE = 'QuickBooks Sync Reconcile';

export interface ReconcileRow {
	id: number;
	name: string;
	windowEnd: string;
	version: number;
	leaseUntil: string;
	/** The last pass's summary (JSON of a ReconcileSummary). */
	lastPass: string;
	updatedAt: string;
}

/** A reconcile pass's summary (its Pass Summary node; docs/reconcile.md, "The summary"). */
export interface ReconcileSummary {
	reconcile: string;
	at: string;
	from: string;
	to: string;
	listed: number;
	notPayments: number;
	alreadyStored: number;
	alreadyBooked: number;
	storedNow: number;
	storedKeys: string[];
	caughtUp: boolean;
	note: string;
	/** Where this pass's refund sweep began ('' when it swept none), and when the last sweep ran. */
	refundsFrom: string;
	refundsSweptAt: string;
}

/** A Data Table by name, through n8n's own REST API (the owner's session). */
async function dataTableNamed(n8n: N8n, name: string) {
	const found = await n8n.rest<{ data: Array<{ id: string; name: string; projectId: string }> }>(
		'GET',
		`/data-tables-global?take=50&filter=${encodeURIComponent(JSON.stringify({ name }))}`,
	);
	const list = Array.isArray(found) ? found : found.data;
	return list.find((t) => t.name === name);
}

/** Every row of the Data Table `name` ([] while it does not exist), as the editor's view reads them. */
export async function dataTableRows<T = Record<string, unknown>>(
	n8n: N8n,
	name: string,
): Promise<T[]> {
	const t = await dataTableNamed(n8n, name);
	if (!t) return [];
	// n8n answers at most 250 rows a page, whatever `take` asks for.
	const rows: T[] = [];
	for (;;) {
		const page = await n8n.rest<{ count: number; data: T[] }>(
			'GET',
			`/projects/${t.projectId}/data-tables/${t.id}/rows?take=250&skip=${rows.length}&sortBy=id:asc`,
		);
		rows.push(...page.data);
		if (!page.data.length || rows.length >= page.count) return rows;
	}
}

/** Sets `data` on the rows of the Data Table `name` whose columns equal `filter`'s values (n8n's REST API). */
export async function updateDataTableRows(
	n8n: N8n,
	name: string,
	filter: Record<string, unknown>,
	data: Record<string, unknown>,
): Promise<void> {
	const t = await dataTableNamed(n8n, name);
	if (!t) throw new Error(`the data table ${name} does not exist yet`);
	await n8n.rest('PATCH', `/projects/${t.projectId}/data-tables/${t.id}/rows`, {
		filter: {
			type: 'and',
			filters: Object.entries(filter).map(([columnName, value]) => ({
				columnName,
				condition: 'eq',
				value,
			})),
		},
		data,
	});
}

/** The outbox through n8n's own REST API (the owner's session), as the editor's data table view reads it. */
function outboxOf(n8n: N8n): Outbox {
	const table = async () => await dataTableNamed(n8n, OUTBOX_TABLE);
	return {
		table,
		rows: async () => await dataTableRows<OutboxRow>(n8n, OUTBOX_TABLE),
		update: async (filter, data) => await updateDataTableRows(n8n, OUTBOX_TABLE, filter, data),
	};
}

export function loadTemplates(): Array<{ file: string; workflow: Record<string, any> }> {
	const dir = join(REPO, 'workflows');
	return readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
}

/**
 * Sets options on every HighLevel Trigger of a workflow: the emulator signs with its own Ed25519
 * key (HighLevel's private key is HighLevel's), so the trigger's key option gets the emulator's.
 */
export function withTriggerOptions(
	workflow: Record<string, any>,
	options: Record<string, unknown>,
): Record<string, any> {
	const copy = structuredClone(workflow);
	for (const node of copy.nodes) {
		if (node.type === 'n8n-nodes-quickbooks-sync.highLevelTrigger')
			node.parameters.options = { ...node.parameters.options, ...options };
	}
	return copy;
}

/** Sets values in a template's Config node (what differs per install). */
export function configure(
	workflow: Record<string, any>,
	values: Record<string, unknown>,
): Record<string, any> {
	const copy = structuredClone(workflow);
	const config = copy.nodes.find((n: any) => n.name === 'Config');
	if (!config) throw new Error(`${copy.name} has no Config node`);
	for (const assignment of config.parameters.assignments.assignments) {
		if (assignment.name in values) assignment.value = values[assignment.name];
	}
	return copy;
}

/** What n8n keeps after an OAuth2 connect: the emulator's tokens and the realm Intuit sends back. */
export function oauthTokenData(tokens: Record<string, any>, realmId: string) {
	return {
		token_type: 'bearer',
		access_token: tokens.access_token,
		refresh_token: tokens.refresh_token,
		expires_in: tokens.expires_in,
		x_refresh_token_expires_in: tokens.x_refresh_token_expires_in,
		callbackQueryString: { code: 'emulator', state: 'emulator', realmId },
	};
}

/** The decrypted data of this package's QuickBooks credential, connected to an emulator at `url`. */
export function packageCredentialData(url: string, tokens: Record<string, any>, realmId: string) {
	return {
		environment: 'custom',
		customBaseUrl: url,
		customAuthUrl: `${url}/connect/oauth2`,
		customTokenUrl: `${url}/oauth2/v1/tokens/bearer`,
		grantType: 'authorizationCode',
		authUrl: `${url}/connect/oauth2`,
		accessTokenUrl: `${url}/oauth2/v1/tokens/bearer`,
		scope: 'com.intuit.quickbooks.accounting',
		authQueryParameters: '',
		authentication: 'header',
		clientId: DEFAULT_CLIENT.clientId,
		clientSecret: DEFAULT_CLIENT.clientSecret,
		oauthTokenData: oauthTokenData(tokens, realmId),
	};
}

/** This package's QuickBooks credential, connected to one realm of the emulator (for n8n import). */
export function packageCredential(qbo: QboEmulator, id: string, name: string, realmId: string) {
	const data = packageCredentialData(qbo.url, qbo.issueTokens(realmId), realmId);
	return { id, name, type: 'quickBooksSyncOAuth2Api', data };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
	const qbo = await startQboEmulator({
		port: options.qboPort,
		realms: [REALM_ID],
		persistFile: options.persistFile,
	});
	const highLevel = await startHighLevelEmulator({ port: options.highLevelPort });
	const sender = createEventSender();
	await options.beforeN8n?.({ qbo, highLevel });
	const services = options.queue ? await startServices(options.queue) : undefined;
	const n8n = await createN8n({
		port: options.n8nPort,
		userFolder: options.userFolder,
		keep: options.keep,
		log: options.log && ((line) => options.log!(services ? `[main] ${line}` : line)),
		env: {
			...services?.env,
			...(services && { N8N_RUNNERS_BROKER_PORT: String(await freePort()) }),
			// With a webhook process, production webhooks are its job alone (n8n's scaling guide).
			...(options.queue?.webhookProcess && { N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' }),
			...options.n8nEnv,
		},
	});

	n8n.importCredentials([
		packageCredential(qbo, QBO_CREDENTIAL_ID, 'QuickBooks Sync account', REALM_ID),
		{
			id: WEBHOOK_SECRET_CREDENTIAL_ID,
			name: 'HighLevel Webhook Secret',
			type: 'highLevelWebhookApi',
			data: { authType: 'bearer', token: WEBHOOK_SECRET },
		},
		{
			id: HIGHLEVEL_CREDENTIAL_ID,
			name: 'HighLevel Private Integration',
			type: 'httpHeaderAuth',
			data: { name: 'Authorization', value: `Bearer ${highLevel.token}` },
		},
		{
			id: HIGHLEVEL_API_CREDENTIAL_ID,
			name: 'HighLevel API',
			type: 'highLevelApi',
			data: {
				token: highLevel.token,
				locationId: LOCATION_ID,
				environment: 'custom',
				customBaseUrl: highLevel.url,
			},
		},
	]);

	const triggerOptions = { ed25519PublicKey: sender.publicKeyPem };
	const values = {
		highLevelApiUrl: highLevel.url,
		locationId: LOCATION_ID,
		onlyInvoicesIssuedFrom: '2026-01-01',
		...options.config,
	};
	const templates = loadTemplates().map(({ file, workflow }) => {
		const id = TEMPLATE_IDS[file] ?? file.replace(/\W/g, '').slice(0, 16);
		return {
			file,
			id,
			workflow: { ...withTriggerOptions(configure(workflow, values), triggerOptions), id },
		};
	});
	const extras = (options.extraWorkflows ?? []).map((e) => ({
		workflow: withTriggerOptions(
			e.workflow.nodes.some((n: any) => n.name === 'Config')
				? configure(e.workflow, values)
				: e.workflow,
			triggerOptions,
		),
		publish: e.publish !== false,
	}));
	const published: any[] = [];
	for (const { workflow, publish } of [
		...templates
			.filter((t) => options.templates?.(t.file) ?? true)
			.map((t) => ({ workflow: t.workflow, publish: true })),
		...extras,
	]) {
		n8n.importWorkflow(workflow);
		if (publish) n8n.publishWorkflow(String(workflow.id));
		if (publish) published.push(workflow);
	}
	await options.beforeN8nStart?.({ qbo, highLevel, n8n });
	await n8n.start();
	await n8n.setupOwner();
	const counter = options.queue?.countApi ? await countingProxy(n8n.url) : undefined;
	if (services && options.queue?.sharedBudget !== false)
		await shareQuickBooksBudget(n8n, counter?.url ?? n8n.url);
	const queue = services && (await startQueueProcesses(n8n, services, options));
	const webhookBase = queue?.webhook?.url ?? n8n.url;
	await webhooksRegistered(webhookBase, published.flatMap(webhookPaths));

	return {
		qbo,
		highLevel,
		sender,
		n8n,
		queue,
		templates,
		webhookUrl: (path) => `${webhookBase}/webhook/${path}`,
		triggerUrl: (webhookId) => `${webhookBase}/webhook/${webhookId}/highlevel`,
		outbox: outboxOf(n8n),
		async drain() {
			// The durable template's trigger takes drain requests behind the intake's secret.
			const res = await fetch(drainUrl(webhookBase), {
				method: 'POST',
				headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
			});
			if (!res.ok) throw new Error(`drain: ${res.status} ${await res.text()}`);
		},
		async reconcile(also = {}) {
			const res = await fetch(drainUrl(webhookBase), {
				method: 'POST',
				headers: { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ ...also, reconcile: true }),
			});
			if (!res.ok) throw new Error(`reconcile: ${res.status} ${await res.text()}`);
		},
		recordPayments(bodies) {
			highLevel.seedPayments({
				transactions: bodies.map((body) => apiTransactionFor(body, LOCATION_ID)),
			});
		},
		reconcileWindow: async () => await dataTableRows<ReconcileRow>(n8n, RECONCILE_TABLE),
		apiRequests: counter?.counts,
		async stop() {
			await counter?.stop();
			if (queue) {
				await queue.webhook?.stop();
				await Promise.all(queue.workers.map((w) => w.stop()));
			}
			await n8n.stop();
			if (services) await services.stop();
			await highLevel.stop();
			await qbo.stop();
		},
	};
}

/** The durable template's Drain Requested URL: its trigger's URL + /drain (POST with the secret). */
export function drainUrl(webhookBase: string): string {
	return `${webhookBase}/webhook/${TRIGGER_WEBHOOK_IDS.paymentDurable}/highlevel/drain`;
}

/** What the QuickBooks Sync nodes need of n8n's API to share a company's budget (nodes/shared/transport/budgetTable.ts). */
export const BUDGET_API_SCOPES = [
	'dataTable:list',
	'dataTable:create',
	'dataTable:read',
	'dataTableRow:read',
	'dataTableRow:create',
	'dataTableRow:update',
	'dataTableRow:delete',
];

/**
 * Queue mode: the workers share each QuickBooks company's budget, as a user sets it up (README,
 * "One QuickBooks budget for all workers"): an n8n API key with the Data Table scopes, and every
 * QuickBooks credential marked shared with the API's URL and that key. Done before the workers
 * start, which read credentials from the shared database.
 */
/** The production webhooks a workflow registers once published: path and method. */
function webhookPaths(workflow: any): Array<{ path: string; method: string }> {
	return (workflow.nodes ?? []).flatMap((node: any) => {
		if (node.disabled) return [];
		if (String(node.type).endsWith('.highLevelTrigger'))
			return [`${node.webhookId}/highlevel`]
				.concat(node.parameters?.drainRequests ? [`${node.webhookId}/highlevel/drain`] : [])
				.map((path) => ({ path, method: 'POST' }));
		if (node.type === 'n8n-nodes-base.webhook')
			return [
				{
					path: String(node.parameters?.path ?? ''),
					method: String(node.parameters?.httpMethod ?? 'GET'),
				},
			];
		return [];
	});
}

/**
 * n8n answers ready (`/healthz/readiness`) before it has activated the published workflows
 * (commands/start.js: the server starts, then `activeWorkflowManager.init()`), so a delivery sent at
 * once can get 404 "webhook not registered". A CORS preflight for the webhook's own method asks n8n
 * whether it is registered: 204 once it is (webhook-request-handler.js `setupCorsHeaders`). Only a
 * 2xx counts: anything else (404 before, an error while n8n is still starting) is asked again.
 */
async function webhooksRegistered(
	base: string,
	webhooks: Array<{ path: string; method: string }>,
	timeoutMs = 120_000,
) {
	const deadline = Date.now() + timeoutMs;
	for (const { path, method } of webhooks) {
		for (;;) {
			const answer = await fetch(`${base}/webhook/${path}`, {
				method: 'OPTIONS',
				headers: { origin: 'http://127.0.0.1', 'access-control-request-method': method },
			}).catch(() => undefined);
			if (answer?.ok) break;
			if (Date.now() > deadline)
				throw new Error(
					`n8n did not register the webhook ${method} ${path} (last answer ${answer?.status})`,
				);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
}

async function shareQuickBooksBudget(n8n: N8n, apiBase: string): Promise<void> {
	const key = await n8n.rest<{ rawApiKey: string }>('POST', '/api-keys', {
		label: 'QuickBooks Sync budget',
		scopes: BUDGET_API_SCOPES,
		expiresAt: null,
	});
	n8n.reimportCredentials('quickBooksSyncOAuth2Api', {
		sharedBudget: true,
		n8nApiUrl: `${apiBase}/api/v1`,
		n8nApiKey: key.rawApiKey,
	});
}

/** PostgreSQL and Redis, fresh: an empty n8n database and no queued jobs from an earlier run. */
async function startServices(options: QueueOptions) {
	const temporary = !options.dataDir;
	const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'qbsync-queue-'));
	const postgres = new Postgres(options.pgPort ?? (await freePort()), join(dataDir, 'postgres'));
	const redisDir = join(dataDir, 'redis');
	rmSync(redisDir, { recursive: true, force: true });
	const redis = new Redis(options.redisPort ?? (await freePort()), redisDir);
	postgres.init();
	await postgres.start();
	postgres.ensureDatabase(true);
	await redis.start();
	return {
		postgres,
		redis,
		env: { ...postgres.n8nEnv(), ...redis.n8nEnv() },
		async stop() {
			await redis.stop();
			await postgres.stop();
			if (temporary) rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

/** Workers (and the webhook process) share the main instance's user folder, database and Redis. */
async function startQueueProcesses(
	main: N8n,
	services: Awaited<ReturnType<typeof startServices>>,
	options: StackOptions,
): Promise<QueueCluster> {
	const spawnRole = async (role: 'worker' | 'webhook', label: string, port?: number) =>
		new N8n(port ?? (await freePort()), main.userFolder, {
			role,
			keep: true,
			concurrency: options.queue?.concurrency,
			log: options.log && ((line) => options.log!(`[${label}] ${line}`)),
			env: {
				...services.env,
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				// "Worker started execution N": which worker ran what (tests count it).
				...(role === 'worker' && { N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL ?? 'info' }),
				...options.n8nEnv,
			},
		});
	const workers: N8n[] = [];
	for (let i = 1; i <= (options.queue?.workers ?? 2); i++)
		workers.push(await spawnRole('worker', `worker ${i}`));
	const webhook = options.queue?.webhookProcess
		? await spawnRole('webhook', 'webhook', options.queue.webhookPort)
		: undefined;
	await Promise.all([...workers, ...(webhook ? [webhook] : [])].map((p) => p.start()));
	return { postgres: services.postgres, redis: services.redis, workers, webhook };
}
