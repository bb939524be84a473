/**
 * Finding and creating the one QuickBooks document that belongs to a CRM record. The marker
 * decides what is ours, never the number: a bookkeeper's document under the same number is a
 * clash that stops the item (or, by choice, moves ours to a distinct number). Duplicates from a
 * race are settled after the write, because QuickBooks refuses a duplicate number (6140) only
 * when the company's "Custom transaction numbers" preference is on.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import {
	isDeletedBefore,
	isNumberTaken,
	lostRace,
	raceLookupNeeded,
	rereadAfterStale,
} from '../recovery';
import {
	alternateDocNumber,
	describeDocument,
	docNumberFor,
	ownership,
	type CrmKind,
} from '../domain/docNumber';
import type { Created, Lookup } from './types';
import { isVoided } from '../domain/invoiceState';
import { duplicateNumbersRefused } from './preferences';
import { chunks } from './customersBatch';

export type NumberClash = 'error' | 'alternate';

export interface OwnDocumentKey {
	entity: 'SalesReceipt' | 'Invoice' | 'RefundReceipt';
	kind: CrmKind;
	/** The CRM id the marker carries. */
	crmId: string;
	/** What the number is made from (the CRM id, or the CRM invoice number). */
	numberKey: string;
	prefix?: string;
	onClash: NumberClash;
}

export function numbersFor(key: OwnDocumentKey): Lookup['numbers'] {
	return {
		base: docNumberFor(key.numberKey, key.prefix),
		alternate: alternateDocNumber(key.numberKey, key.prefix),
	};
}

const IN_CHUNK = 100;

/** Documents of one entity under any of these numbers, 100 numbers to a query. */
export async function documentsNumbered(
	client: QboClient,
	entity: OwnDocumentKey['entity'],
	numbers: string[],
): Promise<QboRecord[]> {
	const found: QboRecord[] = [];
	for (const part of chunks([...new Set(numbers)], IN_CHUNK))
		found.push(
			...(await client.queryAll({
				entity,
				where: [{ field: 'DocNumber', op: 'IN', value: part }],
			})),
		);
	return found;
}

export function byNumber(records: QboRecord[]): Map<string, QboRecord[]> {
	const map = new Map<string, QboRecord[]>();
	for (const r of records)
		map.set(String(r.DocNumber), [...(map.get(String(r.DocNumber)) ?? []), r]);
	return map;
}

/** A document's look-up among documents already read, grouped by number (byNumber). */
export function lookupIn(all: Map<string, QboRecord[]>, key: OwnDocumentKey): Lookup {
	const numbers = numbersFor(key);
	return fromRecords(
		[...(all.get(numbers.base) ?? []), ...(all.get(numbers.alternate) ?? [])],
		key,
		numbers,
	);
}

/**
 * findOwnDocument for many CRM records of one entity at once: both numbers of every key in the same
 * queries, 100 numbers (50 records) to a QuickBooks call.
 */
export async function findOwnDocuments<Id>(
	client: QboClient,
	keys: Map<Id, OwnDocumentKey>,
): Promise<Map<Id, Lookup>> {
	const all = [...keys.values()];
	if (!all.length) return new Map();
	const found = byNumber(
		await documentsNumbered(
			client,
			all[0].entity,
			all.flatMap((k) => Object.values(numbersFor(k))),
		),
	);
	return new Map([...keys].map(([id, key]) => [id, lookupIn(found, key)]));
}

/** One query for both numbers the document may have. */
export async function findOwnDocument(client: QboClient, key: OwnDocumentKey): Promise<Lookup> {
	const numbers = numbersFor(key);
	const found = await client.query({
		entity: key.entity,
		where: [{ field: 'DocNumber', op: 'IN', value: [numbers.base, numbers.alternate] }],
		maxResults: 100,
	});
	return fromRecords(found, key, numbers);
}

export function fromRecords(
	found: QboRecord[],
	key: OwnDocumentKey,
	numbers = numbersFor(key),
): Lookup {
	const { ours, others } = ownership(found, key.kind, key.crmId);
	return { ours: ours[0], extra: ours.slice(1).filter((r) => !isVoided(r)), others, numbers };
}

/**
 * Voids (refund receipts: deletes) our documents beyond the oldest for this CRM record. A race's
 * clean-up that failed once is finished by whichever run finds them next; returns their ids.
 */
export async function settleExtras(
	client: QboClient,
	key: OwnDocumentKey,
	lookup: Lookup,
): Promise<string[]> {
	const settled: string[] = [];
	for (const record of lookup.extra ?? []) {
		await discard(client, key, record);
		settled.push(String(record.Id));
	}
	return settled;
}

/**
 * Intuit's RefundReceipt reference documents delete, not void; the others are voided. Several runs
 * settling one race may discard the same document at once: the later ones meet a stale SyncToken
 * (R4), read it again and are done when it is already voided or deleted.
 */
async function discard(client: QboClient, key: OwnDocumentKey, record: QboRecord): Promise<void> {
	let current = record;
	for (let rereads = 0; ; rereads++) {
		try {
			if (key.entity === 'RefundReceipt') await client.delete(key.entity, current);
			else await client.void(key.entity, current);
			return;
		} catch (error) {
			if (!rereadAfterStale(error, rereads)) throw error;
			try {
				current = await client.read(key.entity, String(record.Id));
			} catch (readError) {
				if (isDeletedBefore(readError)) return;
				throw readError;
			}
			if (isVoided(current)) return;
		}
	}
}

const LABELS: Record<OwnDocumentKey['entity'], string> = {
	Invoice: 'invoice',
	SalesReceipt: 'sales receipt',
	RefundReceipt: 'refund receipt',
};

function clashError(
	key: OwnDocumentKey,
	number: string,
	others: QboRecord[],
	alternateTaken: boolean,
): OutcomeError {
	const what = LABELS[key.entity];
	const names = others.map((r) => describeDocument(what, r)).join('; ');
	return new OutcomeError(
		'clash',
		`QuickBooks already has ${names} under number ${number}, not created by this sync for CRM ${key.kind} ${key.crmId}; nothing was written`,
		alternateTaken
			? `Both numbers this sync may use are taken by other documents. Renumber them in QuickBooks or set a number prefix, then run the item again.`
			: `Leave that ${what} alone and set "If the Number Is Taken" to "Use a Distinct Number" (or a number prefix), or renumber it in QuickBooks; then run the item again.`,
	);
}

/** The number a new document gets, or a clash error when policy forbids every free choice. */
export function numberToCreate(key: OwnDocumentKey, lookup: Lookup): string {
	const { base, alternate } = lookup.numbers;
	const at = (n: string) => lookup.others.filter((r) => String(r.DocNumber) === n);
	if (!at(base).length) return base;
	if (key.onClash === 'error') throw clashError(key, base, at(base), false);
	if (at(alternate).length) throw clashError(key, alternate, [...at(base), ...at(alternate)], true);
	return alternate;
}

/**
 * Creates the document, then settles a race: if another run created this CRM record's document
 * too, the oldest is kept and the newer one (ours) is voided, a refund receipt deleted (recovery R8). With custom numbers
 * on, the race shows up as fault 6140 instead and the other run's document is returned (R7); the
 * look-up after the create is then skipped. `requestKeySuffix` gives a repeated write (R17) its own
 * requestid.
 */
export async function createOwnDocument(
	client: QboClient,
	key: OwnDocumentKey,
	lookup: Lookup,
	body: (docNumber: string) => QboRecord,
	requestKeySuffix = '',
): Promise<Created> {
	const docNumber = numberToCreate(key, lookup);
	let record: QboRecord;
	try {
		record = await client.create(
			key.entity,
			body(docNumber),
			`${key.kind}:${key.crmId}:${docNumber}${requestKeySuffix}`,
		);
	} catch (error) {
		if (!isNumberTaken(error)) throw error;
		const again = await findOwnDocument(client, key);
		if (again.ours) return { record: again.ours, created: false };
		if (again.others.length) numberToCreate(key, again); // throws the clash error naming the new document
		throw error;
	}
	if (!raceLookupNeeded(await duplicateNumbersRefused(client))) return { record, created: true };
	const after = await findOwnDocument(client, key);
	if (!lostRace(record, after.ours)) return { record, created: true };
	// A concurrent run's document is older: discard ours (written moments ago) and use theirs. If
	// that fails, the next run that finds both settles it (settleExtras).
	await discard(client, key, record);
	return { record: after.ours, created: false };
}
