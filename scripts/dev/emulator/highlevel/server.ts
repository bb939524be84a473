/**
 * A local HighLevel (LeadConnector) API v2 for the calls the templates make: contacts upsert and
 * search, tags, conversation messages. Checks the Version header, the bearer token and its scopes,
 * applies HighLevel's 100 requests / 10 s per location limit, and records every call.
 *
 * Sources (scripts/dev/fixtures/highlevel/SOURCES.md; docs@0af86a4 = GoHighLevel/highlevel-api-docs):
 * - POST /contacts/upsert answers 200 only (new or not), body {new, contact, traceId}, scope contacts.write;
 *   `tags` "will overwrite all current tags"; every other field sent overwrites the stored one
 *   (apps/contacts.json; the overwrite of other fields per issue 11 — details UNCERTAIN).
 * - POST /contacts/{id}/tags → 201 {tags}, scope contacts.write; POST /contacts/search → 200, contacts.readonly.
 * - POST /conversations/messages → 200 {conversationId, messageId, msg, status}, scope
 *   conversations/message.write (apps/conversations.json, docs/oauth/Scopes.md).
 * - 401 {statusCode, message:"Invalid token: access token is invalid", error:"Unauthorized"} (common-schemas.json);
 *   a token without the scope → 401 "The token is not authorized for this scope." (UNCERTAIN: seen in
 *   third-party logs, not documented).
 * - 100 requests / 10 s and 200,000 / day per app per location, headers X-RateLimit-Max / -Remaining /
 *   -Interval-Milliseconds / -Limit-Daily / X-RateLimit-Daily-Remaining (docs/oauth/Authorization.md, "What are
 *   current rate limits for API 2.0?"). Over a limit: 429 "Too Many Requests - Rate limit exceeded"
 *   (GoHighLevel/highlevel-api-sdk@7224b2b lib/HighLevel.ts status messages; README "case 429: retry after
 *   delay"). The 429 body is UNCERTAIN, and so is a Retry-After header: no HighLevel source mentions one, so
 *   the emulator sends none. Calls count against the daily limit, which is not enforced (inject it).
 * - Payments and invoices, read side (docs@0af86a4 apps/payments.json, apps/invoices.json; scopes from
 *   each operation's `security` and docs/oauth/Scopes.md; SOURCES.md "Payments and invoices API"):
 *   GET /payments/transactions → {data, totalCount} of TxnResponseSchema, GET
 *   /payments/transactions/{transactionId} → GetTxnResponseSchema (payments/transactions.readonly);
 *   GET /payments/orders → {data, totalCount} of OrderResponseSchema, GET /payments/orders/{orderId} →
 *   GetOrderResponseSchema (payments/orders.readonly); GET /invoices/ → {invoices, total}, GET
 *   /invoices/{invoiceId} → GetInvoiceResponseDto (invoices.readonly). Each answers the keys of its
 *   schema only. Query: altId required everywhere, altType required for transactions and invoices
 *   (422 UnprocessableDTO when missing: wording UNCERTAIN), limit (default 10; required for invoices)
 *   and offset (default 0), paymentMode, startAt / endAt (YYYY-MM-DD). UNCERTAIN and modelled here:
 *   the days are inclusive and compared with `createdAt` (transactions, orders) and `issueDate`
 *   (invoices); paymentMode "live" keeps liveMode ≠ false and markAsTest ≠ true, "test" the others,
 *   none (or the invoices' "default") keeps all; newest `createdAt` first; no maximum `limit` unless
 *   `maxPageSize` is set; an unknown id → 400 "Transaction not found" / "Order not found" (the
 *   documented 400 descriptions), "Invoice not found" (UNCERTAIN: the invoice's 400 says "Bad Request").
 */
import { randomBytes, randomUUID } from 'crypto';
import http, { type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface Contact {
	[field: string]: unknown;
	id: string;
	locationId: string;
	email?: string;
	firstName?: string;
	lastName?: string;
	name?: string;
	phone?: string;
	companyName?: string;
	source?: string;
	tags: string[];
	dateAdded: string;
	dateUpdated: string;
}

export interface RecordedCall {
	at: number;
	method: string;
	path: string;
	status: number;
	body: any;
	/** The query string's parameters (GET routes). */
	query?: Record<string, string>;
}

export interface HighLevelEmulatorOptions {
	port?: number;
	/** The private-integration token the emulator accepts (default 'pit-emulator-token'). */
	token?: string;
	/** Scopes of `token` (default ALL_SCOPES). */
	scopes?: string[];
	/** More tokens with their scopes, e.g. { 'pit-contacts-only': ['contacts.write'] }. */
	tokens?: Record<string, string[]>;
	/** Requests per location and interval (HighLevel: 100). */
	perTenSeconds?: number;
	/** The burst limit's interval in ms (HighLevel: 10,000; X-RateLimit-Interval-Milliseconds). Tests shorten it. */
	intervalMs?: number;
	/** The most records one list page holds whatever `limit` asks (HighLevel documents none: UNCERTAIN). */
	maxPageSize?: number;
	/**
	 * Which fields the upsert's duplicate check uses, in priority order. HighLevel follows the location's
	 * "Allow Duplicate Contact" setting (apps/contacts.json); its default is UNCERTAIN. Default ['email'].
	 */
	matchBy?: Array<'email' | 'phone'>;
}

export const HIGHLEVEL_VERSION = '2021-07-28';

/** UNCERTAIN: HighLevel's 429 body is undocumented; the SDK's message for the status (see the header). */
export const RATE_LIMITED = { statusCode: 429, message: 'Too Many Requests - Rate limit exceeded' };
/** The daily limit per app per location (docs/oauth/Authorization.md). */
export const DAILY_LIMIT = 200_000;

export type Route = keyof typeof ROUTE_SCOPES;

/**
 * TEST-ONLY: HighLevel answering a status it can answer (429: a limit reached elsewhere, e.g. another
 * app's burst or the day's quota; 5xx: an outage) to authenticated calls of a route. How long a real
 * storm lasts is not published: the test scripts it.
 */
export interface HighLevelFault {
	/** Default 'POST /contacts/upsert'. */
	route?: Route;
	/** Default 429 (then with the rate-limit headers, remaining 0). */
	status?: 429 | 500 | 502 | 503;
	/** How many matching calls it answers; with `durationMs`, whichever ends first. */
	count?: number;
	/** A window that opens at the first matching call and lasts this long. */
	durationMs?: number;
}

interface ActiveFault extends HighLevelFault {
	answered: number;
	openedAt?: number;
}

/** The scope each emulated route needs (apps/contacts.json, apps/conversations.json security). */
export const ROUTE_SCOPES = {
	'POST /contacts/upsert': 'contacts.write',
	'POST /contacts/search': 'contacts.readonly',
	'POST /contacts/{contactId}/tags': 'contacts.write',
	'POST /conversations/messages': 'conversations/message.write',
	// apps/payments.json list-transactions / get-transaction-by-id; apps/invoices.json list-invoices / get-invoice.
	'GET /payments/transactions': 'payments/transactions.readonly',
	'GET /payments/transactions/{transactionId}': 'payments/transactions.readonly',
	'GET /payments/orders': 'payments/orders.readonly',
	'GET /payments/orders/{orderId}': 'payments/orders.readonly',
	'GET /invoices/': 'invoices.readonly',
	'GET /invoices/{invoiceId}': 'invoices.readonly',
} as const;

type Obj = Record<string, any>;
export type PaymentsResource = 'transaction' | 'order' | 'invoice';

/**
 * The keys each route answers: its schema's `properties` (docs@0af86a4 apps/payments.json
 * TxnResponseSchema, GetTxnResponseSchema, OrderResponseSchema, GetOrderResponseSchema). Invoices
 * are answered whole (the list's items are GetInvoiceResponseDto).
 */
export const ANSWERED_KEYS = {
	transactionList: [
		'_id',
		'altId',
		'altType',
		'contactId',
		'mergedFromContactId',
		'contactName',
		'contactEmail',
		'currency',
		'amount',
		'status',
		'liveMode',
		'entityType',
		'entityId',
		'entitySourceType',
		'entitySourceSubType',
		'entitySourceName',
		'entitySourceId',
		'entitySourceMeta',
		'subscriptionId',
		'chargeId',
		'chargeSnapshot',
		'paymentProviderType',
		'paymentProviderConnectedAccount',
		'ipAddress',
		'createdAt',
		'updatedAt',
		'amountRefunded',
		'paymentMethod',
		'fulfilledAt',
		'createdBy',
	],
	transactionGet: [
		'_id',
		'altType',
		'altId',
		'contactId',
		'contactSnapshot',
		'currency',
		'amount',
		'status',
		'liveMode',
		'createdAt',
		'updatedAt',
		'entityType',
		'entityId',
		'entitySource',
		'chargeId',
		'chargeSnapshot',
		'invoiceId',
		'subscriptionId',
		'paymentProvider',
		'ipAddress',
		'meta',
		'markAsTest',
		'isParent',
		'amountRefunded',
		'receiptId',
		'qboSynced',
		'qboResponse',
		'traceId',
		'mergedFromContactId',
		'createdBy',
	],
	orderList: [
		'_id',
		'altId',
		'altType',
		'contactId',
		'contactName',
		'contactEmail',
		'currency',
		'amount',
		'subtotal',
		'discount',
		'status',
		'liveMode',
		'totalProducts',
		'sourceType',
		'sourceName',
		'sourceId',
		'sourceMeta',
		'couponCode',
		'createdAt',
		'updatedAt',
		'sourceSubType',
		'fulfillmentStatus',
		'onetimeProducts',
		'recurringProducts',
		'createdBy',
	],
	orderGet: [
		'_id',
		'altId',
		'altType',
		'contactId',
		'currency',
		'amount',
		'status',
		'liveMode',
		'createdAt',
		'updatedAt',
		'fulfillmentStatus',
		'contactSnapshot',
		'amountSummary',
		'source',
		'items',
		'coupon',
		'trackingId',
		'fingerprint',
		'meta',
		'markAsTest',
		'traceId',
		'automaticTaxesCalculated',
		'taxCalculationProvider',
		'createdBy',
	],
} as const;

function pick(record: Obj, keys: readonly string[]): Obj {
	return Object.fromEntries(
		keys.filter((k) => k in record).map((k) => [k, structuredClone(record[k])]),
	);
}

const PAYMENTS_ROUTES: Record<
	PaymentsResource,
	{
		list: Route;
		get: Route;
		collection: string;
		total: string;
		altType: boolean;
		dateField: string;
		noun: string;
	}
> = {
	transaction: {
		list: 'GET /payments/transactions',
		get: 'GET /payments/transactions/{transactionId}',
		collection: 'data',
		total: 'totalCount',
		altType: true,
		dateField: 'createdAt',
		noun: 'Transaction',
	},
	order: {
		list: 'GET /payments/orders',
		get: 'GET /payments/orders/{orderId}',
		collection: 'data',
		total: 'totalCount',
		altType: false,
		dateField: 'createdAt',
		noun: 'Order',
	},
	invoice: {
		list: 'GET /invoices/',
		get: 'GET /invoices/{invoiceId}',
		collection: 'invoices',
		total: 'total',
		altType: true,
		dateField: 'issueDate',
		noun: 'Invoice',
	},
};
export const ALL_SCOPES: string[] = [...new Set(Object.values(ROUTE_SCOPES))];
export const SCOPE_REFUSAL = {
	statusCode: 401,
	message: 'The token is not authorized for this scope.',
};
/** UNCERTAIN: the body HighLevel answers for an unknown contact id (not in its examples). */
const CONTACT_NOT_FOUND = { statusCode: 400, message: 'Contact not found' };
export const INVALID_TOKEN = {
	statusCode: 401,
	message: 'Invalid token: access token is invalid',
	error: 'Unauthorized',
};

export class HighLevelEmulator {
	readonly contacts = new Map<string, Contact>();
	readonly messages: Array<Record<string, unknown>> = [];
	readonly calls: RecordedCall[] = [];
	/** Payments, orders and invoices by `_id` (seedPayments; the records of apiTransaction, apiOrder, apiInvoice). */
	readonly transactions = new Map<string, Obj>();
	readonly orders = new Map<string, Obj>();
	readonly invoices = new Map<string, Obj>();
	readonly token: string;
	/** token → scopes. */
	readonly tokens = new Map<string, Set<string>>();
	/** Upsert duplicate check, in priority order (see HighLevelEmulatorOptions.matchBy). */
	matchBy: Array<'email' | 'phone'>;
	private server?: http.Server;
	private windows = new Map<string, number[]>();
	private faults: ActiveFault[] = [];
	private daily = new Map<string, number>();
	url = '';

	constructor(private readonly options: HighLevelEmulatorOptions = {}) {
		this.token = options.token ?? 'pit-emulator-token';
		this.matchBy = options.matchBy ?? ['email'];
		this.tokens.set(this.token, new Set(options.scopes ?? ALL_SCOPES));
		for (const [token, scopes] of Object.entries(options.tokens ?? {}))
			this.tokens.set(token, new Set(scopes));
	}

	/** Accept another token with these scopes (a private integration created with fewer scopes, say). */
	addToken(token: string, scopes: string[]): void {
		this.tokens.set(token, new Set(scopes));
	}

	/**
	 * TEST-ONLY: puts records where HighLevel would have them (each keeps its `altId`, the location).
	 * A record with an `_id` already seeded replaces it (a later state of the same payment or invoice).
	 */
	seedPayments(seed: { transactions?: Obj[]; orders?: Obj[]; invoices?: Obj[] }): void {
		for (const t of seed.transactions ?? [])
			this.transactions.set(String(t._id), structuredClone(t));
		for (const o of seed.orders ?? []) this.orders.set(String(o._id), structuredClone(o));
		for (const i of seed.invoices ?? []) this.invoices.set(String(i._id), structuredClone(i));
	}

	private store(resource: PaymentsResource): Map<string, Obj> {
		return resource === 'transaction'
			? this.transactions
			: resource === 'order'
				? this.orders
				: this.invoices;
	}

	reset(): void {
		this.transactions.clear();
		this.orders.clear();
		this.invoices.clear();
		this.contacts.clear();
		this.messages.length = 0;
		this.calls.length = 0;
		this.windows.clear();
		this.daily.clear();
		this.faults = [];
	}

	/** Answer `status` to the next matching calls (see HighLevelFault). */
	injectFault(fault: HighLevelFault): void {
		if (fault.count === undefined && fault.durationMs === undefined)
			throw new Error('a HighLevel fault needs a count or a durationMs');
		this.faults.push({ ...fault, answered: 0 });
	}

	clearFaults(): void {
		this.faults = [];
	}

	/** When the faults injected so far stop answering (epoch ms; undefined while one is unopened or count-bound). */
	faultsEndAt(): number | undefined {
		let end = 0;
		for (const f of this.faults) {
			if (f.durationMs === undefined || f.openedAt === undefined) return undefined;
			end = Math.max(end, f.openedAt + f.durationMs);
		}
		return end;
	}

	private faultFor(route: Route, now: number): ActiveFault | undefined {
		for (const f of this.faults) {
			if ((f.route ?? 'POST /contacts/upsert') !== route) continue;
			if (f.count !== undefined && f.answered >= f.count) continue;
			if (
				f.durationMs !== undefined &&
				f.openedAt !== undefined &&
				now >= f.openedAt + f.durationMs
			)
				continue;
			f.openedAt ??= now;
			f.answered++;
			return f;
		}
		return undefined;
	}

	async start(): Promise<string> {
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((error) => this.send(res, 500, { message: String(error) }));
		});
		await new Promise<void>((resolve) =>
			this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve),
		);
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		this.server?.closeAllConnections();
		if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}

	private send(
		res: ServerResponse,
		status: number,
		body: unknown,
		headers: Record<string, string> = {},
	): void {
		res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
		res.end(JSON.stringify(body));
	}

	private findByEmail(locationId: string, email: string): Contact | undefined {
		const wanted = email.trim().toLowerCase();
		return [...this.contacts.values()].find(
			(c) => c.locationId === locationId && c.email?.toLowerCase() === wanted,
		);
	}

	private findByPhone(locationId: string, phone: string): Contact | undefined {
		const digits = (p: unknown) => String(p ?? '').replace(/\D/g, '');
		return [...this.contacts.values()].find(
			(c) => c.locationId === locationId && c.phone && digits(c.phone) === digits(phone),
		);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		if (url.pathname === '/healthz') return this.send(res, 200, { ok: true });
		if (url.pathname === '/admin/state')
			return this.send(res, 200, {
				contacts: [...this.contacts.values()],
				messages: this.messages,
				calls: this.calls,
			});
		if (url.pathname === '/admin/reset') {
			this.reset();
			return this.send(res, 200, { ok: true });
		}
		let raw = '';
		for await (const chunk of req) raw += chunk;
		if (url.pathname === '/admin/seed' && req.method === 'POST') {
			this.seedPayments(JSON.parse(raw || '{}'));
			return this.send(res, 200, { ok: true });
		}
		if (url.pathname === '/admin/faults') {
			if (req.method === 'DELETE') this.clearFaults();
			else this.injectFault(JSON.parse(raw || '{}'));
			return this.send(res, 200, { ok: true });
		}
		let body: any = {};
		try {
			body = raw ? JSON.parse(raw) : {};
		} catch {
			return this.record(
				req,
				url,
				res,
				400,
				{ statusCode: 400, message: 'Invalid JSON body' },
				raw,
			);
		}
		const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
		const scopes = auth ? this.tokens.get(auth[1]) : undefined;
		if (!scopes) return this.record(req, url, res, 401, INVALID_TOKEN, body);
		if (req.headers.version !== HIGHLEVEL_VERSION) {
			return this.record(
				req,
				url,
				res,
				400,
				{ statusCode: 400, message: `Version header must be ${HIGHLEVEL_VERSION}` },
				body,
			);
		}
		const tags = /^\/contacts\/([^/]+)\/tags$/.exec(url.pathname);
		const byId = /^\/(payments\/transactions|payments\/orders|invoices)\/([^/]+)$/.exec(
			url.pathname,
		);
		const getRoute: Route | undefined =
			req.method !== 'GET'
				? undefined
				: url.pathname === '/payments/transactions' || url.pathname === '/payments/transactions/'
					? 'GET /payments/transactions'
					: url.pathname === '/payments/orders' || url.pathname === '/payments/orders/'
						? 'GET /payments/orders'
						: url.pathname === '/invoices' || url.pathname === '/invoices/'
							? 'GET /invoices/'
							: byId?.[1] === 'payments/transactions'
								? 'GET /payments/transactions/{transactionId}'
								: byId?.[1] === 'payments/orders'
									? 'GET /payments/orders/{orderId}'
									: byId?.[1] === 'invoices'
										? 'GET /invoices/{invoiceId}'
										: undefined;
		if (getRoute) return this.payments(req, url, res, getRoute, scopes, byId?.[2]);
		const route =
			req.method === 'POST' && url.pathname === '/contacts/upsert'
				? 'POST /contacts/upsert'
				: req.method === 'POST' && url.pathname === '/contacts/search'
					? 'POST /contacts/search'
					: req.method === 'POST' && tags
						? 'POST /contacts/{contactId}/tags'
						: req.method === 'POST' && url.pathname === '/conversations/messages'
							? 'POST /conversations/messages'
							: undefined;
		if (!route)
			return this.record(req, url, res, 404, { statusCode: 404, message: 'Not found' }, body);
		if (!scopes.has(ROUTE_SCOPES[route]))
			return this.record(req, url, res, 401, SCOPE_REFUSAL, body);
		const contactIdInPath =
			tags?.[1] ?? (route === 'POST /conversations/messages' ? body.contactId : undefined);
		const locationId = String(
			body.locationId ?? this.contacts.get(contactIdInPath ?? '')?.locationId ?? 'unknown',
		);
		const fault = this.faultFor(route, Date.now());
		if (fault) {
			const status = fault.status ?? 429;
			return this.record(
				req,
				url,
				res,
				status,
				status === 429 ? RATE_LIMITED : { statusCode: status, message: 'Internal Server Error' },
				body,
				status === 429
					? { ...this.limit(locationId, false).headers, 'X-RateLimit-Remaining': '0' }
					: {},
			);
		}
		const limit = this.limit(locationId);
		if (limit.over) return this.record(req, url, res, 429, RATE_LIMITED, body, limit.headers);
		const now = new Date().toISOString();
		if (route === 'POST /contacts/upsert') {
			if (!body.locationId)
				return this.record(
					req,
					url,
					res,
					422,
					{
						statusCode: 422,
						message: ['locationId should not be empty'],
						error: 'Unprocessable Entity',
					},
					body,
					limit.headers,
				);
			if (!body.email && !body.phone)
				return this.record(
					req,
					url,
					res,
					422,
					{
						statusCode: 422,
						message: ['email or phone is required'],
						error: 'Unprocessable Entity',
					},
					body,
					limit.headers,
				);
			// Duplicate check in the location's configured order (the first field that matches wins).
			let existing: Contact | undefined;
			for (const field of this.matchBy) {
				existing ??=
					field === 'email'
						? body.email
							? this.findByEmail(body.locationId, body.email)
							: undefined
						: body.phone
							? this.findByPhone(body.locationId, body.phone)
							: undefined;
			}
			const contact: Contact = existing ?? {
				id: randomBytes(10).toString('hex'),
				locationId: body.locationId,
				tags: [],
				dateAdded: now,
				dateUpdated: now,
			};
			// Every field sent overwrites the stored one; `tags` replaces all tags (documented).
			for (const [field, value] of Object.entries(body)) {
				if (field === 'locationId' || value === undefined) continue;
				contact[field] =
					field === 'email' && typeof value === 'string'
						? value.trim().toLowerCase()
						: field === 'tags'
							? [...new Set(value as string[])]
							: value;
			}
			contact.dateUpdated = now;
			if (!existing) this.contacts.set(contact.id, contact);
			return this.record(
				req,
				url,
				res,
				200,
				{ new: !existing, contact, traceId: randomUUID() },
				body,
				limit.headers,
			);
		}
		if (route === 'POST /contacts/search') {
			const email = String(
				body.query ?? body.filters?.find?.((f: any) => f.field === 'email')?.value ?? '',
			);
			const found = [...this.contacts.values()].filter(
				(c) => c.locationId === body.locationId && (!email || c.email === email.toLowerCase()),
			);
			return this.record(
				req,
				url,
				res,
				200,
				{ contacts: found, total: found.length },
				body,
				limit.headers,
			);
		}
		if (route === 'POST /contacts/{contactId}/tags') {
			const contact = this.contacts.get(tags![1]);
			if (!contact) return this.record(req, url, res, 400, CONTACT_NOT_FOUND, body, limit.headers);
			contact.tags = [...new Set([...contact.tags, ...(body.tags ?? [])])];
			return this.record(req, url, res, 201, { tags: contact.tags }, body, limit.headers);
		}
		// POST /conversations/messages
		if (!this.contacts.get(body.contactId))
			return this.record(req, url, res, 400, CONTACT_NOT_FOUND, body, limit.headers);
		const message = {
			...body,
			messageId: randomBytes(10).toString('hex'),
			conversationId: randomBytes(10).toString('hex'),
		};
		this.messages.push(message);
		return this.record(
			req,
			url,
			res,
			200,
			{
				conversationId: message.conversationId,
				messageId: message.messageId,
				...(body.type === 'Email' ? { emailMessageId: randomBytes(10).toString('hex') } : {}),
				msg: 'Message queued successfully.',
				status: 'pending',
			},
			body,
			limit.headers,
		);
	}

	/** The read side of payments and invoices (see the header for each rule's source). */
	private payments(
		req: IncomingMessage,
		url: URL,
		res: ServerResponse,
		route: Route,
		scopes: Set<string>,
		id: string | undefined,
	): void {
		const q = Object.fromEntries(url.searchParams);
		if (!scopes.has(ROUTE_SCOPES[route])) return this.record(req, url, res, 401, SCOPE_REFUSAL, {});
		const resource = (Object.keys(PAYMENTS_ROUTES) as PaymentsResource[]).find(
			(r) => PAYMENTS_ROUTES[r].list === route || PAYMENTS_ROUTES[r].get === route,
		)!;
		const spec = PAYMENTS_ROUTES[resource];
		const locationId = q.altId ?? 'unknown';
		const fault = this.faultFor(route, Date.now());
		if (fault) {
			const status = fault.status ?? 429;
			return this.record(
				req,
				url,
				res,
				status,
				status === 429 ? RATE_LIMITED : { statusCode: status, message: 'Internal Server Error' },
				{},
				status === 429
					? { ...this.limit(locationId, false).headers, 'X-RateLimit-Remaining': '0' }
					: {},
			);
		}
		const limit = this.limit(locationId);
		if (limit.over) return this.record(req, url, res, 429, RATE_LIMITED, {}, limit.headers);
		const isList = route === spec.list;
		const missing = [
			...(q.altId ? [] : ['altId']),
			...(spec.altType && !q.altType ? ['altType'] : []),
			...(resource === 'invoice' && isList && q.limit === undefined ? ['limit'] : []),
			...(resource === 'invoice' && isList && q.offset === undefined ? ['offset'] : []),
		];
		if (missing.length)
			return this.record(
				req,
				url,
				res,
				422,
				{
					statusCode: 422,
					message: missing.map((m) => `${m} should not be empty`),
					error: 'Unprocessable Entity',
				},
				{},
				limit.headers,
			);
		const answer = (record: Obj): Obj =>
			resource === 'invoice'
				? structuredClone(record)
				: pick(
						record,
						ANSWERED_KEYS[`${resource}${isList ? 'List' : 'Get'}` as keyof typeof ANSWERED_KEYS],
					);
		const store = this.store(resource);
		if (!isList) {
			const record = store.get(decodeURIComponent(id ?? ''));
			if (!record || record.altId !== q.altId)
				return this.record(
					req,
					url,
					res,
					400,
					{ statusCode: 400, message: `${spec.noun} not found` },
					{},
					limit.headers,
				);
			return this.record(req, url, res, 200, answer(record), {}, limit.headers);
		}
		const day = (value: unknown) => (typeof value === 'string' ? value.slice(0, 10) : '');
		const isTest = (r: Obj) => r.liveMode === false || r.markAsTest === true;
		const found = [...store.values()]
			.filter((r) => r.altId === q.altId)
			.filter((r) => !q.startAt || day(r[spec.dateField]) >= q.startAt)
			.filter((r) => !q.endAt || day(r[spec.dateField]) <= q.endAt)
			.filter((r) =>
				q.paymentMode === 'live' ? !isTest(r) : q.paymentMode === 'test' ? isTest(r) : true,
			)
			.filter(
				(r) =>
					!q.search ||
					JSON.stringify([r._id, r.name, r.contactName, r.contactEmail, r.contactDetails])
						.toLowerCase()
						.includes(q.search.toLowerCase()),
			)
			.sort(
				(a, b) =>
					String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? '')) ||
					String(a._id).localeCompare(String(b._id)),
			);
		const offset = Math.max(0, Number(q.offset ?? 0) || 0);
		const asked = Math.max(0, Number(q.limit ?? 10) || 0);
		const size = Math.min(asked, this.options.maxPageSize ?? asked);
		return this.record(
			req,
			url,
			res,
			200,
			{
				[spec.collection]: found.slice(offset, offset + size).map(answer),
				[spec.total]: found.length,
			},
			{},
			limit.headers,
		);
	}

	private limit(
		locationId: string,
		count = true,
	): { over: boolean; headers: Record<string, string> } {
		const now = Date.now();
		const max = this.options.perTenSeconds ?? 100;
		const intervalMs = this.options.intervalMs ?? 10_000;
		const window = (this.windows.get(locationId) ?? []).filter((t) => t > now - intervalMs);
		const over = window.length >= max;
		if (!over && count) window.push(now);
		// Counted, never enforced: a day's quota is injected (injectFault) rather than spent.
		const day = (this.daily.get(locationId) ?? 0) + (!over && count ? 1 : 0);
		this.daily.set(locationId, day);
		this.windows.set(locationId, window);
		return {
			over,
			headers: {
				'X-RateLimit-Max': String(max),
				'X-RateLimit-Remaining': String(Math.max(0, max - window.length)),
				'X-RateLimit-Interval-Milliseconds': String(intervalMs),
				'X-RateLimit-Limit-Daily': String(DAILY_LIMIT),
				'X-RateLimit-Daily-Remaining': String(Math.max(0, DAILY_LIMIT - day)),
			},
		};
	}

	private record(
		req: IncomingMessage,
		url: URL,
		res: ServerResponse,
		status: number,
		response: unknown,
		body: unknown,
		headers: Record<string, string> = {},
	): void {
		this.calls.push({
			at: Date.now(),
			method: req.method ?? 'GET',
			path: url.pathname,
			status,
			body,
			...(req.method === 'GET' ? { query: Object.fromEntries(url.searchParams) } : {}),
		});
		this.send(res, status, response, headers);
	}
}

export async function startHighLevelEmulator(
	options: HighLevelEmulatorOptions = {},
): Promise<HighLevelEmulator> {
	const emulator = new HighLevelEmulator(options);
	await emulator.start();
	return emulator;
}
