/**
 * Each QuickBooks company's request budget, shared by every client on the same clock: in n8n every
 * execution of every workflow in the process (n8n.ts builds all clients on one clock). Together they
 * keep inside the company's limits instead of each finding them by 429s. Before each HTTP attempt a
 * call takes a slot, in the order calls first asked, and gives it back when the answer arrives. A
 * throttled answer holds back every call to the company (recovery R1a).
 *
 * Several n8n processes (queue mode's workers) share a company through entries every one of them
 * reads (./sharedBudget.ts): a shared budget grants a slot only within the share its process took,
 * and gives the sharer its answer times.
 */
import { OutcomeError } from '../errors';
import { PACING_MAX_WAIT_MS, throttleHoldMs } from '../recovery';
import { SHARE_TIMING, SharedCompanyBudget } from './sharedBudget';
import type { Clock, CompanyStats, PaceLimits, Sharing, Slot } from '../quickbooks/types';

/**
 * QuickBooks' limits per company and app: 500 requests a minute (batch requests included), 10 at
 * once, 40 batch requests a minute. Sources:
 * https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles,
 * https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/batch,
 * https://blogs.intuit.com/2016/08/08/idg-concurrent-api-use-changes-coming-soon/ (10 concurrent).
 * https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles now words the
 * second one "10 requests per second per realm ID and app". Which of the two QuickBooks enforces
 * today is UNCERTAIN, so both are kept: at most 10 in flight and at most 10 within any second.
 */
export const QBO_LIMITS: PaceLimits = {
	windowMs: 60_000,
	perWindow: 500,
	batchPerWindow: 40,
	concurrent: 10,
	perSecond: 10,
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
	perSecond: QBO_LIMITS.perSecond,
};

/** The window `perSecond` counts over. */
const SECOND_MS = 1_000;

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

	/** The answers still inside the window at `now`, oldest first. */
	times(now: number): number[] {
		this.freeAt(now);
		return [...this.answeredAt];
	}

	get running(): number {
		return this.inFlight;
	}

	idle(now: number): boolean {
		this.freeAt(now);
		return this.inFlight === 0 && this.answeredAt.length === 0;
	}
}

/** Recovery R20: the call waited its whole bound for a place in the company's budget. */
function busyError(waitedMs: number): OutcomeError {
	return new OutcomeError(
		'busy',
		`QuickBooks Sync waited ${Math.round(waitedMs / 1000)} s for a place within the company's request limits and sent nothing`,
		"Other runs (or QuickBooks' throttling) used the company's limits all that time. Nothing was written by this call: run the item again, or send bursts through the durable template, which queues them.",
	);
}

interface Waiter {
	batch: boolean;
	/** When the call first asked: a retried call keeps its place. */
	since: number;
	askedAt: number;
	/** When it stops waiting (R20). */
	deadline: number;
	grant: (slot: Slot) => void;
	giveUp: () => void;
}

/** What a budget asks of the share it holds among other processes (./sharedBudget.ts). */
export interface Sharer {
	/** Calls wait for places, or answers came: look at the share. */
	want(): void;
}

interface Places {
	calls: number;
	/** Of `calls`, batch requests. */
	batches: number;
}

export class CompanyBudget {
	readonly stats: CompanyStats = { requests: 0, throttled: 0, waitedMs: 0 };
	/** Every request counts in these; batch requests in `batches` too. */
	private readonly windows: Window[];
	/** The per-minute window: its answers are the ones another process needs. */
	private readonly minute: Window;
	private readonly concurrent: Window;
	private readonly batches: Window;
	private readonly queue: Waiter[] = [];
	private heldUntil = 0;
	/** Throttled episodes in a row, and when the last throttled answer came. */
	private episodes = 0;
	private lastThrottledAt = Number.NEGATIVE_INFINITY;
	/** The earliest wake-up asked of the clock, while it is pending. */
	private wakeAt?: number;
	private sharer?: Sharer;
	/** Shared: places granted within the share and not used yet. */
	private credits: Places = { calls: 0, batches: 0 };
	private batchesRunning = 0;
	/** Shared: answer times the sharer has not taken yet. */
	private fresh = { answers: [] as number[], batches: [] as number[] };

	constructor(
		private readonly clock: Clock,
		private readonly limits: PaceLimits,
	) {
		this.minute = new Window(limits.perWindow, limits.windowMs);
		this.concurrent = new Window(limits.concurrent, 0);
		this.windows = [this.minute, this.concurrent];
		if (limits.perSecond) this.windows.push(new Window(limits.perSecond, SECOND_MS));
		this.batches = new Window(limits.batchPerWindow, limits.windowMs);
	}

	/**
	 * Resolves when the call may send: FIFO by `since`, once the windows have room, no hold is on and
	 * the turn is here. Rejects with `busy` after `maxWaitMs` without a place (recovery R20).
	 */
	async acquire(
		batch: boolean,
		since = this.clock.now(),
		maxWaitMs = PACING_MAX_WAIT_MS,
	): Promise<Slot> {
		return await new Promise<Slot>((grant, reject) => {
			const askedAt = this.clock.now();
			const giveUp = () => reject(busyError(maxWaitMs));
			const waiter: Waiter = {
				batch,
				since,
				askedAt,
				deadline: askedAt + maxWaitMs,
				grant,
				giveUp,
			};
			let index = this.queue.length;
			while (index > 0 && this.queue[index - 1].since > since) index--;
			this.queue.splice(index, 0, waiter);
			this.pump();
		});
	}

	/**
	 * From now on this budget sends only with places granted within the share `sharer` takes for it
	 * among the processes sharing the company. Done once, when the first call of a process that shares the company asks.
	 */
	shareWith(sharer: Sharer): void {
		if (this.sharer) return;
		this.sharer = sharer;
	}

	get shared(): boolean {
		return this.sharer !== undefined;
	}

	/** Which of the waiting calls, in order, `calls` places of which `batches` batch ones would let go. */
	plan(calls: number, batches: number): Places {
		const taken: Places = { calls: 0, batches: 0 };
		for (const waiter of this.queue) {
			if (taken.calls >= calls) break;
			if (waiter.batch) {
				// A batch request held by the batch limit lets the ordinary calls behind it pass.
				if (taken.batches >= batches) continue;
				taken.batches++;
			}
			taken.calls++;
		}
		return taken;
	}

	/** Places the share gives: waiting calls go, in order (the sharer knows of those left). */
	allow(calls: number, batches: number): void {
		this.credits.calls += calls;
		this.credits.batches += batches;
		const now = this.clock.now();
		this.expireWaiters(now);
		if (this.heldUntil <= now) this.grantInOrder(now);
	}

	/** Takes back the places not used yet (no call starts until `allow`); returns them. */
	reclaim(): Places {
		const unused = this.credits;
		this.credits = { calls: 0, batches: 0 };
		return unused;
	}

	/** What this process holds of its share: calls in flight and places not yet used. */
	get holding(): Places {
		return {
			calls: this.inFlight + this.credits.calls,
			batches: this.batchesRunning + this.credits.batches,
		};
	}

	/** Answer times since the sharer last took them. */
	takeAnswers(): { answers: number[]; batches: number[] } {
		const taken = this.fresh;
		this.fresh = { answers: [], batches: [] };
		return taken;
	}

	/** Batch requests waiting for a slot, and sent and not yet answered. */
	get batchesWaiting(): number {
		return this.queue.filter((waiter) => waiter.batch).length;
	}

	get batchesInFlight(): number {
		return this.batchesRunning;
	}

	/** Until when a throttled answer holds the company back (R1a). */
	get holdUntil(): number {
		return this.heldUntil;
	}

	/** Calls waiting for a slot. */
	get waiting(): number {
		return this.queue.length;
	}

	/** Calls sent and not yet answered. */
	get inFlight(): number {
		return this.concurrent.running;
	}

	/** What the budget holds in memory: answer times (at most the limits) and waiting calls. */
	footprint(): { answers: number; waiting: number } {
		const answers = [...this.windows, this.batches].reduce((sum, window) => sum + window.size, 0);
		return { answers, waiting: this.queue.length };
	}

	/** Nothing queued, in flight, held or answered within a window: the budget can be forgotten. */
	idle(now: number): boolean {
		return (
			!this.sharer &&
			this.queue.length === 0 &&
			this.heldUntil <= now &&
			this.batches.idle(now) &&
			this.windows.every((window) => window.idle(now))
		);
	}

	/**
	 * Lets waiting calls go, unless the company is held; wakes itself when the next may go. Shared,
	 * a call goes only with a place granted within the share; the sharer grants more when calls are left.
	 */
	private pump(): void {
		const now = this.clock.now();
		this.expireWaiters(now);
		if (this.queue.length === 0) return;
		const next = this.heldUntil > now ? this.heldUntil : this.grantInOrder(now);
		if (this.queue.length === 0) return;
		if (this.sharer) this.sharer.want();
		else this.wake(next, now);
	}

	/**
	 * Stops the calls that waited past their bound (R20). Looked at whenever the budget moves and at
	 * each look of a process waiting for its turn; no timer of its own, so that a finished call
	 * leaves no 5-minute timer keeping the process alive.
	 */
	expireWaiters(now = this.clock.now()): void {
		for (const waiter of this.queue.filter((w) => w.deadline <= now)) {
			this.queue.splice(this.queue.indexOf(waiter), 1);
			waiter.giveUp();
		}
	}

	/** Grants slots in queue order as far as the windows allow; returns when one may free up next. */
	private grantInOrder(now: number): number {
		let next = Number.POSITIVE_INFINITY;
		for (let index = 0; index < this.queue.length; ) {
			const free = Math.max(...this.windows.map((window) => window.freeAt(now)));
			// No call behind can go either.
			if (free > now) return Math.min(next, free);
			const waiter = this.queue[index];
			if (this.sharer && this.credits.calls === 0) return next;
			const batchFree = waiter.batch
				? this.sharer && this.credits.batches === 0
					? Number.POSITIVE_INFINITY
					: this.batches.freeAt(now)
				: now;
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
		if (!Number.isFinite(at)) return;
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
		if (this.sharer) {
			this.credits.calls--;
			if (waiter.batch) this.credits.batches--;
		}
		if (waiter.batch) this.batchesRunning++;
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
					if (waiter.batch) this.batchesRunning--;
					if (throttled) this.throttled(now, at, throttled.retryAfterMs);
					else if (now > this.lastThrottledAt) this.episodes = 0;
					if (this.sharer) {
						this.fresh.answers.push(at);
						if (waiter.batch) this.fresh.batches.push(at);
						this.sharer.want();
					}
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
 * with `limits` on first use, and shared with other processes from the first call that shares.
 * Idle companies are forgotten, looked at once a window, so memory follows the companies in use.
 */
export function companyBudget(
	clock: Clock,
	key: string,
	limits: PaceLimits = QBO_PACE,
	sharing?: Sharing,
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
	if (sharing && !budget.shared) {
		budget.shareWith(
			new SharedCompanyBudget(
				budget,
				sharing.store,
				clock,
				sharing.me,
				key,
				limits,
				SHARE_TIMING,
				sharing.onStoreError,
			),
		);
	}
	return budget;
}

/** How many companies the budgets on `clock` remember. */
export function companiesRemembered(clock: Clock): number {
	return registries.get(clock)?.budgets.size ?? 0;
}
