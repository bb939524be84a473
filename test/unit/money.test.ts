/**
 * Money (nodes/shared/domain/money.ts): how amounts from the CRM or the user's mapping are read,
 * and how they are rounded to the cent before they reach QuickBooks. A wrong answer here is a
 * receipt or invoice off by a cent, or a total misread as another number.
 */
import { requiredAmount, round2, sameAmount, toAmount } from '../../nodes/shared/domain/money';

/** Everything an error says: its message and any text it carries (the field may live on a property). */
function thrown(fn: () => unknown): string {
	try {
		fn();
	} catch (error) {
		const e = error as Error & Record<string, unknown>;
		const texts = (o: Record<string, unknown>): unknown[] =>
			Object.values(o).flatMap((v) => (v && typeof v === 'object' ? Object.values(v) : [v]));
		return [e.message, ...texts(e).filter((v) => typeof v === 'string')].join(' | ');
	}
	throw new Error('expected an error, none was thrown');
}

describe('round2: to the cent, half away from zero, as QuickBooks rounds', () => {
	test('binary fractions do not lose or gain a cent', () => {
		expect(round2(0.1 + 0.2)).toBe(0.3);
		expect(round2(1.005)).toBe(1.01); // 1.005 is 1.00499999… in binary
		expect(round2(2.675)).toBe(2.68);
		expect(round2(1.15 * 3)).toBe(3.45);
		expect(round2(19.99 * 3)).toBe(59.97);
	});

	test('halves round away from zero, for refunds and discounts as well', () => {
		expect(round2(0.125)).toBe(0.13);
		expect(round2(-0.125)).toBe(-0.13);
		expect(round2(-1.005)).toBe(-1.01);
		expect(round2(-0.3333)).toBe(-0.33);
	});

	test('below half a cent rounds down', () => {
		expect(round2(10.004)).toBe(10);
		expect(round2(10.0049)).toBe(10);
		expect(round2(-10.004)).toBe(-10);
	});

	test('less than half a cent either side of zero is worth nothing', () => {
		expect(round2(0) === 0).toBe(true);
		expect(round2(0.004) === 0).toBe(true);
		expect(round2(-0.004) === 0).toBe(true);
		expect(`${round2(-0.001)}`).toBe('0'); // what a note or request id would show
	});

	test('large amounts keep every cent', () => {
		expect(round2(1234567.895)).toBe(1234567.9);
		expect(round2(9999999.995)).toBe(10000000);
		expect(round2(1000000000.005)).toBe(1000000000.01);
		expect(round2(987654321.12)).toBe(987654321.12);
	});

	test('an amount summed from many lines rounds to the sum of its cents', () => {
		const lines = Array.from({ length: 100 }, () => 0.1);
		expect(round2(lines.reduce((a, b) => a + b, 0))).toBe(10);
	});
});

describe('sameAmount: totals compared to the cent', () => {
	test('float noise is the same amount; one cent is not', () => {
		expect(sameAmount(0.1 + 0.2, 0.3)).toBe(true);
		expect(sameAmount(100, 100.004)).toBe(true);
		expect(sameAmount(100, 100.01)).toBe(false);
		expect(sameAmount(-5, 5)).toBe(false);
	});
});

describe('toAmount: what counts as an amount', () => {
	test('numbers pass through unchanged (rounding is the caller’s choice)', () => {
		expect(toAmount(12.5, 'total')).toBe(12.5);
		expect(toAmount(-3, 'total')).toBe(-3);
		expect(toAmount(0, 'total')).toBe(0);
		expect(toAmount(33.333, 'total')).toBe(33.333);
	});

	test('numeric text, with thousands commas, currency symbols and spaces, is read', () => {
		expect(toAmount('12.50', 'total')).toBe(12.5);
		expect(toAmount(' 12 ', 'total')).toBe(12);
		expect(toAmount('1,234.50', 'total')).toBe(1234.5);
		expect(toAmount('1,000,000', 'total')).toBe(1000000);
		expect(toAmount('$12', 'total')).toBe(12);
		expect(toAmount('€ 1 234.50', 'total')).toBe(1234.5);
		expect(toAmount('£9.99', 'total')).toBe(9.99);
		expect(toAmount('¥500', 'total')).toBe(500);
		expect(toAmount('.5', 'total')).toBe(0.5);
	});

	test('a minus sign before or after the currency symbol is a negative amount', () => {
		expect(toAmount('-$5', 'discount')).toBe(-5);
		expect(toAmount('$-5', 'discount')).toBe(-5);
		expect(toAmount('-0.75', 'discount')).toBe(-0.75);
	});

	test('missing is 0 for an optional amount', () => {
		expect(toAmount(undefined, 'taxAmount')).toBe(0);
		expect(toAmount(null, 'taxAmount')).toBe(0);
		expect(toAmount('', 'taxAmount')).toBe(0);
	});

	test('text that is not an amount is refused, never read as 0 or as part of itself', () => {
		for (const bad of [
			'twelve',
			'12 apples',
			'USD 12',
			'12.',
			'1e3',
			'+12',
			'(12.00)',
			'$',
			'-',
			'.',
			'  ',
			'12.5.1',
			'--5',
		]) {
			expect(() => toAmount(bad, 'total')).toThrow();
		}
	});

	test('values that are not numbers or text are refused', () => {
		for (const bad of [true, {}, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
			expect(() => toAmount(bad, 'total')).toThrow();
		}
	});

	test('the error names the field and quotes the value, so the user can find the bad mapping', () => {
		const text = thrown(() => toAmount('twelve', 'payment.total_amount'));
		expect(text).toContain('payment.total_amount');
		expect(text).toContain('"twelve"');
		expect(thrown(() => toAmount('12 apples', 'lines[2].unitPrice'))).toContain(
			'lines[2].unitPrice',
		);
	});

	// Was a bug (fixed): commas are dropped wherever they are, so a decimal comma (how much of Europe writes
	// amounts) is read as a thousands separator: "12,50" becomes 1250 and "1.234,50" becomes
	// 1.2345. The comment in money.ts promises that text which is not an amount is never misread;
	// a comma not followed by exactly three digits is not a thousands separator and should be
	// refused (CrmInputError) rather than silently turned into a hundred-times larger receipt.
	test('a decimal comma ("12,50") is refused, not read as 1250', () => {
		expect(() => toAmount('12,50', 'total')).toThrow();
	});

	test('a European amount ("1.234,50") is refused, not read as 1.2345', () => {
		expect(() => toAmount('1.234,50', 'total')).toThrow();
	});

	// Same root cause: a list of amounts is stringified to "1,2" and its comma dropped.
	test('a list of amounts ([1, 2]) is refused, not read as 12', () => {
		expect(() => toAmount([1, 2], 'total')).toThrow();
	});
});

describe('requiredAmount: a total must be stated', () => {
	test('a stated amount reads like toAmount', () => {
		expect(requiredAmount('1,250.00', 'total')).toBe(1250);
		expect(requiredAmount(0, 'total')).toBe(0);
		expect(requiredAmount('0', 'total')).toBe(0);
	});

	test('missing is an error naming the field, never an assumed 0', () => {
		for (const missing of [undefined, null, '']) {
			const text = thrown(() => requiredAmount(missing, 'payment.total_amount'));
			expect(text).toContain('payment.total_amount');
			expect(text).toMatch(/missing/);
		}
	});

	test('a value that is not an amount is an error naming the field', () => {
		expect(thrown(() => requiredAmount('n/a', 'amount'))).toContain('amount');
		expect(thrown(() => requiredAmount('n/a', 'amount'))).toContain('"n/a"');
	});
});
