/**
 * What this sync booked as refunds of many CRM payments, in one query: its live refund receipts
 * (their note names the payment: domain/refund.ts refundNote) from a date on. A reconcile pass
 * compares each sum with HighLevel's refunded total on the transaction and stores only the shortfall.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { refundsOf, totalOf } from '../domain/refund';

export interface RefundsBooked {
	total: number;
	receipts: QboRecord[];
}

/**
 * Refund receipts of each payment, dated `since` or later (a refund is not older than its payment;
 * undefined: all of the company's). One query, paged by 1,000.
 */
export async function refundsOfPayments(
	client: QboClient,
	transactionIds: string[],
	since: string | undefined,
): Promise<Map<string, RefundsBooked>> {
	const all = await client.queryAll({
		entity: 'RefundReceipt',
		where: since ? [{ field: 'TxnDate', op: '>=', value: since }] : [],
	});
	const booked = new Map<string, RefundsBooked>();
	for (const id of new Set(transactionIds)) {
		const receipts = refundsOf(all, { kind: 'payment', id });
		booked.set(id, { total: totalOf(receipts), receipts });
	}
	return booked;
}

/** The day before the oldest payment date: refund receipts are dated by the CRM's refund day. */
export function refundsSince(paidOn: Array<string | undefined>): string | undefined {
	if (!paidOn.length || paidOn.some((d) => !d)) return undefined;
	const oldest = (paidOn as string[]).reduce((a, b) => (a < b ? a : b));
	const day = new Date(`${oldest}T00:00:00Z`);
	if (Number.isNaN(day.getTime())) return undefined;
	// A day's slack: HighLevel's day and QuickBooks' may differ by the time zone.
	return new Date(day.getTime() - 86_400_000).toISOString().slice(0, 10);
}
