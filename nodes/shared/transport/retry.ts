/** How a QuickBooks call is retried; what is retried, and how often, is decided in ../recovery.ts (R1a, R1b). */
import { QboError } from '../quickbooks/errors';
import { RETRY_POLICIES, retryKindOf } from '../recovery';
import type { Clock, RetryPolicies, RetryPolicy, Slot } from '../quickbooks/types';

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

/**
 * Runs `attempt`, each time in a slot `acquire` gives (the company's budget, ./pacing.ts), until it
 * succeeds, fails for good, or its kind of failure has spent its budget. Time bounds count from the
 * first attempt sent: waiting for the company before it is pacing, not retrying.
 */
export async function withRetry<T>(
	attempt: (attemptNumber: number) => Promise<T>,
	clock: Clock,
	acquire: () => Promise<Slot>,
	policies: RetryPolicies = RETRY_POLICIES,
): Promise<T> {
	const failures = { throttled: 0, transient: 0 };
	let firstSentAt: number | undefined;
	for (let attemptNumber = 1; ; attemptNumber++) {
		const slot = await acquire();
		firstSentAt ??= clock.now();
		let error: unknown;
		try {
			const result = await attempt(attemptNumber);
			slot.release();
			return result;
		} catch (caught) {
			error = caught;
		}
		const kind = retryKindOf(error);
		const retryAfterMs = error instanceof QboError ? error.retryAfterMs : undefined;
		const heldMs = slot.release(kind === 'throttled' ? { retryAfterMs } : undefined);
		if (!kind) throw error;
		const policy = policies[kind];
		if (++failures[kind] >= policy.maxAttempts) throw error;
		// Throttled: the company holds every call for `heldMs`, and this one waits in its queue, in
		// its first place. Otherwise it backs off on its own.
		const wait =
			kind === 'throttled'
				? heldMs
				: backoffDelay(failures[kind], policy, clock.random(), retryAfterMs);
		if (clock.now() - firstSentAt + wait > policy.maxTotalMs) throw error;
		if (kind === 'transient') await clock.sleep(wait);
	}
}
