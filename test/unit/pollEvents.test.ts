import {
	PAID_MEMORY,
	candidates,
	dedupe,
	firstPaidOnly,
	paidInvoices,
} from '../../nodes/shared/domain/pollEvents';
import type { Candidate } from '../../nodes/shared/domain/types';

const at = (iso: string) => ({ CreateTime: iso, LastUpdatedTime: iso });
const invoice = (
	id: string,
	customer: string,
	paymentId: string,
	time: string,
	extra: Record<string, unknown> = {},
) => ({
	Id: id,
	CustomerRef: { value: customer },
	TotalAmt: 100,
	Balance: 0,
	LinkedTxn: [{ TxnId: paymentId, TxnType: 'Payment' }],
	MetaData: at(time),
	...extra,
});
const payment = (id: string, time: string) => ({ Id: id, TotalAmt: 100, MetaData: at(time) });

describe('trigger events (pure)', () => {
	test('paid in full needs a payment changed in the window; voided, zero-total and deleted invoices never count', () => {
		const invoices = [
			invoice('1', 'c1', 'p1', '2026-11-22T10:00:00Z'),
			invoice('2', 'c1', 'p-old', '2026-11-22T10:00:00Z'),
			invoice('3', 'c2', 'p3', '2026-11-22T10:00:00Z', { TotalAmt: 0, PrivateNote: 'Voided' }),
			invoice('4', 'c2', 'p4', '2026-11-22T10:00:00Z', { Balance: 10 }),
			{ Id: '5', status: 'Deleted' },
		];
		const payments = [
			payment('p1', '2026-11-22T10:00:00Z'),
			payment('p3', '2026-11-22T10:00:00Z'),
			payment('p4', '2026-11-22T10:00:00Z'),
		];
		expect(paidInvoices(invoices, payments).map((i) => i.Id)).toEqual(['1']);
	});

	test('a paid invoice is announced once, even after the overlap window has moved on', () => {
		const since = Date.parse('2026-11-22T09:59:00Z');
		const changes = {
			Invoice: [invoice('1', 'c1', 'p1', '2026-11-22T10:00:00Z')],
			Payment: [payment('p1', '2026-11-22T10:00:00Z')],
		};
		const first = dedupe(candidates(changes, ['invoicePaid'], since), {}, since);
		expect(first.fresh).toHaveLength(1);
		// Hours later the invoice and its payment are edited; the window no longer holds the first event.
		const later = Date.parse('2026-11-22T15:00:00Z');
		const edited = {
			Invoice: [invoice('1', 'c1', 'p1', '2026-11-22T15:00:30Z')],
			Payment: [payment('p1', '2026-11-22T15:00:30Z')],
		};
		expect(
			dedupe(candidates(edited, ['invoicePaid'], later), first.seen, later).fresh,
		).toHaveLength(0);
	});

	test('the memory of paid invoices is bounded', () => {
		const seen: Record<string, number> = {};
		for (let i = 0; i < PAID_MEMORY + 500; i++) seen[`invoicePaid:${i}`] = i;
		const { seen: next } = dedupe([], seen, Number.MAX_SAFE_INTEGER);
		expect(Object.keys(next)).toHaveLength(PAID_MEMORY);
		expect(next[`invoicePaid:${PAID_MEMORY + 499}`]).toBeDefined();
		expect(next['invoicePaid:0']).toBeUndefined();
	});

	test('first invoice only: an earlier paid invoice of the customer suppresses the event', () => {
		const paid: Candidate[] = [
			{ event: 'invoicePaid', record: invoice('9', 'c1', 'p9', '2026-11-22T10:00:00Z') },
		];
		expect(
			firstPaidOnly(paid, new Map([['c1', [invoice('8', 'c1', 'p8', '2026-10-01T10:00:00Z')]]])),
		).toEqual([]);
		expect(
			firstPaidOnly(
				paid,
				new Map([['c1', [invoice('7', 'c1', 'p7', '2026-10-01T10:00:00Z', { TotalAmt: 0 })]]]),
			),
		).toEqual(paid);
	});
});
