/**
 * A local QuickBooks Online v3 API: OAuth2 as Intuit does it, the entities this package uses,
 * query, CDC, batch, requestid, rate limits, latency and fault injection, a request log and
 * optional outbound webhooks. Loopback only.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'crypto';
import { readFileSync, writeFileSync, existsSync } from 'fs';
import http, { type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo, Socket } from 'net';

import { checkFilterable, parseQuery, matches, QueryParseError } from './query';
import {
	Company,
	DEFAULT_BEHAVIOUR,
	Fault,
	entityByPath,
	type CompanyBehaviour,
	type Rec,
	type EntityName,
} from './store';
import { companyProfile, type CompanyProfile } from './profiles';

export interface QboEmulatorOptions {
	port?: number;
	realms?: string[];
	/** Realm the authorize endpoint connects (default: the first). */
	oauthRealm?: string;
	clients?: Array<{ clientId: string; clientSecret: string }>;
	accessTokenTtlSec?: number;
	refreshTokenTtlSec?: number;
	/**
	 * When a refresh hands out a new refresh token value. Intuit: the same value comes back for about
	 * 24 hours, then a new one, and the old value then fails with invalid_grant ("Validity of Refresh
	 * Token", help.developer.intuit.com/s/article/Validity-of-Refresh-Token, quoted in
	 * intuit/QuickBooks-V3-PHP-SDK#324; Intuit staff in intuit/oauth-jsclient#77: "Refresh token not
	 * found" when an app does not use the latest). 'daily' models that; 'everyRefresh' (the default)
	 * makes every refresh the 24-hour moment, the pessimistic case for two refreshes at once.
	 * UNCERTAIN: whether the old value keeps working for a moment after rotation; no source says, so it
	 * is refused at once.
	 */
	refreshTokenRotation?: 'daily' | 'everyRefresh';
	limits?: boolean;
	perMinute?: number;
	/**
	 * Requests per second per realm, counted from their arrival over a sliding second: "10 requests
	 * per second, per realm ID and app" (developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles).
	 * Whether QuickBooks counts a sliding or a calendar second is UNCERTAIN; sliding is the stricter.
	 */
	perSecond?: number;
	concurrent?: number;
	batchPerMinute?: number;
	/**
	 * The window `perMinute` and `batchPerMinute` are counted over (ms). QuickBooks counts over a
	 * minute (the default); tests shorten it so that they need not wait a real one.
	 */
	windowMs?: number;
	latencyMs?: number | [number, number];
	persistFile?: string;
	webhook?: { url: string; verifierToken: string; format?: 'legacy' | 'cloudevents' };
	/** A company profile every new company starts as (./profiles.ts); `preferences` then apply on top. */
	profile?: string;
	/** Company preferences every new company starts with, e.g. `{ SalesFormsPrefs: { CustomTxnNumbers: false } }`. */
	preferences?: Record<string, Record<string, unknown>>;
	/**
	 * Whether applying a Payment changes the linked Invoice's LastUpdatedTime (and lists it in CDC).
	 * Undocumented by Intuit: default false, the pessimistic case. See CompanyBehaviour.
	 */
	paymentTouchesInvoice?: boolean;
	/** How long a requestid is remembered (ms; default: for ever). Undocumented by Intuit. */
	requestIdRetentionMs?: number;
	/** Shifts the emulator's clock (tests of clock skew). */
	clockOffsetMs?: number;
	quiet?: boolean;
}

export interface FaultRule {
	method?: string;
	/** Substring of the path (after /v3/company/{realm}/) or of the full URL. */
	path?: string;
	/** How many requests it answers; optional with a time window (then every request inside it). */
	count?: number;
	/**
	 * 'lostAnswer' carries the request out and then drops the connection (a timeout or reset after
	 * QuickBooks wrote): TEST-ONLY, the network's doing, not a QuickBooks behaviour.
	 */
	action: 500 | 503 | 429 | 401 | 'reset' | 'hang' | 'lostAnswer';
	/**
	 * Time window on the emulator's clock (epoch ms): the rule answers only requests arriving in
	 * [fromMs, untilMs). TEST-ONLY: an outage scripted by a benchmark, not a documented QuickBooks
	 * behaviour (what a real outage answers, and for how long, is not published).
	 */
	fromMs?: number;
	untilMs?: number;
}

export interface LogEntry {
	at: number;
	realmId?: string;
	method: string;
	endpoint: string;
	operation: string;
	entity?: string;
	status: number;
	batchItems?: number;
	/** The entity a query reads (`entity` stays unset for queries, as tests compare it). */
	queried?: string;
}

interface TokenInfo {
	realmId: string;
	clientId: string;
	expiresAt: number;
	/** When this refresh token value was issued (rotation is counted from it). */
	issuedAt?: number;
}

/**
 * Tokens are kept by their SHA-256, as an authorization server would keep them: the state written
 * to `persistFile` holds no usable token. Raw keys from older state files are hashed on load.
 */
const tokenKey = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const asTokenKey = (key: string) => (/^[0-9a-f]{64}$/.test(key) ? key : tokenKey(key));

export const DEFAULT_CLIENT = {
	clientId: 'emulator-client-id',
	clientSecret: 'emulator-client-secret',
};

export class QboEmulator {
	readonly companies = new Map<string, Company>();
	readonly log: LogEntry[] = [];
	readonly options: Required<
		Pick<
			QboEmulatorOptions,
			| 'accessTokenTtlSec'
			| 'refreshTokenTtlSec'
			| 'perMinute'
			| 'perSecond'
			| 'concurrent'
			| 'batchPerMinute'
		>
	> &
		QboEmulatorOptions;
	private server?: http.Server;
	private sockets = new Set<Socket>();
	/** By tokenKey(token). */
	private accessTokens = new Map<string, TokenInfo>();
	private refreshTokens = new Map<string, TokenInfo & { rotated?: boolean }>();
	/** Every token issued since start, in memory only (issuedTokens). */
	private issued = { accessTokens: [] as string[], refreshTokens: [] as string[] };
	private codes = new Map<
		string,
		{ realmId: string; clientId: string; redirectUri: string; expiresAt: number }
	>();
	private faults: FaultRule[] = [];
	private hooks: Array<{ method?: string; path: string; run: () => void }> = [];
	private windows = new Map<string, number[]>();
	private inFlight = new Map<string, number>();
	private hanging = new Set<ServerResponse>();
	private saveQueued = false;
	/** Shared by every company, so setOptions changes them all at once. */
	private readonly behaviour: CompanyBehaviour = { ...DEFAULT_BEHAVIOUR };
	url = '';

	constructor(options: QboEmulatorOptions = {}) {
		this.options = {
			accessTokenTtlSec: 3600,
			refreshTokenTtlSec: 8_726_400,
			perMinute: 500,
			perSecond: 10,
			concurrent: 10,
			batchPerMinute: 40,
			...options,
		};
		this.syncBehaviour();
		if (options.persistFile && existsSync(options.persistFile)) {
			const data = JSON.parse(readFileSync(options.persistFile, 'utf8'));
			for (const c of data.companies) {
				const company = Company.fromJSON(c, () => this.now());
				company.behaviour = this.behaviour;
				this.companies.set(c.realmId, company);
			}
			for (const [k, { rotatedTo, ...v }] of data.refreshTokens ?? [])
				this.refreshTokens.set(asTokenKey(k), { ...v, rotated: v.rotated || !!rotatedTo });
			for (const [k, v] of data.accessTokens ?? []) this.accessTokens.set(asTokenKey(k), v);
		}
		for (const realm of options.realms ?? ['9130350000000001']) this.company(realm);
	}

	now(): number {
		return Date.now() + (this.options.clockOffsetMs ?? 0);
	}

	company(realmId: string): Company {
		let company = this.companies.get(realmId);
		if (!company) {
			company = new Company(realmId, () => this.now());
			company.behaviour = this.behaviour;
			if (this.options.profile) applyProfile(company, companyProfile(this.options.profile));
			if (this.options.preferences) company.setPreferences(this.options.preferences);
			this.companies.set(realmId, company);
		}
		return company;
	}

	get defaultRealm(): string {
		return this.options.oauthRealm ?? [...this.companies.keys()][0];
	}

	// ---- admin (in-process) -------------------------------------------------------------------

	reset(): void {
		const realms = [...this.companies.keys()];
		this.companies.clear();
		for (const realm of realms) this.company(realm);
		this.log.length = 0;
		this.faults = [];
		this.windows.clear();
	}

	injectFault(rule: FaultRule): void {
		this.faults.push({ ...rule });
	}

	/** Runs `run` just before the next matching API request is handled (tests of races). */
	beforeNext(method: string | undefined, path: string, run: () => void): void {
		this.hooks.push({ method, path, run });
	}

	clearFaults(): void {
		this.faults = [];
	}

	setOptions(patch: Partial<QboEmulatorOptions>): void {
		Object.assign(this.options, patch);
		this.syncBehaviour();
	}

	private syncBehaviour(): void {
		this.behaviour.paymentTouchesInvoice = this.options.paymentTouchesInvoice ?? false;
		this.behaviour.requestIdRetentionMs = this.options.requestIdRetentionMs;
	}

	/** Company preferences (admin switch), e.g. `{ SalesFormsPrefs: { CustomTxnNumbers: false } }`. */
	setPreferences(patch: Record<string, Record<string, unknown>>, realmId = this.defaultRealm): Rec {
		return this.company(realmId).setPreferences(patch);
	}

	/** Issues a token pair directly, as if the user had completed the OAuth flow. */
	issueTokens(realmId = this.defaultRealm, clientId = this.clients()[0].clientId): Rec {
		this.company(realmId);
		return this.tokenResponse({ realmId, clientId, expiresAt: 0 });
	}

	/** TEST-ONLY: every access and refresh token issued since start (the secrets tests search for them). */
	issuedTokens(): { accessTokens: readonly string[]; refreshTokens: readonly string[] } {
		return {
			accessTokens: [...this.issued.accessTokens],
			refreshTokens: [...this.issued.refreshTokens],
		};
	}

	expireAccessTokens(): void {
		for (const info of this.accessTokens.values()) info.expiresAt = 0;
	}

	/**
	 * Every token of the realm is gone, as when the user disconnects the app in QuickBooks or the app
	 * calls the revoke endpoint (Intuit: revoking either token revokes the grant); refreshes then get
	 * invalid_grant until the user connects again.
	 */
	revokeTokens(realmId = this.defaultRealm): void {
		for (const map of [this.refreshTokens, this.accessTokens] as Array<Map<string, TokenInfo>>)
			for (const [key, value] of map) if (value.realmId === realmId) map.delete(key);
		this.queueSave();
	}

	counts(filter?: { realmId?: string; since?: number }): Record<string, number> {
		const out: Record<string, number> = { total: 0 };
		for (const entry of this.log) {
			if (filter?.realmId && entry.realmId !== filter.realmId) continue;
			if (filter?.since && entry.at < filter.since) continue;
			out.total++;
			const key = `${entry.method} ${entry.operation}${entry.entity ? ` ${entry.entity}` : ''}`;
			out[key] = (out[key] ?? 0) + 1;
		}
		return out;
	}

	seed(realmId: string, entity: EntityName, records: Rec[]): Rec[] {
		const company = this.company(realmId);
		return records.map((r) => company.create(entity, r));
	}

	// ---- server -------------------------------------------------------------------------------

	async start(): Promise<string> {
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((error) => {
				if (!res.headersSent) this.send(res, 500, { error: String(error?.stack ?? error) });
			});
		});
		this.server.keepAliveTimeout = 5000;
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolve) =>
			this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve),
		);
		const { port } = this.server.address() as AddressInfo;
		this.url = `http://127.0.0.1:${port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		for (const res of this.hanging) res.destroy();
		for (const socket of this.sockets) socket.destroy();
		if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.saveNow();
	}

	private clients() {
		return this.options.clients ?? [DEFAULT_CLIENT];
	}

	private send(
		res: ServerResponse,
		status: number,
		body: unknown,
		headers: Record<string, string> = {},
	): void {
		const text = typeof body === 'string' ? body : JSON.stringify(body);
		res.writeHead(status, {
			'Content-Type':
				typeof body === 'string' && !headers['Content-Type'] ? 'text/plain' : 'application/json',
			intuit_tid: randomUUID(),
			...headers,
		});
		res.end(text);
	}

	private async readBody(req: IncomingMessage): Promise<string> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname;
		if (path === '/healthz') return this.send(res, 200, { ok: true });
		if (path.startsWith('/admin/')) return await this.handleAdmin(req, res, url);
		if (path === '/connect/oauth2') return this.authorize(res, url);
		if (path === '/oauth2/v1/tokens/bearer') return await this.token(req, res);
		if (path === '/v2/oauth2/tokens/revoke') return await this.revoke(req, res);
		const match = /^\/v3\/company\/([^/]+)\/(.+)$/.exec(path);
		if (!match) {
			this.log.push({
				at: this.now(),
				method: req.method ?? 'GET',
				endpoint: path,
				operation: 'unknown',
				status: 404,
			});
			return this.send(res, 404, { error: 'Not found' });
		}
		return await this.api(req, res, url, decodeURIComponent(match[1]), match[2]);
	}

	// ---- OAuth2 -------------------------------------------------------------------------------

	private authorize(res: ServerResponse, url: URL): void {
		const clientId = url.searchParams.get('client_id') ?? '';
		const redirectUri = url.searchParams.get('redirect_uri') ?? '';
		if (!this.clients().some((c) => c.clientId === clientId))
			return this.send(res, 400, 'invalid_client');
		if (url.searchParams.get('response_type') !== 'code')
			return this.send(res, 400, 'unsupported_response_type');
		if (!(url.searchParams.get('scope') ?? '').includes('com.intuit.quickbooks.accounting'))
			return this.send(res, 400, 'invalid_scope');
		const realmId = url.searchParams.get('realmId') ?? this.defaultRealm;
		this.company(realmId);
		const code = `AB${randomBytes(24).toString('hex')}`;
		this.codes.set(code, { realmId, clientId, redirectUri, expiresAt: this.now() + 600_000 });
		const target = new URL(redirectUri);
		target.searchParams.set('code', code);
		const state = url.searchParams.get('state');
		if (state !== null) target.searchParams.set('state', state);
		target.searchParams.set('realmId', realmId);
		res.writeHead(302, { Location: target.toString() });
		res.end();
	}

	private basicClient(req: IncomingMessage): { clientId: string } | undefined {
		const header = req.headers.authorization ?? '';
		if (!header.startsWith('Basic ')) return undefined;
		const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
		const client = this.clients().find(
			(c) =>
				c.clientId === decodeURIComponent(id) &&
				c.clientSecret === decodeURIComponent(secret ?? ''),
		);
		return client ? { clientId: client.clientId } : undefined;
	}

	private tokenResponse(info: TokenInfo, keepRefresh?: string): Rec {
		const access = `eyJ${randomBytes(32).toString('base64url')}`;
		const refresh = keepRefresh ?? `RT1-${randomBytes(24).toString('hex')}`;
		this.issued.accessTokens.push(access);
		if (!keepRefresh) this.issued.refreshTokens.push(refresh);
		this.accessTokens.set(tokenKey(access), {
			realmId: info.realmId,
			clientId: info.clientId,
			expiresAt: this.now() + this.options.accessTokenTtlSec * 1000,
		});
		// The expiry rolls forward with each use (100 days), the value only with rotation.
		this.refreshTokens.set(tokenKey(refresh), {
			realmId: info.realmId,
			clientId: info.clientId,
			issuedAt: keepRefresh ? info.issuedAt : this.now(),
			expiresAt: this.now() + this.options.refreshTokenTtlSec * 1000,
		});
		this.queueSave();
		return {
			token_type: 'bearer',
			access_token: access,
			refresh_token: refresh,
			expires_in: this.options.accessTokenTtlSec,
			x_refresh_token_expires_in: this.options.refreshTokenTtlSec,
			realmId: info.realmId,
		};
	}

	private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const form = new URLSearchParams(await this.readBody(req));
		const client = this.basicClient(req);
		const entry: LogEntry = {
			at: this.now(),
			method: 'POST',
			endpoint: 'token',
			operation: `token:${form.get('grant_type')}`,
			status: 0,
		};
		this.log.push(entry);
		// The log keeps what the token endpoint answered (a refused refresh is a 400).
		const answer = (status: number, body: unknown) => {
			entry.status = status;
			this.send(res, status, body);
		};
		if (!client) return answer(401, { error: 'invalid_client' });
		const grant = form.get('grant_type');
		if (grant === 'authorization_code') {
			const code = this.codes.get(form.get('code') ?? '');
			this.codes.delete(form.get('code') ?? '');
			if (!code || code.expiresAt < this.now() || code.clientId !== client.clientId)
				return answer(400, { error: 'invalid_grant' });
			if (form.get('redirect_uri') && form.get('redirect_uri') !== code.redirectUri)
				return answer(400, {
					error: 'invalid_grant',
					error_description: 'redirect_uri mismatch',
				});
			return answer(
				200,
				this.tokenResponse({ realmId: code.realmId, clientId: client.clientId, expiresAt: 0 }),
			);
		}
		if (grant === 'refresh_token') {
			const old = form.get('refresh_token') ?? '';
			const info = this.refreshTokens.get(tokenKey(old));
			if (
				!info ||
				info.expiresAt < this.now() ||
				info.clientId !== client.clientId ||
				info.rotated
			) {
				return answer(400, { error: 'invalid_grant' });
			}
			// Intuit returns the same value for about 24 hours (see refreshTokenRotation).
			const keep =
				this.options.refreshTokenRotation === 'daily' &&
				this.now() - (info.issuedAt ?? 0) < 24 * 3_600_000;
			const response = this.tokenResponse(info, keep ? old : undefined);
			// Rotation: the old refresh token is spent.
			if (!keep) info.rotated = true;
			return answer(200, response);
		}
		return answer(400, { error: 'unsupported_grant_type' });
	}

	private async revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const raw = await this.readBody(req);
		if (!this.basicClient(req)) return this.send(res, 401, { error: 'invalid_client' });
		let token = '';
		try {
			token = JSON.parse(raw).token;
		} catch {
			token = new URLSearchParams(raw).get('token') ?? '';
		}
		const info = this.refreshTokens.get(tokenKey(token)) ?? this.accessTokens.get(tokenKey(token));
		if (info) {
			for (const map of [this.refreshTokens, this.accessTokens] as Array<Map<string, TokenInfo>>) {
				for (const [key, value] of map)
					if (value.realmId === info.realmId && value.clientId === info.clientId) map.delete(key);
			}
		}
		this.queueSave();
		return this.send(res, 200, '');
	}

	// ---- API ----------------------------------------------------------------------------------

	private authFault(detail: string) {
		return {
			warnings: null,
			intuitObject: null,
			fault: {
				error: [
					{
						message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
						detail,
						code: '3200',
						element: null,
					},
				],
				type: 'AUTHENTICATION',
			},
			report: null,
			queryResponse: null,
			batchItemResponse: [],
			time: Date.now(),
		};
	}

	private faultBody(fault: Fault) {
		return {
			Fault: {
				Error: [
					{
						Message: fault.message,
						Detail: fault.detail ?? fault.message,
						code: fault.code,
						...(fault.element ? { element: fault.element } : {}),
					},
				],
				type: fault.type,
			},
			time: new Date(this.now()).toISOString(),
		};
	}

	private throttleXml(): string {
		return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${new Date(this.now()).toISOString()}"><Fault type="SERVICE"><Error code="3001" element=""><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>`;
	}

	private overLimit(
		key: string,
		perMinute: number,
		windowMs = this.options.windowMs ?? 60_000,
	): boolean {
		const now = Date.now();
		const window = (this.windows.get(key) ?? []).filter((t) => t > now - windowMs);
		if (window.length >= perMinute) {
			this.windows.set(key, window);
			return true;
		}
		window.push(now);
		this.windows.set(key, window);
		return false;
	}

	private async latency(): Promise<void> {
		const l = this.options.latencyMs;
		if (!l) return;
		const ms = Array.isArray(l) ? l[0] + Math.random() * (l[1] - l[0]) : l;
		await new Promise((resolve) => setTimeout(resolve, ms));
	}

	private takeFault(method: string, rest: string): FaultRule | undefined {
		const now = this.now();
		const rule = this.faults.find(
			(f) =>
				(f.count === undefined ? f.untilMs !== undefined : f.count > 0) &&
				(f.fromMs === undefined || now >= f.fromMs) &&
				(f.untilMs === undefined || now < f.untilMs) &&
				(!f.method || f.method === method) &&
				(!f.path || rest.includes(f.path)),
		);
		if (rule?.count !== undefined) rule.count--;
		return rule;
	}

	private async api(
		req: IncomingMessage,
		res: ServerResponse,
		url: URL,
		realmId: string,
		rest: string,
	): Promise<void> {
		const method = req.method ?? 'GET';
		const [first, second, third] = rest.split('/');
		const entity = entityByPath(first);
		const operation =
			first === 'query' || first === 'cdc' || first === 'batch' || first === 'companyinfo'
				? first
				: (url.searchParams.get('operation') ??
					(method === 'GET' ? 'read' : third === 'send' ? 'send' : 'create/update'));
		const entry: LogEntry = {
			at: this.now(),
			realmId,
			method,
			endpoint: first,
			operation,
			entity,
			status: 0,
		};
		// 'lostAnswer': the request is carried out, then the connection drops before the answer.
		let loseAnswer = false;
		const respond = (status: number, body: unknown, headers: Record<string, string> = {}) => {
			entry.status = status;
			this.log.push(entry);
			if (loseAnswer) req.socket.destroy();
			else this.send(res, status, body, headers);
		};

		const auth = req.headers.authorization ?? '';
		const token = this.accessTokens.get(tokenKey(auth.replace(/^Bearer\s+/i, '')));
		if (!token) return respond(401, this.authFault('Token invalid'));
		if (token.expiresAt < this.now()) return respond(401, this.authFault('Token expired'));
		if (token.realmId !== realmId)
			return respond(
				403,
				this.faultBody(
					new Fault(
						403,
						'3100',
						'ApplicationAuthorizationFailed',
						'The token is not valid for this company',
						undefined,
						'SECURITY',
					),
				),
			);
		const company = this.companies.get(realmId);
		if (!company)
			return respond(
				400,
				this.faultBody(
					new Fault(400, '610', 'Object Not Found', `Company ${realmId} does not exist`),
				),
			);

		const hookIndex = this.hooks.findIndex(
			(h) => (!h.method || h.method === method) && `${rest}${url.search}`.includes(h.path),
		);
		if (hookIndex >= 0) this.hooks.splice(hookIndex, 1)[0].run();
		const taken = this.takeFault(method, rest);
		if (taken?.action === 'lostAnswer') loseAnswer = true;
		const injected =
			taken && taken.action !== 'lostAnswer' ? { ...taken, action: taken.action } : undefined;
		if (injected) {
			entry.status = typeof injected.action === 'number' ? injected.action : 0;
			if (injected.action === 'reset') {
				this.log.push(entry);
				req.socket.destroy();
				return;
			}
			if (injected.action === 'hang') {
				this.log.push(entry);
				this.hanging.add(res);
				res.on('close', () => this.hanging.delete(res));
				return;
			}
			if (injected.action === 429)
				return respond(429, this.throttleXml(), {
					'Content-Type': 'application/xml',
					'Retry-After': '1',
				});
			if (injected.action === 401) return respond(401, this.authFault('Token expired'));
			return respond(
				injected.action,
				this.faultBody(
					new Fault(
						injected.action,
						injected.action === 503 ? '3003' : '10000',
						'An application error has occurred while processing your request',
						'System Failure Error: Something went wrong',
						undefined,
						'SystemFault',
					),
				),
			);
		}

		if (this.options.limits) {
			if (this.overLimit(`realm:${realmId}`, this.options.perMinute))
				return respond(429, this.throttleXml(), { 'Content-Type': 'application/xml' });
			if (this.overLimit(`second:${realmId}`, this.options.perSecond, 1_000))
				return respond(429, this.throttleXml(), { 'Content-Type': 'application/xml' });
			// 40 batch requests per minute per realm: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/batch
			// ("up to 40 requests per minute to an end-user's QuickBooks Online company (specified by the realmId)").
			if (first === 'batch' && this.overLimit(`batch:${realmId}`, this.options.batchPerMinute))
				return respond(429, this.throttleXml(), { 'Content-Type': 'application/xml' });
			if ((this.inFlight.get(realmId) ?? 0) >= this.options.concurrent)
				return respond(429, this.throttleXml(), { 'Content-Type': 'application/xml' });
		}
		this.inFlight.set(realmId, (this.inFlight.get(realmId) ?? 0) + 1);
		try {
			await this.latency();
			const raw = method === 'POST' ? await this.readBody(req) : '';
			// requestid: a repeated write with the same id gets the first answer without a second write.
			// At most 50 characters, 36 on /batch (and then bId at most 10). Source:
			// https://blogs.intuit.com/2015/04/06/15346/ ("Request ID update for QuickBooks Online
			// integration"). What QBO answers to a longer id is UNCERTAIN (a 400 ValidationFault here);
			// so are the retention (option requestIdRetentionMs) and whether a fault is replayed (here:
			// yes, "the same response as it did for the original request"). The live suite probes all three.
			const requestId = url.searchParams.get('requestid');
			if (requestId) {
				const max = first === 'batch' ? 36 : 50;
				if (requestId.length > max) {
					return respond(
						400,
						this.faultBody(
							new Fault(
								400,
								'2010',
								'Request has invalid or unsupported property',
								`requestid must be at most ${max} characters`,
								'requestid',
							),
						),
					);
				}
			}
			if (method === 'POST' && requestId) {
				const previous = company.requestIds.get(requestId);
				const retention = company.behaviour.requestIdRetentionMs;
				if (previous && (retention === undefined || this.now() - previous.at <= retention))
					return respond(previous.status, previous.body);
			}
			let status = 200;
			let body: unknown;
			try {
				body = this.dispatch(
					company,
					method,
					url,
					first,
					second,
					third,
					entity,
					raw,
					entry,
					String(req.headers['content-type'] ?? ''),
				);
			} catch (error) {
				if (!(error instanceof Fault)) throw error;
				status = error.status;
				body = this.faultBody(error);
			}
			if (method === 'POST' && requestId)
				company.requestIds.set(requestId, { status, body, at: this.now() });
			if (status === 200 && method === 'POST') {
				this.queueSave();
				this.notify(company, entry);
			}
			return respond(status, body);
		} finally {
			this.inFlight.set(realmId, (this.inFlight.get(realmId) ?? 1) - 1);
		}
	}

	private dispatch(
		company: Company,
		method: string,
		url: URL,
		first: string,
		second: string | undefined,
		third: string | undefined,
		entity: EntityName | undefined,
		raw: string,
		entry: LogEntry,
		contentType = '',
	): unknown {
		const time = new Date(this.now()).toISOString();
		if (first === 'query') {
			const text = method === 'GET' ? (url.searchParams.get('query') ?? '') : raw;
			// Which entity a query reads, for the benchmarks' calls-per-event breakdown.
			entry.queried = /\bfrom\s+(\w+)/i.exec(text)?.[1];
			return { QueryResponse: this.runQuery(company, text), time };
		}
		if (first === 'companyinfo')
			return { CompanyInfo: company.get('CompanyInfo', second ?? ''), time };
		if (first === 'cdc')
			return { CDCResponse: [{ QueryResponse: this.runCdc(company, url) }], time };
		if (first === 'batch') {
			const items = this.parseJson(raw).BatchItemRequest;
			if (!Array.isArray(items) || items.length === 0)
				throw new Fault(
					400,
					'2020',
					'Required param missing',
					'BatchItemRequest is missing',
					'BatchItemRequest',
				);
			if (items.length > 30)
				throw new Fault(
					400,
					'6000',
					'A business validation error has occurred while processing your request',
					'Batch size exceeds the maximum of 30 items',
					'BatchItemRequest',
				);
			entry.batchItems = items.length;
			if (url.searchParams.get('requestid')) {
				const long = items.find((item: Rec) => String(item.bId ?? '').length > 10);
				if (long)
					throw new Fault(
						400,
						'2010',
						'Request has invalid or unsupported property',
						`bId must be at most 10 characters when a requestid is given: ${long.bId}`,
						'bId',
					);
			}
			// Items are independent and not atomic: each one succeeds or fails on its own (a Fault inside
			// the HTTP 200), none sees another's result. Sources: https://blogs.intuit.com/2017/07/27/batch-operations-important
			// ("requests do not have visibility of earlier requests included from the same payload"),
			// https://blogs.intuit.com/2023/07/19/building-smarter-with-intuit-batch-without-a-scratch (30 payloads at most).
			return { BatchItemResponse: items.map((item: Rec) => this.batchItem(company, item)), time };
		}
		if (!entity) throw new Fault(400, '4000', 'Unsupported entity', `Unknown endpoint ${first}`);
		if (method === 'GET') {
			// GET /preferences answers {"Preferences":{...},"time":...}: Intuit's Preferences reference,
			// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences ;
			// node-quickbooks getPreferences reads `preferences` without an id.
			if (entity === 'Preferences') return { Preferences: company.get('Preferences', '1'), time };
			if (!second) throw new Fault(400, '2020', 'Required param missing', 'Id is required', 'Id');
			return { [entity]: company.get(entity, decodeURIComponent(second)), time };
		}
		if (third === 'send' && entity === 'Invoice') {
			// POST /invoice/{id}/send wants Content-Type application/octet-stream. Sources: Intuit's PHP SDK
			// DataService::SendEmail (CoreConstants::CONTENTTYPE_OCTETSTREAM),
			// https://github.com/intuit/QuickBooks-V3-PHP-SDK/blob/master/src/DataService/DataService.php ;
			// https://github.com/ruckus/quickbooks-ruby/pull/412 ; https://github.com/ej2/python-quickbooks/issues/103.
			// What QBO answers otherwise varies in reports (400 ValidationFault 2020 "DeliveryAddress.Address
			// is missing": https://github.com/nextform-app/quickbooks-js/issues/2 ; a bare 500:
			// https://github.com/mozilla-ai/clawbolt/issues/1063): UNCERTAIN, a 400 / 2020 here.
			if (!/^application\/octet-stream\b/i.test(contentType)) {
				throw new Fault(
					400,
					'2020',
					'Required param missing, need to supply the required value for the API',
					'Required parameter DeliveryAddress.Address is missing in the request',
					'DeliveryAddress.Address',
				);
			}
			return {
				Invoice: company.sendInvoice(
					decodeURIComponent(second!),
					url.searchParams.get('sendTo') ?? undefined,
				),
				time,
			};
		}
		const body = this.parseJson(raw);
		return {
			[entity]: this.write(
				company,
				entity,
				url.searchParams.get('operation'),
				url.searchParams.get('include'),
				body,
			),
			time,
		};
	}

	private parseJson(raw: string): Rec {
		try {
			return JSON.parse(raw || '{}');
		} catch {
			throw new Fault(
				400,
				'2020',
				'Request has invalid or unsupported property',
				'The request body is not valid JSON',
			);
		}
	}

	private write(
		company: Company,
		entity: EntityName,
		operation: string | null,
		include: string | null,
		body: Rec,
	): Rec {
		if (operation === 'void' || (operation === 'update' && include === 'void'))
			return company.voidTxn(entity, body);
		if (operation === 'delete') return company.delete(entity, body);
		const flags = {
			allowDuplicateDocNum: (include ?? '')
				.toLowerCase()
				.split(',')
				.includes('allowduplicatedocnum'),
		};
		if (body.Id) return company.update(entity, body, flags);
		return company.create(entity, body, flags);
	}

	private batchItem(company: Company, item: Rec): Rec {
		const bId = item.bId;
		try {
			if (item.Query) return { bId, QueryResponse: this.runQuery(company, item.Query) };
			const entityKey = Object.keys(item).find((k) => entityByPath(k));
			const entity = entityKey ? entityByPath(entityKey) : undefined;
			if (!entity)
				throw new Fault(
					400,
					'2020',
					'Required param missing',
					'Batch item has no entity',
					'BatchItemRequest',
				);
			const op = String(item.operation ?? 'create');
			const body = item[entityKey!];
			// optionsData carries "void", and "allowduplicatedocnum" inside a batch:
			// https://github.com/intuit/QuickBooks-V3-DotNET-SDK/issues/175
			const options = ([] as unknown[])
				.concat(item.optionsData ?? [])
				.map((o) => String(o).toLowerCase());
			const flags = { allowDuplicateDocNum: options.includes('allowduplicatedocnum') };
			let record: Rec;
			if (op === 'delete') record = company.delete(entity, body);
			else if (op === 'void' || options.includes('void')) record = company.voidTxn(entity, body);
			else if (op === 'update') record = company.update(entity, body, flags);
			else record = company.create(entity, body, flags);
			return { bId, [entity]: record };
		} catch (error) {
			if (!(error instanceof Fault)) throw error;
			return { bId, Fault: this.faultBody(error).Fault };
		}
	}

	private runQuery(company: Company, text: string): Rec {
		let parsed;
		try {
			parsed = parseQuery(text);
		} catch (error) {
			if (error instanceof QueryParseError)
				throw new Fault(400, '4000', 'Error parsing query', `QueryParserError: ${error.message}`);
			throw error;
		}
		const entity = entityByPath(parsed.entity);
		if (!entity)
			throw new Fault(
				400,
				'4000',
				'Error parsing query',
				`QueryValidationError: Unknown entity ${parsed.entity}`,
			);
		const invalid = checkFilterable(entity, parsed.where);
		if (invalid) throw new Fault(400, '4001', 'Invalid query', `QueryValidationError: ${invalid}`);
		const activeFilter = parsed.where.some((c) => c.field === 'Active');
		let rows = company.all(entity).filter((r) => r.status !== 'Deleted');
		if (!activeFilter) rows = rows.filter((r) => r.Active !== false);
		rows = rows.filter((r) => parsed.where.every((c) => matches(r, c)));
		if (parsed.count) return { totalCount: rows.length };
		const order = parsed.orderBy;
		rows.sort((a, b) => {
			if (order) {
				const av = order.field.split('.').reduce((o: any, k) => o?.[k], a);
				const bv = order.field.split('.').reduce((o: any, k) => o?.[k], b);
				const numeric = (v: unknown) =>
					typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v));
				const dated = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v);
				const cmp =
					numeric(av) && numeric(bv)
						? Number(av) - Number(bv)
						: dated(av) && dated(bv)
							? Date.parse(av as string) - Date.parse(bv as string)
							: String(av ?? '').localeCompare(String(bv ?? ''));
				if (cmp !== 0) return order.desc ? -cmp : cmp;
			}
			return Number(a.Id) - Number(b.Id) || String(a.Id).localeCompare(String(b.Id));
		});
		const page = rows.slice(parsed.startPosition - 1, parsed.startPosition - 1 + parsed.maxResults);
		if (page.length === 0) return {};
		return { [entity]: page, startPosition: parsed.startPosition, maxResults: page.length };
	}

	private runCdc(company: Company, url: URL): Rec[] {
		const entities = (url.searchParams.get('entities') ?? '')
			.split(',')
			.map((e) => e.trim())
			.filter(Boolean);
		const since = Date.parse(url.searchParams.get('changedSince') ?? '');
		if (entities.length === 0)
			throw new Fault(400, '2020', 'Required param missing', 'entities is required', 'entities');
		if (Number.isNaN(since))
			throw new Fault(
				400,
				'2020',
				'Required param missing',
				'changedSince is required',
				'changedSince',
			);
		if (since < this.now() - 30 * 24 * 3600_000)
			throw new Fault(
				400,
				'4001',
				'Invalid changedSince',
				'changedSince must be within the last 30 days',
				'changedSince',
			);
		const resolved = entities.map((e) => {
			const name = entityByPath(e);
			if (!name) throw new Fault(400, '4000', 'Unsupported entity', `Unknown entity ${e}`);
			return name;
		});
		const changes = company.cdc(resolved, since);
		// QBO answers at most 1000 objects per CDC call, oldest first, without paging.
		let budget = 1000;
		return resolved.map((entity) => {
			const list = changes[entity].slice(0, Math.max(0, budget));
			budget -= list.length;
			return { [entity]: list, startPosition: 1, maxResults: list.length, totalCount: list.length };
		});
	}

	// ---- webhooks and persistence -------------------------------------------------------------

	private notify(company: Company, entry: LogEntry): void {
		const hook = this.options.webhook;
		if (!hook || !entry.entity) return;
		const recent = company.changes.slice(-1)[0];
		if (!recent) return;
		const record = company.entities.get(recent.entity)?.get(recent.id);
		const operation = recent.deleted
			? 'Delete'
			: entry.operation === 'void' || entry.operation === 'update'
				? 'Void'
				: record?.SyncToken === '0'
					? 'Create'
					: 'Update';
		const lastUpdated = record?.MetaData?.LastUpdatedTime ?? new Date(this.now()).toISOString();
		const payload =
			hook.format === 'cloudevents'
				? [
						{
							specversion: '1.0',
							id: randomUUID(),
							source: 'intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=',
							type: `qbo.${recent.entity.toLowerCase()}.${operation.toLowerCase()}d.v1`,
							datacontenttype: 'application/json',
							time: lastUpdated,
							intuitentityid: recent.id,
							intuitaccountid: company.realmId,
							data: {},
						},
					]
				: {
						eventNotifications: [
							{
								realmId: company.realmId,
								dataChangeEvent: {
									entities: [{ name: recent.entity, id: recent.id, operation, lastUpdated }],
								},
							},
						],
					};
		const raw = JSON.stringify(payload);
		const signature = createHmac('sha256', hook.verifierToken).update(raw).digest('base64');
		const target = new URL(hook.url);
		const req = http.request(target, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'intuit-signature': signature },
		});
		req.on('error', () => undefined);
		req.end(raw);
	}

	private queueSave(): void {
		if (!this.options.persistFile || this.saveQueued) return;
		this.saveQueued = true;
		setTimeout(() => this.saveNow(), 200).unref();
	}

	saveNow(): void {
		this.saveQueued = false;
		if (!this.options.persistFile) return;
		writeFileSync(
			this.options.persistFile,
			JSON.stringify({
				companies: [...this.companies.values()].map((c) => c.toJSON()),
				refreshTokens: [...this.refreshTokens],
				accessTokens: [...this.accessTokens],
			}),
		);
	}

	// ---- admin over HTTP ----------------------------------------------------------------------

	private async handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
		const raw = req.method === 'POST' ? await this.readBody(req) : '';
		const body = raw ? JSON.parse(raw) : {};
		const realmId = url.searchParams.get('realmId') ?? body.realmId ?? this.defaultRealm;
		switch (url.pathname) {
			case '/admin/reset':
				this.reset();
				return this.send(res, 200, { ok: true });
			case '/admin/seed': {
				try {
					const created = this.seed(realmId, body.entity, body.records ?? []);
					return this.send(res, 200, { created });
				} catch (error) {
					if (error instanceof Fault) return this.send(res, error.status, this.faultBody(error));
					throw error;
				}
			}
			case '/admin/state': {
				const entity = url.searchParams.get('entity');
				const company = this.company(realmId);
				return this.send(res, 200, entity ? { [entity]: company.all(entity) } : company.toJSON());
			}
			case '/admin/log':
				return this.send(res, 200, {
					counts: this.counts({ realmId: url.searchParams.get('realmId') ?? undefined }),
					entries: this.log.slice(-Number(url.searchParams.get('tail') ?? 200)),
				});
			case '/admin/faults':
				if (req.method === 'DELETE') this.clearFaults();
				else this.injectFault(body);
				return this.send(res, 200, { ok: true });
			case '/admin/options':
				this.setOptions(body);
				return this.send(res, 200, { ok: true });
			case '/admin/preferences':
				if (req.method === 'POST')
					return this.send(res, 200, {
						Preferences: this.setPreferences(body.patch ?? {}, realmId),
					});
				return this.send(res, 200, { Preferences: this.company(realmId).get('Preferences', '1') });
			case '/admin/tokens':
				return this.send(res, 200, this.issueTokens(realmId, body.clientId));
			case '/admin/expire-tokens':
				this.expireAccessTokens();
				return this.send(res, 200, { ok: true });
			case '/admin/revoke-tokens':
				this.revokeTokens(realmId);
				return this.send(res, 200, { ok: true });
			default:
				return this.send(res, 404, { error: 'Unknown admin endpoint' });
		}
	}
}

export async function startQboEmulator(options: QboEmulatorOptions = {}): Promise<QboEmulator> {
	const emulator = new QboEmulator(options);
	await emulator.start();
	return emulator;
}

/** A company as a profile has it: its preferences, and the classes and locations it keeps. */
export function applyProfile(company: Company, profile: CompanyProfile): void {
	company.setPreferences(profile.preferences);
	for (const [entity, records] of Object.entries(profile.lists ?? {}))
		for (const record of records) company.create(entity as 'Class' | 'Department', record);
}
