/**
 * A local HighLevel (LeadConnector) API v2 for the calls the templates make: contacts upsert and
 * search, tags, conversation messages. Checks the Version header and the bearer token, applies
 * HighLevel's 100 requests / 10 s per location limit, and records every call.
 */
import { randomBytes } from 'crypto';
import http, { type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface Contact {
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
}

export interface HighLevelEmulatorOptions {
	port?: number;
	token?: string;
	perTenSeconds?: number;
}

export const HIGHLEVEL_VERSION = '2021-07-28';

export class HighLevelEmulator {
	readonly contacts = new Map<string, Contact>();
	readonly messages: Array<Record<string, unknown>> = [];
	readonly calls: RecordedCall[] = [];
	readonly token: string;
	private server?: http.Server;
	private windows = new Map<string, number[]>();
	url = '';

	constructor(private readonly options: HighLevelEmulatorOptions = {}) {
		this.token = options.token ?? 'pit-emulator-token';
	}

	reset(): void {
		this.contacts.clear();
		this.messages.length = 0;
		this.calls.length = 0;
		this.windows.clear();
	}

	async start(): Promise<string> {
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((error) => this.send(res, 500, { message: String(error) }));
		});
		await new Promise<void>((resolve) => this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		this.server?.closeAllConnections();
		if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}

	private send(res: ServerResponse, status: number, body: unknown): void {
		res.writeHead(status, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(body));
	}

	private findByEmail(locationId: string, email: string): Contact | undefined {
		const wanted = email.trim().toLowerCase();
		return [...this.contacts.values()].find((c) => c.locationId === locationId && c.email?.toLowerCase() === wanted);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		if (url.pathname === '/healthz') return this.send(res, 200, { ok: true });
		if (url.pathname === '/admin/state') return this.send(res, 200, { contacts: [...this.contacts.values()], messages: this.messages, calls: this.calls });
		if (url.pathname === '/admin/reset') {
			this.reset();
			return this.send(res, 200, { ok: true });
		}
		let raw = '';
		for await (const chunk of req) raw += chunk;
		let body: any = {};
		try {
			body = raw ? JSON.parse(raw) : {};
		} catch {
			return this.record(req, url, res, 400, { statusCode: 400, message: 'Invalid JSON body' }, raw);
		}
		if (req.headers.authorization !== `Bearer ${this.token}`) {
			return this.record(req, url, res, 401, { statusCode: 401, message: 'Invalid JWT' }, body);
		}
		if (req.headers.version !== HIGHLEVEL_VERSION) {
			return this.record(req, url, res, 400, { statusCode: 400, message: `Version header must be ${HIGHLEVEL_VERSION}` }, body);
		}
		const locationId = String(body.locationId ?? this.contacts.get(url.pathname.split('/')[2] ?? '')?.locationId ?? 'unknown');
		if (this.limited(locationId)) {
			return this.record(req, url, res, 429, { statusCode: 429, message: 'Too many requests' }, body);
		}
		const now = new Date().toISOString();
		if (req.method === 'POST' && url.pathname === '/contacts/upsert') {
			if (!body.locationId) return this.record(req, url, res, 422, { statusCode: 422, message: ['locationId should not be empty'] }, body);
			if (!body.email && !body.phone) return this.record(req, url, res, 422, { statusCode: 422, message: ['email or phone is required'] }, body);
			const existing = body.email ? this.findByEmail(body.locationId, body.email) : undefined;
			const fields = ['firstName', 'lastName', 'name', 'phone', 'companyName', 'source'] as const;
			if (existing) {
				for (const f of fields) if (body[f] !== undefined) (existing as any)[f] = body[f];
				existing.tags = [...new Set([...existing.tags, ...(body.tags ?? [])])];
				existing.dateUpdated = now;
				return this.record(req, url, res, 200, { new: false, contact: existing }, body);
			}
			const contact: Contact = { id: randomBytes(10).toString('hex'), locationId: body.locationId, email: body.email?.trim().toLowerCase(), tags: body.tags ?? [], dateAdded: now, dateUpdated: now };
			for (const f of fields) if (body[f] !== undefined) (contact as any)[f] = body[f];
			this.contacts.set(contact.id, contact);
			return this.record(req, url, res, 201, { new: true, contact }, body);
		}
		if (req.method === 'POST' && url.pathname === '/contacts/search') {
			const email = String(body.query ?? body.filters?.find?.((f: any) => f.field === 'email')?.value ?? '');
			const found = [...this.contacts.values()].filter((c) => c.locationId === body.locationId && (!email || c.email === email.toLowerCase()));
			return this.record(req, url, res, 200, { contacts: found, total: found.length }, body);
		}
		const tags = /^\/contacts\/([^/]+)\/tags$/.exec(url.pathname);
		if (req.method === 'POST' && tags) {
			const contact = this.contacts.get(tags[1]);
			if (!contact) return this.record(req, url, res, 400, { statusCode: 400, message: 'Contact not found' }, body);
			contact.tags = [...new Set([...contact.tags, ...(body.tags ?? [])])];
			return this.record(req, url, res, 201, { tags: contact.tags }, body);
		}
		if (req.method === 'POST' && url.pathname === '/conversations/messages') {
			if (!this.contacts.get(body.contactId)) return this.record(req, url, res, 400, { statusCode: 400, message: 'Contact not found' }, body);
			const message = { ...body, messageId: randomBytes(8).toString('hex'), conversationId: randomBytes(8).toString('hex') };
			this.messages.push(message);
			return this.record(req, url, res, 201, { messageId: message.messageId, conversationId: message.conversationId, msg: 'Message queued' }, body);
		}
		return this.record(req, url, res, 404, { statusCode: 404, message: 'Not found' }, body);
	}

	private limited(locationId: string): boolean {
		const now = Date.now();
		const window = (this.windows.get(locationId) ?? []).filter((t) => t > now - 10_000);
		const over = window.length >= (this.options.perTenSeconds ?? 100);
		if (!over) window.push(now);
		this.windows.set(locationId, window);
		return over;
	}

	private record(req: IncomingMessage, url: URL, res: ServerResponse, status: number, response: unknown, body: unknown): void {
		this.calls.push({ at: Date.now(), method: req.method ?? 'GET', path: url.pathname, status, body });
		this.send(res, status, response);
	}
}

export async function startHighLevelEmulator(options: HighLevelEmulatorOptions = {}): Promise<HighLevelEmulator> {
	const emulator = new HighLevelEmulator(options);
	await emulator.start();
	return emulator;
}
