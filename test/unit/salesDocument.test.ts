import type { CrmSale } from '../../nodes/shared/domain/crm';
import { invoiceFromHighLevel, paymentFromHighLevel } from '../../nodes/shared/highlevel/toCrm';
import { planSale } from '../../nodes/shared/domain/salesDocument';
import { Company } from '../../scripts/dev/emulator/qbo/store';
import { invoiceEvent, orderCreate, paymentReceived } from '../fixtures/highlevel';

/** What QuickBooks (the emulator's independent arithmetic) computes for the planned lines. */
function qboTotal(sale: CrmSale, currency?: string): number {
	const company = new Company('1', () => Date.now());
	const customer = company.create('Customer', { DisplayName: 'Table Test' });
	const plan = planSale(sale, () => ({ value: company.all('Item')[0].Id }));
	const receipt = company.create('SalesReceipt', {
		CustomerRef: { value: customer.Id },
		Line: plan.lines,
		TxnTaxDetail: { TotalTax: plan.totalTax },
		...(currency ? { CurrencyRef: { value: currency } } : {}),
	});
	expect(plan.qboTotal).toBe(receipt.TotalAmt);
	return receipt.TotalAmt;
}

const line = (
	amount: number,
	qty = 1,
	taxes: Array<{ name: string; rate: number; calculation?: string }> = [],
) => ({ name: 'Item', qty, amount, taxes });

describe('HighLevel → QuickBooks lines: totals equal to the cent', () => {
	test.each([
		[
			'percentage discount',
			invoiceEvent('InvoiceSent', {
				items: [line(99.99, 3), line(0.01)],
				discount: { type: 'percentage', value: 12.5 },
			}),
		],
		[
			'fixed discount',
			invoiceEvent('InvoiceSent', {
				items: [line(250), line(49.5, 2)],
				discount: { type: 'fixed', value: 33.33 },
			}),
		],
		[
			'several taxes on one line',
			invoiceEvent('InvoiceSent', {
				items: [
					line(1200, 1, [
						{ name: 'State', rate: 6.25 },
						{ name: 'County', rate: 1.5 },
						{ name: 'City', rate: 0.75 },
					]),
				],
			}),
		],
		[
			'taxed and untaxed lines with a discount',
			invoiceEvent('InvoiceSent', {
				items: [line(100, 1, [{ name: 'VAT', rate: 20 }]), line(55.55, 3)],
				discount: { type: 'percentage', value: 7 },
			}),
		],
		[
			'zero-amount lines',
			invoiceEvent('InvoiceSent', { items: [line(0), line(19.99, 0), line(75)] }),
		],
		[
			'another currency',
			invoiceEvent('InvoiceSent', {
				items: [line(80, 2, [{ name: 'MwSt', rate: 19 }])],
				currency: 'EUR',
			}),
		],
	])('invoice: %s', (_label, body) => {
		const crm = invoiceFromHighLevel(body);
		expect(qboTotal(crm, crm.currency)).toBe(crm.total);
	});

	test('tax-inclusive item: the net line plus the included tax give the gross price', () => {
		const body = invoiceEvent('InvoiceSent', {
			items: [line(119, 2, [{ name: 'MwSt', rate: 19, calculation: 'inclusive' }])],
		});
		body.total = 238;
		const crm = invoiceFromHighLevel(body);
		const plan = planSale(crm, () => ({ value: '1' }));
		expect(plan.lines[0]).toMatchObject({
			Amount: 200,
			SalesItemLineDetail: { Qty: 2, UnitPrice: 100, TaxCodeRef: { value: 'TAX' } },
		});
		expect(plan.totalTax).toBe(38);
		expect(qboTotal(crm)).toBe(238);
	});

	test.each([
		[
			'Payment Received with discount and tax',
			paymentReceived({
				items: [
					{ name: 'A', qty: 3, price: 33.33 },
					{ name: 'B', qty: 1, price: 0.5 },
				],
				discount: 10.01,
				tax: 7.77,
			}),
		],
		[
			'OrderCreate with shipping',
			orderCreate({
				items: [{ name: 'Kit', qty: 2, price: 24.95 }],
				discount: 5,
				tax: 3.6,
				shipping: 6.99,
			}),
		],
		[
			'subscription renewal without lines',
			{
				...paymentReceived(),
				payment: {
					...paymentReceived().payment,
					source: 'subscription',
					line_items: [],
					sub_total_amount: 0,
					tax_amount: 3.92,
					total_amount: 52.92,
				},
			},
		],
	])('payment: %s', (_label, body) => {
		const crm = paymentFromHighLevel(body);
		expect(crm.lines.length).toBeGreaterThan(0);
		expect(qboTotal(crm)).toBe(crm.total);
	});

	test('when the CRM’s own figures disagree, the item says so with both totals', () => {
		const crm = paymentFromHighLevel(
			paymentReceived({ items: [{ name: 'A', qty: 1, price: 100 }], tax: 5 }),
		);
		crm.total = 110;
		const plan = planSale(crm, () => ({ value: '1' }));
		expect(plan).toMatchObject({ totalsMatch: false, crmTotal: 110, qboTotal: 105 });
	});
});
