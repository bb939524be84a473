/**
 * HighLevel's Payments and Invoices API, read side: the list calls paged to the end and the
 * get-by-id calls, within HighLevel's request limits. Pure: HTTP comes in as `send`, time as `clock`
 * (the n8n glue gives n8n's own); no n8n import.
 *
 * Sources (docs@0af86a4 = GoHighLevel/highlevel-api-docs at 0af86a4cbd48c66a4071c7e509d1079f9f10ed17):
 * - routes, query parameters and answers: `apps/payments.json` (list-transactions,
 *   get-transaction-by-id, list-orders, get-order-by-id), `apps/invoices.json` (list-invoices,
 *   get-invoice); the header `Version: 2021-07-28` is a required parameter of each;
 * - scopes: the `security` of each operation and `docs/oauth/Scopes.md`
 *   (payments/transactions.readonly: GET /payments/transactions/ and /:transactionId;
 *   payments/orders.readonly: GET /payments/orders/ and /:orderId; invoices.readonly: GET /invoices/
 *   and /:invoiceId);
 * - limits: `docs/oauth/Authorization.md` "What are current rate limits for API 2.0?": 100 requests
 *   per 10 seconds and 200,000 per day per app and location, and the headers X-RateLimit-Max,
 *   X-RateLimit-Remaining, X-RateLimit-Interval-Milliseconds, X-RateLimit-Limit-Daily,
 *   X-RateLimit-Daily-Remaining. Over a limit HighLevel answers 429 (GoHighLevel/highlevel-api-sdk
 *   lib/HighLevel.ts). UNCERTAIN: a Retry-After header (no source mentions one; honoured if sent);
 *   whether a private integration token counts as an "app" for these limits.
 */
import { isTestMode, type PulledResource } from './fromApi';

type Obj = Record<string, any>;

export const HIGHLEVEL_API_VERSION = '2021-07-28';
export const HIGHLEVEL_API_BASE_URL = 'https://services.leadconnectorhq.com';

export interface ApiRequest {
	method: 'GET';
	/** Path below the base URL, e.g. /payments/transactions. */
	path: string;
	qs: Record<string, string | number>;
}

export interface ApiResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

export type ApiSend = (request: ApiRequest) => Promise<ApiResponse>;

export interface ApiClock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

interface ResourceRoutes {
	/** The list route; `collection` holds the records, `total` their count across pages. */
	list: string;
	collection: string;
	total: string;
	/** The get route, `{id}` replaced. */
	get: string;
	scope: string;
	/** altType=location is a documented, required parameter (transactions, invoices); not for orders. */
	altType: boolean;
	/** "Transaction not found" / "Order not found" are the documented 400 descriptions. */
	noun: string;
}

/** Per resource: routes, the scope they need, where the list answer keeps records and count. */
export const RESOURCES: Record<PulledResource, ResourceRoutes> = {
	// list-transactions: altId, altType required; paymentMode, startAt, endAt, limit (default 10),
	// offset (default 0) optional; ListTxnsResponseDto {data, totalCount}.
	transaction: {
		list: '/payments/transactions',
		collection: 'data',
		total: 'totalCount',
		get: '/payments/transactions/{id}',
		scope: 'payments/transactions.readonly',
		altType: true,
		noun: 'Transaction',
	},
	// list-orders: altId required (no altType parameter is documented); the same filters;
	// ListOrdersResponseDto {data, totalCount}.
	order: {
		list: '/payments/orders',
		collection: 'data',
		total: 'totalCount',
		get: '/payments/orders/{id}',
		scope: 'payments/orders.readonly',
		altType: false,
		noun: 'Order',
	},
	// list-invoices: altId, altType (enum "location"), limit and offset required (typed string);
	// paymentMode enum default, live, test; ListInvoicesResponseDto {invoices, total}.
	invoice: {
		list: '/invoices/',
		collection: 'invoices',
		total: 'total',
		get: '/invoices/{id}',
		scope: 'invoices.readonly',
		altType: true,
		noun: 'Invoice',
	},
};

/**
 * Records asked for per page. HighLevel documents no maximum for `limit` (UNCERTAIN); paging moves
 * by the number of records received, so a server that answers fewer is still read to the end.
 */
export const PAGE_SIZE = 100;
/** A run never reads more pages than this of one list (a server that never ends its list). */
export const MAX_PAGES = 10_000;

/** HighLevel's documented burst limit (docs/oauth/Authorization.md), used until its headers say otherwise. */
export const HIGHLEVEL_LIMITS = { perInterval: 100, intervalMs: 10_000 };

/**
 * The share of the burst limit this process paces to: HighLevel counts the location's calls from
 * every client of the token (the templates' HTTP Request nodes, other runs in other processes),
 * which this process cannot see.
 */
export const PACE_SHARE = 0.9;

/** 429 answers a call takes before it stops (each waits a whole interval: about a minute in all). */
export const THROTTLED_ATTEMPTS = 6;
/** 5xx answers and dropped connections a call takes before it stops, backing off 1, 2, 4 s. */
export const TRANSIENT_ATTEMPTS = 4;

export class HighLevelApiError extends Error {
	constructor(
		message: string,
		readonly statusCode: number | undefined,
		readonly hint: string,
		readonly body?: unknown,
	) {
		super(message);
		this.name = 'HighLevelApiError';
	}
}

function header(headers: Record<string, unknown>, name: string): number | undefined {
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
	const raw = key === undefined ? undefined : headers[key];
	const value = Number(Array.isArray(raw) ? raw[0] : raw);
	return key !== undefined && Number.isFinite(value) ? value : undefined;
}

function messageOf(body: unknown): string {
	if (body && typeof body === 'object') {
		const m = (body as Obj).message;
		if (Array.isArray(m)) return m.join('; ');
		if (typeof m === 'string') return m;
	}
	return typeof body === 'string' ? body : '';
}

/**
 * One location's request budget, shared by every call of the process to that location: at most
 * `PACE_SHARE` of the burst limit within any interval, counted from each call's answer (HighLevel
 * cannot have counted a call later than that). The limit and interval follow HighLevel's headers;
 * a 429 or `X-RateLimit-Remaining: 0` holds every call for a whole interval.
 */
export class LocationBudget {
	limit = HIGHLEVEL_LIMITS.perInterval;
	intervalMs = HIGHLEVEL_LIMITS.intervalMs;
	private answeredAt: number[] = [];
	private inFlight = 0;
	private heldUntil = 0;
	/** Calls in order of asking: each waits for the ones before it. */
	private queue: Promise<void> = Promise.resolve();

	constructor(private readonly clock: ApiClock) {}

	private get pace(): number {
		return Math.max(1, Math.floor(this.limit * PACE_SHARE));
	}

	/** When a call may start (now, or later). */
	private freeAt(now: number): number {
		this.answeredAt = this.answeredAt.filter((t) => t > now - this.intervalMs);
		const at =
			this.answeredAt.length + this.inFlight < this.pace
				? now
				: (this.answeredAt[0] ?? now) + this.intervalMs;
		return Math.max(at, this.heldUntil);
	}

	/** Waits for room, then counts the call in flight; `done` must follow. */
	async acquire(): Promise<void> {
		const turn = this.queue.then(async () => {
			for (;;) {
				const now = this.clock.now();
				const at = this.freeAt(now);
				if (at <= now) break;
				await this.clock.sleep(at - now);
			}
			this.inFlight++;
		});
		this.queue = turn.catch(() => undefined);
		await turn;
	}

	/** The call's answer arrived: count it, learn the limits from the headers, hold after a 429. */
	done(response?: ApiResponse): void {
		const now = this.clock.now();
		this.inFlight = Math.max(0, this.inFlight - 1);
		this.answeredAt.push(now);
		if (!response) return;
		const max = header(response.headers, 'x-ratelimit-max');
		const interval = header(response.headers, 'x-ratelimit-interval-milliseconds');
		if (max !== undefined && max > 0) this.limit = max;
		if (interval !== undefined && interval > 0) this.intervalMs = interval;
		const remaining = header(response.headers, 'x-ratelimit-remaining');
		if (response.statusCode === 429 || remaining === 0) {
			const retryAfter = header(response.headers, 'retry-after');
			this.heldUntil = Math.max(
				this.heldUntil,
				now + Math.max(this.intervalMs, (retryAfter ?? 0) * 1000),
			);
		}
	}
}

export interface ListRange {
	/** YYYY-MM-DD, sent as `startAt` ("Starting interval of transactions", example "2024-02-01"). */
	startAt?: string;
	/** YYYY-MM-DD, sent as `endAt` ("Closing interval of transactions", example "2024-02-13"). */
	endAt?: string;
}

export interface ListOptions extends ListRange {
	/** Live records only (`paymentMode=live`), or live and test (two passes, `live` then `test`). */
	includeTest: boolean;
	/** Which records to hold on to (a long span read for a few of its records keeps memory flat). */
	keep?: (record: Obj) => boolean;
}

export interface ListResult {
	records: Obj[];
	/** Calls made (pages, in every payment mode). */
	calls: number;
	/** Records left out: test mode while only live ones were asked for. */
	testSkipped: number;
}

/** Reads one location's payments, orders and invoices. */
export class HighLevelPaymentsApi {
	calls = 0;

	constructor(
		private readonly send: ApiSend,
		private readonly clock: ApiClock,
		readonly locationId: string,
		private readonly budget: LocationBudget,
	) {}

	/** One GET, paced, with 429s waited out and server trouble retried; an error answer throws. */
	async call(resource: PulledResource, path: string, qs: ApiRequest['qs']): Promise<unknown> {
		const routes = RESOURCES[resource];
		let throttled = 0;
		let transient = 0;
		for (;;) {
			await this.budget.acquire();
			let response: ApiResponse | undefined;
			try {
				this.calls++;
				response = await this.send({ method: 'GET', path, qs });
			} catch (error) {
				this.budget.done();
				if (++transient >= TRANSIENT_ATTEMPTS)
					throw new HighLevelApiError(
						`HighLevel did not answer GET ${path}: ${(error as Error).message}`,
						undefined,
						'Check that n8n reaches HighLevel (network, proxy, the credential’s base URL), then run the node again.',
					);
				await this.clock.sleep(1000 * 2 ** (transient - 1));
				continue;
			}
			this.budget.done(response);
			const status = response.statusCode;
			if (status >= 200 && status < 300) return response.body;
			if (status === 429) {
				if (header(response.headers, 'x-ratelimit-daily-remaining') === 0)
					throw new HighLevelApiError(
						`HighLevel refused GET ${path}: the location's daily request limit is used up (429, X-RateLimit-Daily-Remaining 0)`,
						429,
						'HighLevel allows 200,000 requests a day per app and location; run the node again tomorrow or with a shorter date range.',
						response.body,
					);
				if (++throttled >= THROTTLED_ATTEMPTS)
					throw new HighLevelApiError(
						`HighLevel kept answering 429 (too many requests) to GET ${path}, ${throttled} times`,
						429,
						'Other clients of this location use up its 100 requests per 10 seconds. Run the node again later.',
						response.body,
					);
				continue; // the budget holds every call of the location for an interval
			}
			if (status >= 500) {
				if (++transient >= TRANSIENT_ATTEMPTS)
					throw new HighLevelApiError(
						`HighLevel answered ${status} to GET ${path}, ${transient} times`,
						status,
						'HighLevel has trouble of its own; run the node again later.',
						response.body,
					);
				await this.clock.sleep(1000 * 2 ** (transient - 1));
				continue;
			}
			const said = messageOf(response.body);
			if (status === 401 || status === 403) {
				// A token without the scope: 401 "The token is not authorized for this scope." (UNCERTAIN
				// wording and status, seen in third-party logs; SOURCES.md). An invalid token: 401
				// "Invalid token: access token is invalid" (common/common-schemas.json UnauthorizedDTO).
				const scopeProblem = /scope/i.test(said) || status === 403;
				throw new HighLevelApiError(
					scopeProblem
						? `HighLevel refused GET ${path}: the token lacks the scope ${routes.scope} (${status}${said ? `: ${said}` : ''})`
						: `HighLevel refused the token for GET ${path} (${status}${said ? `: ${said}` : ''}); reading ${routes.noun.toLowerCase()}s needs the scope ${routes.scope}`,
					status,
					scopeProblem
						? `In HighLevel, edit the private integration (Settings → Private Integrations) and add the scope ${routes.scope}, or create a token with it, and put the token into the HighLevel API credential.`
						: `Check the token in the HighLevel API credential (a private integration token of this location, with the scope ${routes.scope}).`,
					response.body,
				);
			}
			throw new HighLevelApiError(
				`HighLevel answered ${status} to GET ${path}${said ? `: ${said}` : ''}`,
				status,
				status === 400 || status === 404
					? `${routes.noun} not found in location ${this.locationId}, or a parameter was refused.`
					: 'Check the node’s parameters and the credential’s location ID.',
				response.body,
			);
		}
	}

	private base(resource: PulledResource): Record<string, string> {
		return {
			altId: this.locationId,
			...(RESOURCES[resource].altType ? { altType: 'location' } : {}),
		};
	}

	/** One record by id (GET …/{id}); its answer is the record (GetTxnResponseSchema, …). */
	async get(resource: PulledResource, id: string): Promise<Obj> {
		const routes = RESOURCES[resource];
		const body = (await this.call(
			resource,
			routes.get.replace('{id}', encodeURIComponent(id)),
			this.base(resource),
		)) as Obj;
		// The documented answers are the record itself; a wrapper ({transaction}, {order}, {invoice},
		// {data}) is read too (UNCERTAIN: other HighLevel endpoints wrap, e.g. GET /contacts/{id}).
		const record =
			body && typeof body === 'object' && !body._id ? (body[resource] ?? body.data ?? body) : body;
		if (!record || typeof record !== 'object' || !record._id)
			throw new HighLevelApiError(
				`HighLevel answered GET ${routes.get.replace('{id}', id)} without a ${routes.noun.toLowerCase()}`,
				200,
				'The answer had no `_id`; check the ID.',
				body,
			);
		return record;
	}

	/** One page of a list (limit/offset). */
	async page(
		resource: PulledResource,
		qs: Record<string, string | number>,
	): Promise<{ records: Obj[]; total?: number }> {
		const routes = RESOURCES[resource];
		const body = (await this.call(resource, routes.list, {
			...this.base(resource),
			...qs,
		})) as Obj;
		const records = Array.isArray(body?.[routes.collection]) ? body[routes.collection] : [];
		const total = typeof body?.[routes.total] === 'number' ? body[routes.total] : undefined;
		return { records, total };
	}

	/**
	 * Every record of the range, each once (by `_id`), following all pages. Live only: `paymentMode=live`,
	 * and test-mode records the answer still holds are left out (`liveMode` false, `markAsTest`).
	 * With test: a pass with `paymentMode=live`, then one with `paymentMode=test` (what HighLevel answers
	 * without the parameter, and what the invoice mode "default" means, is UNCERTAIN).
	 */
	async listAll(resource: PulledResource, options: ListOptions): Promise<ListResult> {
		const seen = new Set<string>();
		const records: Obj[] = [];
		let testSkipped = 0;
		const callsBefore = this.calls;
		for (const mode of options.includeTest ? ['live', 'test'] : ['live']) {
			let offset = 0;
			for (let pageNumber = 0; pageNumber < MAX_PAGES; pageNumber++) {
				const qs: Record<string, string | number> = {
					paymentMode: mode,
					limit: PAGE_SIZE,
					offset,
				};
				if (options.startAt) qs.startAt = options.startAt;
				if (options.endAt) qs.endAt = options.endAt;
				const { records: page, total } = await this.page(resource, qs);
				for (const record of page) {
					const id = typeof record?._id === 'string' ? record._id : undefined;
					if (!id || seen.has(id)) continue;
					if (!options.includeTest && isTestMode(record)) {
						testSkipped++;
						continue;
					}
					seen.add(id);
					if (!options.keep || options.keep(record)) records.push(record);
				}
				offset += page.length;
				if (page.length === 0 || (total !== undefined && offset >= total)) break;
			}
		}
		return { records, calls: this.calls - callsBefore, testSkipped };
	}
}
