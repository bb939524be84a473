import { DateTime } from 'luxon';

import { dateText, dayOfDate, timeOfDate } from '../../nodes/shared/domain/dateParameter';

describe('date parameters (the picker gives a DateTime, an expression text)', () => {
	test('a picked DateTime is read by its own day, not the UTC one', () => {
		const picked = DateTime.fromISO('2026-11-30T23:30:00', { zone: 'America/New_York' });
		expect(dateText(picked)).toBe('2026-11-30T23:30:00.000-05:00');
		expect(dayOfDate(picked)).toBe('2026-11-30');
		expect(timeOfDate(picked)).toBe(Date.parse('2026-12-01T04:30:00Z'));
	});

	test('an ISO text keeps its day; another date text is read as its UTC day', () => {
		expect(dayOfDate(' 2026-12-05 ')).toBe('2026-12-05');
		expect(dayOfDate('2026-12-05T23:59:00-08:00')).toBe('2026-12-05');
		expect(dayOfDate('Sat, 05 Dec 2026 23:00:00 GMT')).toBe('2026-12-05');
	});

	test('what is no date gives undefined, for the node to name its field', () => {
		for (const raw of ['', '   ', 'yesterday', undefined, null]) {
			expect(dayOfDate(raw)).toBeUndefined();
			expect(timeOfDate(raw)).toBeUndefined();
		}
	});
});
