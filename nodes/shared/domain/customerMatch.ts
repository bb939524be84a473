/**
 * Which QuickBooks customer an e-mail belongs to. One policy for every operation that needs a
 * customer; the QuickBooks calls live in ../sync/customers.ts, this module only decides.
 */
import type { QboRecord } from '../types';
import { emailAsWritten, emailsIn } from './email';
import type { Choice } from './types';

export type DuplicatePolicy = 'oldest' | 'newest' | 'fail';
export type InactivePolicy = 'reactivate' | 'ignore';

export interface Person {
	email?: string;
	name?: string;
	givenName?: string;
	familyName?: string;
	companyName?: string;
	phone?: string;
}

function createdAt(c: QboRecord): number {
	return (
		Date.parse(String((c.MetaData as { CreateTime?: string } | undefined)?.CreateTime ?? '')) || 0
	);
}

function updatedAt(c: QboRecord): number {
	return (
		Date.parse(
			String((c.MetaData as { LastUpdatedTime?: string } | undefined)?.LastUpdatedTime ?? ''),
		) || 0
	);
}

/** The customer's addresses, normalized; QuickBooks allows several in one field. */
export function customerEmails(c: QboRecord): string[] {
	return emailsIn((c.PrimaryEmailAddr as { Address?: string } | undefined)?.Address);
}

function pick(candidates: QboRecord[], policy: DuplicatePolicy): QboRecord | 'ambiguous' {
	if (candidates.length === 1) return candidates[0];
	if (policy === 'fail') return 'ambiguous';
	const sorted = [...candidates].sort((a, b) =>
		policy === 'oldest'
			? createdAt(a) - createdAt(b) || Number(a.Id) - Number(b.Id)
			: updatedAt(b) - updatedAt(a) || Number(b.Id) - Number(a.Id),
	);
	return sorted[0];
}

/** Chooses among the customers QuickBooks returned for an e-mail (inactive ones included). */
export function chooseCustomer(
	email: string,
	candidates: QboRecord[],
	duplicates: DuplicatePolicy,
	inactive: InactivePolicy,
): Choice {
	const same = candidates.filter((c) => customerEmails(c).includes(email));
	const active = same.filter((c) => c.Active !== false);
	const pool = active.length ? active : inactive === 'reactivate' ? same : [];
	if (pool.length === 0) return { kind: 'none' };
	const chosen = pick(pool, duplicates);
	if (chosen === 'ambiguous') return { kind: 'ambiguous', ids: pool.map((c) => String(c.Id)) };
	return chosen.Active === false
		? { kind: 'inactive', customer: chosen }
		: { kind: 'active', customer: chosen };
}

/** QuickBooks display names may not contain a colon and are at most 100 characters here. */
function cleanName(value: string): string {
	return value.replace(/:/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
}

export function displayNameFor(person: Person, email: string): string {
	const fromParts = [person.givenName, person.familyName].filter(Boolean).join(' ');
	const name = cleanName(person.name || fromParts || person.companyName || '');
	return name || email;
}

/** Second choice after a name clash with someone else: "Name (e-mail)". */
export function disambiguatedName(person: Person, email: string): string {
	const base = displayNameFor(person, email);
	if (base === email) return email;
	// The name gives way so that the whole " (e-mail)" fits in QuickBooks' 100 characters.
	const suffix = ` (${email})`;
	return cleanName(`${base.slice(0, Math.max(0, 100 - suffix.length)).trim()}${suffix}`).slice(
		0,
		100,
	);
}

export function newCustomerBody(person: Person, email: string, displayName: string): QboRecord {
	// The address keeps the case the CRM sent; matching ignores case anyway.
	const body: QboRecord = {
		DisplayName: displayName,
		PrimaryEmailAddr: { Address: emailAsWritten(person.email) ?? email },
	};
	const [given, ...rest] = (person.name ?? '').trim().split(/\s+/);
	const givenName = person.givenName ?? (person.name ? given : undefined);
	const familyName = person.familyName ?? (rest.length ? rest.join(' ') : undefined);
	if (givenName) body.GivenName = givenName.slice(0, 100);
	if (familyName) body.FamilyName = familyName.slice(0, 100);
	if (person.companyName) body.CompanyName = person.companyName.slice(0, 100);
	if (person.phone) body.PrimaryPhone = { FreeFormNumber: person.phone.slice(0, 30) };
	return body;
}
