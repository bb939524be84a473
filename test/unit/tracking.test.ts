/** Classes and locations by rule (nodes/shared/domain/tracking.ts): which rule wins, and what the company refuses. */
import {
	trackingRefused,
	trackingWanted,
	type TrackingRule,
} from '../../nodes/shared/domain/tracking';

const rule = (r: Partial<TrackingRule>): TrackingRule => ({
	when: 'always',
	equals: '',
	qboClass: '',
	qboLocation: '',
	...r,
});
const lines = [{ name: 'Coaching  session', productId: 'p-1' }, { name: 'Workbook' }];

test('a HighLevel Location rule wins over Always wherever it stands; class and location are chosen apart', () => {
	const rules = [
		rule({ qboClass: 'Online', qboLocation: 'HQ' }),
		rule({ when: 'location', equals: 'loc-east', qboClass: 'East' }),
	];
	expect(trackingWanted({ locationId: 'loc-east', lines }, rules)).toMatchObject({
		className: 'East',
		locationName: 'HQ',
		because: { class: 'HighLevel location loc-east → East', location: 'always → HQ' },
	});
	expect(trackingWanted({ locationId: 'loc-west', lines }, rules).className).toBe('Online');
	const none = trackingWanted({ lines }, rules.slice(1));
	expect([none.className, none.locationName]).toEqual([undefined, undefined]);
});

test('a product rule classes lines by product ID first, then by name (case and spacing aside)', () => {
	const wanted = trackingWanted({ lines }, [
		rule({ when: 'product', equals: 'coaching session', qboClass: 'By Name' }),
		rule({ when: 'product', equals: 'p-1', qboClass: 'By ID' }),
		rule({ when: 'product', equals: 'WORKBOOK', qboClass: 'Books' }),
	]);
	expect(wanted.lineClassNames).toEqual(['By ID', 'Books']);
});

test('refused: tracking off, a product class with classes per transaction, a location while locations are off', () => {
	const wantClass = trackingWanted({ lines }, [rule({ qboClass: 'Online' })]);
	const wantLine = trackingWanted({ lines }, [
		rule({ when: 'product', equals: 'p-1', qboClass: 'Coaching' }),
	]);
	const wantPlace = trackingWanted({ lines }, [rule({ qboLocation: 'HQ' })]);
	expect(trackingRefused(wantClass, {})).toMatch(/does not track classes/);
	expect(trackingRefused(wantClass, { classPerLine: true })).toBeUndefined();
	expect(trackingRefused(wantLine, { classPerTxn: true })).toMatch(/entire transaction/);
	expect(trackingRefused(wantLine, { classPerLine: true })).toBeUndefined();
	expect(trackingRefused(wantPlace, { classPerTxn: true })).toMatch(/does not track locations/);
	expect(trackingRefused(wantPlace, { locations: true })).toBeUndefined();
});
