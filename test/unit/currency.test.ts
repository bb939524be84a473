import { currencyRefFor } from '../../nodes/shared/domain/currency';

describe('the currency a document is written in', () => {
	const off = { multiCurrency: false, homeCurrency: 'USD' };
	const on = { multiCurrency: true, homeCurrency: 'USD' };

	test('multicurrency off: the home currency or none is sent as none (what QuickBooks does with one is not documented)', () => {
		expect(currencyRefFor(undefined, off, 'Payment p')).toBeUndefined();
		expect(currencyRefFor(' usd ', off, 'Payment p')).toBeUndefined();
	});

	test('multicurrency on: the home currency is named (a CurrencyRef "must be defined")', () => {
		expect(currencyRefFor('usd', on, 'Payment p')).toEqual({ value: 'USD' });
		expect(currencyRefFor(undefined, on, 'Payment p')).toEqual({ value: 'USD' });
	});

	test('another currency is never booked as the home one: stopped with what to do', () => {
		expect(() => currencyRefFor('EUR', off, 'Payment p')).toThrow(
			'Payment p is in EUR, the QuickBooks company keeps its books in USD and multicurrency is off',
		);
		expect(() => currencyRefFor('EUR', on, 'Payment p')).toThrow(
			'this version does not book foreign-currency documents',
		);
		expect(() => currencyRefFor('EUR', {}, 'Payment p')).toThrow(
			"QuickBooks did not say the company's home currency",
		);
	});
});
