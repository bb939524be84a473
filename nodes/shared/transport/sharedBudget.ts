/**
 * One QuickBooks company, several n8n processes (queue mode's workers): one budget in a shared row.
 * A process takes places in it before it sends, for the calls it has waiting, by compare-and-set on
 * the row's version; each request stays in the row from then until a window after its answer (first
 * among the process's `taken`, then as an answer time). So all processes together stay inside the
 * company's limits, per minute, per second and in flight, whatever their number; they send side by
 * side rather than in turns, so more processes never do less than one; and a throttled answer holds
 * every process, not only the one that got it.
 *
 * The row lives in n8n's database through a Data Table (./budgetTable.ts). A process that dies
 * stops renewing its entry; what it had taken stops counting `leaseMs` after its last write.
 */
import type { CompanyBudget, Sharer } from './pacing';
import type { BudgetRow, BudgetStore, Clock, PaceLimits, TakenPlaces } from '../quickbooks/types';

export interface ShareTiming {
	/** How long a process's entry counts unless written again. */
	leaseMs: number;
	/** How often a process with calls waiting and no room looks again. */
	pollMs: number;
	/**
	 * How often a process with calls in flight writes back its answers, when it does not know of
	 * others waiting (when it does, at each answer).
	 */
	publishMs: number;
	/** How far apart the processes waiting look at room freeing at one known time. */
	turnMs: number;
}

/**
 * A look every 200 ms for room among the processes waiting (each every 200 ms x their number),
 * answers written back at least as often: a place freed in one process is seen by another within
 * about 0.4 s, a sixth of the company's per-minute pace.
 */
export const SHARE_TIMING: ShareTiming = {
	leaseMs: 8_000,
	pollMs: 200,
	publishMs: 200,
	turnMs: 30,
};

const SECOND_MS = 1_000;

const EMPTY: Omit<BudgetRow, 'version'> = {
	answers: [],
	batches: [],
	heldUntil: 0,
	taken: {},
	wants: {},
};

/** What the sharing of one company looks like from this process, for tests and figures. */
export interface ShareStats {
	writes: number;
	/** Writes that lost the compare-and-set to another process's. */
	conflicts: number;
	storeErrors: number;
}

/**
 * The room the row leaves at `now` for more requests of this process, already holding `mine`:
 * within each limit, and within a fair share of the places in flight when others want them too.
 */
export function roomIn(
	row: Omit<BudgetRow, 'version'>,
	me: string,
	mine: { calls: number; batches: number },
	limits: PaceLimits,
	now: number,
): { calls: number; batches: number; freesAt: number } {
	if (row.heldUntil > now) return { calls: 0, batches: 0, freesAt: row.heldUntil };
	const others = Object.entries(row.taken).filter(([id, t]) => id !== me && t.until > now);
	const othersCalls = others.reduce((sum, [, t]) => sum + t.calls, 0);
	const othersBatches = others.reduce((sum, [, t]) => sum + t.batches, 0);
	const inWindow = row.answers.filter((at) => at > now - limits.windowMs);
	const batchesInWindow = row.batches.filter((at) => at > now - limits.windowMs);
	const lastSecond = row.answers.filter((at) => at > now - SECOND_MS);
	const taken = othersCalls + mine.calls;
	const active = new Set([
		me,
		...others.filter(([, t]) => t.calls > 0).map(([id]) => id),
		...Object.keys(row.wants).filter((id) => row.wants[id] > now),
	]).size;
	const rooms = [
		limits.perWindow - inWindow.length - taken,
		limits.concurrent - taken,
		Math.ceil(limits.concurrent / active) - mine.calls,
	];
	let freesAt = Number.POSITIVE_INFINITY;
	if (limits.perWindow - inWindow.length - taken <= 0 && inWindow.length > 0)
		freesAt = Math.min(...inWindow) + limits.windowMs;
	if (limits.perSecond) {
		rooms.push(limits.perSecond - lastSecond.length - taken);
		if (limits.perSecond - lastSecond.length - taken <= 0 && lastSecond.length > 0)
			freesAt = Math.min(freesAt, Math.min(...lastSecond) + SECOND_MS);
	}
	const batchRoom = limits.batchPerWindow - batchesInWindow.length - othersBatches - mine.batches;
	return {
		calls: Math.max(0, Math.min(...rooms)),
		batches: Math.max(0, batchRoom),
		freesAt,
	};
}

export class SharedCompanyBudget implements Sharer {
	readonly stats: ShareStats = { writes: 0, conflicts: 0, storeErrors: 0 };
	private running = false;
	/** Something happened since the loop last looked: do not rest. */
	private poked = false;
	/** The row as this process last read or wrote it (undefined: read it first). */
	private row?: BudgetRow;
	/**
	 * The row may be behind: a look on the timer reads it again. One poked by this process's own
	 * answer or call, while no other process is in the row, tries it as it is (a write on a row that
	 * moved on fails its compare-and-set, and the row is read then): a read saved per call.
	 */
	private stale = false;
	/** When this process last wrote the row. */
	private wroteAt = Number.NEGATIVE_INFINITY;
	private nudge?: () => void;

	constructor(
		private readonly budget: CompanyBudget,
		private readonly store: BudgetStore,
		private readonly clock: Clock,
		private readonly me: string,
		private readonly company: string,
		private readonly limits: PaceLimits,
		private readonly timing: ShareTiming = SHARE_TIMING,
		private readonly onStoreError: (error: unknown) => void = () => undefined,
	) {}

	/** Calls wait, or an answer came: look at the row now. */
	want(): void {
		this.poked = true;
		if (this.running) {
			this.nudge?.();
			return;
		}
		this.running = true;
		void this.loop().finally(() => {
			this.running = false;
			if (this.busy()) this.want();
		});
	}

	/** Runs while this process has calls waiting, in flight, or places and wishes in the row. */
	private async loop(): Promise<void> {
		while (this.busy()) {
			const poked = this.poked;
			this.poked = false;
			let pause: number;
			try {
				pause = await this.step(poked);
			} catch (error) {
				// The store failed (database restarting): nothing new starts until it answers again.
				this.stats.storeErrors++;
				this.onStoreError(error);
				this.row = undefined;
				pause = this.timing.pollMs * 5;
			}
			if (pause > 0 && !this.poked) await this.rest(pause);
		}
	}

	private busy(): boolean {
		const now = this.clock.now();
		return (
			this.budget.waiting > 0 ||
			this.budget.inFlight > 0 ||
			this.budget.unwritten > 0 ||
			(this.row?.taken[this.me]?.calls ?? 0) > 0 ||
			(this.row?.wants[this.me] ?? 0) > now
		);
	}

	/** Sleeps `ms`, or less when poked. */
	private async rest(ms: number): Promise<void> {
		await Promise.race([
			this.clock.sleep(ms),
			new Promise<void>((resolve) => (this.nudge = resolve)),
		]);
		this.nudge = undefined;
	}

	/** One look: takes room for waiting calls, writes back answers; returns how long to rest. */
	private async step(poked: boolean): Promise<number> {
		const now = this.clock.now();
		this.budget.expireWaiters(now);
		if (this.stale && (!poked || (this.row && othersIn(this.row, this.me, now))))
			this.row = undefined;
		const row = this.row ?? (await this.store.read(this.company)) ?? { ...EMPTY, version: 0 };
		this.row = row;
		this.stale = false;
		// The places not used yet are decided anew; none is used while the row is written.
		const before = this.budget.reclaim();
		const fresh = this.budget.takeAnswers();
		const merged = {
			...row,
			answers: [...row.answers, ...fresh.answers].filter((at) => at > now - this.limits.windowMs),
			batches: [...row.batches, ...fresh.batches].filter((at) => at > now - this.limits.windowMs),
			heldUntil: Math.max(row.heldUntil, this.budget.holdUntil),
		};
		const mine = this.budget.holding;
		const room = roomIn(merged, this.me, mine, this.limits, now);
		const take = this.budget.plan(room.calls, room.batches);
		const waiting = this.budget.waiting > take.calls;
		const othersWait = Object.entries(row.wants).some(
			([id, until]) => id !== this.me && until > now,
		);
		// Places only for the calls waiting now. Keeping spare room for calls about to come would save
		// writes, but another process would wait for that room at its next call (a poll or two), and
		// work that waits on one answer at a time, like a drain's round, would slow down.
		const credits = { calls: take.calls, batches: take.batches };
		const calls = mine.calls + credits.calls;
		const batches = mine.batches + credits.batches;
		const entry = row.taken[this.me];
		const wish = row.wants[this.me] ?? 0;
		const news =
			fresh.answers.length > 0 ||
			(entry?.calls ?? 0) !== calls ||
			(entry?.batches ?? 0) !== batches;
		const write =
			credits.calls > before.calls ||
			credits.batches > before.batches ||
			(waiting && wish < now + this.timing.leaseMs / 2) ||
			(!waiting && wish > now) ||
			(news && (othersWait || calls === 0 || now - this.wroteAt >= this.timing.publishMs)) ||
			(calls > 0 && (entry?.until ?? 0) < now + this.timing.leaseMs / 2) ||
			merged.heldUntil > row.heldUntil;
		if (write) {
			const next: Omit<BudgetRow, 'version'> = {
				answers: merged.answers,
				batches: merged.batches,
				heldUntil: merged.heldUntil,
				taken: live(row.taken, now, this.me),
				wants: live(row.wants, now, this.me),
			};
			if (calls > 0) next.taken[this.me] = { calls, batches, until: now + this.timing.leaseMs };
			if (waiting) next.wants[this.me] = now + this.timing.leaseMs;
			this.stats.writes++;
			let written = false;
			try {
				written = await this.store.write(this.company, row.version, next);
			} finally {
				if (!written) {
					// The row still counts the places held before: they stay usable.
					this.budget.returnAnswers(fresh);
					this.budget.allow(before.calls, before.batches);
				}
			}
			if (!written) {
				// Another process wrote first: read its row and look again at once.
				this.stats.conflicts++;
				this.row = undefined;
				return 0;
			}
			this.row = { ...next, version: row.version + 1 };
			this.wroteAt = now;
			this.budget.allow(credits.calls, credits.batches);
		} else {
			this.budget.returnAnswers(fresh);
			this.budget.allow(before.calls, before.batches);
		}
		if (waiting) {
			// No room for every call: look again, at the row afresh, when some may have freed up.
			// Each of the processes waiting looks that much less often, so that together they read
			// the row about once a poll whatever their number (n8n's main instance answers every
			// read), and one of them still sees a freed place within about a poll.
			this.stale = true;
			if (merged.heldUntil > now) return merged.heldUntil - now;
			// Room that frees at a known time (a second or a minute after an answer) is looked at in
			// turn, not by every process at once: all but the first would lose the compare-and-set.
			const waiters = Object.keys(row.wants)
				.filter((id) => id === this.me || row.wants[id] > now)
				.concat(row.wants[this.me] ? [] : [this.me])
				.sort();
			const turn = waiters.indexOf(this.me) * this.timing.turnMs;
			return Math.max(1, Math.min(this.timing.pollMs * waiters.length, room.freesAt - now + turn));
		}
		// Answers to write back: when the next is due, or sooner when an answer or a call pokes.
		return this.budget.inFlight > 0 || this.budget.unwritten > 0 || calls > 0
			? this.timing.publishMs
			: 0;
	}
}

/** Whether another process holds places or waits in the row at `now`. */
function othersIn(row: Omit<BudgetRow, 'version'>, me: string, now: number): boolean {
	return (
		Object.entries(row.taken).some(([id, t]) => id !== me && t.until > now) ||
		Object.entries(row.wants).some(([id, until]) => id !== me && until > now)
	);
}

/** The entries of `entries` still current at `now`, without `me`'s (written anew by the caller). */
function live<T extends number | TakenPlaces>(
	entries: Record<string, T>,
	now: number,
	me: string,
): Record<string, T> {
	const kept: Record<string, T> = {};
	for (const [id, value] of Object.entries(entries)) {
		const until = typeof value === 'number' ? value : value.until;
		if (id !== me && until > now) kept[id] = value;
	}
	return kept;
}
