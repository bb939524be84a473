/**
 * Issue 24, point 7: one CRM order's receipt, refund and invoice under each company profile the
 * emulator switches between (scripts/dev/emulator/qbo/profiles.ts), with the product mapping,
 * deposit rule, tax, classes and locations and currency a bookkeeper would set for that company.
 * Through n8n-core against the QuickBooks emulator. Not yet: companies outside the US (their tax
 * codes are not modelled).
 */
import { workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { PROFILE_NAMES } from '../../scripts/dev/emulator/qbo/profiles';
import { invoiceEvent, orderCreate } from '../fixtures/highlevel';
import { useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, refundPayments, syncInvoices } from '../helpers/receipts';

type Doc = Record<string, any>;

describe.each(PROFILE_NAMES)('company profile %s', (profile) => {
	const qb = useEmulatedQuickBooks({ profile });
	const realm = () => qb.realm();
	const idOf = (entity: string, name: string) =>
		String(
			realm()
				.all(entity)
				.find((r) => r.Name === name)?.Id,
		);
	const salesLines = (doc: Doc | undefined) =>
		((doc?.Line as Doc[]) ?? []).filter((l) => l.DetailType === 'SalesItemLineDetail');
	const tracks = profile.startsWith('us-classes');
	const perLine = profile === 'us-classes-per-line';

	beforeEach(() => {
		const income = realm()
			.all('Account')
			.find((a) => a.AccountType === 'Income');
		realm().create('Item', {
			Name: 'Coaching Package',
			Type: 'Service',
			IncomeAccountRef: { value: String(income?.Id) },
		});
		realm().create('Account', { Name: 'Stripe Clearing', AccountType: 'Bank' });
	});

	/** What a bookkeeper sets for this company: the mapping, the deposit rule, classes where tracked. */
	const parameters = (options: Record<string, unknown> = {}) => ({
		productMapping: { product: [{ crm: 'p-coach', item: 'Coaching Package' }] },
		...(tracks
			? {
					tracking: {
						rule: [
							{
								when: 'always',
								qboClass: 'Online Sales',
								qboLocation: perLine ? '' : 'Head Office',
							},
							...(perLine ? [{ when: 'product', equals: 'p-coach', qboClass: 'Coaching' }] : []),
						],
					},
				}
			: {}),
		options,
	});
	const order = (id: string, tax = 12, currency = 'USD') => ({
		...orderCreate({
			id,
			email: `${id}@example.com`,
			items: [
				{ name: 'Coaching Session', qty: 1, price: 120, productId: 'p-coach' },
				{ name: 'Workbook', qty: 2, price: 15 },
			],
			tax,
		}),
		currency,
	});
	const receiptOf = (id: string) =>
		realm()
			.all('SalesReceipt')
			.find((r) => String(r.PrivateNote).includes(id));

	test('a receipt and its refund: mapped items, the tax as the company keeps it, the deposit rule, classes and locations where tracked', async () => {
		const receiptOptions = {
			depositRules: {
				rule: [{ when: 'source', equals: 'membership', account: 'Stripe Clearing' }],
			},
		};
		const [taxed] = (
			await createFromPayment(qb.creds, [order('o-taxed')], parameters(receiptOptions))
		).output('QuickBooks Sync');
		if (profile === 'us-no-sales-tax') {
			// QuickBooks would drop the 12 of tax: the receipt is not kept and the item says why.
			expect(String(taxed.json.error)).toMatch(/QuickBooks dropped the 12 tax/);
			expect(receiptOf('o-taxed')).toBeUndefined();
		} else {
			expect(taxed.json.sync).toMatchObject({
				action: 'created',
				qboTotal: 162,
				totalsMatch: true,
			});
		}
		// Without tax the same order lands in every profile.
		const id = profile === 'us-no-sales-tax' ? 'o-plain' : 'o-taxed';
		if (id === 'o-plain') {
			const [plain] = (
				await createFromPayment(qb.creds, [order('o-plain', 0)], parameters(receiptOptions))
			).output('QuickBooks Sync');
			expect(plain.json.sync).toMatchObject({ action: 'created', qboTotal: 150 });
		}
		const receipt = receiptOf(id)!;
		expect(salesLines(receipt).map((l) => l.SalesItemLineDetail.ItemRef.name)).toEqual([
			'Coaching Package',
			'Workbook',
		]);
		expect(receipt.DepositToAccountRef.value).toBe(idOf('Account', 'Stripe Clearing'));
		expect(receipt.CurrencyRef.value).toBe('USD');
		if (profile === 'us-classes')
			expect(receipt).toMatchObject({
				ClassRef: { value: idOf('Class', 'Online Sales') },
				DepartmentRef: { value: idOf('Department', 'Head Office') },
			});
		else expect(receipt.ClassRef).toBeUndefined();
		expect(salesLines(receipt).map((l) => l.SalesItemLineDetail.ClassRef?.value)).toEqual(
			perLine ? [idOf('Class', 'Coaching'), idOf('Class', 'Online Sales')] : [undefined, undefined],
		);

		const refunded = await refundPayments(qb.creds, [
			workflowRefund({ refundId: `re-${id}`, transactionId: id, amount: 30 }),
		]);
		expect(refunded.output('QuickBooks Sync')[0].json.error).toBeUndefined();
		const [refund] = realm().all('RefundReceipt');
		expect(refund.TotalAmt).toBe(30);
		// Repaid from where the receipt's money went, in its class and location.
		expect(refund.DepositToAccountRef.value).toBe(idOf('Account', 'Stripe Clearing'));
		expect(refund.ClassRef).toEqual(receipt.ClassRef);
		expect(refund.DepartmentRef).toEqual(receipt.DepartmentRef);
	});

	test('an invoice of the same sale: mapped item, tax, classes and locations where tracked', async () => {
		const taxes = profile === 'us-no-sales-tax' ? [] : [{ name: 'State', rate: 10 }];
		const [synced] = (
			await syncInvoices(
				qb.creds,
				[
					invoiceEvent('InvoiceSent', {
						number: 'INV-PROFILE',
						items: [{ name: 'Coaching Session', qty: 1, amount: 120, productId: 'p-coach', taxes }],
					}),
				],
				parameters(),
			)
		).output('QuickBooks Sync');
		expect(synced.json.sync).toMatchObject({ action: 'created', totalsMatch: true });
		const invoice = realm()
			.all('Invoice')
			.find((i) => i.DocNumber === 'INV-PROFILE')!;
		expect(invoice.TotalAmt).toBe(taxes.length ? 132 : 120);
		expect(salesLines(invoice)[0].SalesItemLineDetail.ItemRef.name).toBe('Coaching Package');
		if (profile === 'us-classes')
			expect(invoice.DepartmentRef.value).toBe(idOf('Department', 'Head Office'));
		if (perLine)
			expect(salesLines(invoice)[0].SalesItemLineDetail.ClassRef.value).toBe(
				idOf('Class', 'Coaching'),
			);
	});

	test('a payment in another currency than the home one is never booked as the home currency', async () => {
		const [item] = (
			await createFromPayment(qb.creds, [order('o-eur', 12, 'EUR')], parameters())
		).output('QuickBooks Sync');
		expect(String(item.json.error)).toMatch(/EUR/);
		expect(receiptOf('o-eur')).toBeUndefined();
	});
});
