/**
 * Document numbers and the ownership marker (nodes/shared/domain/docNumber.ts): cases
 * test/unit/docNumber.test.ts does not cover. A wrong answer here is a number collision (two CRM
 * documents under one QuickBooks number), a number that changes between runs (the next event
 * no longer finds the document it created and makes a second one), or our own document taken
 * for someone else's.
 */
import {
	alternateDocNumber,
	crmMarker,
	crmMarkersIn,
	describeDocument,
	docNumberFor,
	DOC_NUMBER_MAX,
	hasCrmMarker,
	oldestFirst,
	ownership,
} from '../../nodes/shared/domain/docNumber';

describe('docNumberFor: boundaries', () => {
	test('a key of exactly 21 characters is kept whole; 22 characters gets the shortened form', () => {
		expect(docNumberFor('A'.repeat(21))).toBe('A'.repeat(21));
		const shortened = docNumberFor('A'.repeat(22));
		expect(shortened).toHaveLength(DOC_NUMBER_MAX);
		expect(shortened).toMatch(/^A{14}-[0-9a-z]{6}$/);
	});

	test('with a prefix, the prefix counts toward the 21 characters', () => {
		expect(docNumberFor('1234567890123456', 'CRM-')).toBe('CRM-1234567890123456'); // 20
		expect(docNumberFor('12345678901234567', 'CRM-')).toBe('CRM-12345678901234567'); // 21
		const longer = docNumberFor('123456789012345678', 'CRM-');
		expect(longer).toHaveLength(DOC_NUMBER_MAX);
		expect(longer).toMatch(/^CRM-\d{10}-[0-9a-z]{6}$/);
	});

	test('a prefix of up to 12 characters is allowed; 13 is refused with the limit in the message', () => {
		expect(docNumberFor('x', 'P'.repeat(12))).toBe(`${'P'.repeat(12)}x`);
		expect(docNumberFor('6650f0c1d2e3f4a5b6c7d8e9', 'P'.repeat(12))).toHaveLength(DOC_NUMBER_MAX);
		expect(() => docNumberFor('x', 'P'.repeat(13))).toThrow(/at most 12 characters/);
		expect(() => alternateDocNumber('x', 'P'.repeat(13))).toThrow(/at most 12 characters/);
	});

	test('spaces inside a key become dashes and surrounding spaces go (QuickBooks shows what a bookkeeper can search)', () => {
		expect(docNumberFor('  INV  7 \t a ')).toBe('INV-7-a');
		expect(docNumberFor('INV 7')).toBe(docNumberFor('INV\t7'));
	});

	test('an empty key is refused for the alternate number too', () => {
		expect(() => alternateDocNumber('')).toThrow(/no id or number/);
	});
});

describe('docNumberFor: stable across runs and releases', () => {
	// These values are what QuickBooks already holds for documents synced earlier: if they
	// change, the next event for the same CRM document looks under another number, does not find
	// its document and creates a second one. Change them only with a migration.
	test('shortened numbers and alternates are pinned', () => {
		expect(docNumberFor('6650f0c1d2e3f4a5b6c7d8e9')).toBe('e3f4a5b6c7d8e9-sy5euo');
		expect(docNumberFor('6650f0c1d2e3f4a5b6c7d8e9', 'CRM-')).toBe('CRM-a5b6c7d8e9-sy5euo');
		expect(alternateDocNumber('1001')).toBe('1001-sgm73k');
		expect(alternateDocNumber('INV-000101', 'QB-')).toBe('QB-INV-000101-abj3u4');
	});
});

describe('docNumberFor: no collisions QuickBooks would see', () => {
	test('long ids that differ only in case get numbers that differ even ignoring case (QuickBooks compares without case)', () => {
		const a = docNumberFor('ch_3PqR8sT2uVwXyZ0a1B2c3D4e');
		const b = docNumberFor('ch_3pqr8st2uvwxyz0a1b2c3d4e');
		expect(a.toLowerCase()).not.toBe(b.toLowerCase());
	});

	test('long ids sharing their last 14 characters get different numbers', () => {
		const tail = 'd2e3f4a5b6c7d8';
		const numbers = new Set(
			['aaaa', 'aaab', 'baaa', 'zzzzzzzz'].map((head) => docNumberFor(`${head}${tail}xxxxx`)),
		);
		expect(numbers.size).toBe(4);
	});

	test('a key equal to another key’s shortened number shares that number: only the marker tells the two apart', () => {
		const long = '6650f0c1d2e3f4a5b6c7d8e9';
		const lookalike = docNumberFor(long); // "e3f4a5b6c7d8e9-sy5euo", 21 characters: kept as it is
		expect(docNumberFor(lookalike)).toBe(lookalike);
		// Two different CRM documents, one QuickBooks number: only the marker tells them apart.
		expect(hasCrmMarker({ PrivateNote: crmMarker('payment', long) }, 'payment', lookalike)).toBe(
			false,
		);
	});

	test('alternate numbers of different keys differ, and never equal any key’s plain number', () => {
		const keys = Array.from({ length: 2000 }, (_, i) => `INV-${String(i).padStart(6, '0')}`);
		const alternates = new Set(keys.map((k) => alternateDocNumber(k)));
		expect(alternates.size).toBe(keys.length);
		for (const k of keys) expect(alternates.has(docNumberFor(k))).toBe(false);
		expect([...alternates].every((n) => n.length <= DOC_NUMBER_MAX)).toBe(true);
	});
});

describe('the ownership marker: more shapes', () => {
	test('an id with spaces is found by the same id, and not by the id with dashes', () => {
		const note = { PrivateNote: crmMarker('invoice', 'INV 7 a') };
		expect(note.PrivateNote).toBe('CRM invoice INV%207%20a');
		expect(hasCrmMarker(note, 'invoice', ' INV 7 a ')).toBe(true);
		expect(hasCrmMarker(note, 'invoice', 'INV-7-a')).toBe(false);
	});

	test('ids compare with case (CRM ids are case-sensitive)', () => {
		expect(hasCrmMarker({ PrivateNote: crmMarker('payment', 'pi_AbC') }, 'payment', 'pi_abc')).toBe(
			false,
		);
	});

	test('every marker in a note is found, the id ending at a space, comma, semicolon or parenthesis', () => {
		expect(
			crmMarkersIn('CRM payment a1, CRM invoice b2; CRM invoice-payment c3 (card) CRM payment d4)'),
		).toEqual([
			{ kind: 'payment', id: 'a1' },
			{ kind: 'invoice', id: 'b2' },
			{ kind: 'invoice-payment', id: 'c3' },
			{ kind: 'payment', id: 'd4' },
		]);
	});

	test('the note the receipt sync writes ("marker (source)") is ours', () => {
		expect(
			hasCrmMarker(
				{ PrivateNote: `${crmMarker('payment', 'txn_9')} (order form)` },
				'payment',
				'txn_9',
			),
		).toBe(true);
	});

	test('a payment note that names the invoice ("CRM invoice-payment x") is not the invoice’s marker', () => {
		const note = {
			PrivateNote: `${crmMarker('invoice-payment', 'abc')} Payment towards invoice INV-7, CRM paid to date 50`,
		};
		expect(hasCrmMarker(note, 'invoice-payment', 'abc')).toBe(true);
		expect(hasCrmMarker(note, 'invoice', 'abc')).toBe(false);
		expect(hasCrmMarker(note, 'payment', 'abc')).toBe(false);
	});

	test('no note, or a note that is not text, carries no marker', () => {
		expect(crmMarkersIn(undefined)).toEqual([]);
		expect(crmMarkersIn(null)).toEqual([]);
		expect(hasCrmMarker({}, 'payment', 'x')).toBe(false);
		expect(hasCrmMarker({ PrivateNote: 'crm payment x' }, 'payment', 'x')).toBe(false);
	});

	// Was a bug: "(", ")", "," and ";" end a marker in a note, so ids holding them were written
	// but not read back (the next run saw "someone else's" receipt). They are percent-encoded now.
	test('an id with a parenthesis or comma is recognised by its own marker', () => {
		for (const id of ['order (123)', 'a,b', 'x;y']) {
			expect(hasCrmMarker({ PrivateNote: crmMarker('payment', id) }, 'payment', id)).toBe(true);
		}
	});
});

describe('oldestFirst and ownership: which duplicate survives a race', () => {
	test('created first wins; same time falls back to the lower id as a number', () => {
		const t = '2026-11-20T10:00:00Z';
		const records = [
			{ Id: '10', MetaData: { CreateTime: t } },
			{ Id: '9', MetaData: { CreateTime: t } },
			{ Id: '11', MetaData: { CreateTime: '2026-11-20T09:59:59Z' } },
		];
		expect(oldestFirst(records).map((r) => r.Id)).toEqual(['11', '9', '10']);
		expect(records.map((r) => r.Id)).toEqual(['10', '9', '11']); // the input is not reordered
	});

	test('times with offsets compare as instants', () => {
		const records = [
			{ Id: '1', MetaData: { CreateTime: '2026-11-20T09:00:00-08:00' } }, // 17:00 UTC
			{ Id: '2', MetaData: { CreateTime: '2026-11-20T12:00:00Z' } },
		];
		expect(oldestFirst(records).map((r) => r.Id)).toEqual(['2', '1']);
	});

	test('a bookkeeper’s document under our number is never ours, whatever its age', () => {
		const split = ownership(
			[
				{
					Id: '3',
					DocNumber: 'INV-7',
					PrivateNote: 'Entered by hand',
					MetaData: { CreateTime: '2020-01-01T00:00:00Z' },
				},
				{
					Id: '8',
					DocNumber: 'INV-7',
					PrivateNote: 'CRM invoice abc',
					MetaData: { CreateTime: '2026-01-01T00:00:00Z' },
				},
				{
					Id: '9',
					DocNumber: 'INV-7',
					PrivateNote: 'CRM invoice abcd',
					MetaData: { CreateTime: '2025-01-01T00:00:00Z' },
				},
			],
			'invoice',
			'abc',
		);
		expect(split.ours.map((r) => r.Id)).toEqual(['8']);
		expect(split.others.map((r) => r.Id)).toEqual(['3', '9']);
	});

	test('nothing returned: nothing ours, nothing else', () => {
		expect(ownership([], 'payment', 'x')).toEqual({ ours: [], others: [] });
	});
});

describe('describeDocument: how errors name a QuickBooks document', () => {
	test('id, number and customer name when known', () => {
		expect(
			describeDocument('invoice', {
				Id: '1043',
				DocNumber: 'INV-7',
				CustomerRef: { value: '58', name: 'Acme Ltd' },
			}),
		).toBe('invoice 1043 (no. INV-7, customer Acme Ltd)');
	});

	test('the customer id when QuickBooks gave no name; parts that are missing are left out', () => {
		expect(describeDocument('invoice', { Id: '1043', CustomerRef: { value: '58' } })).toBe(
			'invoice 1043 (customer id 58)',
		);
		expect(describeDocument('sales receipt', { Id: '7', DocNumber: 'R-1' })).toBe(
			'sales receipt 7 (no. R-1)',
		);
		expect(describeDocument('payment', { Id: '12' })).toBe('payment 12');
	});
});
