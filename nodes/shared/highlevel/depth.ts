/**
 * How deep a parsed JSON value nests, counted without recursion: JSON.parse takes any depth, but
 * n8n copies and serializes execution data recursively, and a body 10,000 levels deep overflows
 * the stack there. HighLevel's bodies nest a few levels (invoiceItems[].taxes[]).
 */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests deeper than `max` objects/arrays. Stops at the first level past `max`. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
	const stack: Array<[unknown, number]> = [[value, 0]];
	while (stack.length) {
		const [current, depth] = stack.pop()!;
		if (!current || typeof current !== 'object') continue;
		if (depth + 1 > max) return true;
		for (const child of Object.values(current)) stack.push([child, depth + 1]);
	}
	return false;
}
