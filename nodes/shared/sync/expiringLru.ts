/**
 * A map with a size bound and an age bound: the least recently used entry goes first when it is
 * full, and an entry older than its time to live is never answered. Plain data, no timers: age is
 * checked when an entry is read, with the clock the owner passes in.
 */
export class ExpiringLru<V> {
	// A Map keeps insertion order: re-inserting on every hit makes its first key the least recently used.
	private readonly entries = new Map<string, { value: V; storedAt: number }>();

	constructor(
		readonly maxEntries: number,
		readonly ttlMs: number,
		private readonly now: () => number,
	) {}

	get size(): number {
		return this.entries.size;
	}

	get(key: string): V | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		this.entries.delete(key);
		if (this.now() - entry.storedAt >= this.ttlMs) return undefined;
		this.entries.set(key, entry);
		return entry.value;
	}

	/** `storedAt`: when the value was found, if not now (a value another process found earlier). */
	set(key: string, value: V, storedAt = this.now()): void {
		this.entries.delete(key);
		this.entries.set(key, { value, storedAt });
		while (this.entries.size > this.maxEntries) {
			this.entries.delete(this.entries.keys().next().value as string);
		}
	}

	delete(key: string): void {
		this.entries.delete(key);
	}

	/** Drops every entry whose value matches (a record known by id under several keys); returns them. */
	deleteWhere(matches: (value: V) => boolean): Array<[string, V]> {
		const dropped: Array<[string, V]> = [];
		for (const [key, entry] of this.entries) {
			if (!matches(entry.value)) continue;
			this.entries.delete(key);
			dropped.push([key, entry.value]);
		}
		return dropped;
	}

	clear(): void {
		this.entries.clear();
	}
}
