/** Polls `probe` until it gives a truthy value (returned), or throws after `ms` with `context()`. */
export async function until<T>(
	what: string,
	probe: () => Promise<T | undefined | false> | T | undefined | false,
	ms: number,
	options: { everyMs?: number; context?: () => string | Promise<string> } = {},
): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline)
			throw new Error(
				`timed out waiting for ${what}${options.context ? `\n${await options.context()}` : ''}`,
			);
		await new Promise((r) => setTimeout(r, options.everyMs ?? 500));
	}
}
