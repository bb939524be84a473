/**
 * Company profiles the emulator can switch between: the preferences a kind of QuickBooks company
 * has, and the lists it keeps (classes, locations). Each preference and its meaning is cited in
 * ../README.md ("Company preferences"); a profile only combines them.
 *
 * Not here yet: companies outside the US (tax codes per line, GlobalTaxCalculation): the emulator
 * does not model their tax (README, "Tax codes outside the US").
 */
export interface CompanyProfile {
	/** What a bookkeeper would call this company. */
	label: string;
	preferences: Record<string, Record<string, unknown>>;
	/** Records the company keeps in its lists, by entity. */
	lists?: Record<'Class' | 'Department', Array<{ Name: string }>>;
}

const OFF = { ClassTrackingPerTxn: false, ClassTrackingPerTxnLine: false, TrackDepartments: false };

export const COMPANY_PROFILES = {
	/** A new US company with automated sales tax set up (the default since AST). */
	'us-ast': {
		label: 'US, automated sales tax',
		preferences: {
			TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: true },
			AccountingInfoPrefs: OFF,
		},
	},
	/** A US company that keeps no sales tax (services, or not set up). */
	'us-no-sales-tax': {
		label: 'US, no sales tax',
		preferences: {
			TaxPrefs: { UsingSalesTax: false, PartnerTaxEnabled: false },
			AccountingInfoPrefs: OFF,
		},
	},
	/** QuickBooks Plus or Advanced tracking a class and a location per document. */
	'us-classes': {
		label: 'US, automated sales tax, classes and locations per document',
		preferences: {
			TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: true },
			AccountingInfoPrefs: { ...OFF, ClassTrackingPerTxn: true, TrackDepartments: true },
		},
		lists: {
			Class: [{ Name: 'Online Sales' }, { Name: 'Coaching' }],
			Department: [{ Name: 'Head Office' }],
		},
	},
	/** Classes assigned to each row of a document. */
	'us-classes-per-line': {
		label: 'US, automated sales tax, classes per line',
		preferences: {
			TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: true },
			AccountingInfoPrefs: { ...OFF, ClassTrackingPerTxnLine: true },
		},
		lists: { Class: [{ Name: 'Online Sales' }, { Name: 'Coaching' }], Department: [] },
	},
	/** Multicurrency turned on (it cannot be turned off again), home currency USD. */
	'us-multicurrency': {
		label: 'US, automated sales tax, multicurrency on (home USD)',
		preferences: {
			TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: true },
			CurrencyPrefs: { MultiCurrencyEnabled: true, HomeCurrency: { value: 'USD' } },
			AccountingInfoPrefs: OFF,
		},
	},
} satisfies Record<string, CompanyProfile>;

export type CompanyProfileName = keyof typeof COMPANY_PROFILES;

export const PROFILE_NAMES = Object.keys(COMPANY_PROFILES) as CompanyProfileName[];

export function companyProfile(name: string): CompanyProfile {
	const profile = (COMPANY_PROFILES as Record<string, CompanyProfile>)[name];
	if (!profile)
		throw new Error(`Unknown company profile "${name}" (known: ${PROFILE_NAMES.join(', ')})`);
	return profile;
}
