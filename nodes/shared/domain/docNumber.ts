/**
 * Document numbers and the ownership marker. The number is how a bookkeeper finds a CRM document
 * in QuickBooks; the marker in PrivateNote is what makes it ours. A number alone proves nothing:
 * with the company's "Custom transaction numbers" preference off QuickBooks stores duplicates,
 * and a bookkeeper's own documents may carry any number.
 */
import type { QboRecord } from '../types';
import type { Ownership } from './types';

/** QuickBooks DocNumber holds at most 21 characters. */
export const DOC_NUMBER_MAX = 21;

/** Length of the hash that keeps shortened numbers distinct. */
const HASH_LENGTH = 6;

export type CrmKind = 'payment' | 'invoice' | 'invoice-payment' | 'refund';

/** FNV-1a (32 bit) of the text, in base 36, padded: stable across runs and platforms. */
function hash36(text: string): string {
	let h = 0x811c9dc5;
	for (const ch of text) {
		h ^= ch.codePointAt(0)!;
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h.toString(36).padStart(HASH_LENGTH, '0').slice(-HASH_LENGTH);
}

function cleanKey(key: string): string {
	const clean = key.trim().replace(/\s+/g, '-');
	if (!clean) throw new Error('The CRM document has no id or number to use as DocNumber');
	return clean;
}

function room(prefix: string): number {
	const left = DOC_NUMBER_MAX - prefix.length;
	if (left < HASH_LENGTH + 3)
		throw new Error(
			`The DocNumber prefix "${prefix}" is too long (at most ${DOC_NUMBER_MAX - HASH_LENGTH - 3} characters)`,
		);
	return left;
}

/** The key's distinctive end plus a hash of the whole key, so two keys never share a number by truncation. */
function shortened(key: string, space: number, salt: string): string {
	return `${key.slice(-(space - HASH_LENGTH - 1))}-${hash36(salt + key)}`;
}

/**
 * The QuickBooks DocNumber for a CRM document: prefix + key as it is when it fits; a longer key
 * keeps its last characters and gains a hash of the whole key (ids that differ only at the start
 * still get different numbers).
 */
export function docNumberFor(key: string, prefix = ''): string {
	const clean = cleanKey(key);
	const space = room(prefix);
	return prefix + (clean.length > space ? shortened(clean, space, '') : clean);
}

/**
 * The number used instead when `docNumberFor` is taken by a document this package did not create
 * (the "Use a Distinct Number" option). Always differs from `docNumberFor` for the same key.
 */
export function alternateDocNumber(key: string, prefix = ''): string {
	const clean = cleanKey(key);
	return prefix + shortened(clean, room(prefix), 'alt:');
}

/**
 * Marker ids never contain whitespace or the characters that end a marker in a note, so the id
 * ends where the marker ends; those characters are percent-encoded, which keeps ids distinct.
 */
export function markerId(id: string): string {
	return id
		.trim()
		.replace(
			/[\s(),;%]/g,
			(ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`,
		);
}

/** The marker written to PrivateNote that ties a QuickBooks record to its CRM source. */
export function crmMarker(kind: CrmKind, id: string): string {
	return `CRM ${kind} ${markerId(id)}`;
}

const MARKER = /CRM (invoice-payment|payment|invoice|refund) ([^\s(),;]+)/g;

/** Every marker in a PrivateNote (a bookkeeper may have added text around it). */
export function crmMarkersIn(note: unknown): Array<{ kind: CrmKind; id: string }> {
	return [...String(note ?? '').matchAll(MARKER)].map((m) => ({ kind: m[1] as CrmKind, id: m[2] }));
}

/** Whether the record carries exactly this CRM marker ("CRM payment 12" is not "CRM payment 123"). */
export function hasCrmMarker(record: Record<string, unknown>, kind: CrmKind, id: string): boolean {
	const wanted = markerId(id);
	return crmMarkersIn(record.PrivateNote).some((m) => m.kind === kind && m.id === wanted);
}

function createdAt(record: QboRecord): number {
	return (
		Date.parse(
			String((record.MetaData as { CreateTime?: string } | undefined)?.CreateTime ?? ''),
		) || 0
	);
}

/** Oldest first: the document a race keeps. */
export function oldestFirst(records: QboRecord[]): QboRecord[] {
	return [...records].sort((a, b) => createdAt(a) - createdAt(b) || Number(a.Id) - Number(b.Id));
}

/** Splits the documents QuickBooks returned for a set of numbers into ours and someone else's. */
export function ownership(records: QboRecord[], kind: CrmKind, id: string): Ownership {
	const ours = records.filter((r) => hasCrmMarker(r, kind, id));
	return { ours: oldestFirst(ours), others: records.filter((r) => !ours.includes(r)) };
}

/** "invoice 1043 (no. INV-7, customer Acme Ltd)": how errors name a QuickBooks document. */
export function describeDocument(entity: string, record: QboRecord): string {
	const customer = (record.CustomerRef as { name?: string; value?: string } | undefined) ?? {};
	const who = customer.name ?? (customer.value ? `id ${customer.value}` : undefined);
	const parts = [
		record.DocNumber ? `no. ${String(record.DocNumber)}` : undefined,
		who ? `customer ${who}` : undefined,
	].filter(Boolean);
	return `${entity} ${String(record.Id)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
