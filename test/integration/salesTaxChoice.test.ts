/**
 * Sales tax as the company keeps it (issue 24, point 3, US part): with automated sales tax the CRM's
 * tax is kept as an override (the default), or QuickBooks calculates its own ("Sales Tax":
 * QuickBooks Calculates) and the output shows both; a company without automated sales tax stops the
 * second before anything is written. Through n8n-core against the QuickBooks emulator (its AST is a
 * flat 8.5 % on taxable lines: scripts/dev/emulator/README.md), one by one and in batches.
 */
import { invoiceEvent, orderCreate } from '../fixtures/highlevel';
import { useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, syncInvoices } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();
const ast = (on: boolean) =>
	qb.emulator.setPreferences({ TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: on } });
const receiptOf = (orderId: string) =>
	realm()
		.all('SalesReceipt')
		.find((r) => String(r.PrivateNote).includes(orderId));
// 2 × 50 and shipping 10, tax 7 on the order (the CRM names no line rates): total 117.
const order = (id: string) =>
	orderCreate({
		id,
		email: `${id}@example.com`,
		items: [{ name: 'Lesson Pack', qty: 2, price: 50 }],
		tax: 7,
		shipping: 10,
	});

describe.each([false, true])('batch requests %s', (batchRequests) => {
	test('automated sales tax: the CRM’s tax is kept by default; QuickBooks Calculates puts its own and shows both', async () => {
		ast(true);
		const [kept] = (
			await createFromPayment(qb.creds, [order('o-crm')], { options: { batchRequests } })
		).output('QuickBooks Sync');
		expect(kept.json.sync).toMatchObject({ action: 'created', totalsMatch: true, qboTotal: 117 });
		expect(receiptOf('o-crm')!.TxnTaxDetail.TotalTax).toBe(7);

		const [own] = (
			await createFromPayment(qb.creds, [order('o-qbo')], {
				options: { batchRequests, taxBy: 'quickbooks' },
			})
		).output('QuickBooks Sync');
		// The CRM named no taxed lines, so every line is taxable (as with the CRM's tax):
		// 8.5 % of 110 = 9.35, total 119.35.
		expect(own.json.sync).toMatchObject({
			action: 'created',
			crmTotal: 117,
			qboTotal: 119.35,
			totalsMatch: false,
			tax: { by: 'quickbooks', crm: 7, quickbooks: 9.35 },
		});
		const lines = (receiptOf('o-qbo')!.Line as Array<Record<string, any>>).filter(
			(l) => l.DetailType === 'SalesItemLineDetail',
		);
		expect(lines.map((l) => l.SalesItemLineDetail.TaxCodeRef.value)).toEqual(['TAX', 'TAX']);
	});

	test('QuickBooks Calculates without automated sales tax: stopped with what to do, nothing written', async () => {
		ast(false);
		const customers = realm().all('Customer').length;
		const [item] = (
			await createFromPayment(qb.creds, [order('o-manual')], {
				options: { batchRequests, taxBy: 'quickbooks' },
			})
		).output('QuickBooks Sync');
		expect(String(item.json.error)).toMatch(
			/Payment o-manual was not written: "Sales Tax" is set to QuickBooks Calculates, but the QuickBooks company has no automated sales tax/,
		);
		expect(receiptOf('o-manual')).toBeUndefined();
		expect(realm().all('Customer').length).toBe(customers);
	});
});

test('an invoice whose tax QuickBooks calculates is written once and left alone by the next event of the same invoice', async () => {
	ast(true);
	const sent = invoiceEvent('InvoiceSent', {
		number: 'INV-AST-1',
		items: [{ name: 'Consulting', qty: 1, amount: 200, taxes: [{ name: 'State', rate: 5 }] }],
	});
	const run = async () =>
		(await syncInvoices(qb.creds, [sent], { options: { taxBy: 'quickbooks' } })).output(
			'QuickBooks Sync',
		)[0].json;
	const first = await run();
	expect(first.sync).toMatchObject({ action: 'created' });
	const invoice = realm()
		.all('Invoice')
		.find((i) => i.DocNumber === 'INV-AST-1')!;
	expect(invoice.TxnTaxDetail.TotalTax).toBe(17);
	const again = await run();
	expect(again.sync).toMatchObject({ action: 'unchanged' });
	expect(
		realm()
			.all('Invoice')
			.find((i) => i.DocNumber === 'INV-AST-1')!.SyncToken,
	).toBe(invoice.SyncToken);
});
