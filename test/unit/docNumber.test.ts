import {
	alternateDocNumber,
	crmMarker,
	docNumberFor,
	hasCrmMarker,
	ownership,
	DOC_NUMBER_MAX,
} from '../../nodes/shared/domain/docNumber';
import { chooseCustomer, newCustomerBody } from '../../nodes/shared/domain/customerMatch';
import { emailsIn } from '../../nodes/shared/domain/email';

describe('document numbers', () => {
	test('a key that fits is the number; a longer one keeps its end plus a hash of the whole key', () => {
		expect(docNumberFor('INV-000101')).toBe('INV-000101');
		expect(docNumberFor('pi 77', 'GHL-')).toBe('GHL-pi-77');
		const long = docNumberFor('6650f0c1d2e3f4a5b6c7d8e9');
		expect(long).toHaveLength(DOC_NUMBER_MAX);
		expect(long.startsWith('e3f4a5b6c7d8e9-')).toBe(true);
	});

	test('10,000 ids that differ only in their first characters get 10,000 different numbers', () => {
		const numbers = new Set<string>();
		for (let i = 0; i < 10_000; i++)
			numbers.add(docNumberFor(`${i.toString(16).padStart(4, '0')}0000000000000000000000`, 'CRM-'));
		expect(numbers.size).toBe(10_000);
		expect([...numbers].every((n) => n.length <= DOC_NUMBER_MAX)).toBe(true);
	});

	test('the alternate number differs from the number, for short and long keys, and fits', () => {
		for (const key of ['1001', 'INV-000101', '6650f0c1d2e3f4a5b6c7d8e9']) {
			expect(alternateDocNumber(key)).not.toBe(docNumberFor(key));
			expect(alternateDocNumber(key, 'QB-').length).toBeLessThanOrEqual(DOC_NUMBER_MAX);
		}
	});

	test('a prefix that leaves no room for a distinct number is refused', () => {
		expect(() => docNumberFor('1', 'A-VERY-LONG-PREFIX-')).toThrow(
			/prefix "A-VERY-LONG-PREFIX-" is too long/,
		);
		expect(() => docNumberFor('  ')).toThrow(/no id or number/);
	});
});

describe('the ownership marker', () => {
	test('matches the exact CRM id, wherever the bookkeeper put it in the note', () => {
		const note = (PrivateNote: string) => ({ PrivateNote });
		expect(hasCrmMarker(note(crmMarker('payment', 'ch_1')), 'payment', 'ch_1')).toBe(true);
		expect(
			hasCrmMarker(
				note(`Checked by Sam. ${crmMarker('payment', 'ch_1')} (funnel)`),
				'payment',
				'ch_1',
			),
		).toBe(true);
		expect(hasCrmMarker(note(`Voided - ${crmMarker('invoice', 'abc')}`), 'invoice', 'abc')).toBe(
			true,
		);
		expect(hasCrmMarker(note(crmMarker('payment', 'ch_12')), 'payment', 'ch_1')).toBe(false);
		expect(hasCrmMarker(note(crmMarker('invoice-payment', 'abc')), 'invoice', 'abc')).toBe(false);
		expect(hasCrmMarker(note('Paid by card'), 'payment', 'ch_1')).toBe(false);
	});

	test('ownership keeps ours oldest first and names the others', () => {
		const doc = (Id: string, created: string, PrivateNote?: string) => ({
			Id,
			PrivateNote,
			MetaData: { CreateTime: created },
		});
		const split = ownership(
			[
				doc('9', '2026-11-20T10:00:02Z', 'CRM payment x'),
				doc('4', '2026-11-01T09:00:00Z'),
				doc('7', '2026-11-20T10:00:01Z', 'CRM payment x'),
			],
			'payment',
			'x',
		);
		expect(split.ours.map((d) => d.Id)).toEqual(['7', '9']);
		expect(split.others.map((d) => d.Id)).toEqual(['4']);
	});
});

describe('e-mail fields with several addresses', () => {
	test('every valid address counts, normalized; junk between them is ignored', () => {
		expect(
			emailsIn('Billing@Acme.com, owner@acme.com;  not-an-address , billing@acme.com'),
		).toEqual(['billing@acme.com', 'owner@acme.com']);
		expect(emailsIn(undefined)).toEqual([]);
	});

	test('a customer matches by any of its addresses, never by a longer one that contains it', () => {
		const customers = [
			{
				Id: '1',
				PrimaryEmailAddr: { Address: 'jo@example.com, books@example.com' },
				MetaData: { CreateTime: '2026-01-01T00:00:00Z' },
			},
			{
				Id: '2',
				PrimaryEmailAddr: { Address: 'bojo@example.com' },
				MetaData: { CreateTime: '2025-01-01T00:00:00Z' },
			},
		];
		expect(chooseCustomer('books@example.com', customers, 'oldest', 'ignore')).toMatchObject({
			kind: 'active',
			customer: { Id: '1' },
		});
		expect(chooseCustomer('jo@example.com', customers, 'oldest', 'ignore')).toMatchObject({
			kind: 'active',
			customer: { Id: '1' },
		});
		expect(chooseCustomer('o@example.com', customers, 'oldest', 'ignore')).toEqual({
			kind: 'none',
		});
	});

	test('a new customer keeps the e-mail as the CRM wrote it', () => {
		expect(
			newCustomerBody({ email: ' Jamie.Rivera@Example.COM ' }, 'jamie.rivera@example.com', 'Jamie'),
		).toMatchObject({ PrimaryEmailAddr: { Address: 'Jamie.Rivera@Example.COM' } });
	});
});
