/** The exact-times range of HighLevel's day-filtered lists (nodes/shared/highlevel/timeRange.ts). */
import { createdWithin, daysAround } from '../../nodes/shared/highlevel/timeRange';

const at = (iso: string) => Date.parse(iso);

test('the days asked for are the range’s plus one on each side, across a month and a year end', () => {
	expect(daysAround({ from: at('2026-03-10T10:00:00Z'), to: at('2026-03-10T11:00:00Z') })).toEqual({
		startAt: '2026-03-09',
		endAt: '2026-03-11',
	});
	expect(daysAround({ from: at('2026-12-31T23:30:00Z'), to: at('2027-01-01T00:15:00Z') })).toEqual({
		startAt: '2026-12-30',
		endAt: '2027-01-02',
	});
});

test('a record is within when its createdAt is, both ends included; one without a readable createdAt is kept', () => {
	const range = { from: at('2026-03-10T10:00:00Z'), to: at('2026-03-10T11:00:00Z') };
	const created = (createdAt: unknown) => createdWithin({ createdAt }, range);
	expect(
		[
			'2026-03-10T10:00:00.000Z',
			'2026-03-10T11:00:00.000Z',
			'2026-03-10T12:30:00+02:00',
			'2026-03-10T09:59:59.999Z',
			'2026-03-10T11:00:00.001Z',
		].map(created),
	).toEqual([true, true, true, false, false]);
	expect([undefined, '', 'yesterday'].map(created)).toEqual([true, true, true]);
});
