/**
 * Customer matching (nodes/shared/domain/customerMatch.ts): which QuickBooks customer a CRM
 * e-mail belongs to, and what a new customer looks like. A wrong answer here is a payment booked
 * to the wrong customer, a duplicate customer, or a customer QuickBooks refuses to create.
 *
 * chooseCustomer receives the e-mail already normalized (see sync/customers.ts) and the
 * candidates QuickBooks returned for `PrimaryEmailAddr LIKE '%email%'`, so candidates include
 * near misses that must be dropped.
 */
import {
	chooseCustomer,
	customerEmails,
	disambiguatedName,
	displayNameFor,
	newCustomerBody,
} from '../../nodes/shared/domain/customerMatch';

type Customer = {
	Id: string;
	Active?: boolean;
	PrimaryEmailAddr?: { Address?: string };
	MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
};

function customer(
	Id: string,
	Address: string | undefined,
	created: string,
	updated = created,
	Active?: boolean,
): Customer {
	return {
		Id,
		...(Active === undefined ? {} : { Active }),
		...(Address === undefined ? {} : { PrimaryEmailAddr: { Address } }),
		MetaData: { CreateTime: created, LastUpdatedTime: updated },
	};
}

const JO = 'jo@example.com';

describe('chooseCustomer: one customer per e-mail', () => {
	test('no candidate, or only near misses the LIKE query returned, is no match (a new customer is created)', () => {
		expect(chooseCustomer(JO, [], 'oldest', 'reactivate')).toEqual({ kind: 'none' });
		const nearMisses = [
			customer('1', 'bojo@example.com', '2026-01-01T00:00:00Z'),
			customer('2', 'jo@example.com.au', '2026-01-01T00:00:00Z'),
			customer('3', 'jo@example.community', '2026-01-01T00:00:00Z'),
			customer('4', 'Jo Smith jo@example.com', '2026-01-01T00:00:00Z'), // not an address
			customer('5', undefined, '2026-01-01T00:00:00Z'),
		];
		expect(chooseCustomer(JO, nearMisses, 'oldest', 'reactivate')).toEqual({ kind: 'none' });
	});

	test('the stored address matches whatever its case or surrounding spaces', () => {
		const c = customer('7', '  Jo@Example.COM ', '2026-01-01T00:00:00Z');
		expect(chooseCustomer(JO, [c], 'fail', 'ignore')).toEqual({ kind: 'active', customer: c });
	});

	test('a customer whose field holds several addresses matches by any one of them', () => {
		const c = customer(
			'8',
			'accounts@acme.com; Jo@Example.com, owner@acme.com',
			'2026-01-01T00:00:00Z',
		);
		expect(customerEmails(c)).toEqual(['accounts@acme.com', JO, 'owner@acme.com']);
		for (const email of ['accounts@acme.com', JO, 'owner@acme.com']) {
			expect(chooseCustomer(email, [c], 'fail', 'ignore')).toMatchObject({
				kind: 'active',
				customer: { Id: '8' },
			});
		}
	});

	test('a customer record without an Active field counts as active', () => {
		const c = customer('9', JO, '2026-01-01T00:00:00Z');
		expect(chooseCustomer(JO, [c], 'oldest', 'ignore')).toMatchObject({ kind: 'active' });
	});

	describe('several customers with the e-mail', () => {
		const first = customer('20', JO, '2024-03-01T10:00:00Z', '2024-03-01T10:00:00Z');
		const second = customer('12', JO, '2025-06-01T10:00:00Z', '2026-11-01T10:00:00Z');
		const third = customer(
			'31',
			`${JO}, books@example.com`,
			'2026-01-15T10:00:00Z',
			'2026-02-01T10:00:00Z',
		);

		test('"oldest" takes the one created first, whatever order QuickBooks listed them in', () => {
			expect(chooseCustomer(JO, [second, third, first], 'oldest', 'ignore')).toEqual({
				kind: 'active',
				customer: first,
			});
			expect(chooseCustomer(JO, [third, first, second], 'oldest', 'ignore')).toEqual({
				kind: 'active',
				customer: first,
			});
		});

		test('"newest" takes the one updated most recently (not the one created last)', () => {
			expect(chooseCustomer(JO, [first, third, second], 'newest', 'ignore')).toEqual({
				kind: 'active',
				customer: second,
			});
		});

		test('"fail" names every candidate so the user can merge them', () => {
			expect(chooseCustomer(JO, [first, second, third], 'fail', 'ignore')).toEqual({
				kind: 'ambiguous',
				ids: ['20', '12', '31'],
			});
		});

		test('"fail" with a single real match is that match (near misses do not make it ambiguous)', () => {
			const miss = customer('40', 'bojo@example.com', '2020-01-01T00:00:00Z');
			expect(chooseCustomer(JO, [miss, first], 'fail', 'ignore')).toEqual({
				kind: 'active',
				customer: first,
			});
		});

		test('times with offsets compare as instants, not as text', () => {
			const westCoast = customer('50', JO, '2026-01-01T09:00:00-08:00'); // 17:00 UTC
			const utc = customer('51', JO, '2026-01-01T12:00:00Z');
			expect(chooseCustomer(JO, [westCoast, utc], 'oldest', 'ignore')).toMatchObject({
				customer: { Id: '51' },
			});
		});

		test('same time: the lower id (compared as a number) is the oldest, the higher the newest', () => {
			const t = '2026-01-01T00:00:00Z';
			const nine = customer('9', JO, t);
			const ten = customer('10', JO, t);
			expect(chooseCustomer(JO, [ten, nine], 'oldest', 'ignore')).toMatchObject({
				customer: { Id: '9' },
			});
			expect(chooseCustomer(JO, [nine, ten], 'newest', 'ignore')).toMatchObject({
				customer: { Id: '10' },
			});
		});
	});

	describe('inactive customers (QuickBooks cannot delete customers, only make them inactive)', () => {
		const inactiveOld = customer('3', JO, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z', false);
		const inactiveNew = customer('4', JO, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z', false);
		const active = customer('5', JO, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', true);

		test('"reactivate": the only match, inactive, is chosen and flagged for reactivation', () => {
			expect(chooseCustomer(JO, [inactiveOld], 'oldest', 'reactivate')).toEqual({
				kind: 'inactive',
				customer: inactiveOld,
			});
		});

		test('"ignore": an inactive match counts as no match (a new customer is created)', () => {
			expect(chooseCustomer(JO, [inactiveOld, inactiveNew], 'oldest', 'ignore')).toEqual({
				kind: 'none',
			});
		});

		test('an active match always wins over older inactive ones, under either policy', () => {
			for (const inactive of ['reactivate', 'ignore'] as const) {
				expect(chooseCustomer(JO, [inactiveOld, active, inactiveNew], 'oldest', inactive)).toEqual({
					kind: 'active',
					customer: active,
				});
				expect(chooseCustomer(JO, [inactiveOld, active, inactiveNew], 'fail', inactive)).toEqual({
					kind: 'active',
					customer: active,
				});
			}
		});

		test('several inactive matches follow the duplicate policy too', () => {
			expect(chooseCustomer(JO, [inactiveNew, inactiveOld], 'oldest', 'reactivate')).toEqual({
				kind: 'inactive',
				customer: inactiveOld,
			});
			expect(chooseCustomer(JO, [inactiveOld, inactiveNew], 'newest', 'reactivate')).toEqual({
				kind: 'inactive',
				customer: inactiveNew,
			});
			expect(chooseCustomer(JO, [inactiveOld, inactiveNew], 'fail', 'reactivate')).toEqual({
				kind: 'ambiguous',
				ids: ['3', '4'],
			});
		});
	});
});

describe('displayNameFor: the name a new customer gets', () => {
	test('the full name wins, then first + last name, then the company, then the e-mail', () => {
		expect(
			displayNameFor(
				{ name: 'Jo Rivera', givenName: 'Joanna', familyName: 'R', companyName: 'Acme' },
				JO,
			),
		).toBe('Jo Rivera');
		expect(
			displayNameFor({ givenName: 'Joanna', familyName: 'Rivera', companyName: 'Acme' }, JO),
		).toBe('Joanna Rivera');
		expect(displayNameFor({ givenName: 'Joanna' }, JO)).toBe('Joanna');
		expect(displayNameFor({ familyName: 'Rivera' }, JO)).toBe('Rivera');
		expect(displayNameFor({ companyName: 'Acme Ltd' }, JO)).toBe('Acme Ltd');
		expect(displayNameFor({}, JO)).toBe(JO);
	});

	test('colons, which QuickBooks refuses in a display name, become spaces', () => {
		expect(displayNameFor({ name: 'Acme: Billing' }, JO)).toBe('Acme Billing');
		expect(displayNameFor({ name: 'Parent:Child' }, JO)).toBe('Parent Child');
	});

	test('tabs, newlines and runs of spaces, which QuickBooks refuses or shows oddly, become one space', () => {
		expect(displayNameFor({ name: 'Jo\tRivera' }, JO)).toBe('Jo Rivera');
		expect(displayNameFor({ name: ' Jo\r\n  Rivera \n' }, JO)).toBe('Jo Rivera');
	});

	test('a name that is nothing but colons and spaces falls back to the e-mail', () => {
		expect(displayNameFor({ name: ' : \t: ' }, JO)).toBe(JO);
	});

	test('long names are cut to 100 characters', () => {
		const name = displayNameFor({ name: 'A'.repeat(150) }, JO);
		expect(name).toBe('A'.repeat(100));
		expect(
			displayNameFor({ companyName: 'Very Long Company Name '.repeat(10) }, JO).length,
		).toBeLessThanOrEqual(100);
	});

	test('the e-mail fallback never carries a colon (e-mails with one are refused upstream)', () => {
		expect(displayNameFor({ name: '' }, "o'brien@example.ie")).toBe("o'brien@example.ie");
	});
});

describe('disambiguatedName: the second try after a name clash with someone else', () => {
	test('is "Name (e-mail)", so two people called Jo Rivera both get a customer', () => {
		expect(disambiguatedName({ name: 'Jo Rivera' }, JO)).toBe('Jo Rivera (jo@example.com)');
		expect(disambiguatedName({ name: 'Jo Rivera' }, JO)).not.toBe(
			displayNameFor({ name: 'Jo Rivera' }, JO),
		);
		expect(disambiguatedName({ companyName: 'Acme:West' }, JO)).toBe('Acme West (jo@example.com)');
	});

	test('a customer named by the e-mail has no second choice (the caller then reports the clash)', () => {
		expect(disambiguatedName({}, JO)).toBe(JO);
	});

	test('stays within 100 characters', () => {
		expect(disambiguatedName({ name: 'B'.repeat(95) }, JO).length).toBeLessThanOrEqual(100);
		expect(disambiguatedName({ name: 'B'.repeat(150) }, JO).length).toBeLessThanOrEqual(100);
	});

	// Was a bug (fixed): the 100-character cut is applied after appending " (e-mail)", so a name of 100
	// characters (or more) gets exactly the same second name as the first one; sync/customers.ts
	// sees the two are equal and fails the item with the duplicate-name fault, although the
	// e-mail is new. (A name of 90-99 characters gets a cut-off e-mail, e.g. "… (jo@".) The name
	// should be shortened to leave room for the whole " (e-mail)".
	test('a clashing 100-character name still gets a distinct second name with the whole e-mail', () => {
		const person = { name: 'B'.repeat(100) };
		const second = disambiguatedName(person, JO);
		expect(second).not.toBe(displayNameFor(person, JO));
		expect(second.endsWith(`(${JO})`)).toBe(true);
		expect(second.length).toBeLessThanOrEqual(100);
	});
});

describe('newCustomerBody: what is written to QuickBooks for a new customer', () => {
	test('the e-mail keeps the case the CRM wrote; matching ignores case anyway', () => {
		const body = newCustomerBody(
			{ email: ' Jo.Rivera@Example.COM ', name: 'Jo Rivera' },
			'jo.rivera@example.com',
			'Jo Rivera',
		);
		expect(body).toEqual({
			DisplayName: 'Jo Rivera',
			PrimaryEmailAddr: { Address: 'Jo.Rivera@Example.COM' },
			GivenName: 'Jo',
			FamilyName: 'Rivera',
		});
	});

	test('without a valid CRM address the normalized match e-mail is written', () => {
		expect(newCustomerBody({ name: 'Jo' }, JO, 'Jo').PrimaryEmailAddr).toEqual({ Address: JO });
		expect(newCustomerBody({ email: 'not valid', name: 'Jo' }, JO, 'Jo').PrimaryEmailAddr).toEqual({
			Address: JO,
		});
	});

	test('the display name is the one the caller chose (e.g. the disambiguated one)', () => {
		expect(
			newCustomerBody({ email: JO, name: 'Jo Rivera' }, JO, 'Jo Rivera (jo@example.com)')
				.DisplayName,
		).toBe('Jo Rivera (jo@example.com)');
	});

	test('a full name splits at the first space: first name, then the rest as last name', () => {
		expect(newCustomerBody({ name: 'Mary Ann  Smith' }, JO, 'x')).toMatchObject({
			GivenName: 'Mary',
			FamilyName: 'Ann Smith',
		});
		const single = newCustomerBody({ name: 'Cher' }, JO, 'x');
		expect(single.GivenName).toBe('Cher');
		expect(single).not.toHaveProperty('FamilyName');
	});

	test('explicit first and last names win over the split full name', () => {
		expect(
			newCustomerBody(
				{ name: 'Jo Rivera', givenName: 'Joanna', familyName: 'Rivera-Diaz' },
				JO,
				'x',
			),
		).toMatchObject({ GivenName: 'Joanna', FamilyName: 'Rivera-Diaz' });
		expect(newCustomerBody({ name: 'Jo Rivera', givenName: 'Joanna' }, JO, 'x')).toMatchObject({
			GivenName: 'Joanna',
			FamilyName: 'Rivera',
		});
	});

	test('no name at all writes no name fields (never empty strings)', () => {
		const body = newCustomerBody({ email: JO }, JO, JO);
		expect(Object.keys(body).sort()).toEqual(['DisplayName', 'PrimaryEmailAddr']);
		expect(Object.keys(newCustomerBody({ name: '   ' }, JO, JO)).sort()).toEqual([
			'DisplayName',
			'PrimaryEmailAddr',
		]);
	});

	test('company and phone are written, cut to what QuickBooks holds (100 and 30 characters)', () => {
		const body = newCustomerBody(
			{
				companyName: 'C'.repeat(120),
				phone: '+1 (555) 010-0000 ext. 1234567890',
				givenName: 'G'.repeat(120),
				familyName: 'F'.repeat(120),
			},
			JO,
			'x',
		);
		expect(body.CompanyName).toBe('C'.repeat(100));
		expect(body.PrimaryPhone).toEqual({ FreeFormNumber: '+1 (555) 010-0000 ext. 1234567' });
		expect((body.PrimaryPhone as { FreeFormNumber: string }).FreeFormNumber).toHaveLength(30);
		expect(body.GivenName).toHaveLength(100);
		expect(body.FamilyName).toHaveLength(100);
	});

	test('company and phone within the limits are kept as they are', () => {
		expect(
			newCustomerBody({ companyName: 'Acme Ltd', phone: '+44 20 7946 0000' }, JO, 'Acme Ltd'),
		).toMatchObject({
			CompanyName: 'Acme Ltd',
			PrimaryPhone: { FreeFormNumber: '+44 20 7946 0000' },
		});
	});
});
