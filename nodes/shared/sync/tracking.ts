/**
 * The class and location refs of one document, as the user's "Classes and Locations" rules choose
 * them (../domain/tracking.ts) and the company can take them. Anything it cannot take (tracking
 * off, a class or location it lacks or keeps inactive) stops the CRM record before anything is
 * written: booking it without would put the money outside the bookkeeper's class.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import type { ProductLine } from '../domain/productMapping';
import { trackingRefused, trackingWanted, type TrackingRule } from '../domain/tracking';
import { named, type NamedEntity } from './namedRecords';
import { trackingPrefsOf } from './preferences';

type Ref = { value: string; name?: string };

export interface Tracking {
	/** The document's ClassRef (classes per transaction). */
	classRef?: Ref;
	/** The document's DepartmentRef (locations tracked). */
	departmentRef?: Ref;
	/** Classes per line: each CRM line's ClassRef in order; other sales lines get `lineDefault`. */
	lineClassRefs?: Array<Ref | undefined>;
	lineDefault?: Ref;
	because: { class?: string; location?: string };
}

const WORD: Record<'Class' | 'Department', string> = { Class: 'class', Department: 'location' };

async function refOf(
	client: QboClient,
	entity: Extract<NamedEntity, 'Class' | 'Department'>,
	name: string,
	what: string,
): Promise<Ref> {
	const found = await named(client, entity, name);
	if (!found)
		throw new OutcomeError(
			'notFound',
			`"Classes and Locations" gives ${what} the QuickBooks ${WORD[entity]} "${name}", which the company does not have (or keeps inactive, or has more than one of by that name); nothing was written`,
			`Create or activate that ${WORD[entity]} in QuickBooks, or correct the rule (its name, Parent:Child, or its ID); then run the item again.`,
		);
	return { value: String(found.Id), name: String(found.FullyQualifiedName ?? found.Name) };
}

/** The refs of one document; undefined when no rule applies to it (nothing asked, no call made). */
export async function trackingOf(
	client: QboClient,
	sale: { locationId?: string; lines: ProductLine[] },
	rules: TrackingRule[],
	what: string,
): Promise<Tracking | undefined> {
	if (!rules.length) return undefined;
	const wanted = trackingWanted(sale, rules);
	const lineClasses = wanted.lineClassNames.some(Boolean);
	if (!wanted.className && !wanted.locationName && !lineClasses) return undefined;
	let prefs = await trackingPrefsOf(client);
	// Refused by what was read earlier: read again before stopping (tracking may just have been turned on).
	if (trackingRefused(wanted, prefs)) prefs = await trackingPrefsOf(client, true);
	const refused = trackingRefused(wanted, prefs);
	if (refused)
		throw new OutcomeError(
			'refused',
			`${what} was not written: ${refused.split('. ')[0]}`,
			refused.split('. ').slice(1).join('. ') || 'Correct "Classes and Locations".',
		);
	const classRef = wanted.className
		? await refOf(client, 'Class', wanted.className, what)
		: undefined;
	const departmentRef = wanted.locationName
		? await refOf(client, 'Department', wanted.locationName, what)
		: undefined;
	const tracking: Tracking = { because: wanted.because };
	if (classRef && prefs.classPerTxn) tracking.classRef = classRef;
	if (departmentRef) tracking.departmentRef = departmentRef;
	if (prefs.classPerLine && (classRef || lineClasses)) {
		tracking.lineClassRefs = [];
		for (const name of wanted.lineClassNames)
			tracking.lineClassRefs.push(name ? await refOf(client, 'Class', name, what) : classRef);
		tracking.lineDefault = classRef;
	}
	return tracking;
}

/**
 * A document body with its refs: ClassRef and DepartmentRef on the document, ClassRef on each sales
 * line (the CRM's lines in order, then shipping and adjustment lines with the document's class).
 */
export function withTracking(body: QboRecord, tracking: Tracking | undefined): QboRecord {
	if (!tracking) return body;
	let salesLine = 0;
	const lines = tracking.lineClassRefs
		? (body.Line as QboRecord[]).map((line) => {
				if (line.DetailType !== 'SalesItemLineDetail') return line;
				const ref = tracking.lineClassRefs![salesLine++] ?? tracking.lineDefault;
				return ref
					? {
							...line,
							SalesItemLineDetail: {
								...(line.SalesItemLineDetail as QboRecord),
								ClassRef: { value: ref.value },
							},
						}
					: line;
			})
		: body.Line;
	return {
		...body,
		Line: lines,
		...(tracking.classRef ? { ClassRef: { value: tracking.classRef.value } } : {}),
		...(tracking.departmentRef ? { DepartmentRef: { value: tracking.departmentRef.value } } : {}),
	};
}

/** A refund receipt goes where the document it reverses went: its class and location. */
export function trackingOfDocument(record: QboRecord): Tracking | undefined {
	const classRef = record.ClassRef as Ref | undefined;
	const departmentRef = record.DepartmentRef as Ref | undefined;
	// Classes per line: the refund's lines take the class the receipt's lines share (if one).
	const lineClasses = new Set(
		((record.Line as QboRecord[] | undefined) ?? [])
			.map((l) => (l.SalesItemLineDetail as { ClassRef?: Ref } | undefined)?.ClassRef?.value)
			.filter(Boolean)
			.map(String),
	);
	const lineDefault = lineClasses.size === 1 ? { value: [...lineClasses][0] } : undefined;
	if (!classRef?.value && !departmentRef?.value && !lineDefault) return undefined;
	return {
		...(classRef?.value ? { classRef: { value: String(classRef.value) } } : {}),
		...(departmentRef?.value ? { departmentRef: { value: String(departmentRef.value) } } : {}),
		...(lineDefault ? { lineClassRefs: [], lineDefault } : {}),
		because: {},
	};
}
