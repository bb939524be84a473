/**
 * Each QuickBooks company's request budget, shared by every client on the same clock: in n8n every
 * execution of every workflow in the process (n8n.ts builds all clients on one clock). Together they
 * keep inside the company's limits instead of each finding them by 429s. Before each HTTP attempt a
 * call takes a slot, in the order calls first asked, and gives it back when the answer arrives. A
 * throttled answer holds back every call to the company (recovery R1a).
 */
import { throttleHoldMs } from '../recovery';
import type { Clock, CompanyStats, PaceLimits, Slot } from './types';

/**
 * QuickBooks' limits per company and app: 500 requests a minute (batch requests included), 10 at
 * once, 40 batch requests a minute. Sources:
 * https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles,
 * https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/batch,
 * https://blogs.intuit.com/2016/08/08/idg-concurrent-api-use-changes-coming-soon/ (10 concurrent).
 * https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles now words the
 * second one "10 requests per second": not paced as such (UNCERTAIN; 480 a minute is 8 a second on
 * average, and a 429 is waited out).
 */
export const QBO_LIMITS: PaceLimits = {
	windowMs: 60_000,
	perWindow: 500,
	batchPerWindow: 40,
	concurrent: 10,
};

/**
 * What the pacing keeps to. Our own count never passes QuickBooks' (a request counts until a window
 * after its answer, the latest QuickBooks can have counted it), but QuickBooks' window starts at its
 * own clock and holds what this process cannot see: n8n repeating a request after refreshing the
 * token, another n8n process on the same app. Hence 4-5 % under the per-minute limits. Concurrency
 * needs no margin: QuickBooks sees a request start later and end sooner than we do.
 */
export const QBO_PACE: PaceLimits = {
	windowMs: QBO_LIMITS.windowMs,
	perWindow: 480,
	batchPerWindow: 38,
	concurrent: QBO_LIMITS.concurrent,
};

/**
 * Requests of one kind within the last `ms`: those answered inside it plus those in flight, never
 * more than `limit` (so it holds at most `limit` times). A window of 0 ms counts only the requests
 * in flight: the concurrency limit.
 */
class Window {
	private readonly answeredAt: number[] = [];
	private inFlight = 0;

	constructor(
		private readonly limit: number,
		private readonly ms: number,
	) {}

	/** When a request may start: `now` if there is room, else when the oldest answer leaves (Infinity: when one in flight ends). */
	freeAt(now: number): number {
		while (this.answeredAt.length > 0 && this.answeredAt[0] <= now - this.ms)
			this.answeredAt.shift();
		if (this.answeredAt.length + this.inFlight < this.limit) return now;
		return this.answeredAt.length > 0 ? this.answeredAt[0] + this.ms : Number.POSITIVE_INFINITY;
	}

	start(): void {
		this.inFlight++;
	}

	end(now: number): void {
		this.inFlight--;
		if (this.ms > 0) this.answeredAt.push(now);
	}

	get size(): number {
		return this.answeredAt.length;
	}

	idle(now: number): boolean {
		this.freeAt(now);
		return this.inFlight === 0 && this.answeredAt.length === 0;
	}
}

interface Waiter {
	batch: boolean;
	/** When the call first asked: a retried call keeps its place. */
	since: number;
	askedAt: number;
	grant: (slot: Slot) => void;
}

export class CompanyBudget {
	readonly stats: CompanyStats = { requests: 0, throttled: 0, waitedMs: 0 };
	/** Every request counts in these; batch requests in `batches` too. */
	private readonly windows: Window[];
	private readonly batches: Window;
	private readonly queue: Waiter[] = [];
	private heldUntil = 0;
	/** Throttled episodes in a row, and when the last throttled answer came. */
	private episodes = 0;
	private lastThrottledAt = Number.NEGATIVE_INFINITY;
	/** The earliest wake-up asked of the clock, while it is pending. */
	private wakeAt?: number;

	constructor(
		private readonly clock: Clock,
		private readonly limits: PaceLimits,
	) {
		this.windows = [
			new Window(limits.perWindow, limits.windowMs),
			new Window(limits.concurrent, 0),
		];
		this.batches = new Window(limits.batchPerWindow, limits.windowMs);
	}

	/** Resolves when the call may send: FIFO by `since`, once the windows have room and no hold is on. */
	async acquire(batch: boolean, since = this.clock.now()): Promise<Slot> {
		return await new Promise<Slot>((grant) => {
			const waiter: Waiter = { batch, since, askedAt: this.clock.now(), grant };
			let index = this.queue.length;
			while (index > 0 && this.queue[index - 1].since > since) index--;
			this.queue.splice(index, 0, waiter);
			this.pump();
		});
	}

	/** What the budget holds in memory: answer times (at most the limits) and waiting calls. */
	footprint(): { answers: number; waiting: number } {
		const answers = [...this.windows, this.batches].reduce((sum, window) => sum + window.size, 0);
		return { answers, waiting: this.queue.length };
	}

	/** Nothing queued, in flight, held or answered within a window: the budget can be forgotten. */
	idle(now: number): boolean {
		return (
			this.queue.length === 0 &&
			this.heldUntil <= now &&
			this.batches.idle(now) &&
			this.windows.every((window) => window.idle(now))
		);
	}

	/** Lets waiting calls go, unless the company is held; wakes itself when the next may go. */
	private pump(): void {
		const now = this.clock.now();
		const next = this.heldUntil > now ? this.heldUntil : this.grantInOrder(now);
		if (this.queue.length > 0 && next < Number.POSITIVE_INFINITY) this.wake(next, now);
	}

	/** Grants slots in queue order as far as the windows allow; returns when one may free up next. */
	private grantInOrder(now: number): number {
		let next = Number.POSITIVE_INFINITY;
		for (let index = 0; index < this.queue.length; ) {
			const free = Math.max(...this.windows.map((window) => window.freeAt(now)));
			// No call behind can go either.
			if (free > now) return Math.min(next, free);
			const waiter = this.queue[index];
			const batchFree = waiter.batch ? this.batches.freeAt(now) : now;
			if (batchFree > now) {
				// A batch request held by the batch limit lets the ordinary calls behind it pass.
				next = Math.min(next, batchFree);
				index++;
				continue;
			}
			this.queue.splice(index, 1);
			waiter.grant(this.start(waiter, now));
		}
		return next;
	}

	/** One pending wake-up at a time, unless an earlier one is needed; extra ones only pump again. */
	private wake(at: number, now: number): void {
		if (this.wakeAt !== undefined && this.wakeAt <= at) return;
		this.wakeAt = at;
		void this.clock.sleep(at - now).then(() => {
			if (this.wakeAt === at) this.wakeAt = undefined;
			this.pump();
		});
	}

	private start(waiter: Waiter, now: number): Slot {
		const windows = waiter.batch ? [...this.windows, this.batches] : this.windows;
		for (const window of windows) window.start();
		const waitedMs = now - waiter.askedAt;
		this.stats.requests++;
		this.stats.waitedMs += waitedMs;
		let released = false;
		return {
			waitedMs,
			release: (throttled) => {
				const at = this.clock.now();
				if (!released) {
					released = true;
					for (const window of windows) window.end(at);
					if (throttled) this.throttled(now, at, throttled.retryAfterMs);
					else if (now > this.lastThrottledAt) this.episodes = 0;
					this.pump();
				}
				return Math.max(0, this.heldUntil - at);
			},
		};
	}

	/** Recovery R1a: every call to the company holds back. */
	private throttled(sentAt: number, now: number, retryAfterMs: number | undefined): void {
		this.stats.throttled++;
		// Answers to requests sent before the last throttled answer came belong to its episode.
		if (sentAt > this.lastThrottledAt) this.episodes++;
		this.lastThrottledAt = now;
		const hold = throttleHoldMs(this.episodes, retryAfterMs, this.limits.windowMs);
		this.heldUntil = Math.max(this.heldUntil, now + hold);
	}
}

interface Registry {
	budgets: Map<string, CompanyBudget>;
	sweptAt: number;
}

/** One registry per clock: clients share budgets only when they share the clock they wait on. */
const registries = new WeakMap<Clock, Registry>();

function registryOf(clock: Clock): Registry {
	let registry = registries.get(clock);
	if (!registry) {
		registry = { budgets: new Map(), sweptAt: clock.now() };
		registries.set(clock, registry);
	}
	return registry;
}

/**
 * The budget of the company at `key` (its API base URL and realm id) for clients on `clock`, made
 * with `limits` on first use. Idle companies are forgotten, looked at once a window, so memory
 * follows the companies in use.
 */
export function companyBudget(
	clock: Clock,
	key: string,
	limits: PaceLimits = QBO_PACE,
): CompanyBudget {
	const registry = registryOf(clock);
	const now = clock.now();
	if (now - registry.sweptAt >= limits.windowMs) {
		registry.sweptAt = now;
		for (const [known, budget] of registry.budgets) {
			if (budget.idle(now)) registry.budgets.delete(known);
		}
	}
	let budget = registry.budgets.get(key);
	if (!budget) {
		budget = new CompanyBudget(clock, limits);
		registry.budgets.set(key, budget);
	}
	return budget;
}

/** How many companies the budgets on `clock` remember. */
export function companiesRemembered(clock: Clock): number {
	return registries.get(clock)?.budgets.size ?? 0;
}
