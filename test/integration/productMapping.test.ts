/**
 * Products → items (issue 24, point 2): the Product Mapping books CRM products to the QuickBooks
 * items a bookkeeper chose, by HighLevel's product ID (a renamed product keeps its item) or name;
 * unmapped products follow "Products" (found or created by name, the default item, or a stop that
 * names the product). Through n8n-core against the QuickBooks emulator, one by one and in batches,
 * and for invoices.
 */
import { invoiceEvent, orderCreate } from '../fixtures/highlevel';
import { useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, syncInvoices } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();

const receiptOf = (orderId: string) =>
	realm()
		.all('SalesReceipt')
		.find((r) => JSON.stringify(r).includes(orderId));
const itemNamesOn = (document: Record<string, unknown> | undefined) =>
	((document?.Line as Array<Record<string, any>>) ?? [])
		.filter((line) => line.DetailType === 'SalesItemLineDetail')
		.map((line) => String(line.SalesItemLineDetail.ItemRef.name));

describe.each([false, true])('batch requests %s', (batchRequests) => {
	let goldId: string;
	beforeEach(() => {
		const income = realm()
			.all('Account')
			.find((a) => a.AccountType === 'Income');
		goldId = String(
			realm().create('Item', {
				Name: 'Gold Membership (Annual)',
				Type: 'Service',
				IncomeAccountRef: { value: String(income?.Id) },
			}).Id,
		);
	});

	const order = (id: string, name: string, productId?: string) =>
		orderCreate({
			id,
			items: [
				{ name, qty: 1, price: 99, productId },
				{ name: 'Setup Fee', qty: 1, price: 10 },
			],
		});

	test('a product mapped by ID books to its item under any name; others are found or created by name', async () => {
		const out = (
			await createFromPayment(
				qb.creds,
				[order('o-1', 'Membership - Gold', 'p-gold'), order('o-2', 'Gold Plan 2027', 'p-gold')],
				{
					itemMode: 'perLine',
					productMapping: { product: [{ crm: 'p-gold', item: 'Gold Membership (Annual)' }] },
					options: { batchRequests },
				},
			)
		).output('QuickBooks Sync');
		expect(out.map((item) => item.json.sync)).toMatchObject([
			{ action: 'created' },
			{ action: 'created' },
		]);
		for (const id of ['o-1', 'o-2'])
			expect(itemNamesOn(receiptOf(id))).toEqual(['Gold Membership (Annual)', 'Setup Fee']);
		// No item was made for the CRM's names of the mapped product.
		const names = realm()
			.all('Item')
			.map((i) => i.Name);
		expect(names).not.toContain('Membership - Gold');
		expect(names).not.toContain('Gold Plan 2027');
	});

	test('a rule may name the item by its ID, and the product by its name', async () => {
		await createFromPayment(qb.creds, [order('o-3', 'Membership - Gold')], {
			productMapping: { product: [{ crm: 'membership - gold', item: goldId }] },
			options: { batchRequests },
		});
		expect(itemNamesOn(receiptOf('o-3'))[0]).toBe('Gold Membership (Annual)');
	});

	test('"Only Mapped Products": a product no rule names stops its payment alone, naming it, before anything is written for it', async () => {
		const customers = realm().all('Customer').length;
		const result = await createFromPayment(
			qb.creds,
			[
				orderCreate({
					id: 'o-4',
					items: [{ name: 'Membership - Gold', qty: 1, price: 99, productId: 'p-gold' }],
				}),
				orderCreate({
					id: 'o-5',
					email: 'new.buyer@example.com',
					items: [{ name: 'Mystery Box', qty: 1, price: 20, productId: 'p-mystery' }],
				}),
			],
			{
				itemMode: 'mapped',
				productMapping: { product: [{ crm: 'p-gold', item: 'Gold Membership (Annual)' }] },
				options: { batchRequests },
			},
		);
		const out = result.output('QuickBooks Sync');
		expect(out[0].json.sync).toMatchObject({ action: 'created' });
		expect(String(out[1].json.error)).toMatch(
			/The CRM product "Mystery Box" \(product ID p-mystery\) has no QuickBooks product or service under "Product Mapping"/,
		);
		expect(receiptOf('o-5')).toBeUndefined();
		// The stopped payment's buyer was not created either.
		expect(realm().all('Customer').length).toBe(customers + 1);
		expect(
			realm()
				.all('Item')
				.map((i) => i.Name),
		).not.toContain('Mystery Box');
	});

	test('a rule naming an item the company lacks stops the payment with what to correct', async () => {
		const out = (
			await createFromPayment(qb.creds, [order('o-6', 'Membership - Gold', 'p-gold')], {
				productMapping: { product: [{ crm: 'p-gold', item: 'Platinum' }] },
				options: { batchRequests },
			})
		).output('QuickBooks Sync');
		expect(String(out[0].json.error)).toMatch(
			/Product Mapping sends the CRM's "p-gold" to the QuickBooks product or service "Platinum", which the company does not have/,
		);
		expect(receiptOf('o-6')).toBeUndefined();
	});
});

test('an invoice books its mapped products too', async () => {
	const income = realm()
		.all('Account')
		.find((a) => a.AccountType === 'Income');
	realm().create('Item', {
		Name: 'Design Retainer',
		Type: 'Service',
		IncomeAccountRef: { value: String(income?.Id) },
	});
	const out = (
		await syncInvoices(
			qb.creds,
			[
				invoiceEvent('InvoiceSent', {
					number: 'INV-MAP-1',
					items: [{ name: 'Website Design', qty: 1, amount: 1200, productId: 'prod-design' }],
				}),
			],
			{
				itemMode: 'mapped',
				productMapping: { product: [{ crm: 'prod-design', item: 'Design Retainer' }] },
			},
		)
	).output('QuickBooks Sync');
	expect(out[0].json.sync).toMatchObject({ action: 'created' });
	const invoice = realm()
		.all('Invoice')
		.find((i) => i.DocNumber === 'INV-MAP-1');
	expect(itemNamesOn(invoice)).toEqual(['Design Retainer']);
});
