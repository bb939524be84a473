import { depositAccountFor, paymentMethodFor } from '../../nodes/shared/domain/paymentRouting';

describe('deposit account rules', () => {
	const rules = [
		{ when: 'provider' as const, equals: 'Stripe', account: 'Stripe Clearing' },
		{ when: 'source' as const, equals: 'invoice', account: '35' },
		{ when: 'source' as const, equals: '', account: 'ignored: no value to compare' },
	];

	test('the first rule met wins, without regard to case; no rule met leaves the default', () => {
		expect(depositAccountFor({ source: 'invoice', provider: 'stripe' }, rules)).toEqual({
			account: 'Stripe Clearing',
			because: 'provider "stripe"',
		});
		expect(depositAccountFor({ source: 'INVOICE', provider: 'paypal' }, rules)).toEqual({
			account: '35',
			because: 'source "INVOICE"',
		});
		expect(depositAccountFor({ source: 'funnel' }, rules)).toBeUndefined();
		expect(depositAccountFor({}, rules)).toBeUndefined();
	});
});

describe('payment method from what the CRM reports', () => {
	test('a mapping for the method, then for the provider, then the default name; nothing reported, nothing chosen', () => {
		const rules = [
			{ crm: 'card', method: 'Visa' },
			{ crm: 'paypal', method: 'PayPal' },
		];
		expect(paymentMethodFor({ method: 'card', provider: 'paypal' }, rules)).toEqual({
			method: 'Visa',
			because: '"card"',
			card: true,
		});
		expect(paymentMethodFor({ method: 'wallet', provider: 'paypal' }, rules)).toMatchObject({
			method: 'PayPal',
			card: false,
		});
		expect(paymentMethodFor({ method: 'cheque' }, [])).toMatchObject({ method: 'Check' });
		expect(paymentMethodFor({ method: 'card' }, [])).toMatchObject({
			method: 'Credit Card',
			card: true,
		});
		expect(paymentMethodFor({ method: 'us_bank_account' }, [])).toMatchObject({ method: 'ACH' });
		expect(paymentMethodFor({ method: 'wallet' }, [])).toBeUndefined();
		expect(paymentMethodFor({ provider: 'stripe' }, [])).toBeUndefined();
	});
});
