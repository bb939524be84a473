/**
 * The company preferences the sync reads: whether QuickBooks refuses duplicate numbers (how races
 * between runs are settled, recovery R7, R8), its currencies (../domain/currency.ts) and whether it
 * tracks classes and locations (../domain/tracking.ts).
 */
import type { QboClient } from '../transport/client';
import { currencyRefFor } from '../domain/currency';
import type { TrackingPrefs } from '../domain/tracking';
import { companyCache, type CompanyPreferences } from './companyCache';
import { once, readThrough, shareFound } from './sharedLookups';

const KEY = 'preferences';

/**
 * The preferences, read at most once per time-to-live; executions in flight at once, and in queue
 * mode the other processes, share one read. An answer without any of them is not cached.
 */
async function companyPreferences(
	client: QboClient,
	needs: (known: CompanyPreferences) => boolean = (known) =>
		Object.values(known).some((value) => value !== undefined),
	fresh = false,
): Promise<CompanyPreferences> {
	const cache = companyCache(client).preferences;
	const known = fresh ? undefined : await readThrough(client, 'preferences', KEY, cache);
	// A look-up stored without what is needed (e.g. by an older version of this package) is read anew.
	if (known && needs(known)) return known;
	const memoKey = fresh ? `${KEY}:fresh` : KEY;
	const preferences = await client.memo(
		memoKey,
		async () => await once(client, memoKey, async () => await readPreferences(client)),
	);
	if (Object.values(preferences).some((value) => value !== undefined)) {
		cache.set(KEY, preferences);
		await shareFound(client, 'preferences', KEY, KEY, preferences);
	}
	return preferences;
}

/**
 * Whether QuickBooks refuses a duplicate document number in this company
 * (`Preferences.SalesFormsPrefs.CustomTxnNumbers`). Undefined when unknown: QuickBooks did not
 * answer, or answered without the preference; the caller treats it like "off", so the race check
 * stays.
 */
export async function duplicateNumbersRefused(client: QboClient): Promise<boolean | undefined> {
	try {
		return (await companyPreferences(client)).customTxnNumbers;
	} catch {
		return undefined; // an optimisation only: the race look-up stays
	}
}

/**
 * The CurrencyRef of a document the CRM states in `currency`, or the error that stops it (a payment
 * is never booked as the home currency when it was not paid in it). No currency stated: none sent,
 * and no call.
 */
export async function currencyRefOf(
	client: QboClient,
	currency: string | undefined,
	what: string,
): Promise<{ value: string } | undefined> {
	if (!currency?.trim()) return undefined;
	const preferences = await companyPreferences(client, (known) => !!known.homeCurrency);
	return currencyRefFor(currency, preferences, what);
}

/**
 * Whether the company has automated sales tax: `TaxPrefs.PartnerTaxEnabled` ("If not present in
 * response payload, the company is not enabled for automated sales tax", Intuit's Preferences
 * reference). `fresh` as for tracking.
 */
export async function automatedSalesTaxOf(client: QboClient, fresh = false): Promise<boolean> {
	const preferences = await companyPreferences(
		client,
		(known) => known.automatedSalesTax !== undefined,
		fresh,
	);
	return preferences.automatedSalesTax === true;
}

/**
 * Whether the company tracks classes (per document, per line) and locations. `fresh`: read now, not
 * from what was read in the last 15 minutes (a user told to turn tracking on retries at once).
 */
export async function trackingPrefsOf(client: QboClient, fresh = false): Promise<TrackingPrefs> {
	const preferences = await companyPreferences(client, (known) => !!known.tracking, fresh);
	return preferences.tracking ?? {};
}

async function readPreferences(client: QboClient): Promise<CompanyPreferences> {
	// GET /preferences answers {"Preferences":{…}}: Intuit's Preferences reference,
	// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
	// (CurrencyPrefs: MultiCurrencyEnabled, HomeCurrency; .NET SDK Finance.xsd CurrencyPrefs).
	const body = await client.call('GET', 'preferences');
	const preferences = body.Preferences as
		| {
				SalesFormsPrefs?: { CustomTxnNumbers?: unknown };
				CurrencyPrefs?: { MultiCurrencyEnabled?: unknown; HomeCurrency?: { value?: unknown } };
				AccountingInfoPrefs?: Record<string, unknown>;
				TaxPrefs?: { PartnerTaxEnabled?: unknown };
		  }
		| undefined;
	// AccountingInfoPrefs: ClassTrackingPerTxn, ClassTrackingPerTxnLine, TrackDepartments (Intuit's
	// Preferences reference; "Track classes" and "Track locations" under Settings → Categories).
	const accounting = preferences?.AccountingInfoPrefs ?? {};
	const flag = (name: string) =>
		typeof accounting[name] === 'boolean' ? (accounting[name] as boolean) : undefined;
	const custom = preferences?.SalesFormsPrefs?.CustomTxnNumbers;
	const multi = preferences?.CurrencyPrefs?.MultiCurrencyEnabled;
	const home = preferences?.CurrencyPrefs?.HomeCurrency?.value;
	return {
		customTxnNumbers: typeof custom === 'boolean' ? custom : undefined,
		multiCurrency: typeof multi === 'boolean' ? multi : undefined,
		homeCurrency: typeof home === 'string' && home.trim() ? home.trim().toUpperCase() : undefined,
		automatedSalesTax: preferences ? preferences.TaxPrefs?.PartnerTaxEnabled === true : undefined,
		tracking: preferences
			? {
					classPerTxn: flag('ClassTrackingPerTxn'),
					classPerLine: flag('ClassTrackingPerTxnLine'),
					locations: flag('TrackDepartments'),
				}
			: undefined,
	};
}
