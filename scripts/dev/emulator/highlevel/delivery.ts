/**
 * HighLevel's two delivery kinds, as its documentation describes them (sources: scripts/dev/fixtures/highlevel/SOURCES.md).
 *
 * Marketplace-app webhooks (`createMarketplaceSender`):
 * - body carries `timestamp` and `webhookId` (Webhook Authentication Guide, docs/oauth/WebhookAuthentication.md);
 * - `X-GHL-Signature` = base64 Ed25519 signature of the raw body bytes (SDKs' verifyEd25519Signature;
 *   ProviderOutboundMessage page: "We sign the raw JSON request body (the same bytes in the POST)");
 *   optionally the legacy `X-WH-Signature` = base64 RSA-SHA256 (retired in 2026, off by default);
 * - retried ONLY when the receiver answers 429: 10 minutes (+ jitter) apart, at most 6 retries; any other
 *   status, 5xx included, is final (Webhook Integration Guide, "Error Handling and Retries").
 *   The interval is configurable so tests run on a compressed clock.
 * - the bytes are deliberately NOT compact `JSON.stringify` output (see `highLevelBytes`): what HighLevel's
 *   real bytes look like is UNCERTAIN, and a verifier that re-serializes the parsed body must fail here.
 * - key pairs are generated at runtime: HighLevel's private keys are HighLevel's; the node under test is
 *   given `publicKeyPem` in place of the published key.
 *
 * Workflow actions (`createWorkflowSender`): "Webhook" (no auth; custom data nested under `customData`) and
 * "Custom Webhook" (Bearer / API key / Basic auth, custom headers). UNSIGNED: no signature header, no
 * `webhookId`, no `timestamp`. Whether HighLevel retries them is UNCERTAIN: one attempt by default.
 *
 * Every attempt and the final outcome are recorded, so a test can assert that nothing was lost.
 */
import {
	createHash,
	createPrivateKey,
	createPublicKey,
	generateKeyPairSync,
	randomUUID,
	sign,
	type KeyObject,
} from 'crypto';

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

function escapeString(s: string): string {
	let out = '"';
	for (const ch of s) {
		const code = ch.codePointAt(0)!;
		if (ch === '"') out += '\\"';
		else if (ch === '\\') out += '\\\\';
		else if (ch === '/') out += '\\/';
		else if (ch === '\n') out += '\\n';
		else if (ch === '\r') out += '\\r';
		else if (ch === '\t') out += '\\t';
		else if (code < 0x20 || code > 0x7e) {
			// Non-ASCII (and control characters) as \uXXXX escapes, surrogate pairs for astral characters.
			for (const unit of code > 0xffff
				? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)]
				: [code])
				out += '\\u' + unit.toString(16).padStart(4, '0');
		} else out += ch;
	}
	return out + '"';
}

/**
 * Serializes like a non-JavaScript JSON encoder would: a space after `:` and `,`, `/` escaped, every
 * non-ASCII character as a `\uXXXX` escape, keys in the order given. Parses to the same value as
 * `JSON.stringify` output but never has the same bytes (for any object with at least one key), so
 * `JSON.stringify(JSON.parse(raw)) !== raw` and a signature over `raw` fails over the re-serialized text.
 */
export function highLevelBytes(value: unknown): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (typeof value === 'string') return escapeString(value);
	if (Array.isArray(value)) return '[' + value.map((v) => highLevelBytes(v)).join(', ') + ']';
	if (typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>).filter(
			([, v]) => v !== undefined && typeof v !== 'function',
		);
		return (
			'{' + entries.map(([k, v]) => `${escapeString(k)}: ${highLevelBytes(v)}`).join(', ') + '}'
		);
	}
	return 'null';
}

// ---------------------------------------------------------------------------------------------
// Delivery records and the retry loop
// ---------------------------------------------------------------------------------------------

export interface DeliveryAttempt {
	/** 1 = first attempt. */
	n: number;
	/** Date.now() when the attempt was sent. */
	at: number;
	/** HTTP status, or null when the request failed (network error). */
	status: number | null;
	responseBody: string;
	error?: string;
}

export interface Delivery {
	kind: 'marketplace' | 'workflow';
	url: string;
	method: string;
	/** Exactly the bytes sent on every attempt. */
	raw: string;
	headers: Record<string, string>;
	/** The parsed body as sent. */
	body: any;
	webhookId?: string;
	attempts: DeliveryAttempt[];
	/** delivered = a 2xx answer; lost = any final non-2xx answer, exhausted 429 retries, or a network error. */
	outcome: 'pending' | 'delivered' | 'lost';
	reason?: string;
	/** Resolves when the outcome is final. */
	done: Promise<Delivery>;
}

export interface RetryPolicy {
	/** Delay between attempts after a retryable answer. HighLevel: 10 minutes (600 000 ms). */
	intervalMs: number;
	/** Extra random delay in [0, jitterMs) per retry. HighLevel adds jitter ("seconds to minutes"). */
	jitterMs: number;
	/** Retries after the first attempt. HighLevel: 6. */
	maxRetries: number;
	/** Which answers are retried. HighLevel marketplace webhooks: 429 only. */
	retryOn: (status: number | null) => boolean;
}

/** HighLevel's documented marketplace policy on a real clock; pass `intervalMs` to compress it. */
export const HIGHLEVEL_RETRY_POLICY: RetryPolicy = {
	intervalMs: 10 * 60_000,
	jitterMs: 0,
	maxRetries: 6,
	retryOn: (status) => status === 429,
};
/** Workflow actions: no documented retry (UNCERTAIN), one attempt. */
export const WORKFLOW_RETRY_POLICY: RetryPolicy = {
	intervalMs: 0,
	jitterMs: 0,
	maxRetries: 0,
	retryOn: () => false,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function startDelivery(
	d: Omit<Delivery, 'attempts' | 'outcome' | 'done'>,
	policy: RetryPolicy,
	log: Delivery[],
): Delivery {
	const delivery = d as Delivery;
	delivery.attempts = [];
	delivery.outcome = 'pending';
	log.push(delivery);
	delivery.done = (async () => {
		for (let n = 1; ; n++) {
			const attempt: DeliveryAttempt = { n, at: Date.now(), status: null, responseBody: '' };
			delivery.attempts.push(attempt);
			try {
				const res = await fetch(delivery.url, {
					method: delivery.method,
					headers: delivery.headers,
					body: delivery.method === 'GET' ? undefined : delivery.raw,
				});
				attempt.status = res.status;
				attempt.responseBody = await res.text();
			} catch (error) {
				attempt.error = String((error as Error)?.cause ?? error);
			}
			const status = attempt.status;
			if (status !== null && status >= 200 && status < 300) {
				delivery.outcome = 'delivered';
				return delivery;
			}
			if (policy.retryOn(status) && n <= policy.maxRetries) {
				await sleep(
					policy.intervalMs + (policy.jitterMs ? Math.floor(Math.random() * policy.jitterMs) : 0),
				);
				continue;
			}
			delivery.outcome = 'lost';
			delivery.reason =
				status === null
					? `request failed (${attempt.error}); not retried`
					: policy.retryOn(status)
						? `answered ${status} on all ${n} attempts; retries exhausted`
						: `answered ${status}; final (HighLevel retries ${policy.maxRetries ? 'only 429' : 'nothing'})`;
			return delivery;
		}
	})();
	return delivery;
}

/** What both senders expose for assertions. */
export interface DeliveryLog {
	readonly deliveries: Delivery[];
	/** Deliveries whose final outcome is `lost`. */
	lost(): Delivery[];
	/** Waits for every delivery started so far. */
	settle(): Promise<Delivery[]>;
	reset(): void;
}

function deliveryLog(deliveries: Delivery[]): DeliveryLog {
	return {
		deliveries,
		lost: () => deliveries.filter((d) => d.outcome === 'lost'),
		settle: () => Promise.all(deliveries.map((d) => d.done)),
		reset: () => void (deliveries.length = 0),
	};
}

// ---------------------------------------------------------------------------------------------
// Marketplace sender
// ---------------------------------------------------------------------------------------------

export interface MarketplaceSenderOptions {
	/** Ed25519 private key (PKCS#8 PEM); default: a new pair. */
	privateKeyPem?: string;
	/** Also sign with the legacy RSA-SHA256 `X-WH-Signature` (new 2048-bit pair unless a PEM is given). Default off. */
	rsa?: boolean | { privateKeyPem: string };
	/** Retry policy overrides (HIGHLEVEL_RETRY_POLICY otherwise); e.g. `{ intervalMs: 20 }` for a compressed clock. */
	retry?: Partial<RetryPolicy>;
	/** Byte format: 'highlevel' (default, non-compact, see highLevelBytes) or 'compact' (JSON.stringify). */
	format?: 'highlevel' | 'compact';
}

export interface MarketplaceSendOptions {
	webhookId?: string;
	timestamp?: string;
	format?: 'highlevel' | 'compact';
	/** Sign other bytes than those sent (a forged or tampered delivery). */
	badSignature?: boolean;
	/** Send no X-GHL-Signature header. */
	omitSignature?: boolean;
	/** Override the sender's `rsa` choice for this delivery. */
	rsa?: boolean;
	/** Leave the body exactly as given: no webhookId/timestamp added. */
	noEnvelope?: boolean;
	headers?: Record<string, string>;
}

export interface PreparedDelivery {
	raw: string;
	body: any;
	headers: Record<string, string>;
	webhookId?: string;
	timestamp?: string;
}

export interface MarketplaceSender extends DeliveryLog {
	publicKeyPem: string;
	privateKeyPem: string;
	/** The RSA public key when `rsa` is on. */
	rsaPublicKeyPem?: string;
	policy: RetryPolicy;
	/** base64 Ed25519 signature of these bytes. */
	sign(raw: string | Buffer): string;
	/** Body bytes and headers exactly as `send` would post them, without sending. */
	prepare(body: Record<string, unknown>, options?: MarketplaceSendOptions): PreparedDelivery;
	/** Posts with HighLevel's retry behaviour; resolves once the outcome is final. */
	send(
		url: string,
		body: Record<string, unknown>,
		options?: MarketplaceSendOptions,
	): Promise<Delivery>;
	/** Like send, but returns the pending record at once (await `delivery.done`). */
	start(url: string, body: Record<string, unknown>, options?: MarketplaceSendOptions): Delivery;
}

export function createMarketplaceSender(options: MarketplaceSenderOptions = {}): MarketplaceSender {
	const privateKey: KeyObject = options.privateKeyPem
		? createPrivateKey(options.privateKeyPem)
		: generateKeyPairSync('ed25519').privateKey;
	let rsaKey: KeyObject | undefined;
	if (options.rsa)
		rsaKey =
			typeof options.rsa === 'object'
				? createPrivateKey(options.rsa.privateKeyPem)
				: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
	const policy: RetryPolicy = { ...HIGHLEVEL_RETRY_POLICY, ...options.retry };
	const deliveries: Delivery[] = [];
	const signEd = (raw: string | Buffer) =>
		sign(null, Buffer.from(raw), privateKey).toString('base64');
	const signRsa = (raw: string | Buffer) =>
		sign('sha256', Buffer.from(raw), rsaKey!).toString('base64');

	const prepare = (
		body: Record<string, unknown>,
		o: MarketplaceSendOptions = {},
	): PreparedDelivery => {
		let payload: Record<string, unknown> = body;
		let webhookId: string | undefined;
		let timestamp: string | undefined;
		if (!o.noEnvelope) {
			// The guide's example puts timestamp and webhookId first, then the event data.
			timestamp = o.timestamp ?? (body.timestamp as string | undefined) ?? new Date().toISOString();
			webhookId = o.webhookId ?? (body.webhookId as string | undefined) ?? randomUUID();
			const { timestamp: _t, webhookId: _w, ...rest } = body;
			payload = { timestamp, webhookId, ...rest };
		}
		const format = o.format ?? options.format ?? 'highlevel';
		const raw = format === 'compact' ? JSON.stringify(payload) : highLevelBytes(payload);
		const signed = o.badSignature ? raw + ' ' : raw;
		const headers: Record<string, string> = { 'Content-Type': 'application/json', ...o.headers };
		if (!o.omitSignature) headers['X-GHL-Signature'] = signEd(signed);
		if (o.rsa ?? Boolean(rsaKey)) {
			if (!rsaKey) rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
			headers['X-WH-Signature'] = signRsa(signed);
		}
		return { raw, body: JSON.parse(raw), headers, webhookId, timestamp };
	};

	const start = (url: string, body: Record<string, unknown>, o: MarketplaceSendOptions = {}) => {
		const p = prepare(body, o);
		return startDelivery(
			{
				kind: 'marketplace',
				url,
				method: 'POST',
				raw: p.raw,
				headers: p.headers,
				body: p.body,
				webhookId: p.webhookId,
			},
			policy,
			deliveries,
		);
	};

	return {
		...deliveryLog(deliveries),
		publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
		privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		get rsaPublicKeyPem() {
			return rsaKey
				? createPublicKey(rsaKey).export({ type: 'spki', format: 'pem' }).toString()
				: undefined;
		},
		policy,
		sign: signEd,
		prepare,
		start,
		send: (url, body, o) => start(url, body, o).done,
	};
}

// ---------------------------------------------------------------------------------------------
// Workflow sender
// ---------------------------------------------------------------------------------------------

/** Custom Webhook authorization options (HighLevel: None, Bearer token, API key, Basic auth; OAuth2 not modelled). */
export type WorkflowAuth =
	| { type: 'none' }
	| { type: 'bearer'; token: string }
	| { type: 'apiKey'; header: string; value: string }
	| { type: 'basic'; username: string; password: string };

export interface WorkflowSenderOptions {
	/** 'webhook' = the plain Webhook action (no auth, custom data under `customData`); 'customWebhook' = Custom Webhook. */
	action?: 'webhook' | 'customWebhook';
	auth?: WorkflowAuth;
	/** Custom Webhook custom headers. */
	headers?: Record<string, string>;
	/** Webhook action Custom Data key/value pairs, sent under `customData`. */
	customData?: Record<string, string>;
	method?: 'POST' | 'PUT' | 'GET' | 'DELETE';
	/** Retry overrides (default: none, UNCERTAIN). */
	retry?: Partial<RetryPolicy>;
}

export interface WorkflowSender extends DeliveryLog {
	/** Body bytes and headers exactly as `send` would post them. */
	prepare(
		body: Record<string, unknown>,
		overrides?: Partial<WorkflowSenderOptions>,
	): PreparedDelivery;
	send(
		url: string,
		body: Record<string, unknown>,
		overrides?: Partial<WorkflowSenderOptions>,
	): Promise<Delivery>;
	start(
		url: string,
		body: Record<string, unknown>,
		overrides?: Partial<WorkflowSenderOptions>,
	): Delivery;
}

export function authHeaders(auth: WorkflowAuth | undefined): Record<string, string> {
	if (!auth || auth.type === 'none') return {};
	if (auth.type === 'bearer') return { Authorization: `Bearer ${auth.token}` };
	if (auth.type === 'apiKey') return { [auth.header]: auth.value };
	return {
		Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
	};
}

export function createWorkflowSender(options: WorkflowSenderOptions = {}): WorkflowSender {
	const deliveries: Delivery[] = [];
	const prepare = (
		body: Record<string, unknown>,
		overrides: Partial<WorkflowSenderOptions> = {},
	): PreparedDelivery => {
		const o = { ...options, ...overrides };
		const action = o.action ?? (o.auth || o.headers ? 'customWebhook' : 'webhook');
		if (action === 'webhook' && ((o.auth && o.auth.type !== 'none') || o.headers))
			throw new Error(
				'The plain Webhook action has no authorization or header settings: use action "customWebhook"',
			);
		const payload =
			action === 'webhook' && o.customData ? { ...body, customData: o.customData } : body;
		// Workflow bodies: compact JSON (UNCERTAIN; they are not signed, so the bytes do not matter to a verifier).
		const raw = JSON.stringify(payload);
		const headers = {
			'Content-Type': 'application/json',
			...(action === 'customWebhook' ? { ...o.headers, ...authHeaders(o.auth) } : {}),
		};
		return { raw, body: payload, headers };
	};
	const start = (
		url: string,
		body: Record<string, unknown>,
		overrides: Partial<WorkflowSenderOptions> = {},
	) => {
		const p = prepare(body, overrides);
		const policy = { ...WORKFLOW_RETRY_POLICY, ...options.retry, ...overrides.retry };
		return startDelivery(
			{
				kind: 'workflow',
				url,
				method: overrides.method ?? options.method ?? 'POST',
				raw: p.raw,
				headers: p.headers,
				body: p.body,
			},
			policy,
			deliveries,
		);
	};
	return {
		...deliveryLog(deliveries),
		prepare,
		start,
		send: (url, body, o) => start(url, body, o).done,
	};
}

// ---------------------------------------------------------------------------------------------
// Replay of exact bytes (captured deliveries)
// ---------------------------------------------------------------------------------------------

const HOP_BY_HOP = new Set([
	'host',
	'content-length',
	'connection',
	'transfer-encoding',
	'accept-encoding',
	'keep-alive',
]);

/**
 * Posts `raw` byte for byte with the captured headers (hop-by-hop ones dropped; `headers` override them),
 * with HighLevel's retry policy for the kind (marketplace: 429-only, compress `retry.intervalMs` in tests;
 * workflow: one attempt). For test/fixtures/captured/ bodies: a signed capture verifies against HighLevel's
 * published key (scripts/dev/fixtures/highlevel.ts HIGHLEVEL_ED25519_PUBLIC_KEY_PEM), not the emulator's.
 */
export function replay(
	url: string,
	captured: { raw: string; headers?: Record<string, string>; kind?: 'marketplace' | 'workflow' },
	options: {
		headers?: Record<string, string>;
		retry?: Partial<RetryPolicy>;
		log?: Delivery[];
	} = {},
): Promise<Delivery> {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	for (const [k, v] of Object.entries(captured.headers ?? {}))
		if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
	for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
	const kind =
		captured.kind ??
		(headers['x-ghl-signature'] || headers['x-wh-signature'] ? 'marketplace' : 'workflow');
	let body: any;
	try {
		body = JSON.parse(captured.raw);
	} catch {
		body = undefined;
	}
	const policy = {
		...(kind === 'marketplace' ? HIGHLEVEL_RETRY_POLICY : WORKFLOW_RETRY_POLICY),
		...options.retry,
	};
	return startDelivery(
		{ kind, url, method: 'POST', raw: captured.raw, headers, body, webhookId: body?.webhookId },
		policy,
		options.log ?? [],
	).done;
}

/** sha256 of the bytes, handy to compare what was sent with what a receiver stored. */
export function bytesDigest(raw: string | Buffer): string {
	return createHash('sha256').update(raw).digest('hex');
}
