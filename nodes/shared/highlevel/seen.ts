/**
 * The trigger's memory of business keys it emitted, kept in the workflow's static data (per node).
 * A convenience that saves executions for repeated deliveries, not a guarantee: two deliveries
 * arriving together may both pass, and n8n saves static data only after the request. Correctness
 * rests on the QuickBooks writes, which are idempotent on their own keys (receipt and invoice
 * numbers carrying our marker). Recovery R13 in ../recovery.ts.
 */
export interface SeenState {
	seen?: Record<string, number>;
}

export const MAX_KEYS = 2000;

/** Records the key; false when it was recorded before. Keeps the newest MAX_KEYS keys. */
export function rememberKey(state: SeenState, key: string, now: number): boolean {
	const seen = (state.seen ??= {});
	if (key in seen) return false;
	seen[key] = now;
	const keys = Object.keys(seen);
	if (keys.length > MAX_KEYS) {
		keys.sort((a, b) => seen[a] - seen[b]);
		for (const old of keys.slice(0, keys.length - MAX_KEYS)) delete seen[old];
	}
	return true;
}
