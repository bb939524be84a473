/** What goes over the wire to QuickBooks and back, batch and CDC results, the retry and pacing budgets: the types every QuickBooks layer shares (no code). */
import type { QboRecord } from '../types';
import type { QboError } from './errors';
import type { OutcomeError } from '../errors';

export interface HttpRequest {
	method: 'GET' | 'POST';
	url: string;
	qs: Record<string, string | number>;
	body?: unknown;
	/** Extra request headers (e.g. the octet-stream content type of invoice send). */
	headers?: Record<string, string>;
	timeoutMs: number;
}

export interface HttpResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

/** Sends one HTTP request. Resolves for every status; rejects only for network-level failures. */
export type Send = (request: HttpRequest) => Promise<HttpResponse>;

export interface RetryPolicy {
	/** Attempts in all, the first one included. */
	maxAttempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** No retry is started once this much time has passed since the first attempt. */
	maxTotalMs: number;
}

/** The retry budget of each kind of failure (recovery R1a, R1b). */
export interface RetryPolicies {
	throttled: RetryPolicy;
	transient: RetryPolicy;
}

/** What the pacing keeps a company's calls within (../transport/pacing.ts). */
export interface PaceLimits {
	/** The window the two per-window limits are counted over. */
	windowMs: number;
	/** Requests per window, batch requests included. */
	perWindow: number;
	batchPerWindow: number;
	/** Requests in flight at once. */
	concurrent: number;
	/** Requests per second (a window of 1 s counted like the others); absent: not paced per second. */
	perSecond?: number;
}

/**
 * One n8n process's entry in a company's shared budget (../transport/sharedBudget.ts): the share of
 * the company's limits it holds until `leaseUntil`, and what it has sent. Only that process writes
 * it. Times are epoch ms.
 */
export interface ShareEntry {
	/** The process. */
	me: string;
	/** Until when the share holds; after it the process sends nothing without a new one. */
	leaseUntil: number;
	/** Requests it may have in flight, at most (never less than it had in flight when written). */
	concurrent: number;
	/** Requests it may count within any second (answers of the last second and in flight). */
	perSecond: number;
	/**
	 * Requests it may still start during the lease and those in flight when written (they count in
	 * the minute window until they are answers), and of them batch requests.
	 */
	calls: number;
	batches: number;
	/** When its requests inside the minute window were answered, and its batch requests. */
	answers: number[];
	batchAnswers: number[];
	/** It has batch requests to send: the batch limit is shared among those that do. */
	wantsBatches: boolean;
	/**
	 * It is taking its first share and may have seen no other process: the others take nothing
	 * until it has written what it took.
	 */
	pending?: boolean;
	/** No process starts a request before this (a throttled answer's hold, recovery R1a). */
	heldUntil: number;
}

/** Where the processes keep their entries: one row per process and company. */
export interface BudgetStore {
	/** Every process's entry for the company. */
	entries(company: string): Promise<ShareEntry[]>;
	/** Writes this process's entry (no other process writes it: no compare-and-set needed). */
	put(company: string, entry: ShareEntry): Promise<void>;
}

/** What a shared look-up remembers: customers by e-mail, items by name, the company's preferences. */
export type LookupKind = 'customer' | 'item' | 'preferences';

/**
 * Look-ups every n8n process of an install shares (../transport/lookupTable.ts), so a customer one
 * worker found is not asked of QuickBooks again by the next worker (../sync/sharedLookups.ts).
 */
export interface LookupStore {
	/** The newest value stored for the key no longer ago than `maxAgeMs` (JSON text), and when (ms). */
	get(
		company: string,
		kind: LookupKind,
		key: string,
		maxAgeMs: number,
	): Promise<{ value: string; storedAt: number } | undefined>;
	put(
		company: string,
		kind: LookupKind,
		key: string,
		recordId: string,
		value: string,
	): Promise<void>;
	/** Every key that stood for this record goes (QuickBooks refused or renamed it). */
	forget(company: string, kind: LookupKind, recordId: string): Promise<void>;
}

/** How a process shares companies with the other n8n processes (../transport/sharedBudget.ts). */
export interface Sharing {
	store: BudgetStore;
	/** Look-ups shared with the other processes; without it each process looks up alone. */
	lookups?: LookupStore;
	/** This process, among those sharing. */
	me: string;
	onStoreError?: (error: unknown) => void;
}

/** One HTTP attempt's place in its company's budget (../transport/pacing.ts). */
export interface Slot {
	/** How long the attempt waited for its place. */
	readonly waitedMs: number;
	/**
	 * The answer arrived, or none will. `throttled` when QuickBooks refused for the company's limits:
	 * the company then holds back. Returns how long the company takes no calls from now (ms).
	 */
	release(throttled?: { retryAfterMs?: number }): number;
}

/** A company's budget in this process: every client's calls to it together. */
export interface CompanyStats {
	/** HTTP requests the budget let through. */
	requests: number;
	/** Answers refused for the company's limits (429 / fault 3001). */
	throttled: number;
	/** Time the calls waited for the budget, added up. */
	waitedMs: number;
}

export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
	random(): number;
}

export interface QboClientConfig {
	baseUrl: string;
	realmId: string;
	minorVersion?: number;
	timeoutMs?: number;
	retry?: Partial<RetryPolicies>;
	/** QuickBooks' limits (less a margin) unless given: tests pace to an emulator's smaller ones. */
	pace?: PaceLimits;
	/** Other n8n processes call the same companies: share their budgets (../transport/sharedBudget.ts). */
	sharing?: Sharing;
}

export interface BatchOperation {
	entity: string;
	operation: 'create' | 'update' | 'delete' | 'void' | 'query';
	/** The entity body, or the query text for `query`. */
	payload: QboRecord | string;
}

/** One batch item's answer: its record(s), its own Fault, or no answer at all (an OutcomeError). */
export type BatchResult =
	| { ok: true; record?: QboRecord; records?: QboRecord[] }
	| { ok: false; error: QboError | OutcomeError };

export interface CdcChange extends QboRecord {
	status?: string;
}

export interface ClientStats {
	/** HTTP requests sent, retries included. */
	requests: number;
	retries: number;
	/** Answers refused for the company's limits (429 / fault 3001). */
	throttled: number;
	/** Time this client's calls waited for the company's budget. */
	waitedMs: number;
	/** The company's budget: the figures of every client in the process that calls it. */
	company: CompanyStats;
}
