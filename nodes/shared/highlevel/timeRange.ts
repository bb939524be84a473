/**
 * A range of exact times read from HighLevel's lists, which filter by whole days only: `startAt` /
 * `endAt` are days (YYYY-MM-DD; apps/payments.json list-transactions, list-orders). Which time zone
 * HighLevel's days are in, which date it compares and whether the end day is included are not
 * documented (UNCERTAIN, docs/highlevel-api.md), so the days asked for are widened by one on each
 * side and each record's own `createdAt` ("The creation timestamp of the transaction" /
 * "Order creation timestamp"; TxnResponseSchema, OrderResponseSchema) decides. Pure.
 */

export interface TimeRange {
	/** Epoch ms, both ends included. */
	from: number;
	to: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The days to ask HighLevel for: the range's days and one more on each side. */
export function daysAround(range: TimeRange): { startAt: string; endAt: string } {
	return { startAt: dayOf(range.from - DAY_MS), endAt: dayOf(range.to + DAY_MS) };
}

/**
 * Whether a record was created within the range. A record without a readable `createdAt` is kept:
 * dropping it could lose a payment, keeping it costs one look-up.
 */
export function createdWithin(record: Record<string, unknown>, range: TimeRange): boolean {
	const at = Date.parse(String(record.createdAt ?? ''));
	if (Number.isNaN(at)) return true;
	return at >= range.from && at <= range.to;
}
