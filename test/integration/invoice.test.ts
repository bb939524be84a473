import { invoiceEvent } from '../fixtures/highlevel';
import { runNode, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';

// Every rule must hold whether or not QuickBooks refuses duplicate numbers (company preference).
describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();

	const invoices = () =>
		realm()
			.all('Invoice')
			.filter((i) => i.status !== 'Deleted');
	const payments = () =>
		realm()
			.all('Payment')
			.filter((p) => p.status !== 'Deleted');

	async function sync(body: unknown, options: Record<string, unknown> = {}) {
		const result = await runNode(
			qb.creds,
			{ resource: 'invoice', operation: 'sync', body: '={{ $json }}', key: 'number', options },
			[body as Record<string, unknown>],
			{ continueOnFail: true },
		);
		const out = result.output('QuickBooks Sync')[0].json as Record<string, any>;
		if (out.error) throw new Error(String(out.error));
		return out;
	}

	const base = {
		id: '6650aa00bb11cc22dd33ee44',
		number: 'INV-000101',
		email: 'riley.chen@example.com',
	};

	describe('Invoice → Sync through the n8n engine', () => {
		test('part-paid (50) and paid (100) events of one invoice at once: QuickBooks ends paid 100, both items succeed (22.8)', async () => {
			const items = [{ name: 'Retainer', qty: 1, amount: 100 }];
			await sync(invoiceEvent('InvoiceSent', { ...base, items }));
			const [partial, paid] = await Promise.all([
				sync(invoiceEvent('InvoicePartiallyPaid', { ...base, items, amountPaid: 50 })),
				sync(invoiceEvent('InvoicePaid', { ...base, items })),
			]);
			const [invoice] = invoices();
			expect(invoice.Balance).toBe(0);
			const applied = payments().filter((p) => Number(p.TotalAmt) > 0);
			expect(applied.reduce((sum, p) => sum + Number(p.TotalAmt), 0)).toBe(100);
			expect(applied.every((p) => Number(p.UnappliedAmt ?? 0) === 0)).toBe(true);
			expect(paid.Balance).toBe(0);
			expect(partial.Balance === 0 || partial.Balance === 50).toBe(true);
			// Delivered again afterwards: nothing more is paid.
			const again = await sync(invoiceEvent('InvoicePaid', { ...base, items }));
			expect(again.sync.action).toBe('unchanged');
			expect(payments().filter((p) => Number(p.TotalAmt) > 0)).toHaveLength(applied.length);
		});

		test('sent → updated → partially paid → paid, totals equal at every step, never double-paid', async () => {
			const items = [
				{
					name: 'Website Design',
					qty: 1,
					amount: 1200,
					taxes: [
						{ name: 'State', rate: 6 },
						{ name: 'City', rate: 2.5 },
					],
				},
				{ name: 'Hosting (12 months)', qty: 12, amount: 15 },
			];
			const sent = await sync(
				invoiceEvent('InvoiceSent', {
					...base,
					items,
					discount: { type: 'percentage', value: 10 },
				}),
			);
			expect(sent.sync).toMatchObject({
				action: 'created',
				docNumber: 'INV-000101',
				totalsMatch: true,
			});
			expect(sent.TotalAmt).toBe(sent.sync.crmTotal);

			const before = qb.emulator.log.length;
			const same = await sync(
				invoiceEvent('InvoiceUpdate', {
					...base,
					items,
					discount: { type: 'percentage', value: 10 },
				}),
			);
			// Invoice by number 1 only: the customer is the one already billed, the two items come from
			// the company cache (the income account is looked up only to create one), nothing is written.
			expect(qb.emulator.log.slice(before).map((e) => `${e.method} ${e.operation}`)).toEqual([
				'GET query',
			]);
			expect(same.sync.action).toBe('unchanged');
			expect(same.SyncToken).toBe(sent.SyncToken);

			const edited = [...items, { name: 'Logo', qty: 1, amount: 300 }];
			const updated = await sync(
				invoiceEvent('InvoiceUpdate', {
					...base,
					items: edited,
					discount: { type: 'fixed', value: 50 },
					dueDate: '2027-01-15',
				}),
			);
			expect(updated.sync).toMatchObject({ action: 'updated', totalsMatch: true });
			expect(updated.DueDate).toBe('2027-01-15');
			const total = updated.TotalAmt;

			const partial = await sync(
				invoiceEvent('InvoicePartiallyPaid', {
					...base,
					items: edited,
					discount: { type: 'fixed', value: 50 },
					dueDate: '2027-01-15',
					amountPaid: 500,
				}),
			);
			expect(partial.sync.action).toBe('paid');
			expect(partial.Balance).toBeCloseTo(total - 500, 2);
			const repeated = await sync(
				invoiceEvent('InvoicePartiallyPaid', {
					...base,
					items: edited,
					discount: { type: 'fixed', value: 50 },
					dueDate: '2027-01-15',
					amountPaid: 500,
				}),
			);
			expect(repeated.sync.action).toBe('unchanged');
			expect(payments()).toHaveLength(1);

			const paid = await sync(
				invoiceEvent('InvoicePaid', {
					...base,
					items: edited,
					discount: { type: 'fixed', value: 50 },
					dueDate: '2027-01-15',
				}),
			);
			expect(paid.Balance).toBe(0);
			expect(payments()).toHaveLength(2);
			expect(payments().reduce((s, p) => s + p.TotalAmt, 0)).toBeCloseTo(total, 2);
			expect(invoices()).toHaveLength(1);
		});

		test('sent → void, and void again is a no-op', async () => {
			await sync(invoiceEvent('InvoiceSent', base));
			const voided = await sync(invoiceEvent('InvoiceVoid', base));
			expect(voided).toMatchObject({ TotalAmt: 0, Balance: 0, sync: { action: 'voided' } });
			const again = await sync(invoiceEvent('InvoiceVoid', base));
			expect(again.sync.action).toBe('unchanged');
		});

		test('paid arriving before sent still ends paid, with one invoice and one payment', async () => {
			const paid = await sync(invoiceEvent('InvoicePaid', base));
			expect(paid).toMatchObject({ Balance: 0, sync: { action: 'created' } });
			const lateSent = await sync(
				invoiceEvent('InvoiceSent', { ...base, status: 'paid', amountPaid: paid.TotalAmt }),
			);
			expect(lateSent.sync.action).toBe('unchanged');
			expect(invoices()).toHaveLength(1);
			expect(payments()).toHaveLength(1);
		});

		test('a stale SyncToken in the middle of an update is re-read and retried once', async () => {
			const sent = await sync(invoiceEvent('InvoiceSent', base));
			qb.emulator.beforeNext('POST', 'invoice', () => {
				const current = realm().get('Invoice', sent.Id);
				realm().update('Invoice', {
					Id: current.Id,
					SyncToken: current.SyncToken,
					sparse: true,
					PrivateNote: `${current.PrivateNote} (edited in QuickBooks)`,
				});
			});
			const updated = await sync(
				invoiceEvent('InvoiceUpdate', {
					...base,
					items: [{ name: 'Website Design', qty: 1, amount: 1500 }],
				}),
			);
			expect(updated.sync.action).toBe('updated');
			expect(updated.TotalAmt).toBe(1500);
			expect(updated.PrivateNote).toContain('(edited in QuickBooks)');
			expect(updated.SyncToken).toBe('2');
		});

		test('drafts and invoices issued before the cut-off are not synced; delete voids or deletes', async () => {
			expect(
				(await sync(invoiceEvent('InvoiceUpdate', { ...base, status: 'draft' }))).sync.action,
			).toBe('skipped');
			expect(
				(
					await sync(invoiceEvent('InvoiceSent', { ...base, issueDate: '2026-01-01' }), {
						onlyIssuedSince: '2026-06-01',
					})
				).sync.action,
			).toBe('skipped');
			expect(invoices()).toHaveLength(0);
			await sync(invoiceEvent('InvoiceSent', base));
			const deleted = await sync(invoiceEvent('InvoiceDelete', base), { onDelete: 'delete' });
			expect(deleted.sync.action).toBe('deleted');
			expect(invoices()).toHaveLength(0);
		});

		test('Record Payment pays only what QuickBooks lacks; Get, Get Many, Send, Void by number', async () => {
			const sent = await sync(invoiceEvent('InvoiceSent', base), { recordPayments: false });
			const ref = { invoiceBy: 'docNumber', invoiceRef: 'INV-000101' };
			const pay = (amountPaid: number) =>
				runNode(qb.creds, { resource: 'invoice', operation: 'recordPayment', ...ref, amountPaid }, [
					{},
				]);
			expect((await pay(400)).output('QuickBooks Sync')[0].json).toMatchObject({
				Balance: sent.TotalAmt - 400,
				sync: { action: 'paid', qboAmountPaid: 400 },
			});
			expect((await pay(400)).output('QuickBooks Sync')[0].json.sync).toMatchObject({
				action: 'unchanged',
			});
			expect(payments()).toHaveLength(1);
			expect(
				(await runNode(qb.creds, { resource: 'invoice', operation: 'get', ...ref }, [{}])).output(
					'QuickBooks Sync',
				)[0].json.Id,
			).toBe(sent.Id);
			expect(
				(
					await runNode(
						qb.creds,
						{ resource: 'invoice', operation: 'getMany', returnAll: true, filters: {} },
						[{}],
					)
				).output('QuickBooks Sync'),
			).toHaveLength(1);
			const mailed = (
				await runNode(qb.creds, { resource: 'invoice', operation: 'send', ...ref, sendTo: '' }, [
					{},
				])
			).output('QuickBooks Sync')[0].json;
			expect(mailed).toMatchObject({
				EmailStatus: 'EmailSent',
				BillEmail: { Address: 'riley.chen@example.com' },
			});
			const missing = await runNode(
				qb.creds,
				{ resource: 'invoice', operation: 'void', invoiceBy: 'docNumber', invoiceRef: 'NOPE-1' },
				[{}],
				{ continueOnFail: true },
			);
			expect(missing.output('QuickBooks Sync')[0].json.error).toBe(
				'Item 0: No QuickBooks invoice has the number NOPE-1',
			);
		});

		test('a company outside the US picks its own tax codes for taxed and untaxed lines', async () => {
			const [gst, exempt] = qb.emulator.seed(qb.emulator.defaultRealm, 'TaxCode', [
				{ Name: 'GST', RateValue: 10 },
				{ Name: 'Exempt', RateValue: 0 },
			]);
			const body = invoiceEvent('InvoiceSent', {
				...base,
				items: [
					{ name: 'Consulting', qty: 2, amount: 100, taxes: [{ name: 'GST', rate: 10 }] },
					{ name: 'Books', qty: 1, amount: 30 },
				],
			});
			const out = await sync(body, {
				taxedTaxCode: { __rl: true, mode: 'id', value: gst.Id },
				untaxedTaxCode: { __rl: true, mode: 'id', value: exempt.Id },
			});
			expect(
				out.Line.filter((l: any) => l.SalesItemLineDetail).map(
					(l: any) => l.SalesItemLineDetail.TaxCodeRef.value,
				),
			).toEqual([gst.Id, exempt.Id]);
			expect(out).toMatchObject({
				TotalAmt: 250,
				TxnTaxDetail: { TotalTax: 20 },
				sync: { totalsMatch: true },
			});
		});

		test('a CRM total its lines do not make (100 line, total 110, no tax stated) stops the item; nothing is booked as tax (22.1)', async () => {
			const body = invoiceEvent('InvoiceSent', {
				...base,
				number: 'INV-GAP-1',
				items: [{ name: 'Consulting', qty: 1, amount: 100 }],
			});
			body.total = 110;
			body.amountDue = 110;
			await expect(sync(body)).rejects.toThrow(
				'Item 0: The CRM total 110 is not what its lines, discount and tax make (100: lines 100, discount 0, tax 0 (the CRM stated none)); nothing was written',
			);
			expect(invoices().filter((i) => i.DocNumber === 'INV-GAP-1')).toHaveLength(0);

			const [adjustment] = qb.emulator.seed(qb.emulator.defaultRealm, 'Item', [
				{
					Name: 'Adjustment',
					Type: 'NonInventory',
					IncomeAccountRef: {
						value: realm()
							.all('Account')
							.find((a) => a.AccountType === 'Income')!.Id,
					},
				},
			]);
			const out = await sync(body, {
				adjustmentItemId: { __rl: true, mode: 'id', value: adjustment.Id },
			});
			expect(out).toMatchObject({ TotalAmt: 110, sync: { totalsMatch: true } });
			expect(Number(out.TxnTaxDetail?.TotalTax ?? 0)).toBe(0);
			expect(
				out.Line.filter((l: any) => l.SalesItemLineDetail).map((l: any) => [
					l.Amount,
					l.SalesItemLineDetail.TaxCodeRef.value,
					l.SalesItemLineDetail.ItemRef.value === adjustment.Id,
				]),
			).toEqual([
				[100, 'NON', false],
				[10, 'NON', true],
			]);
		});

		test('a tax-inclusive item (InvoiceItemDto taxInclusive) keeps its price: 110 with 10 % inside is 100 + 10 tax (22.2)', async () => {
			const out = await sync(
				invoiceEvent('InvoiceSent', {
					...base,
					number: 'INV-INCL-1',
					items: [
						{
							name: 'Consulting',
							qty: 1,
							amount: 110,
							taxes: [{ name: 'VAT', rate: 10 }],
							taxInclusive: true,
						},
					],
				}),
			);
			expect(out).toMatchObject({
				TotalAmt: 110,
				TxnTaxDetail: { TotalTax: 10 },
				sync: { totalsMatch: true },
			});
		});

		test('Send whose answers are lost after QuickBooks sent it, retried by n8n (Retry On Fail): one e-mail, not two (22.9)', async () => {
			const created = await sync(invoiceEvent('InvoiceSent', { ...base, number: 'INV-MAIL-1' }));
			// Every attempt of the client's own retries is carried out by QuickBooks, its answer lost:
			// the node fails, n8n runs it again.
			qb.emulator.injectFault({ path: '/send', count: 6, action: 'lostAnswer' });
			const result = await runNode(
				qb.creds,
				{
					resource: 'invoice',
					operation: 'send',
					invoiceBy: 'id',
					invoiceId: created.Id,
					sendTo: '',
				},
				[{}],
				{ retry: { maxTries: 2, waitBetweenTries: 0 } },
			);
			expect(result.output('QuickBooks Sync')[0]?.json).toMatchObject({ EmailStatus: 'EmailSent' });
			expect(realm().mails.filter((m) => m.invoiceId === created.Id)).toHaveLength(1);
		}, 60_000);

		test("Record Payment and Void by number leave a bookkeeper's invoice with that number alone unless the user includes it (22.10)", async () => {
			const [customer] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Bookkeeper Client' },
			]);
			const item = realm().all('Item')[0];
			const theirs = qb.emulator.seed(qb.emulator.defaultRealm, 'Invoice', [
				{
					DocNumber: 'BK-77',
					CustomerRef: { value: customer.Id },
					Line: [
						{
							DetailType: 'SalesItemLineDetail',
							Amount: 50,
							SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 50 },
						},
					],
				},
			])[0];
			const act = (operation: string, more: Record<string, unknown> = {}) =>
				runNode(
					qb.creds,
					{
						resource: 'invoice',
						operation,
						invoiceBy: 'docNumber',
						invoiceRef: 'BK-77',
						amountPaid: 50,
						...more,
					},
					[{}],
					{ continueOnFail: true },
				).then((r) => r.output('QuickBooks Sync')[0].json as Record<string, any>);
			for (const operation of ['recordPayment', 'void'])
				expect((await act(operation)).error).toBe(
					`Item 0: QuickBooks invoice ${theirs.Id} (no. BK-77, customer ${customer.DisplayName}) was not created by this sync (no CRM marker): nothing was changed`,
				);
			expect([payments().length, realm().get('Invoice', theirs.Id).Balance]).toEqual([0, 50]);
			expect(await act('recordPayment', { includeOthers: true })).toMatchObject({ Balance: 0 });
		});
	});
});
