/**
 * E-mail handling (nodes/shared/domain/email.ts): the e-mail is how a CRM contact finds its
 * QuickBooks customer. A wrong answer here is a payment booked to a new duplicate customer, or
 * a contact whose valid address is refused.
 */
import {
	describeEmailProblem,
	emailAsWritten,
	emailsIn,
	normalizeEmail,
} from '../../nodes/shared/domain/email';

describe('normalizeEmail: one spelling per address', () => {
	test('case and surrounding spaces do not make a different customer', () => {
		expect(normalizeEmail('Jamie.Rivera@Example.COM')).toBe('jamie.rivera@example.com');
		expect(normalizeEmail('  jamie@example.com\n')).toBe('jamie@example.com');
		expect(normalizeEmail('\tJAMIE@EXAMPLE.COM ')).toBe('jamie@example.com');
	});

	test('real-world addresses are accepted', () => {
		for (const ok of [
			"o'brien@example.ie", // apostrophe inside the local part
			"d'angelo.o'neil@example.com",
			'jo+invoices@example.com',
			'first.last@sub.example.co.uk',
			'jo_smith-99@example-shop.com',
			'123@example.com',
			'josé@exämple.com',
		]) {
			expect(normalizeEmail(ok)).toBe(ok.toLowerCase());
		}
	});

	test('malformed shapes are refused (undefined), so no customer is matched or created from them', () => {
		for (const bad of [
			'',
			'   ',
			'jamie',
			'jamie@',
			'@example.com',
			'jamie@example',
			'jamie@localhost',
			'jamie@example.c', // one-letter top-level domain
			'jamie@@example.com',
			'jamie@exa mple.com',
			'jamie smith@example.com',
			"'jamie@example.com", // apostrophe at the edge (a spreadsheet's text marker), not inside
			"jamie'@example.com",
			'Jamie Rivera <jamie@example.com>', // a display name around the address
			'mailto:jamie@example.com',
			'jamie@example.com, jo@example.com', // two addresses are not one
			'jamie@example.com;',
			'"jamie"@example.com',
			'jamie@example.com.', // trailing dot
		]) {
			expect(normalizeEmail(bad)).toBeUndefined();
		}
	});

	test('values that are not text are refused', () => {
		for (const bad of [undefined, null, 42, true, {}, ['jamie@example.com']]) {
			expect(normalizeEmail(bad)).toBeUndefined();
		}
	});

	// Was a bug (fixed): the top-level domain must be ASCII letters only, so an internationalized top-level
	// domain in its ASCII (punycode) form, e.g. ".xn--p1ai" (.рф), is refused although it is a
	// valid, deliverable address: the item fails with "is not a valid e-mail address".
	test('an address on a punycode top-level domain is accepted', () => {
		expect(normalizeEmail('info@example.xn--p1ai')).toBe('info@example.xn--p1ai');
	});
});

describe('describeEmailProblem: what the item error says', () => {
	test('missing and blank are "missing"', () => {
		for (const missing of [undefined, null, '', '   '])
			expect(describeEmailProblem(missing)).toBe('is missing');
	});

	test('anything else quotes the value so the user sees what was sent', () => {
		expect(describeEmailProblem('jamie@example')).toBe(
			'is not a valid e-mail address: "jamie@example"',
		);
		expect(describeEmailProblem('Jamie <jamie@example.com>')).toContain(
			'"Jamie <jamie@example.com>"',
		);
		expect(describeEmailProblem(42)).toBe('is not a valid e-mail address: 42');
	});
});

describe('emailsIn: a QuickBooks e-mail field may hold several addresses', () => {
	test('comma- or semicolon-separated addresses are all found, normalized, once each', () => {
		expect(emailsIn('Billing@Acme.com, owner@acme.com')).toEqual([
			'billing@acme.com',
			'owner@acme.com',
		]);
		expect(emailsIn('billing@acme.com;owner@acme.com ; accounts@acme.com')).toEqual([
			'billing@acme.com',
			'owner@acme.com',
			'accounts@acme.com',
		]);
		expect(emailsIn('BILLING@acme.com,billing@acme.com')).toEqual(['billing@acme.com']);
	});

	test('one address is a list of one; junk and empty parts are skipped', () => {
		expect(emailsIn('  Jo@Example.com ')).toEqual(['jo@example.com']);
		expect(emailsIn('jo@example.com,, ,not-an-address')).toEqual(['jo@example.com']);
		expect(emailsIn('not-an-address')).toEqual([]);
		expect(emailsIn('')).toEqual([]);
	});

	test('no field, or a field that is not text, holds no addresses', () => {
		for (const none of [undefined, null, 42, {}, ['jo@example.com']])
			expect(emailsIn(none)).toEqual([]);
	});
});

describe('emailAsWritten: what a new QuickBooks record shows', () => {
	test('a valid address keeps the case the CRM wrote, without surrounding spaces', () => {
		expect(emailAsWritten('  Jamie.Rivera@Example.COM ')).toBe('Jamie.Rivera@Example.COM');
		expect(emailAsWritten("O'Brien@Example.ie")).toBe("O'Brien@Example.ie");
	});

	test('an invalid or missing address gives nothing (never a half-valid value written to QuickBooks)', () => {
		for (const bad of [undefined, null, '', 'jamie', 'Jamie <jamie@example.com>', 42])
			expect(emailAsWritten(bad)).toBeUndefined();
	});

	test('as written and normalized denote the same address', () => {
		const raw = ' Jo+Books@Example.COM ';
		expect(normalizeEmail(emailAsWritten(raw))).toBe(normalizeEmail(raw));
	});
});
