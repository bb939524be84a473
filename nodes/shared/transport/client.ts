import { createHash, randomUUID } from 'crypto';

import type { QboRecord } from '../types';
import { OutcomeError } from '../errors';
import { RETRY_POLICIES, rereadAfterStale } from '../recovery';
import { QboError, faultFromResponse, networkErrorCode } from '../quickbooks/errors';
import { QBO_PACE, companyBudget, type CompanyBudget } from './pacing';
import { withRetry } from './retry';
import { MAX_PAGE_SIZE, countQuery, selectQuery, type QuerySpec } from './query';
import type {
	BatchOperation,
	BatchResult,
	CdcChange,
	ClientStats,
	Clock,
	HttpRequest,
	HttpResponse,
	PaceLimits,
	QboClientConfig,
	RetryPolicies,
	Send,
	Sharing,
	Slot,
} from '../quickbooks/types';

/** What a caller of the client names: its records and the `send` it is built with (defined in ../types.ts, ../quickbooks/types.ts). */
export type { HttpRequest, HttpResponse, QboRecord, Send };

export const MINOR_VERSION = 75;
export const BATCH_LIMIT = 30;

/**
 * Intuit's requestid limits: at most 50 characters, at most 36 on `/batch` (where each bId may then
 * have at most 10). Source: https://blogs.intuit.com/2015/04/06/15346/
 */
export const REQUEST_ID_MAX = 50;
export const BATCH_REQUEST_ID_MAX = 36;
export const BATCH_ID_MAX = 10;

/**
 * A QuickBooks requestid: stable for a caller key, so a replay cannot write twice (recovery R11). Always a hash of
 * scope and key (never the key itself), so ids stay within `maxLength` however long the key, and two
 * different keys do not share an id (128 bits or more of SHA-256). Without a key: a random UUID (36).
 */
export function requestIdFor(
	scope: string,
	idempotencyKey?: string,
	maxLength = REQUEST_ID_MAX,
): string {
	if (!idempotencyKey) return randomUUID();
	const digest = createHash('sha256').update(`${scope}\u0000${idempotencyKey}`).digest('hex');
	// 44 characters where allowed (the ids earlier versions sent), 36 on /batch.
	return `qbs-${digest.slice(0, Math.min(40, maxLength - 4))}`;
}

/** Any requestid a caller hands in, made to fit Intuit's limit without losing its identity. */
export function fitRequestId(requestId: string, maxLength: number): string {
	if (requestId.length <= maxLength) return requestId;
	return `qbh-${createHash('sha256')
		.update(requestId)
		.digest('hex')
		.slice(0, Math.min(40, maxLength - 4))}`;
}

function entityPath(entity: string): string {
	return entity.toLowerCase();
}

/** Without a fault and without the record, the answer says nothing QuickBooks did wrong: a local outcome. */
function unwrap(body: unknown, entity: string): QboRecord {
	const record = (body as Record<string, unknown> | undefined)?.[entity];
	if (!record || typeof record !== 'object') {
		throw new OutcomeError(
			'incomplete',
			`QuickBooks answered without a ${entity}`,
			`QuickBooks accepted the request but sent no ${entity} back. Look the ${entity} up in QuickBooks before running the item again.`,
		);
	}
	return record as QboRecord;
}

/**
 * Every QuickBooks call of both nodes goes through this client: URL building, minorversion,
 * requestid on writes, pacing to the company's limits, retries with backoff, fault parsing, paging,
 * CDC, batch and SyncToken handling. It knows nothing of n8n: `send` is n8n's authenticated request
 * in production and a plain HTTP call in tests. Clients on the same `clock` share each company's
 * budget (./pacing.ts).
 */
export class QboClient {
	private readonly counts = { requests: 0, retries: 0, throttled: 0, waitedMs: 0 };
	private readonly companyUrl: string;
	private readonly minorVersion: number;
	private readonly timeoutMs: number;
	private readonly retry: RetryPolicies;
	private readonly pace: PaceLimits;
	private readonly sharing?: QboClientConfig['sharing'];
	private readonly memos = new Map<string, Promise<unknown>>();
	/** The company's budget of the last call, for its figures. */
	private company?: CompanyBudget;

	/** Which company this client talks to (API base URL + realm): the key of caches that outlive one execution. */
	get companyKey(): string {
		return this.companyUrl;
	}

	constructor(
		config: QboClientConfig,
		private readonly send: Send,
		private readonly clock: Clock,
	) {
		this.companyUrl = `${config.baseUrl.replace(/\/+$/, '')}/v3/company/${encodeURIComponent(config.realmId)}`;
		this.minorVersion = config.minorVersion ?? MINOR_VERSION;
		this.timeoutMs = config.timeoutMs ?? 125_000;
		this.retry = { ...RETRY_POLICIES, ...config.retry };
		this.pace = config.pace ?? QBO_PACE;
		this.sharing = config.sharing;
	}

	/** The look-ups the other n8n processes share with this one (queue mode), and where their errors go. */
	get sharedLookups(): Pick<Sharing, 'lookups' | 'onStoreError'> | undefined {
		return this.sharing?.lookups ? this.sharing : undefined;
	}

	/** This client's figures, and those of its company's budget (every client calling it in the process). */
	get stats(): ClientStats {
		const company = this.company?.stats ?? { requests: 0, throttled: 0, waitedMs: 0 };
		return { ...this.counts, company: { ...company } };
	}

	/**
	 * Remembers a look-up for the life of this client (one node execution), so a burst of items
	 * asks QuickBooks once for the same product or account. Failed look-ups are not kept (recovery R15).
	 */
	async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
		let pending = this.memos.get(key) as Promise<T> | undefined;
		if (!pending) {
			pending = compute();
			this.memos.set(key, pending);
			pending.catch(() => this.memos.delete(key));
		}
		return await pending;
	}

	/** Drops a remembered look-up (the record was made or changed since). */
	forget(key: string): void {
		this.memos.delete(key);
	}

	/** One API call, paced and retried. `requestId` must stay the same across retries of a write. */
	async call(
		method: 'GET' | 'POST',
		path: string,
		options: {
			qs?: Record<string, string | number>;
			body?: unknown;
			requestId?: string;
			headers?: Record<string, string>;
		} = {},
	): Promise<Record<string, unknown>> {
		const qs: Record<string, string | number> = { minorversion: this.minorVersion, ...options.qs };
		if (options.requestId) {
			qs.requestid = fitRequestId(
				options.requestId,
				path === 'batch' ? BATCH_REQUEST_ID_MAX : REQUEST_ID_MAX,
			);
		}
		const request: HttpRequest = {
			method,
			url: `${this.companyUrl}/${path}`,
			qs,
			body: options.body,
			timeoutMs: this.timeoutMs,
		};
		if (options.headers) request.headers = options.headers;
		const since = this.clock.now();
		const acquire = async (): Promise<Slot> => {
			// Looked up each time: an idle company's budget is forgotten after a window.
			this.company = companyBudget(this.clock, this.companyUrl, this.pace, this.sharing);
			const slot = await this.company.acquire(path === 'batch', since);
			this.counts.waitedMs += slot.waitedMs;
			return slot;
		};
		return await withRetry(
			async (attempt) => {
				if (attempt > 1) this.counts.retries++;
				return await this.attempt(request);
			},
			this.clock,
			acquire,
			this.retry,
		);
	}

	/** One HTTP request: the body of a good answer; a QboError for a fault or no answer. */
	private async attempt(request: HttpRequest): Promise<Record<string, unknown>> {
		this.counts.requests++;
		let response: HttpResponse;
		try {
			response = await this.send(request);
		} catch (error) {
			if (error instanceof QboError) throw error;
			const code = networkErrorCode(error);
			if (code) {
				throw new QboError(`Could not reach QuickBooks (${code})`, {
					kind: 'network',
					cause: error,
				});
			}
			throw error;
		}
		const body = parseBody(response.body);
		const faulty =
			response.statusCode >= 400 ||
			(body &&
				typeof body === 'object' &&
				('Fault' in body || 'fault' in body) &&
				!('BatchItemResponse' in body));
		if (faulty) {
			const fault = faultFromResponse(
				response.statusCode,
				response.headers,
				body,
				this.clock.now(),
			);
			if (fault.kind === 'throttled') this.counts.throttled++;
			throw fault;
		}
		return (body ?? {}) as Record<string, unknown>;
	}

	async read(entity: string, id: string): Promise<QboRecord> {
		const body = await this.call('GET', `${entityPath(entity)}/${encodeURIComponent(id)}`);
		return unwrap(body, entity);
	}

	async create(entity: string, record: QboRecord, idempotencyKey?: string): Promise<QboRecord> {
		const body = await this.call('POST', entityPath(entity), {
			body: record,
			requestId: requestIdFor(`create:${entity}`, idempotencyKey),
		});
		return unwrap(body, entity);
	}

	/** Sparse update: `changes` must carry Id and the current SyncToken. */
	async update(entity: string, changes: QboRecord, idempotencyKey?: string): Promise<QboRecord> {
		const body = await this.call('POST', entityPath(entity), {
			body: { ...changes, sparse: true },
			requestId: requestIdFor(
				`update:${entity}:${changes.Id}:${changes.SyncToken}`,
				idempotencyKey,
			),
		});
		return unwrap(body, entity);
	}

	/**
	 * Read-modify-write. `mutate` gets the current record and returns the sparse changes (without
	 * Id/SyncToken), or null when nothing needs writing. A stale SyncToken (5010) leads to a fresh
	 * read and one more try (recovery R4).
	 */
	async modify(
		entity: string,
		id: string,
		mutate: (current: QboRecord) => QboRecord | null,
		current?: QboRecord,
	): Promise<{ record: QboRecord; changed: boolean }> {
		for (let rereads = 0; ; rereads++) {
			const latest = current ?? (await this.read(entity, id));
			current = undefined;
			const changes = mutate(latest);
			if (!changes) return { record: latest, changed: false };
			try {
				const record = await this.update(entity, {
					...changes,
					Id: id,
					SyncToken: latest.SyncToken,
				});
				return { record, changed: true };
			} catch (error) {
				if (!rereadAfterStale(error, rereads)) throw error;
			}
		}
	}

	/** Invoices use `?operation=void`; sales receipts and payments use an update with include=void. */
	async void(entity: string, record: QboRecord): Promise<QboRecord> {
		const isInvoice = entity === 'Invoice';
		const body = await this.call('POST', entityPath(entity), {
			qs: isInvoice ? { operation: 'void' } : { operation: 'update', include: 'void' },
			body: isInvoice
				? { Id: record.Id, SyncToken: record.SyncToken }
				: { Id: record.Id, SyncToken: record.SyncToken, sparse: true },
			// Stable per document state: a repeated void of the same version is answered, not redone.
			requestId: requestIdFor('void', `${entity}:${record.Id}:${record.SyncToken}`),
		});
		return unwrap(body, entity);
	}

	async delete(entity: string, record: QboRecord): Promise<void> {
		await this.call('POST', entityPath(entity), {
			qs: { operation: 'delete' },
			body: { Id: record.Id, SyncToken: record.SyncToken },
			requestId: requestIdFor('delete', `${entity}:${record.Id}:${record.SyncToken}`),
		});
	}

	/**
	 * `attempt` names this send across retries (e.g. the n8n execution and item): a retry of a send
	 * whose answer was lost gets QuickBooks' first answer back instead of a second e-mail. A send
	 * with another `attempt` (a new execution) sends again, as the user asked.
	 */
	async sendInvoice(id: string, email?: string, attempt?: string): Promise<QboRecord> {
		const body = await this.call('POST', `invoice/${encodeURIComponent(id)}/send`, {
			qs: email ? { sendTo: email } : {},
			// QuickBooks wants an octet-stream body here, not JSON. Source: Intuit's PHP SDK
			// DataService::SendEmail (CONTENTTYPE_OCTETSTREAM); https://github.com/ruckus/quickbooks-ruby/pull/412
			headers: { 'Content-Type': 'application/octet-stream' },
			// A retried send must not e-mail the customer twice (requestid on /send: UNCERTAIN that QBO
			// honours it there as on other writes; Intuit documents it for POST requests in general).
			requestId: requestIdFor('send', attempt && `${id}:${email ?? ''}:${attempt}`),
		});
		return unwrap(body, 'Invoice');
	}

	/** One page of a query. */
	async query(spec: QuerySpec): Promise<QboRecord[]> {
		const body = await this.call('GET', 'query', { qs: { query: selectQuery(spec) } });
		const response = (body.QueryResponse ?? {}) as Record<string, unknown>;
		return (response[spec.entity] as QboRecord[] | undefined) ?? [];
	}

	/** Pages through every result (STARTPOSITION / MAXRESULTS), up to `limit` records. */
	async *queryPages(
		spec: Omit<QuerySpec, 'startPosition' | 'maxResults'>,
		options: { limit?: number; pageSize?: number; start?: number } = {},
	): AsyncGenerator<QboRecord[]> {
		const pageSize = Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
		const limit = options.limit ?? Number.POSITIVE_INFINITY;
		let start = options.start ?? 1;
		let seen = 0;
		while (seen < limit) {
			const size = Math.min(pageSize, limit - seen);
			const page = await this.query({ ...spec, startPosition: start, maxResults: size });
			if (page.length === 0) return;
			seen += page.length;
			yield page;
			if (page.length < size) return;
			start += page.length;
		}
	}

	async queryAll(
		spec: Omit<QuerySpec, 'startPosition' | 'maxResults'>,
		options: { limit?: number; pageSize?: number } = {},
	): Promise<QboRecord[]> {
		const all: QboRecord[] = [];
		for await (const page of this.queryPages(spec, options)) all.push(...page);
		return all;
	}

	async count(spec: Pick<QuerySpec, 'entity' | 'where' | 'includeInactive'>): Promise<number> {
		const body = await this.call('GET', 'query', { qs: { query: countQuery(spec) } });
		return Number((body.QueryResponse as { totalCount?: number } | undefined)?.totalCount ?? 0);
	}

	/**
	 * Change data capture: changes per entity since `since` (deleted ones with status "Deleted"),
	 * plus QuickBooks' own clock at answer time, a cursor immune to local clock skew.
	 */
	async cdc(
		entities: string[],
		since: Date,
	): Promise<{ changes: Record<string, CdcChange[]>; serverTime?: number }> {
		const body = await this.call('GET', 'cdc', {
			qs: { entities: entities.join(','), changedSince: since.toISOString() },
		});
		const result: Record<string, CdcChange[]> = Object.fromEntries(entities.map((e) => [e, []]));
		const cdcResponses =
			(body.CDCResponse as Array<{ QueryResponse?: Array<Record<string, unknown>> }>) ?? [];
		for (const response of cdcResponses) {
			for (const queryResponse of response.QueryResponse ?? []) {
				for (const entity of entities) {
					const records = queryResponse[entity] as CdcChange[] | undefined;
					if (records) result[entity].push(...records);
				}
			}
		}
		const serverTime = Date.parse(String(body.time ?? ''));
		return { changes: result, serverTime: Number.isNaN(serverTime) ? undefined : serverTime };
	}

	/**
	 * Runs operations through the batch endpoint, 30 per call. Results come back in input order;
	 * a per-item fault becomes that item's error and does not fail the others.
	 */
	async batch(operations: BatchOperation[], idempotencyKey?: string): Promise<BatchResult[]> {
		const results: BatchResult[] = [];
		for (let offset = 0; offset < operations.length; offset += BATCH_LIMIT) {
			const chunk = operations.slice(offset, offset + BATCH_LIMIT);
			// bIds are the item's index in the chunk: at most 2 characters, within Intuit's 10.
			const items = chunk.map((op, index) => batchItem(op, String(index)));
			const body = await this.call('POST', 'batch', {
				body: { BatchItemRequest: items },
				requestId: requestIdFor(
					'batch',
					idempotencyKey ? `${idempotencyKey}:${offset}` : undefined,
					BATCH_REQUEST_ID_MAX,
				),
			});
			const byId = new Map<string, Record<string, unknown>>();
			for (const item of (body.BatchItemResponse as Array<Record<string, unknown>>) ?? []) {
				byId.set(String(item.bId), item);
			}
			chunk.forEach((op, index) => results.push(batchResult(op, byId.get(String(index)))));
		}
		return results;
	}
}

function batchItem(op: BatchOperation, bId: string): Record<string, unknown> {
	if (op.operation === 'query') return { bId, Query: op.payload };
	const item: Record<string, unknown> = { bId, operation: op.operation, [op.entity]: op.payload };
	if (op.operation === 'void' && op.entity !== 'Invoice') {
		item.operation = 'update';
		item.optionsData = 'void';
	}
	return item;
}

function batchResult(op: BatchOperation, item: Record<string, unknown> | undefined): BatchResult {
	if (!item) {
		const error = new OutcomeError(
			'incomplete',
			'QuickBooks returned no answer for this batch item',
			'QuickBooks answered the batch without this item. Look the record up in QuickBooks before running the item again.',
		);
		return { ok: false, error };
	}
	if (item.Fault) {
		const error = faultFromResponse(400, undefined, { Fault: item.Fault }, 0);
		return { ok: false, error };
	}
	if (op.operation === 'query') {
		const response = (item.QueryResponse ?? {}) as Record<string, unknown>;
		const entity = Object.keys(response).find((k) => Array.isArray(response[k]));
		return { ok: true, records: entity ? (response[entity] as QboRecord[]) : [] };
	}
	return { ok: true, record: item[op.entity] as QboRecord | undefined };
}

function parseBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	const trimmed = body.trim();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		try {
			return JSON.parse(trimmed);
		} catch {
			return body;
		}
	}
	return body;
}
