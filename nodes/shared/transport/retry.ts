import { QboError } from './errors';

export interface RetryPolicy {
	/** Attempts in all, the first one included. */
	maxAttempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** No retry is started once this much time has passed since the first attempt. */
	maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxAttempts: 6,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	maxTotalMs: 120_000,
};

export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
	random(): number;
}

/** Throttling, server trouble and dropped connections are transient; validation faults are not. */
export function isRetryable(error: unknown): boolean {
	if (!(error instanceof QboError)) return false;
	if (error.kind === 'throttled' || error.kind === 'server' || error.kind === 'network') return true;
	return error.kind === 'fault' && (error.httpStatus ?? 0) >= 500;
}

/**
 * Delay before retry number `retry` (1-based): exponential backoff with full jitter, but never
 * shorter than the server's Retry-After.
 */
export function backoffDelay(
	retry: number,
	policy: RetryPolicy,
	random: number,
	retryAfterMs?: number,
): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
	const jittered = Math.round(ceiling / 2 + (random * ceiling) / 2);
	return Math.max(jittered, retryAfterMs ?? 0);
}

export interface RetryOutcome<T> {
	value: T;
	attempts: number;
}

/** Runs `attempt` until it succeeds, fails for good, or the policy's budget is spent. */
export async function withRetry<T>(
	attempt: (attemptNumber: number) => Promise<T>,
	clock: Clock,
	policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
	const started = clock.now();
	for (let attemptNumber = 1; ; attemptNumber++) {
		try {
			return await attempt(attemptNumber);
		} catch (error) {
			if (!isRetryable(error) || attemptNumber >= policy.maxAttempts) throw error;
			const delay = backoffDelay(
				attemptNumber,
				policy,
				clock.random(),
				(error as QboError).retryAfterMs,
			);
			if (clock.now() - started + delay > policy.maxTotalMs) throw error;
			await clock.sleep(delay);
		}
	}
}
