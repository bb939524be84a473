/**
 * Where a CRM payment's money lands in QuickBooks and which payment method it carries, from what the
 * CRM reports of it:
 * - `source`: HighLevel's OrderSource `type` (funnel, website, invoice, calendar, text2Pay,
 *   membership, …; the workflow trigger's Payment Source filter; the API's `entitySourceType`);
 * - `provider`: the API's `paymentProviderType` (e.g. stripe);
 * - `method`: the kind of HighLevel's `paymentMethod` object (its example `{ card: { brand, last4 } }`
 *   gives `card`).
 * Pure: the rules the user wrote in, a choice (a QuickBooks account or method name or id) out.
 */
import type { CrmPayment } from './crm';

/** "Payments from this source (or provider) go to this account." */
export interface DepositRule {
	when: 'source' | 'provider';
	equals: string;
	/** A QuickBooks account id or name. */
	account: string;
}

/** "A payment the CRM reports as this method (or by this provider) carries this QuickBooks method." */
export interface MethodRule {
	crm: string;
	/** A QuickBooks payment method id or name. */
	method: string;
}

type Reported = Pick<CrmPayment, 'source' | 'provider' | 'method'>;

const same = (a: string | undefined, b: string) =>
	a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

/** The first rule the payment meets: its account and why (for the output and error messages). */
export function depositAccountFor(
	payment: Reported,
	rules: DepositRule[],
): { account: string; because: string } | undefined {
	for (const rule of rules) {
		if (!rule.equals.trim() || !rule.account.trim()) continue;
		const reported = rule.when === 'source' ? payment.source : payment.provider;
		if (same(reported, rule.equals))
			return { account: rule.account.trim(), because: `${rule.when} "${reported}"` };
	}
	return undefined;
}

/**
 * The names a new US company's list of payment methods uses for what the CRM reports (QuickBooks
 * Online creates Cash, Check and Credit Card among its defaults). ACH is not one of them: it is
 * found only if the company has it, or made when the user allows it.
 */
export const DEFAULT_METHOD_NAMES: Record<string, string> = {
	card: 'Credit Card',
	credit_card: 'Credit Card',
	cash: 'Cash',
	cheque: 'Check',
	check: 'Check',
	ach: 'ACH',
	us_bank_account: 'ACH',
	bank_transfer: 'ACH',
};

/**
 * The payment method for a payment: a rule for its method, then for its provider, then the default
 * name for its method. `card` tells QuickBooks' Type (CREDIT_CARD) when the method has to be made.
 */
export function paymentMethodFor(
	payment: Reported,
	rules: MethodRule[],
): { method: string; because: string; card: boolean } | undefined {
	const card = same(payment.method, 'card') || same(payment.method, 'credit_card');
	for (const reported of [payment.method, payment.provider]) {
		if (!reported?.trim()) continue;
		const rule = rules.find((r) => r.method.trim() && same(reported, r.crm));
		if (rule) return { method: rule.method.trim(), because: `"${reported}"`, card };
	}
	const name = payment.method
		? DEFAULT_METHOD_NAMES[payment.method.trim().toLowerCase()]
		: undefined;
	return name ? { method: name, because: `"${payment.method}"`, card } : undefined;
}
