/**
 * The trigger's memory of business keys it emitted: in the workflow's static data (per node), which
 * survives a restart, and in this process, which catches deliveries arriving together. n8n builds
 * each request's workflow from the database and saves static data only after the request, so two
 * deliveries of one payment sent at the same moment both passed the static data alone (the queue
 * bench sends 200 such repeats: all 200 ran). One webhook process (or one main) takes every
 * delivery, so its memory sees them all; with several, a repeat may still pass.
 * A convenience that saves executions, not a guarantee: correctness rests on the QuickBooks writes,
 * which are idempotent on their own keys (receipt and invoice numbers carrying our marker).
 * Recovery R13 in ../recovery.ts.
 */
export interface SeenState {
	seen?: Record<string, number>;
}

export const MAX_KEYS = 2000;

/** Keys this process emitted, per workflow and node (`scope`), newest MAX_KEYS each. */
const inProcess = new Map<string, Map<string, number>>();

/**
 * Records the key; false when it was recorded before, in the static data or by this process for
 * the same `scope`. Check and record happen without a pause, so concurrent requests see each other.
 */
export function rememberKey(state: SeenState, key: string, now: number, scope = ''): boolean {
	const seen = (state.seen ??= {});
	let recent = inProcess.get(scope);
	if (!recent) inProcess.set(scope, (recent = new Map()));
	if (key in seen || recent.has(key)) return false;
	seen[key] = now;
	recent.set(key, now);
	// A Map iterates in insertion order: the first key is the oldest.
	if (recent.size > MAX_KEYS) recent.delete(recent.keys().next().value as string);
	const keys = Object.keys(seen);
	if (keys.length > MAX_KEYS) {
		keys.sort((a, b) => seen[a] - seen[b]);
		for (const old of keys.slice(0, keys.length - MAX_KEYS)) delete seen[old];
	}
	return true;
}

/** Forgets what this process remembered (tests that start a fresh process's state). */
export function forgetProcessKeys(): void {
	inProcess.clear();
}
