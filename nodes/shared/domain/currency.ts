/**
 * Which currency a document the sync writes is in, and when a CRM currency must stop it: a payment is
 * never booked as the home currency when it was not paid in it.
 *
 * Intuit (https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies):
 * multicurrency is off by default, is turned on in QuickBooks only (not through the API) and cannot
 * be turned off again; the home currency cannot change. A transaction's CurrencyRef "must be
 * defined if multicurrency is enabled" (Invoice, SalesReceipt references); what QuickBooks does with
 * one when multicurrency is off is UNCERTAIN, so none is sent then. With multicurrency on, a
 * transaction in another currency needs its customer in that currency (a customer's currency is
 * fixed at creation) and an exchange rate, which QuickBooks sets to 1 when the API omits it
 * (reported: WordPress/wordcamp.org#1250, intuit/quickbooks-online-mcp-server#75): a wrong home
 * amount. This package does not book such documents yet; they stop with what to do.
 */
import { OutcomeError } from '../errors';

export interface CompanyCurrencies {
	/** Preferences.CurrencyPrefs.MultiCurrencyEnabled. */
	multiCurrency?: boolean;
	/** Preferences.CurrencyPrefs.HomeCurrency.value (ISO code). */
	homeCurrency?: string;
}

/**
 * The CurrencyRef to send for a document the CRM states in `currency` (undefined: none), or the
 * error that stops it. `what` names the document for the message ("payment ch_1").
 */
export function currencyRefFor(
	currency: string | undefined,
	company: CompanyCurrencies,
	what: string,
): { value: string } | undefined {
	const stated = currency?.trim().toUpperCase() || undefined;
	const home = company.homeCurrency?.trim().toUpperCase() || undefined;
	if (!stated || stated === home)
		return company.multiCurrency && home ? { value: home } : undefined;
	if (!home)
		throw new OutcomeError(
			'refused',
			`${what} is in ${stated} and QuickBooks did not say the company's home currency; nothing was written`,
			'Run the item again; if it keeps failing, check that the connection can read the company preferences.',
		);
	if (!company.multiCurrency)
		throw new OutcomeError(
			'refused',
			`${what} is in ${stated}, the QuickBooks company keeps its books in ${home} and multicurrency is off: it would be booked as ${home}, so nothing was written`,
			`Book it by hand in ${home} at your rate, or turn multicurrency on in QuickBooks (Settings → Account and settings → Advanced → Currency; it cannot be turned off again) and book it by hand there.`,
		);
	throw new OutcomeError(
		'refused',
		`${what} is in ${stated}, not the company's home currency ${home}: this version does not book foreign-currency documents (they need a customer in ${stated} and the day's exchange rate, and QuickBooks would take 1 without one); nothing was written`,
		`Book it by hand in QuickBooks with a customer in ${stated}.`,
	);
}
