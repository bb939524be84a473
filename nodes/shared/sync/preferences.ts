/** The company preference that decides how races between runs are settled (recovery R7, R8). */
import type { QboClient } from '../transport/client';
import { companyCache, type CompanyPreferences } from './companyCache';
import { once, readThrough, shareFound } from './sharedLookups';

const KEY = 'preferences';

/**
 * Whether QuickBooks refuses a duplicate document number in this company
 * (`Preferences.SalesFormsPrefs.CustomTxnNumbers`), read at most once per time-to-live. Undefined
 * when unknown: QuickBooks did not answer, or answered without the preference. Unknown is never
 * cached and is treated like "off" by the caller, so the race check stays. Executions in flight at
 * once, and in queue mode the other processes, share one read.
 */
export async function duplicateNumbersRefused(client: QboClient): Promise<boolean | undefined> {
	const cache = companyCache(client).preferences;
	const known = await readThrough(client, 'preferences', KEY, cache);
	if (known?.customTxnNumbers !== undefined) return known.customTxnNumbers;
	let preferences: CompanyPreferences;
	try {
		preferences = await client.memo(
			KEY,
			async () => await once(client, KEY, async () => await readPreferences(client)),
		);
	} catch {
		return undefined; // an optimisation only: the race look-up stays
	}
	if (preferences.customTxnNumbers !== undefined) {
		cache.set(KEY, preferences);
		await shareFound(client, 'preferences', KEY, KEY, preferences);
	}
	return preferences.customTxnNumbers;
}

async function readPreferences(client: QboClient): Promise<CompanyPreferences> {
	// GET /preferences answers {"Preferences":{…}}: Intuit's Preferences reference,
	// https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
	const body = await client.call('GET', 'preferences');
	const value = (
		body.Preferences as { SalesFormsPrefs?: { CustomTxnNumbers?: unknown } } | undefined
	)?.SalesFormsPrefs?.CustomTxnNumbers;
	return { customTxnNumbers: typeof value === 'boolean' ? value : undefined };
}
