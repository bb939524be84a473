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
 * One company's budget as every n8n process sharing it sees it (../transport/sharedBudget.ts): each
 * request is in it from the moment a process takes its place until a window after its answer,
 * first among the process's `taken`, then as an answer time. Times are epoch ms.
 */
export interface BudgetRow {
	/** Bumped by every write: the compare-and-set key. */
	version: number;
	/** When requests inside the minute window were answered, every process's. */
	answers: number[];
	/** The same for batch requests. */
	batches: number[];
	/** No process starts a request before this (a throttled answer's hold, recovery R1a). */
	heldUntil: number;
	/** Places each process has taken and not yet written back as answers, and until when its entry counts. */
	taken: Record<string, TakenPlaces>;
	/** Processes waiting for room, and until when their wish holds. */
	wants: Record<string, number>;
}

export interface TakenPlaces {
	calls: number;
	/** Of `calls`, batch requests. */
	batches: number;
	until: number;
}

/** The shared rows of the budgets, one per company. */
export interface BudgetStore {
	read(company: string): Promise<BudgetRow | undefined>;
	/** Writes `next` only if the row is still at `version` (0: there is no row yet); whether it did. */
	write(company: string, version: number, next: Omit<BudgetRow, 'version'>): Promise<boolean>;
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
