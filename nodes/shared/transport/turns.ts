/**
 * One QuickBooks company, several n8n processes (queue mode's workers): they take turns. Only the
 * process holding the company's turn sends to it, within its own budget (./pacing.ts), which starts
 * from the answer times and hold the previous holder handed over. So all processes together stay
 * inside the company's limits, per minute, per second and in flight, whatever their number, and a
 * throttled answer holds every process, not only the one that got it.
 *
 * The turn is a lease in a shared row (`LeaseStore`: n8n's database through a Data Table, see
 * ./dataTableLeases.ts), written only by compare-and-set on its version. A holder renews it while it
 * has calls, and passes it on after `turnMs` when another process has asked for it: it stops
 * starting calls, waits for those in flight, then writes what it sent and frees the row. A holder
 * that dies stops renewing; its lease ends `leaseMs` later at the latest.
 */
import type { CompanyBudget, TurnTaker } from './pacing';
import type { Clock, LeaseRow, LeaseStore, PaceState } from '../quickbooks/types';

export interface TurnTiming {
	/** How long a lease lasts unless renewed. */
	leaseMs: number;
	/** How often a holder renews, and looks whether others wait. */
	renewMs: number;
	/** How often a waiting process looks whether the turn is free. */
	pollMs: number;
	/** How long a holder keeps the turn while others wait. */
	turnMs: number;
	/** The holder stops starting calls this long before its lease ends, should renewing stall. */
	marginMs: number;
}

/**
 * A turn of 3 s at up to 10 calls a second is 30 calls, against a hand-over of one answer's latency
 * plus a poll: the company's per-minute limit (8 a second on average) stays what bounds throughput.
 */
export const TURN_TIMING: TurnTiming = {
	leaseMs: 8_000,
	renewMs: 1_000,
	pollMs: 200,
	turnMs: 3_000,
	marginMs: 3_000,
};

const NO_PACE: PaceState = { answers: [], batches: [], heldUntil: 0 };

/** What the turns of one company look like from this process, for tests and figures. */
export interface TurnStats {
	taken: number;
	passed: number;
	lost: number;
	storeErrors: number;
}

export class CompanyTurns implements TurnTaker {
	readonly stats: TurnStats = { taken: 0, passed: 0, lost: 0, storeErrors: 0 };
	private running = false;
	private holding = false;
	private takenAt = 0;

	constructor(
		private readonly budget: CompanyBudget,
		private readonly store: LeaseStore,
		private readonly clock: Clock,
		private readonly me: string,
		private readonly company: string,
		private readonly timing: TurnTiming = TURN_TIMING,
		private readonly onStoreError: (error: unknown) => void = () => undefined,
	) {}

	want(): void {
		if (this.running) return;
		this.running = true;
		void this.loop().finally(() => {
			this.running = false;
			// A call that asked while the loop was ending.
			if (this.budget.waiting > 0) this.want();
		});
	}

	/** Runs while this process has calls for the company or holds its turn. */
	private async loop(): Promise<void> {
		while (this.holding || this.budget.waiting > 0) {
			let pause: number;
			try {
				pause = this.holding ? await this.whileHolding() : await this.whileWaiting();
			} catch (error) {
				// The store failed (database restarting): stop sending unless the lease is surely ours.
				this.stats.storeErrors++;
				this.onStoreError(error);
				pause = this.timing.renewMs;
			}
			if (pause > 0) await this.clock.sleep(pause);
		}
	}

	/** Takes the turn when it is free, else says that this process waits for it. */
	private async whileWaiting(): Promise<number> {
		const now = this.clock.now();
		this.budget.expireWaiters(now);
		if (this.budget.waiting === 0) return 0;
		const row = await this.store.read(this.company);
		const free = !row || row.holder === '' || row.holder === this.me || row.until <= now;
		if (free) {
			const until = now + this.timing.leaseMs;
			const wants = othersWanting(row, this.me, now);
			if (
				await this.store.write(this.company, row?.version ?? 0, {
					holder: this.me,
					until,
					wants,
					pace: row?.pace ?? NO_PACE,
				})
			) {
				this.holding = true;
				this.takenAt = now;
				this.stats.taken++;
				this.budget.open(until - this.timing.marginMs, row?.pace);
				return this.timing.renewMs;
			}
			return 0;
		}
		if ((row.wants[this.me] ?? 0) < now + this.timing.leaseMs / 2) {
			// Ask for the turn; a lost compare-and-set is asked again at the next look.
			const wants = { ...othersWanting(row, this.me, now), [this.me]: now + this.timing.leaseMs };
			await this.store.write(this.company, row.version, { ...row, wants });
		}
		return this.timing.pollMs;
	}

	/** Renews the turn, or passes it on when this process is done or has had its turn while others wait. */
	private async whileHolding(): Promise<number> {
		const now = this.clock.now();
		const row = await this.store.read(this.company);
		if (!row || row.holder !== this.me || row.until <= now) {
			// Renewing stalled past the lease: another process may be sending now.
			this.budget.shut();
			this.holding = false;
			this.stats.lost++;
			return 0;
		}
		const othersWait = Object.keys(othersWanting(row, this.me, now)).length > 0;
		// Idle at a renewal: nothing waiting, nothing in flight. Between renewals the gate stays
		// open, so an execution's next call (customer, then receipt) needs no new turn.
		const idle = this.budget.waiting === 0 && this.budget.inFlight === 0;
		const passOn = idle || (othersWait && now - this.takenAt >= this.timing.turnMs);
		if (passOn) this.budget.shut();
		if (passOn && this.budget.inFlight === 0) {
			const freed = {
				holder: '',
				until: now,
				wants: othersWanting(row, this.me, now),
				pace: this.budget.handover(),
			};
			if (!(await this.store.write(this.company, row.version, freed))) return 0;
			this.holding = false;
			this.stats.passed++;
			// Others get a poll's time to take it before this process asks again.
			return idle ? 0 : this.timing.pollMs * 2;
		}
		const until = now + this.timing.leaseMs;
		const renewed = {
			holder: this.me,
			until,
			wants: othersWanting(row, this.me, now),
			pace: this.budget.handover(),
		};
		if (!(await this.store.write(this.company, row.version, renewed))) return 0;
		if (!passOn) this.budget.open(until - this.timing.marginMs);
		else await Promise.race([this.budget.settled(), this.clock.sleep(this.timing.renewMs)]);
		return passOn ? 0 : this.timing.renewMs;
	}
}

function othersWanting(row: LeaseRow | undefined, me: string, now: number): Record<string, number> {
	const wants: Record<string, number> = {};
	for (const [process, until] of Object.entries(row?.wants ?? {}))
		if (process !== me && until > now) wants[process] = until;
	return wants;
}
