/** A clock whose time moves only when a test says: pacing and shared budgets are tested on it. */
import type { Clock } from '../../nodes/shared/quickbooks/types';

/** Time moves only when the test says; due sleeps wake in time order, each chain running to rest. */
export class ManualClock implements Clock {
	t = 0;
	private sleepers: Array<{ at: number; wake: () => void }> = [];

	now() {
		return this.t;
	}

	async sleep(ms: number) {
		await new Promise<void>((wake) => this.sleepers.push({ at: this.t + ms, wake }));
	}

	random() {
		return 0.5;
	}

	async advanceTo(to: number) {
		for (;;) {
			await settle();
			const due = this.sleepers
				.filter((sleeper) => sleeper.at <= to)
				.sort((a, b) => a.at - b.at)[0];
			if (!due) break;
			this.sleepers.splice(this.sleepers.indexOf(due), 1);
			this.t = Math.max(this.t, due.at);
			due.wake();
		}
		this.t = to;
		await settle();
	}
}

export const settle = async () => await new Promise((resolve) => setImmediate(resolve));
