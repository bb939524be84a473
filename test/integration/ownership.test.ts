/**
 * A company that already holds a bookkeeper's documents: the sync never changes, pays, voids or
 * claims one of them, whatever number it carries, and races end in one document whether or not
 * QuickBooks refuses duplicate numbers.
 */
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import { CUSTOM_TXN_NUMBERS, runNode, useEmulatedQuickBooks } from '../helpers/engine';
import { alternateDocNumber } from '../../nodes/shared/domain/docNumber';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();
	const live = (entity: 'Invoice' | 'SalesReceipt' | 'Payment') =>
		realm()
			.all(entity)
			.filter((r) => r.status !== 'Deleted');
	const notVoided = (entity: 'Invoice' | 'SalesReceipt') =>
		live(entity).filter((r) => !String(r.PrivateNote ?? '').startsWith('Voided'));

	/** A bookkeeper's own customer and document, typed into QuickBooks before the sync arrived. */
	function bookkeepers(
		entity: 'Invoice' | 'SalesReceipt',
		docNumber: string,
		note = 'Entered by the bookkeeper',
	) {
		const [customer] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{
				DisplayName: `Walk-in ${docNumber}`,
				PrimaryEmailAddr: { Address: `walkin.${docNumber.toLowerCase()}@example.com` },
			},
		]);
		const item = realm().all('Item')[0];
		// Seeded straight into the store, as QuickBooks would hold it whatever the preference says.
		const [doc] = qb.emulator.seed(qb.emulator.defaultRealm, entity, [
			{
				DocNumber: docNumber,
				CustomerRef: { value: customer.Id },
				PrivateNote: note,
				Line: [
					{
						Amount: 80,
						DetailType: 'SalesItemLineDetail',
						SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 80 },
					},
				],
			},
		]);
		return structuredClone(doc);
	}

	const receiptFrom = async (bodies: unknown[], options: Record<string, unknown> = {}) =>
		(
			await runNode(
				qb.creds,
				{
					resource: 'salesReceipt',
					operation: 'createFromPayment',
					source: 'highLevel',
					body: '={{ $json }}',
					options,
				},
				bodies as Array<Record<string, unknown>>,
				{ continueOnFail: true },
			)
		)
			.output('QuickBooks Sync')
			.map((o) => o.json as Record<string, any>);

	const invoiceSync = async (body: unknown, options: Record<string, unknown> = {}) =>
		(
			await runNode(
				qb.creds,
				{ resource: 'invoice', operation: 'sync', body: '={{ $json }}', key: 'number', options },
				[body as Record<string, unknown>],
				{ continueOnFail: true },
			)
		).output('QuickBooks Sync')[0].json as Record<string, any>;

	describe('sales receipts', () => {
		test('a receipt number already used by a bookkeeper stops the item, names the receipt, writes nothing', async () => {
			const theirs = bookkeepers('SalesReceipt', 'pi-77');
			const customersBefore = realm().all('Customer').length;
			const [out] = await receiptFrom([
				paymentReceived({ transactionId: 'pi-77', email: 'new.person@example.com' }),
			]);
			expect(out.alreadySynced).toBeUndefined();
			expect(out.error).toBe(
				`Item 0: QuickBooks already has sales receipt ${theirs.Id} (no. pi-77, customer Walk-in pi-77) under number pi-77, not created by this sync for CRM payment pi-77; nothing was written`,
			);
			expect(out.details).toMatch(/Use a Distinct Number/);
			expect(live('SalesReceipt')).toHaveLength(1);
			expect(realm().all('Customer')).toHaveLength(customersBefore);
			expect(realm().get('SalesReceipt', theirs.Id)).toMatchObject({
				SyncToken: theirs.SyncToken,
				PrivateNote: 'Entered by the bookkeeper',
			});
		});

		test('"Use a Distinct Number" books the payment under its alternate number; a repeat finds it', async () => {
			const theirs = bookkeepers('SalesReceipt', 'pi-78');
			const body = paymentReceived({ transactionId: 'pi-78' });
			const [first] = await receiptFrom([body], { onNumberClash: 'alternate' });
			expect(first).toMatchObject({
				alreadySynced: false,
				DocNumber: alternateDocNumber('pi-78'),
				sync: { action: 'created' },
			});
			const [again] = await receiptFrom([body], { onNumberClash: 'alternate' });
			expect(again).toMatchObject({ alreadySynced: true, Id: first.Id });
			// Even with the option back to its default, the repeat is recognised (both numbers are looked up).
			const [thirdTime] = await receiptFrom([body]);
			expect(thirdTime).toMatchObject({ alreadySynced: true, Id: first.Id });
			expect(live('SalesReceipt')).toHaveLength(2);
			expect(realm().get('SalesReceipt', theirs.Id).SyncToken).toBe(theirs.SyncToken);
		});

		test('a marker of another CRM payment whose id merely starts the same is not ours', async () => {
			bookkeepers('SalesReceipt', 'ch-9', 'CRM payment ch-9x imported by hand');
			const [out] = await receiptFrom([paymentReceived({ transactionId: 'ch-9' })]);
			expect(out.error).toMatch(
				/^Item 0: QuickBooks already has sales receipt \d+ .* under number ch-9/,
			);
		});

		test('the batch path keeps the same rules: the clashing payment fails alone', async () => {
			bookkeepers('SalesReceipt', 'b-2');
			const bodies = ['b-1', 'b-2', 'b-3'].map((id) => paymentReceived({ transactionId: id }));
			const out = await receiptFrom(bodies, { batchRequests: true });
			expect(out.map((o) => o.sync?.action ?? 'error')).toEqual(['created', 'error', 'created']);
			expect(out[1].error).toMatch(/under number b-2, not created by this sync/);
			expect(live('SalesReceipt')).toHaveLength(3);
		});

		test('six concurrent deliveries of one payment leave one live receipt', async () => {
			// How long QuickBooks remembers a requestid is undocumented: assume not at all.
			qb.emulator.setOptions({ requestIdRetentionMs: 0 });
			const body = paymentReceived({ transactionId: 'race-1', email: 'racer@example.com' });
			const runs = await Promise.all(Array.from({ length: 6 }, () => receiptFrom([body])));
			const outs = runs.map((r) => r[0]);
			expect(outs.map((o) => o.error)).toEqual(Array(6).fill(undefined));
			expect(notVoided('SalesReceipt')).toHaveLength(1);
			expect(new Set(outs.map((o) => o.Id))).toEqual(new Set([notVoided('SalesReceipt')[0].Id]));
			// Later deliveries find the survivor.
			expect((await receiptFrom([body]))[0]).toMatchObject({
				alreadySynced: true,
				Id: notVoided('SalesReceipt')[0].Id,
			});
		});
	});

	describe('a race whose clean-up failed once (22.6)', () => {
		test.each([false, true])(
			'two of our receipts for one payment (the void of the newer failed): the next run voids the newer and keeps the oldest (batch %s)',
			async (batchRequests) => {
				const body = paymentReceived({ transactionId: `race-left-${batchRequests}` });
				const [first] = await receiptFrom([body]);
				const {
					Id: _id,
					SyncToken: _token,
					MetaData: _meta,
					...copy
				} = realm().get('SalesReceipt', first.Id);
				// What the race left: a second receipt of ours, written a moment later, never voided. (Only
				// with Custom transaction numbers off can QuickBooks hold both; a company may turn it on after.)
				qb.emulator.setPreferences({ SalesFormsPrefs: { CustomTxnNumbers: false } });
				const [extra] = qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [copy]);
				qb.emulator.setPreferences({ SalesFormsPrefs: { CustomTxnNumbers: customTxnNumbers } });
				expect(notVoided('SalesReceipt')).toHaveLength(2);
				const [again] = await receiptFrom([body], { batchRequests });
				expect(again).toMatchObject({
					Id: first.Id,
					alreadySynced: true,
					sync: { duplicatesVoided: [extra.Id] },
				});
				expect(notVoided('SalesReceipt').map((r) => r.Id)).toEqual([first.Id]);
				// Settled once: the run after finds nothing more to do.
				expect((await receiptFrom([body]))[0].sync.duplicatesVoided).toBeUndefined();
			},
		);
	});

	describe('a company with sales tax turned off', () => {
		const salesTaxOff = () => qb.emulator.setPreferences({ TaxPrefs: { UsingSalesTax: false } });

		test('a taxed payment or invoice stops with what to do and leaves no document; untaxed ones go through', async () => {
			salesTaxOff();
			const [taxed] = await receiptFrom([paymentReceived({ transactionId: 'tax-1', tax: 8.5 })]);
			expect(taxed.error).toBe(
				"Item 0: QuickBooks dropped the 8.5 tax of this sales receipt (the company has sales tax turned off), so its total would differ from the CRM's 158.5; nothing was kept",
			);
			expect(taxed.details).toMatch(/Turn on sales tax in QuickBooks/);
			const [batched] = await receiptFrom([paymentReceived({ transactionId: 'tax-2', tax: 3 })], {
				batchRequests: true,
			});
			expect(batched.error).toMatch(/^Item 0: QuickBooks dropped the 3 tax of this sales receipt/);
			const [untaxed] = await receiptFrom([paymentReceived({ transactionId: 'tax-3' })]);
			expect(untaxed).toMatchObject({ alreadySynced: false, TotalAmt: 150 });
			const invoice = await invoiceSync(
				invoiceEvent('InvoiceSent', {
					id: 'inv-tax-1',
					number: 'T-1',
					items: [{ name: 'Audit', qty: 1, amount: 100, taxes: [{ name: 'VAT', rate: 10 }] }],
				}),
			);
			expect(invoice.error).toMatch(/^Item 0: QuickBooks dropped the 10 tax of this invoice/);
			expect(live('SalesReceipt').map((r) => r.DocNumber)).toEqual(['tax-3']);
			expect(live('Invoice')).toHaveLength(0);
		});
		test.each([false, true])(
			'sales tax turned on after a stopped taxed payment: the run again books it, not the deleted receipt QuickBooks remembers for its request (22.6, batch %s)',
			async (batchRequests) => {
				salesTaxOff();
				const body = paymentReceived({ transactionId: `tax-again-${batchRequests}`, tax: 8.5 });
				const [stopped] = await receiptFrom([body], { batchRequests });
				expect(stopped.error).toMatch(/^Item 0: QuickBooks dropped the 8.5 tax/);
				// Run again while it is still off: stopped again, nothing kept.
				const [again] = await receiptFrom([body], { batchRequests });
				expect(again.error).toMatch(/^Item 0: QuickBooks dropped the 8.5 tax/);
				const deleted = realm()
					.all('SalesReceipt')
					.map((r) => r.Id);
				expect(live('SalesReceipt')).toHaveLength(0);
				qb.emulator.setPreferences({ TaxPrefs: { UsingSalesTax: true } });
				// Another worker, or the same after a restart: nothing in memory says what was deleted.
				clearCompanyCaches();
				const [booked] = await receiptFrom([body], { batchRequests });
				expect(booked.error).toBeUndefined();
				expect(booked).toMatchObject({ alreadySynced: false, TotalAmt: 158.5 });
				expect(deleted).not.toContain(booked.Id);
				expect(
					live('SalesReceipt').map((r) => [r.Id, r.TotalAmt, r.TxnTaxDetail.TotalTax]),
				).toEqual([[booked.Id, 158.5, 8.5]]);
				// Settled: the next run finds it.
				expect((await receiptFrom([body]))[0]).toMatchObject({
					Id: booked.Id,
					alreadySynced: true,
				});
			},
		);

		test('the same for an invoice: turned on after a stopped taxed invoice, the run again creates it', async () => {
			salesTaxOff();
			const event = invoiceEvent('InvoiceSent', {
				id: 'inv-tax-again',
				number: 'T-2',
				items: [{ name: 'Audit', qty: 1, amount: 100, taxes: [{ name: 'VAT', rate: 10 }] }],
			});
			expect((await invoiceSync(event)).error).toMatch(/dropped the 10 tax of this invoice/);
			qb.emulator.setPreferences({ TaxPrefs: { UsingSalesTax: true } });
			clearCompanyCaches();
			const again = await invoiceSync(event);
			expect(again.error).toBeUndefined();
			expect(live('Invoice').map((r) => [r.Id, r.TotalAmt])).toEqual([[again.Id, 110]]);
		});
	});

	describe('invoices', () => {
		const crm = { id: '6650ff00aa11bb22cc33dd44', number: '1001', email: 'riley.chen@example.com' };

		test('an unrelated invoice with the CRM number is never re-assigned, re-priced, paid or voided', async () => {
			const theirs = bookkeepers('Invoice', '1001');
			for (const event of ['InvoiceSent', 'InvoicePaid'] as const) {
				const out = await invoiceSync(invoiceEvent(event, crm));
				expect(out.error).toBe(
					`Item 0: QuickBooks already has invoice ${theirs.Id} (no. 1001, customer Walk-in 1001) under number 1001, not created by this sync for CRM invoice ${crm.id}; nothing was written`,
				);
			}
			const voided = await invoiceSync(invoiceEvent('InvoiceVoid', crm));
			expect(voided.sync).toMatchObject({ action: 'skipped' });
			expect(voided.sync.reason).toMatch(
				new RegExp(`invoice ${theirs.Id} under the same number 1001 is someone else's`),
			);
			expect(realm().get('Invoice', theirs.Id)).toMatchObject({
				SyncToken: theirs.SyncToken,
				TotalAmt: theirs.TotalAmt,
				Balance: theirs.Balance,
				CustomerRef: theirs.CustomerRef,
			});
			expect(live('Payment')).toHaveLength(0);
			expect(live('Invoice')).toHaveLength(1);
		});

		test('"Use a Distinct Number": the CRM invoice lives beside it and follows its whole life cycle', async () => {
			const theirs = bookkeepers('Invoice', '1001');
			const options = { onNumberClash: 'alternate' };
			const sent = await invoiceSync(invoiceEvent('InvoiceSent', crm), options);
			expect(sent).toMatchObject({
				DocNumber: alternateDocNumber('1001'),
				sync: { action: 'created' },
			});
			const paid = await invoiceSync(invoiceEvent('InvoicePaid', crm), options);
			expect(paid).toMatchObject({ Id: sent.Id, Balance: 0 });
			expect(realm().get('Invoice', theirs.Id).SyncToken).toBe(theirs.SyncToken);
		});

		test('three concurrent InvoiceSent of a new invoice leave one live invoice, paid once after', async () => {
			qb.emulator.setOptions({ requestIdRetentionMs: 0 });
			const runs = await Promise.all(
				[1, 2, 3].map(() => invoiceSync(invoiceEvent('InvoiceSent', crm))),
			);
			expect(runs.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
			expect(notVoided('Invoice')).toHaveLength(1);
			const paid = await invoiceSync(invoiceEvent('InvoicePaid', crm));
			expect(paid).toMatchObject({ Id: notVoided('Invoice')[0].Id, Balance: 0 });
			expect(live('Payment').filter((p) => p.TotalAmt > 0)).toHaveLength(1);
		});

		test('void of a part-paid invoice voids the payment this sync recorded, then the invoice', async () => {
			await invoiceSync(invoiceEvent('InvoiceSent', crm));
			const part = await invoiceSync(
				invoiceEvent('InvoicePartiallyPaid', { ...crm, amountPaid: 400 }),
			);
			expect(part.Balance).toBe(800);
			const voided = await invoiceSync(invoiceEvent('InvoiceVoid', { ...crm, amountPaid: 400 }));
			expect(voided.sync).toMatchObject({ action: 'voided' });
			expect(voided.TotalAmt).toBe(0);
			expect(live('Payment').map((p) => p.TotalAmt)).toEqual([0]);
			expect((await invoiceSync(invoiceEvent('InvoiceVoid', crm))).sync.action).toBe('unchanged');
		});

		test('a payment the bookkeeper applied stops the void, names the payment, and nothing is voided', async () => {
			const sent = await invoiceSync(invoiceEvent('InvoiceSent', crm));
			await invoiceSync(invoiceEvent('InvoicePartiallyPaid', { ...crm, amountPaid: 100 }));
			const [theirs] = qb.emulator.seed(qb.emulator.defaultRealm, 'Payment', [
				{
					CustomerRef: { value: sent.CustomerRef.value },
					TotalAmt: 50,
					TxnDate: '2026-11-21',
					Line: [{ Amount: 50, LinkedTxn: [{ TxnId: sent.Id, TxnType: 'Invoice' }] }],
				},
			]);
			const before = structuredClone(realm().get('Invoice', sent.Id));
			const out = await invoiceSync(invoiceEvent('InvoiceDelete', crm), { onDelete: 'delete' });
			expect(out.error).toMatch(
				new RegExp(
					`^Item 0: QuickBooks invoice ${sent.Id} \\(no. 1001, .*\\) has payments this sync did not record \\(payment ${theirs.Id} of 50 on 2026-11-21\\); nothing was voided$`,
				),
			);
			expect(out.details).toMatch(/Unapply or void those payments/);
			expect(realm().get('Invoice', sent.Id)).toMatchObject({
				SyncToken: before.SyncToken,
				Balance: before.Balance,
			});
			expect(
				live('Payment')
					.map((p) => p.TotalAmt)
					.sort(),
			).toEqual([100, 50].sort());
		});
	});
});
