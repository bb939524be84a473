/**
 * Invoice state (nodes/shared/domain/invoiceState.ts): what an invoice sync writes to the
 * QuickBooks invoice it already has, and how much payment is still to record. A wrong answer here
 * is an invoice re-written (new SyncToken, "updated") when nothing changed, an edit in the CRM that
 * never reaches QuickBooks, or a payment recorded twice or for too much.
 *
 * `current` below is shaped as QuickBooks answers an invoice read: line Ids and LineNums, a
 * SubTotalLineDetail line it adds itself, the discount line's computed Amount, TotalAmt, Balance.
 */
import {
	invoiceChanges,
	isVoided,
	paymentDue,
	qboPaid,
	type DesiredInvoice,
} from '../../nodes/shared/domain/invoiceState';

type Line = Record<string, any>;

function sale(
	item: string,
	qty: number,
	unitPrice: number,
	tax = 'TAX',
	description?: string,
): Line {
	return {
		DetailType: 'SalesItemLineDetail',
		Amount: Math.round(qty * unitPrice * 100) / 100,
		...(description ? { Description: description } : {}),
		SalesItemLineDetail: {
			ItemRef: { value: item },
			Qty: qty,
			UnitPrice: unitPrice,
			TaxCodeRef: { value: tax },
		},
	};
}

const percentOff = (percent: number, amount: number): Line => ({
	DetailType: 'DiscountLineDetail',
	Amount: amount,
	DiscountLineDetail: { PercentBased: true, DiscountPercent: percent },
});
const amountOff = (amount: number): Line => ({
	DetailType: 'DiscountLineDetail',
	Amount: amount,
	DiscountLineDetail: { PercentBased: false },
});

/** The desired lines as the sync plans them (no Ids, no subtotal line). */
const LINES = [sale('11', 2, 50, 'TAX', 'Consulting, 2 h'), sale('12', 1, 19.99, 'NON')];

const DESIRED: DesiredInvoice = {
	customerId: '58',
	lines: [...LINES, percentOff(10, 12)],
	totalTax: 8.1,
	txnDate: '2026-11-20',
	dueDate: '2026-12-20',
	memo: 'Thank you for your business',
};

/** The same invoice as QuickBooks stores and returns it. */
function stored(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		Id: '1043',
		SyncToken: '3',
		DocNumber: 'INV-7',
		CustomerRef: { value: '58', name: 'Jo Rivera' },
		TxnDate: '2026-11-20',
		DueDate: '2026-12-20',
		CustomerMemo: { value: 'Thank you for your business' },
		Line: [
			{ Id: '1', LineNum: 1, ...LINES[0] },
			{ Id: '2', LineNum: 2, ...LINES[1] },
			{ Amount: 119.99, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
			{ ...percentOff(10, 12), Amount: 12 },
		],
		TxnTaxDetail: { TotalTax: 8.1, TxnTaxCodeRef: { value: '3' } },
		TotalAmt: 116.09,
		Balance: 116.09,
		PrivateNote: 'CRM invoice 6650f0c1d2e3f4a5b6c7d8e9',
		...overrides,
	};
}

describe('invoiceChanges: nothing to write when nothing changed', () => {
	test('the invoice as QuickBooks returns it (subtotal line, line ids, computed amounts) equals what the CRM describes', () => {
		expect(invoiceChanges(stored(), DESIRED)).toBeNull();
	});

	test('float noise in amounts, prices and tax is no change', () => {
		const noisy = stored({
			TxnTaxDetail: { TotalTax: 8.1000000001 },
			Line: [
				{ Id: '1', ...sale('11', 2, 50, 'TAX', 'Consulting, 2 h'), Amount: 100.00000001 },
				{
					Id: '2',
					...sale('12', 1, 19.99, 'NON'),
					SalesItemLineDetail: {
						ItemRef: { value: '12' },
						Qty: 1,
						UnitPrice: 19.990000001,
						TaxCodeRef: { value: 'NON' },
					},
				},
				{ Amount: 119.99, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
				percentOff(10, 12),
			],
		});
		expect(invoiceChanges(noisy, { ...DESIRED, totalTax: 0.1 + 8 })).toBeNull();
	});

	test('a line without a tax code is the same as one QuickBooks returns as NON', () => {
		const desiredLine = sale('12', 1, 19.99);
		delete desiredLine.SalesItemLineDetail.TaxCodeRef;
		const current = {
			CustomerRef: { value: '58' },
			Line: [{ Id: '1', ...sale('12', 1, 19.99, 'NON') }],
		};
		expect(
			invoiceChanges(current, { customerId: '58', lines: [desiredLine], totalTax: 0 }),
		).toBeNull();
	});

	test('a percent discount compares by its percent, not by the amount QuickBooks computed', () => {
		const current = stored({
			Line: [...(stored().Line as Line[]).slice(0, 3), percentOff(10, 11.999)],
		});
		expect(invoiceChanges(current, DESIRED)).toBeNull();
	});

	test('no due date, issue date or memo in the CRM leaves QuickBooks’ own values alone', () => {
		const bare: DesiredInvoice = {
			customerId: DESIRED.customerId,
			lines: DESIRED.lines,
			totalTax: DESIRED.totalTax,
		};
		expect(
			invoiceChanges(
				stored({
					DueDate: '2027-01-31',
					TxnDate: '2026-11-01',
					CustomerMemo: { value: 'bookkeeper note' },
				}),
				bare,
			),
		).toBeNull();
	});

	test('the customer id compares as text (QuickBooks answers ids as strings)', () => {
		expect(invoiceChanges(stored({ CustomerRef: { value: 58 } }), DESIRED)).toBeNull();
	});
});

describe('invoiceChanges: what the CRM changed reaches QuickBooks, and only that', () => {
	test('a changed quantity rewrites the lines and the tax together, nothing else', () => {
		const lines = [sale('11', 3, 50, 'TAX', 'Consulting, 2 h'), LINES[1], percentOff(10, 17)];
		expect(invoiceChanges(stored(), { ...DESIRED, lines, totalTax: 12.15 })).toEqual({
			Line: lines,
			TxnTaxDetail: { TotalTax: 12.15 },
		});
	});

	test('a changed price, item, description or tax code is a change', () => {
		const variants = [
			[sale('11', 2, 55, 'TAX', 'Consulting, 2 h'), LINES[1]],
			[sale('13', 2, 50, 'TAX', 'Consulting, 2 h'), LINES[1]],
			[sale('11', 2, 50, 'TAX', 'Consulting, 3 h'), LINES[1]],
			[sale('11', 2, 50, 'NON', 'Consulting, 2 h'), LINES[1]],
			[LINES[1], LINES[0]], // same lines, other order: QuickBooks shows them in order
			[LINES[0]], // a line removed
			[...LINES, sale('14', 1, 5, 'NON')], // a line added
		];
		for (const lines of variants) {
			expect(
				invoiceChanges(stored(), { ...DESIRED, lines: [...lines, percentOff(10, 12)] }),
			).toHaveProperty('Line');
		}
	});

	test('a discount added, removed, or changed in percent or amount is a change', () => {
		expect(invoiceChanges(stored(), { ...DESIRED, lines: LINES })).toMatchObject({ Line: LINES });
		expect(
			invoiceChanges(stored(), { ...DESIRED, lines: [...LINES, percentOff(15, 18)] }),
		).toHaveProperty('Line');
		const noDiscount = stored({ Line: (stored().Line as Line[]).slice(0, 3) });
		expect(invoiceChanges(noDiscount, DESIRED)).toHaveProperty('Line');
	});

	test('10 % off and 10.00 off are different discounts even when the amounts agree', () => {
		// 10 % of 100 is 10.00: switching between percent and amount still changes what QuickBooks shows.
		const current = {
			CustomerRef: { value: '58' },
			Line: [sale('11', 1, 100), percentOff(10, 10)],
		};
		expect(
			invoiceChanges(current, {
				customerId: '58',
				lines: [sale('11', 1, 100), amountOff(10)],
				totalTax: 0,
			}),
		).toHaveProperty('Line');
	});

	test('an amount discount compares to the cent', () => {
		const current = { CustomerRef: { value: '58' }, Line: [sale('11', 1, 100), amountOff(10)] };
		expect(
			invoiceChanges(current, {
				customerId: '58',
				lines: [sale('11', 1, 100), amountOff(10.001)],
				totalTax: 0,
			}),
		).toBeNull();
		expect(
			invoiceChanges(current, {
				customerId: '58',
				lines: [sale('11', 1, 100), amountOff(10.01)],
				totalTax: 0,
			}),
		).toHaveProperty('Line');
	});

	test('a tax change alone rewrites the tax (with the lines, as a sparse update of both)', () => {
		expect(invoiceChanges(stored(), { ...DESIRED, totalTax: 9.1 })).toEqual({
			Line: DESIRED.lines,
			TxnTaxDetail: { TotalTax: 9.1 },
		});
		expect(
			invoiceChanges(stored({ TxnTaxDetail: undefined }), { ...DESIRED, totalTax: 8.1 }),
		).toHaveProperty('TxnTaxDetail', { TotalTax: 8.1 });
		expect(invoiceChanges(stored(), { ...DESIRED, totalTax: 8.11 })).toHaveProperty(
			'TxnTaxDetail',
			{ TotalTax: 8.11 },
		);
	});

	test('another customer moves the invoice to that customer only', () => {
		expect(invoiceChanges(stored(), { ...DESIRED, customerId: '61' })).toEqual({
			CustomerRef: { value: '61' },
		});
	});

	test('an invoice with no customer gets one', () => {
		expect(invoiceChanges(stored({ CustomerRef: undefined }), DESIRED)).toEqual({
			CustomerRef: { value: '58' },
		});
	});

	test('changed dates are written, each on its own', () => {
		expect(invoiceChanges(stored(), { ...DESIRED, dueDate: '2027-01-05' })).toEqual({
			DueDate: '2027-01-05',
		});
		expect(invoiceChanges(stored(), { ...DESIRED, txnDate: '2026-11-21' })).toEqual({
			TxnDate: '2026-11-21',
		});
		expect(invoiceChanges(stored({ DueDate: undefined }), DESIRED)).toEqual({
			DueDate: '2026-12-20',
		});
	});

	test('a changed memo is written; an emptied memo clears it; a new memo on an invoice without one is added', () => {
		expect(invoiceChanges(stored(), { ...DESIRED, memo: 'Net 30' })).toEqual({
			CustomerMemo: { value: 'Net 30' },
		});
		expect(invoiceChanges(stored(), { ...DESIRED, memo: '' })).toEqual({
			CustomerMemo: { value: '' },
		});
		expect(invoiceChanges(stored({ CustomerMemo: undefined }), DESIRED)).toEqual({
			CustomerMemo: { value: 'Thank you for your business' },
		});
		expect(
			invoiceChanges(stored({ CustomerMemo: undefined }), { ...DESIRED, memo: '' }),
		).toBeNull();
	});

	test('several changes are written in one sparse update', () => {
		expect(
			invoiceChanges(stored(), {
				...DESIRED,
				customerId: '61',
				dueDate: '2027-01-05',
				memo: 'Net 30',
				totalTax: 0,
			}),
		).toEqual({
			Line: DESIRED.lines,
			TxnTaxDetail: { TotalTax: 0 },
			CustomerRef: { value: '61' },
			DueDate: '2027-01-05',
			CustomerMemo: { value: 'Net 30' },
		});
	});

	test('the changes never carry Id or SyncToken (the client adds the current ones)', () => {
		const changes = invoiceChanges(stored(), { ...DESIRED, customerId: '61', totalTax: 1 })!;
		expect(changes).not.toHaveProperty('Id');
		expect(changes).not.toHaveProperty('SyncToken');
	});
});

describe('qboPaid: what QuickBooks has recorded as paid', () => {
	test('total minus balance, to the cent', () => {
		expect(qboPaid({ TotalAmt: 116.09, Balance: 116.09 })).toBe(0);
		expect(qboPaid({ TotalAmt: 116.09, Balance: 66.09 })).toBe(50);
		expect(qboPaid({ TotalAmt: 116.09, Balance: 0 })).toBe(116.09);
		expect(qboPaid({ TotalAmt: 0.3, Balance: 0.1 })).toBe(0.2); // 0.19999999999999998 in binary
	});

	test('missing amounts count as 0; amounts as text are read', () => {
		expect(qboPaid({})).toBe(0);
		expect(qboPaid({ TotalAmt: '100.00', Balance: '25.50' })).toBe(74.5);
	});
});

describe('paymentDue: the payment still to record so QuickBooks shows what the CRM shows', () => {
	test('the difference between what the CRM and QuickBooks show as paid', () => {
		expect(paymentDue({ TotalAmt: 116.09, Balance: 116.09 }, 50)).toBe(50);
		expect(paymentDue({ TotalAmt: 116.09, Balance: 66.09 }, 116.09)).toBe(66.09);
	});

	test('a repeated event with the same amount paid records nothing (no double payment)', () => {
		expect(paymentDue({ TotalAmt: 116.09, Balance: 66.09 }, 50)).toBe(0);
		expect(paymentDue({ TotalAmt: 116.09, Balance: 0 }, 116.09)).toBe(0);
	});

	test('never negative: a CRM showing less than QuickBooks (refund, bookkeeper’s payment) records nothing', () => {
		expect(paymentDue({ TotalAmt: 116.09, Balance: 0 }, 50)).toBe(0);
		expect(paymentDue({ TotalAmt: 116.09, Balance: 66.09 }, 0)).toBe(0);
		expect(paymentDue({ TotalAmt: 116.09, Balance: 66.09 }, -20)).toBe(0);
	});

	test('capped at the invoice total: QuickBooks is never overpaid, even if the CRM shows more', () => {
		expect(paymentDue({ TotalAmt: 100, Balance: 100 }, 108.25)).toBe(100);
		expect(paymentDue({ TotalAmt: 100, Balance: 40 }, 108.25)).toBe(40);
		expect(paymentDue({ TotalAmt: 100, Balance: 0 }, 108.25)).toBe(0);
	});

	test('rounded to the cent; less than half a cent is nothing to record', () => {
		expect(paymentDue({ TotalAmt: 100, Balance: 100 }, 33.333)).toBe(33.33);
		expect(paymentDue({ TotalAmt: 100, Balance: 100 }, 33.335)).toBe(33.34);
		expect(paymentDue({ TotalAmt: 100, Balance: 66.67 }, 33.334)).toBe(0);
		expect(paymentDue({ TotalAmt: 100, Balance: 100 }, 0.004)).toBe(0);
		expect(paymentDue({ TotalAmt: 100, Balance: 100 }, 0.005)).toBe(0.01);
		expect(paymentDue({ TotalAmt: 0.3, Balance: 0.3 }, 0.1 + 0.2)).toBe(0.3);
	});

	test('three instalments of a third add up to the total, with no cent left over', () => {
		const invoice = { TotalAmt: 100, Balance: 100 };
		let paid = 0;
		for (const crmPaidToDate of [33.33, 66.66, 100]) {
			const due = paymentDue(invoice, crmPaidToDate);
			paid = Math.round((paid + due) * 100) / 100;
			invoice.Balance = Math.round((invoice.Balance - due) * 100) / 100;
		}
		expect(paid).toBe(100);
		expect(invoice.Balance).toBe(0);
	});

	test('a voided invoice (total 0) has nothing due', () => {
		expect(
			paymentDue({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided - CRM invoice abc' }, 116.09),
		).toBe(0);
	});
});

describe('isVoided: an invoice QuickBooks voided', () => {
	test('QuickBooks’ void: note starts with "Voided" and the total is 0', () => {
		expect(isVoided({ PrivateNote: 'Voided', TotalAmt: 0 })).toBe(true);
		expect(
			isVoided({ PrivateNote: 'Voided - CRM invoice 6650f0c1', TotalAmt: 0, Balance: 0 }),
		).toBe(true);
		expect(isVoided({ PrivateNote: 'Voided', TotalAmt: '0' })).toBe(true);
	});

	test('a bookkeeper’s note that starts with "Voided" on an invoice with a total is not a void', () => {
		expect(
			isVoided({ PrivateNote: 'Voided cheque replaced; CRM invoice abc', TotalAmt: 116.09 }),
		).toBe(false);
	});

	test('a zero-total invoice without the void note is not voided (a free invoice stays in sync)', () => {
		expect(isVoided({ PrivateNote: 'CRM invoice abc', TotalAmt: 0 })).toBe(false);
		expect(isVoided({ TotalAmt: 0 })).toBe(false);
	});

	test('the word elsewhere in the note is not a void', () => {
		expect(isVoided({ PrivateNote: 'CRM invoice abc - Voided', TotalAmt: 0 })).toBe(false);
	});

	test('an invoice with no note and no total is not voided', () => {
		expect(isVoided({})).toBe(false);
	});
});
