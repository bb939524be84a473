/** How a QuickBooks call is retried; what is retried, and how often, is decided in ../recovery.ts (R1). */
import type { QboError } from './errors';
import { HTTP_RETRY, isTransient } from '../recovery';
import type { Clock, RetryPolicy } from './types';

/**
 * Delay before retry number `retry` (1-based): exponential backoff with equal jitter (half of the
 * step fixed, half random), but never shorter than the server's Retry-After.
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

/** Runs `attempt` until it succeeds, fails for good, or the policy's budget is spent. */
export async function withRetry<T>(
	attempt: (attemptNumber: number) => Promise<T>,
	clock: Clock,
	policy: RetryPolicy = HTTP_RETRY,
): Promise<T> {
	const started = clock.now();
	for (let attemptNumber = 1; ; attemptNumber++) {
		try {
			return await attempt(attemptNumber);
		} catch (error) {
			if (!isTransient(error) || attemptNumber >= policy.maxAttempts) throw error;
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
