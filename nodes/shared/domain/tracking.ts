/**
 * Classes and locations a document carries, chosen by the user's rules from the HighLevel location
 * and the CRM products, and whether the company can take them. Pure: no n8n, no I/O.
 *
 * QuickBooks: a document's `ClassRef` is "available if Preferences.AccountingInfoPrefs
 * .ClassTrackingPerTxn is set to true", a line's `SalesItemLineDetail.ClassRef` if
 * `ClassTrackingPerTxnLine` is, and `DepartmentRef` ("the location of the transaction") if
 * `TrackDepartments` is (Intuit API reference: SalesReceipt, Invoice, RefundReceipt; Preferences:
 * AccountingInfoPrefs; in the product: Settings → Advanced → Categories, Track classes with
 * "one to each row" or "one to entire transaction", and Track locations).
 */
import type { ProductLine } from './productMapping';

export type TrackingWhen = 'always' | 'location' | 'product';

export interface TrackingRule {
	when: TrackingWhen;
	/** The HighLevel location ID, or the CRM product's ID or name; empty for `always`. */
	equals: string;
	/** QuickBooks class, name (Parent:Child for a sub-class) or ID. */
	qboClass: string;
	/** QuickBooks location (the Department list), name or ID. Not on product rules. */
	qboLocation: string;
}

/** Preferences.AccountingInfoPrefs as this package reads them. */
export interface TrackingPrefs {
	classPerTxn?: boolean;
	classPerLine?: boolean;
	locations?: boolean;
}

/** What the rules ask for one document: names as the user wrote them. */
export interface TrackingWanted {
	className?: string;
	locationName?: string;
	/** Per CRM line, the class a product rule gives it (undefined: the document's). */
	lineClassNames: Array<string | undefined>;
	because: { class?: string; location?: string };
}

const same = (a: string, b: string) =>
	a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();

/** A rule that sets neither a class nor a location asks nothing (e.g. a template's empty Config). */
export const asksNothing = (rule: TrackingRule) =>
	!rule.qboClass.trim() && !rule.qboLocation.trim();

/** A rule's problem in words, or undefined when it can be read. */
export function trackingRuleProblem(rule: TrackingRule): string | undefined {
	if (asksNothing(rule)) return undefined;
	if (rule.when !== 'always' && !rule.equals.trim()) return 'has no value to compare';
	if (rule.when === 'product' && rule.qboLocation.trim())
		return 'sets a location, which QuickBooks keeps one per document: a product rule sets a class only';
	return undefined;
}

/**
 * The class and location of a document, first matching rule first: a rule naming the HighLevel
 * location wins over an `always` rule wherever it stands; product rules give lines their class.
 */
export function trackingWanted(
	sale: { locationId?: string; lines: ProductLine[] },
	rules: TrackingRule[],
): TrackingWanted {
	const wanted: TrackingWanted = { lineClassNames: sale.lines.map(() => undefined), because: {} };
	const byLocation = rules.filter(
		(r) => r.when === 'location' && sale.locationId && r.equals.trim() === sale.locationId.trim(),
	);
	const always = rules.filter((r) => r.when === 'always');
	for (const [field, reason] of [
		['qboClass', 'class'],
		['qboLocation', 'location'],
	] as const) {
		const rule = byLocation.find((r) => r[field].trim()) ?? always.find((r) => r[field].trim());
		if (!rule) continue;
		const value = rule[field].trim();
		if (reason === 'class') wanted.className = value;
		else wanted.locationName = value;
		wanted.because[reason] =
			`${rule.when === 'location' ? `HighLevel location ${sale.locationId}` : 'always'} → ${value}`;
	}
	const products = rules.filter((r) => r.when === 'product' && r.qboClass.trim());
	sale.lines.forEach((line, i) => {
		const rule =
			products.find((r) => line.productId && r.equals.trim() === line.productId) ??
			products.find((r) => same(r.equals, line.name));
		if (rule) wanted.lineClassNames[i] = rule.qboClass.trim();
	});
	return wanted;
}

/** Why the company cannot take what is wanted (what to change, in its words), or undefined. */
export function trackingRefused(wanted: TrackingWanted, prefs: TrackingPrefs): string | undefined {
	const lineClasses = wanted.lineClassNames.some(Boolean);
	if ((wanted.className || lineClasses) && !prefs.classPerTxn && !prefs.classPerLine)
		return 'the QuickBooks company does not track classes. Turn on Track classes (Settings → Account and settings → Advanced → Categories), or remove the class from "Classes and Locations"';
	if (lineClasses && !prefs.classPerLine)
		return 'the QuickBooks company assigns classes to the entire transaction, so a product’s class cannot go on its line. Set Track classes to "One to each row in transaction", or give the class by an Always or HighLevel Location rule';
	if (wanted.locationName && !prefs.locations)
		return 'the QuickBooks company does not track locations. Turn on Track locations (Settings → Account and settings → Advanced → Categories), or remove the location from "Classes and Locations"';
	return undefined;
}
