/**
 * The currency, deposit account and payment method a receipt carries: the currency as the company
 * can book it (../domain/currency.ts), the rest as the user's rules choose them from
 * what the CRM reported (../domain/paymentRouting.ts), found in the company by id or name. A rule
 * that names something the company lacks stops the item before anything is written: booking the
 * money elsewhere would put it where the bookkeeper said it must not go. A payment method is made
 * only when the user allows it.
 */
import type { CrmPayment } from '../domain/crm';
import {
	depositAccountFor,
	paymentMethodFor,
	type DepositRule,
	type MethodRule,
} from '../domain/paymentRouting';
import { OutcomeError } from '../errors';
import type { QboClient } from '../transport/client';
import type { TrackingRule } from '../domain/tracking';
import { currencyRefOf } from './preferences';
import { trackingOf, type Tracking } from './tracking';
import { requireQuickBooksTax, type TaxBy } from './salesTax';
import { isId, listKey, named } from './namedRecords';

export interface RoutingOptions {
	/** The account for payments no rule matches (empty: QuickBooks' Undeposited Funds). */
	depositAccountId?: string;
	depositRules?: DepositRule[];
	/** The method for payments whose CRM method no rule or default names. */
	paymentMethodId?: string;
	/** Take the payment method from what the CRM reports. */
	methodFromCrm?: boolean;
	methodRules?: MethodRule[];
	/** Make a payment method the company lacks (else the item stops). */
	createMissingMethods?: boolean;
	/** Classes and locations by rule (../domain/tracking.ts). */
	trackingRules?: TrackingRule[];
	/** Whose sales tax the receipt carries (./salesTax.ts); default the CRM's. */
	taxBy?: TaxBy;
}

export interface Routed {
	depositAccountId?: string;
	paymentMethodId?: string;
	/** The currency the receipt is written in (../domain/currency.ts); none: the company's home. */
	currencyRef?: { value: string };
	/** The class and location refs the receipt carries. */
	tracking?: Tracking;
	taxBy?: TaxBy;
	/** Which rule chose what, for the item's output. */
	because: { depositTo?: string; paymentMethod?: string; class?: string; location?: string };
}

/** The deposit account and payment method of one payment's receipt. */
export async function routePayment(
	client: QboClient,
	payment: Pick<
		CrmPayment,
		'source' | 'provider' | 'method' | 'transactionId' | 'currency' | 'locationId' | 'lines'
	>,
	options: RoutingOptions,
): Promise<Routed> {
	const what = `Payment ${payment.transactionId}`;
	if (options.taxBy === 'quickbooks') await requireQuickBooksTax(client, what);
	const tracking = await trackingOf(client, payment, options.trackingRules ?? [], what);
	const routed: Routed = {
		depositAccountId: options.depositAccountId,
		paymentMethodId: options.paymentMethodId,
		// A payment is never booked as the home currency when it was not paid in it.
		currencyRef: await currencyRefOf(client, payment.currency, what),
		...(tracking ? { tracking } : {}),
		...(options.taxBy ? { taxBy: options.taxBy } : {}),
		because: { ...tracking?.because },
	};
	const deposit = depositAccountFor(payment, options.depositRules ?? []);
	if (deposit) {
		const account = await named(client, 'Account', deposit.account);
		if (!account)
			throw new OutcomeError(
				'notFound',
				`The deposit rule for ${deposit.because} names the account "${deposit.account}", which the QuickBooks company does not have; payment ${payment.transactionId} was not written`,
				'Create that account in QuickBooks (a bank or other current asset account) or correct the rule under "Deposit To by Source or Provider".',
			);
		routed.depositAccountId = String(account.Id);
		routed.because.depositTo = `${deposit.because} → ${String(account.Name ?? account.Id)}`;
	}
	const wanted = options.methodFromCrm
		? paymentMethodFor(payment, options.methodRules ?? [])
		: undefined;
	if (wanted) {
		let method = await named(client, 'PaymentMethod', wanted.method);
		if (!method && options.createMissingMethods && !isId(wanted.method)) {
			// One requestid per name: two runs making the same method get QuickBooks' first answer.
			method = await client.create(
				'PaymentMethod',
				{ Name: wanted.method, Type: wanted.card ? 'CREDIT_CARD' : 'NON_CREDIT_CARD' },
				`payment-method:${wanted.method.toLowerCase()}`,
			);
			client.forget(listKey('PaymentMethod'));
		}
		if (!method)
			throw new OutcomeError(
				'notFound',
				`The CRM reports payment ${payment.transactionId} as ${wanted.because}, paid by "${wanted.method}", a payment method the QuickBooks company does not have; nothing was written`,
				'Add that payment method in QuickBooks, map the CRM method to one it has ("Payment Method From CRM"), or turn on "Create Missing Payment Methods".',
			);
		routed.paymentMethodId = String(method.Id);
		routed.because.paymentMethod = `${wanted.because} → ${String(method.Name ?? method.Id)}`;
	}
	return routed;
}
