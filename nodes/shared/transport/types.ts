/** The transport's own types: what goes over the wire, batch and CDC results, the retry budget. */
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
	retry?: RetryPolicy;
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
}
