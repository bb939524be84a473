/**
 * One QuickBooks company, several n8n processes (queue mode's workers): each holds a share of the
 * company's limits for a short lease and paces itself inside it, with no look at the store between.
 * A busy process reads the others' entries and writes its own once a lease (every 2 s), whatever
 * the number of calls it sends meanwhile; nothing is written by two processes, so nothing waits on
 * a compare-and-set.
 *
 * A share is the process's part of what the others' entries leave: of the 10 in flight and 10 a
 * second, its fair part among the processes holding or asking for one, never more than the others'
 * current shares leave; of the minute's 480 (and 38 batch requests), its part of what is neither
 * answered within the window nor granted to another. So all processes together stay inside the
 * company's limits, and more processes never do less than one. A process new to the company first
 * writes that it is taking a share (pending), then reads: the others take nothing while one is
 * pending, so one that saw no one may take the whole company.
 * A throttled answer's hold goes into the entry and holds every process from its next look. A
 * process that dies stops renewing: its share stops counting when its lease ends, what it may have
 * sent a window later.
 *
 * The entries live in n8n's database through a Data Table (./budgetTable.ts).
 */
import type { CompanyBudget, Sharer } from './pacing';
import type { BudgetStore, Clock, PaceLimits, ShareEntry } from '../quickbooks/types';

export interface ShareTiming {
	/** How long a share holds: a busy process reads and writes the store once per lease. */
	leaseMs: number;
	/**
	 * How long past its lease a process's entry still counts for the others: a busy worker's event
	 * loop and n8n's API under load make a renewal late by up to that. A process later than half of
	 * it says again that it wants a share before it takes one, as a new one does.
	 */
	graceMs: number;
	/** How often a process with calls waiting and no share (another holds the company) looks again. */
	pollMs: number;
}

/**
 * A lease of 2 s: a process learns of a newcomer, a hold or a freed share within 2 s, and reads and
 * writes the store about once a second while busy (n8n's main instance answers each).
 */
export const SHARE_TIMING: ShareTiming = {
	leaseMs: 2_000,
	graceMs: 3_000,
	pollMs: 250,
};

const SECOND_MS = 1_000;

/** No places: what a process says when it only wants a share, or holds back. */
const NONE = { concurrent: 0, perSecond: 0, calls: 0, batches: 0 };

/** What a process's sharing has cost, for tests and figures. */
export interface ShareStats {
	reads: number;
	writes: number;
	storeErrors: number;
}

/** What a process holds itself when it takes a share. */
export interface OwnUse {
	/** Answer times within the minute window, all requests and batch requests. */
	answers: number[];
	batchAnswers: number[];
	inFlight: number;
	batchesInFlight: number;
	/** Calls waiting for a place. */
	waiting: number;
	wantsBatches: boolean;
}

export type Share = Pick<
	ShareEntry,
	'concurrent' | 'perSecond' | 'calls' | 'batches' | 'heldUntil'
> & {
	/** Less than the fair part, for want of calls: more may be asked before the lease ends. */
	small: boolean;
};

/**
 * Places taken beyond the calls a process has in flight and waiting: room for its next few calls
 * without a look at the store, and the rest left to a newcomer at once.
 */
const SPARE = 2;

/** `total` split among `n`, the part of the one ranked `rank`: the remainder to the first ranks. */
function part(total: number, n: number, rank: number): number {
	if (total <= 0 || n <= 0) return 0;
	return Math.floor(total / n) + (rank < total % n ? 1 : 0);
}

const sum = (entries: ShareEntry[], of: (entry: ShareEntry) => number) =>
	entries.reduce((total, entry) => total + of(entry), 0);

/**
 * The share `me` may take at `now` for a lease of `leaseMs`, given every process's entry. The parts
 * of processes that see the same entries add up to the limits; one that cannot see a newcomer yet
 * has its current share counted by the newcomer, which takes only what that leaves.
 */
export function shareFor(
	entries: ShareEntry[],
	me: string,
	own: OwnUse,
	limits: PaceLimits,
	leaseMs: number,
	now: number,
): Share {
	const others = entries.filter((entry) => entry.me !== me);
	const heldUntil = Math.max(0, ...others.map((entry) => entry.heldUntil));
	const none = { ...NONE, heldUntil, small: false };
	if (heldUntil > now) return none;
	const current = others.filter((entry) => entry.leaseUntil > now);
	// One taking its first share may have seen no one and take the whole company: nothing until
	// it has written what it took.
	if (current.some((entry) => entry.pending)) return none;
	// What a lapsed entry had granted may still have been sent: it counts a window after its lease.
	const recent = others.filter((entry) => entry.leaseUntil + limits.windowMs > now);
	const since = now - limits.windowMs;
	const ids = [me, ...current.map((entry) => entry.me)].sort();
	const n = ids.length;
	const rank = ids.indexOf(me);
	const demand = own.inFlight + own.waiting + SPARE;
	// The second's count holds the answers of the last second too.
	const secondDemand = demand + own.answers.filter((at) => at > now - SECOND_MS).length;
	const fair = Math.min(
		part(limits.concurrent, n, rank),
		limits.concurrent - sum(current, (entry) => entry.concurrent),
	);
	const concurrent = Math.min(fair, demand);
	const perSecond = limits.perSecond
		? Math.min(
				part(limits.perSecond, n, rank),
				limits.perSecond - sum(current, (entry) => entry.perSecond),
				secondDemand,
			)
		: concurrent;
	const used =
		sum(others, (entry) => entry.answers.filter((at) => at > since).length) +
		sum(recent, (entry) => entry.calls) +
		own.answers.filter((at) => at > since).length +
		own.inFlight;
	const perLease = limits.perSecond
		? perSecond * Math.ceil(leaseMs / SECOND_MS)
		: Number.POSITIVE_INFINITY;
	const calls = Math.min(part(limits.perWindow - used, n, rank), perLease);
	let batches = 0;
	if (own.wantsBatches) {
		const batchIds = [
			me,
			...current.filter((entry) => entry.wantsBatches).map((entry) => entry.me),
		].sort();
		const batchUsed =
			sum(others, (entry) => entry.batchAnswers.filter((at) => at > since).length) +
			sum(recent, (entry) => entry.batches) +
			own.batchAnswers.filter((at) => at > since).length +
			own.batchesInFlight;
		batches = Math.min(
			part(limits.batchPerWindow - batchUsed, batchIds.length, batchIds.indexOf(me)),
			calls,
		);
	}
	return {
		concurrent: Math.max(0, concurrent),
		perSecond: Math.max(0, perSecond),
		calls,
		batches,
		heldUntil,
		small: demand < fair || (limits.perSecond !== undefined && perSecond === secondDemand),
	};
}

interface Lease {
	/** When this process looks at the store again. */
	renewAt: number;
	/** When it took the share, and whether it took less than it could for want of calls. */
	takenAt: number;
	small: boolean;
	concurrent: number;
	perSecond: number;
	/** Calls and batch requests it may still start. */
	calls: number;
	batches: number;
}

export class SharedCompanyBudget implements Sharer {
	readonly stats: ShareStats = { reads: 0, writes: 0, storeErrors: 0 };
	private running = false;
	/** Something happened since the loop last looked: do not rest. */
	private poked = false;
	private nudge?: () => void;
	/** The share this process holds, less what it has used of it. */
	private lease?: Lease;
	/** Until when the others count this process's last entry. */
	private entryUntil = Number.NEGATIVE_INFINITY;
	/** How long this process's reads and writes take lately (the slowest, fading). */
	private storeMs = 0;
	/** The company's hold as the entries last read say, or this process's own. */
	private heldUntil = 0;
	/** This process's answers within the minute window. */
	private answers: number[] = [];
	private batchAnswers: number[] = [];

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

	/** Calls wait, or an answer came: look now. */
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

	/** Runs while this process has calls waiting or in flight, or an entry to close. */
	private async loop(): Promise<void> {
		while (this.busy()) {
			this.poked = false;
			let pause: number;
			try {
				pause = await this.step();
			} catch (error) {
				// The store failed (database restarting): no new share until it answers again; the
				// entry already written lapses by itself.
				this.stats.storeErrors++;
				this.onStoreError(error);
				this.lease = undefined;
				pause = this.timing.pollMs * 4;
			}
			if (pause > 0 && !this.poked) await this.rest(pause);
		}
	}

	private busy(): boolean {
		return this.budget.waiting > 0 || this.budget.inFlight > 0 || this.lease !== undefined;
	}

	/** Sleeps `ms`, or less when poked. */
	private async rest(ms: number): Promise<void> {
		if (this.poked) return;
		await Promise.race([
			this.clock.sleep(ms),
			new Promise<void>((resolve) => (this.nudge = resolve)),
		]);
		this.nudge = undefined;
	}

	/** One look: renews the share when due, lets waiting calls go within it; returns how long to rest. */
	private async step(): Promise<number> {
		let now = this.clock.now();
		this.budget.expireWaiters(now);
		this.takeAnswers(now);
		const wants = this.budget.waiting > 0;
		const throttledHere = this.budget.holdUntil > this.heldUntil;
		// A share taken small, when more calls came than it has room for: asked again, not before a poll.
		const outgrown =
			this.lease?.small === true &&
			now >= this.lease.takenAt + this.timing.pollMs &&
			this.budget.waiting > 0 &&
			(this.budget.holding.calls >= this.lease.concurrent ||
				this.budget.holding.calls + this.lastSecond(now).length >= this.lease.perSecond ||
				this.lease.calls === 0);
		if (!this.lease || now >= this.lease.renewAt || throttledHere || outgrown) {
			if (!wants && this.budget.inFlight === 0) {
				// Idle: the share is kept a little, for calls to come.
				const closeAt = (this.lease?.renewAt ?? now) + 2 * this.timing.pollMs;
				if (this.lease && !throttledHere && now < closeAt) return closeAt - now;
				await this.close();
				return 0;
			}
			const margin = Math.max(this.timing.graceMs / 2, 2 * this.storeMs);
			if (now >= this.entryUntil - margin) {
				// Not counted by the others (new, or gone too long): say so first, as taking a share
				// now (pending). Of two processes doing this at once, at least one then sees the other
				// pending, and takes nothing until that one has written what it took.
				this.lease = undefined;
				this.budget.reclaim();
				await this.put(NONE, true);
			}
			await this.renew(await this.read());
		}
		const lease = this.lease!;
		// Answers that came while the store was read or written count in this second too.
		now = this.clock.now();
		this.takeAnswers(now);
		if (Math.max(this.heldUntil, this.budget.holdUntil) > now)
			return Math.max(1, lease.renewAt - now);
		const lastSecond = this.lastSecond(now);
		const holding = this.budget.holding;
		const room = Math.min(
			lease.concurrent - holding.calls,
			lease.calls,
			this.limits.perSecond
				? lease.perSecond - holding.calls - lastSecond.length
				: Number.POSITIVE_INFINITY,
		);
		if (room > 0) {
			const take = this.budget.plan(room, Math.min(lease.batches, room));
			lease.calls -= take.calls;
			lease.batches -= take.batches;
			this.budget.allow(take.calls, take.batches);
		}
		// Answers wake the loop; otherwise it looks when a second's answer leaves or the lease ends.
		let next = lease.renewAt;
		if (this.budget.waiting > 0 && lastSecond.length > 0)
			next = Math.min(next, lastSecond[0] + SECOND_MS);
		if (lease.small && this.budget.waiting > 0)
			next = Math.min(next, Math.max(now + 1, lease.takenAt + this.timing.pollMs));
		return Math.max(1, next - now);
	}

	private async read(): Promise<ShareEntry[]> {
		this.stats.reads++;
		return await this.timed(async () => await this.store.entries(this.company));
	}

	private async timed<T>(operation: () => Promise<T>): Promise<T> {
		const started = this.clock.now();
		try {
			return await operation();
		} finally {
			this.storeMs = Math.max(this.clock.now() - started, this.storeMs * 0.8);
		}
	}

	/** Takes this process's share of what the entries leave, and writes it. */
	private async renew(entries: ShareEntry[]): Promise<void> {
		// Places granted and not used yet belong to the old share.
		this.budget.reclaim();
		const now = this.clock.now();
		this.takeAnswers(now);
		const own = this.ownUse();
		const share = shareFor(entries, this.me, own, this.limits, this.timing.leaseMs, now);
		this.heldUntil = Math.max(share.heldUntil, this.budget.holdUntil);
		const held = this.heldUntil > now;
		const empty = share.calls === 0 || share.concurrent === 0;
		const renewAt = held
			? this.heldUntil
			: empty && this.budget.waiting > 0
				? now + this.timing.pollMs
				: now + this.timing.leaseMs;
		const claims = held ? NONE : share;
		const countedUntil = this.entryUntil;
		await this.put(claims);
		if (this.clock.now() > countedUntil) {
			// The write came after the others stopped counting this process: one of them may have
			// taken a share without it meanwhile. This share is not used; the entries are read again.
			this.lease = { renewAt: now, takenAt: now, small: false, ...NONE };
			return;
		}
		this.lease = {
			renewAt,
			takenAt: now,
			small: share.small && !held,
			concurrent: claims.concurrent,
			perSecond: claims.perSecond,
			calls: claims.calls,
			batches: claims.batches,
		};
	}

	/** Writes this process's entry: `claims` on top of what it has in flight, counted until its lease ends. */
	private async put(
		claims: Pick<ShareEntry, 'concurrent' | 'perSecond' | 'calls' | 'batches'>,
		pending = false,
	): Promise<void> {
		const now = this.clock.now();
		this.takeAnswers(now);
		const own = this.ownUse();
		const lastSecond = own.answers.filter((at) => at > now - SECOND_MS).length;
		this.stats.writes++;
		// Counted long enough for the next renewal's read and write to land, however slow the store.
		const until = now + this.timing.leaseMs + Math.max(this.timing.graceMs, 3 * this.storeMs);
		await this.timed(
			async () =>
				await this.store.put(this.company, {
					me: this.me,
					leaseUntil: until,
					concurrent: Math.max(claims.concurrent, own.inFlight),
					perSecond: Math.max(claims.perSecond, own.inFlight + lastSecond),
					calls: claims.calls + own.inFlight,
					batches: claims.batches + own.batchesInFlight,
					answers: own.answers,
					batchAnswers: own.batchAnswers,
					wantsBatches: own.wantsBatches,
					pending,
					heldUntil: Math.max(this.heldUntil, this.budget.holdUntil),
				}),
		);
		this.entryUntil = until;
	}

	/** Nothing waits or is in flight: the entry says so, so the others take its share at their next look. */
	private async close(): Promise<void> {
		if (!this.lease) return;
		this.budget.reclaim();
		this.lease = undefined;
		this.entryUntil = Number.NEGATIVE_INFINITY;
		this.stats.writes++;
		await this.store.put(this.company, {
			me: this.me,
			leaseUntil: this.clock.now(),
			...NONE,
			answers: this.answers,
			batchAnswers: this.batchAnswers,
			wantsBatches: false,
			pending: false,
			heldUntil: Math.max(this.heldUntil, this.budget.holdUntil),
		});
	}

	/** The budget's answers since the last look, kept for the minute window. */
	private takeAnswers(now: number): void {
		const fresh = this.budget.takeAnswers();
		const since = now - this.limits.windowMs;
		this.answers = [...this.answers, ...fresh.answers].filter((at) => at > since);
		this.batchAnswers = [...this.batchAnswers, ...fresh.batches].filter((at) => at > since);
	}

	/** This process's answers within the last second, oldest first. */
	private lastSecond(now: number): number[] {
		return this.answers.filter((at) => at > now - SECOND_MS);
	}

	private ownUse(): OwnUse {
		return {
			answers: this.answers,
			batchAnswers: this.batchAnswers,
			inFlight: this.budget.inFlight,
			batchesInFlight: this.budget.batchesInFlight,
			waiting: this.budget.waiting,
			wantsBatches: this.budget.batchesWaiting > 0 || this.budget.batchesInFlight > 0,
		};
	}
}
