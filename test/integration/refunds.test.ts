/**
 * Sales Receipt → Refund through the n8n engine: a CRM refund becomes one QuickBooks refund receipt
 * against the receipt (or invoice) this sync wrote for the payment, whatever the company's number
 * preference, and never against a document it did not write. Refund bodies: the ASSEMBLED builder
 * `workflowRefund` (scripts/dev/fixtures/highlevel/SOURCES.md "Refunds").
 */
import { docNumberFor } from '../../nodes/shared/domain/docNumber';
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import { workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import { CUSTOM_TXN_NUMBERS, runNode, useEmulatedQuickBooks } from '../helpers/engine';

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();
	const live = (entity: string) =>
		realm()
			.all(entity)
			.filter((r) => r.status !== 'Deleted');
	const refundReceipts = () => live('RefundReceipt');
	const account = (name: string) => realm().findBy('Account', 'Name', name)!.Id;

	/** Each output item's JSON; a failed item's hint (its `details`) as `hint`. */
	const run = async (parameters: Record<string, unknown>, bodies: unknown[]) =>
		(
			await runNode(qb.creds, parameters, bodies as Array<Record<string, unknown>>, {
				continueOnFail: true,
			})
		)
			.output('QuickBooks Sync')
			.map(
				(o): Record<string, any> => ({
					...(o.json as Record<string, any>),
					...(o.json.details ? { hint: o.json.details } : {}),
				}),
			);

	const pay = async (body: unknown, extra: Record<string, unknown> = {}) => {
		const [out] = await run(
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options: {},
				...extra,
			},
			[body],
		);
		if (out.error) throw new Error(String(out.error));
		return out;
	};
	const refund = (bodies: unknown[], extra: Record<string, unknown> = {}) =>
		run(
			{
				resource: 'salesReceipt',
				operation: 'refund',
				source: 'highLevel',
				body: '={{ $json.body ?? $json }}',
				options: {},
				...extra,
			},
			bodies,
		);

	/** A paid receipt of 190.39: two products, a 20 discount, 10.40 tax. */
	const paidReceipt = async (transactionId: string, extra: Record<string, unknown> = {}) =>
		await pay(
			paymentReceived({
				transactionId,
				items: [
					{ name: 'Consultation', qty: 2, price: 75 },
					{ name: 'Report', qty: 1, price: 49.99 },
				],
				discount: 20,
				tax: 10.4,
			}),
			extra,
		);

	test('a full refund: one refund receipt with the receipt’s customer, lines, discount and tax; the receipt stays as it was', async () => {
		const receipt = await paidReceipt('ch_full_1');
		const before = structuredClone(realm().get('SalesReceipt', receipt.Id));
		const delivery = workflowRefund({
			refundId: 're_full_1',
			transactionId: 'ch_full_1',
			amount: 190.39,
			createdOn: '2026-11-22T10:00:00.000Z',
		});
		// The HighLevel Trigger's event goes in unchanged, as in the templates.
		const event = normalizeHighLevelBody(delivery, {
			delivery: 'workflow',
			invoicesSynced: true,
			kinds: ['refund'],
		});
		const [out] = await refund([event]);
		expect(out.error).toBeUndefined();
		expect(out).toMatchObject({
			alreadySynced: false,
			TotalAmt: 190.39,
			DocNumber: docNumberFor('re_full_1'),
			TxnDate: '2026-11-22',
			CustomerRef: { value: receipt.CustomerRef.value },
			// The receipt named no deposit account: QuickBooks filed it under Undeposited Funds.
			DepositToAccountRef: { value: account('Undeposited Funds') },
			TxnTaxDetail: { TotalTax: 10.4 },
			PrivateNote: `CRM refund re_full_1 for payment ch_full_1 (sales receipt ${receipt.Id} no. ${receipt.DocNumber})`,
			sync: {
				action: 'created',
				crmTotal: 190.39,
				qboTotal: 190.39,
				totalsMatch: true,
				refundOf: { entity: 'SalesReceipt', qboId: receipt.Id, docNumber: receipt.DocNumber },
				refundedToDate: 190.39,
				refundable: 0,
			},
		});
		const items = (lines: any[]) =>
			lines
				.filter((l) => l.DetailType === 'SalesItemLineDetail')
				.map((l) => [l.SalesItemLineDetail.ItemRef.name, l.SalesItemLineDetail.Qty, l.Amount]);
		expect(items(out.Line)).toEqual(items(receipt.Line));
		expect(out.Line.find((l: any) => l.DetailType === 'DiscountLineDetail').Amount).toBe(20);
		expect(realm().get('SalesReceipt', receipt.Id)).toEqual(before);
		expect(refundReceipts()).toHaveLength(1);
	});

	test('the deposit account and payment method come from the receipt, or from the node', async () => {
		const receipt = await paidReceipt('ch_dep_1', {
			depositAccountId: { mode: 'id', value: account('Checking') },
			paymentMethodId: { mode: 'id', value: realm().findBy('PaymentMethod', 'Name', 'Check')!.Id },
		});
		const [fromReceipt] = await refund([
			workflowRefund({ refundId: 're_dep_1', transactionId: 'ch_dep_1', amount: 10 }),
		]);
		expect(fromReceipt).toMatchObject({
			DepositToAccountRef: { value: account('Checking') },
			PaymentMethodRef: { value: receipt.PaymentMethodRef.value },
			PaymentRefNum: 're_dep_1',
		});
		const [chosen] = await refund(
			[workflowRefund({ refundId: 're_dep_2', transactionId: 'ch_dep_1', amount: 10 })],
			{ refundFromAccountId: { mode: 'id', value: account('Undeposited Funds') } },
		);
		expect(chosen.DepositToAccountRef.value).toBe(account('Undeposited Funds'));
	});

	test('partial refunds summing to the total: each to the cent, then nothing is left to refund', async () => {
		const receipt = await paidReceipt('ch_parts_1');
		const amounts = [33.33, 100, 57.06];
		for (const [i, amount] of amounts.entries()) {
			const [out] = await refund([
				workflowRefund({
					refundId: `re_part_${i}`,
					transactionId: 'ch_parts_1',
					amount,
					type: 'partial',
				}),
			]);
			expect(out.error).toBeUndefined();
			expect(out.TotalAmt).toBe(amount);
			expect(out.CustomerRef.value).toBe(receipt.CustomerRef.value);
		}
		const written = refundReceipts();
		expect(written.map((r) => r.TotalAmt)).toEqual(amounts);
		// The tax refunded in all is the receipt's, to the cent.
		expect(Math.round(written.reduce((s, r) => s + r.TxnTaxDetail.TotalTax, 0) * 100) / 100).toBe(
			10.4,
		);
		const [more] = await refund([
			workflowRefund({ refundId: 're_part_9', transactionId: 'ch_parts_1', amount: 0.01 }),
		]);
		expect(more.error).toBe(
			`Item 0: Refunding 0.01 would take the refunds of sales receipt ${receipt.Id} (no. ${receipt.DocNumber}, customer Jamie Rivera) past its total (190.39): 190.39 refunded before, 0 left; nothing was written`,
		);
		expect(refundReceipts()).toHaveLength(3);
	});

	test('a refund over the total is refused and writes nothing', async () => {
		await paidReceipt('ch_over_1');
		const [out] = await refund([
			workflowRefund({ refundId: 're_over_1', transactionId: 'ch_over_1', amount: 200 }),
		]);
		expect(out.error).toMatch(/past its total \(190\.39\): 0 refunded before, 190\.39 left/);
		expect(refundReceipts()).toHaveLength(0);
	});

	test('a repeated refund delivery gives one refund receipt: in one run, in later runs, at the same moment', async () => {
		await paidReceipt('ch_rep_1');
		const body = workflowRefund({ refundId: 're_rep_1', transactionId: 'ch_rep_1', amount: 50 });
		const burst = await refund([body, body]);
		expect(burst.map((o) => o.alreadySynced)).toEqual([false, true]);
		const [later] = await refund([body]);
		expect(later).toMatchObject({
			alreadySynced: true,
			Id: burst[0].Id,
			sync: { action: 'matched' },
		});
		const concurrent = await Promise.all(
			[1, 2, 3].map(() =>
				refund([workflowRefund({ refundId: 're_rep_2', transactionId: 'ch_rep_1', amount: 20 })]),
			),
		);
		expect(concurrent.map(([o]) => o.error)).toEqual([undefined, undefined, undefined]);
		expect(new Set(concurrent.map(([o]) => o.Id)).size).toBe(1);
		expect(refundReceipts().map((r) => r.TotalAmt)).toEqual([50, 20]);
	});

	test('two different refunds at the same moment never refund more than the receipt', async () => {
		await paidReceipt('ch_race_1');
		const outs = await Promise.all(
			['re_race_a', 're_race_b'].map((refundId) =>
				refund([workflowRefund({ refundId, transactionId: 'ch_race_1', amount: 120 })]),
			),
		);
		const errors = outs.map(([o]) => o.error).filter(Boolean);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatch(/Another refund of sales receipt .* was written at the same time/);
		expect(refundReceipts().map((r) => r.TotalAmt)).toEqual([120]);
		// The bookkeeper deletes the kept one; the refused refund, delivered again, is written anew
		// although QuickBooks still remembers its first request (whose refund receipt was deleted).
		const [kept] = refundReceipts();
		realm().delete('RefundReceipt', { Id: kept.Id, SyncToken: kept.SyncToken });
		const refused = outs.findIndex(([o]) => o.error);
		const [again] = await refund([
			workflowRefund({
				refundId: ['re_race_a', 're_race_b'][refused],
				transactionId: 'ch_race_1',
				amount: 120,
			}),
		]);
		expect(again).toMatchObject({ alreadySynced: false, TotalAmt: 120 });
		expect(refundReceipts().map((r) => [r.Id, r.TotalAmt])).toEqual([[again.Id, 120]]);
	});

	test('a refund before its payment’s receipt exists: a clear error and nothing written; after the payment it goes through', async () => {
		const body = workflowRefund({
			refundId: 're_early_1',
			transactionId: 'ch_early_1',
			amount: 25,
		});
		const customers = realm().all('Customer').length;
		const [early] = await refund([body]);
		expect(early.error).toBe(
			"Item 0: The payment's sales receipt (CRM payment ch_early_1) does not exist in QuickBooks yet; nothing was written",
		);
		expect(early.hint).toMatch(/^Run the payment first .* a drain retries it by itself/);
		expect(refundReceipts()).toHaveLength(0);
		expect(realm().all('Customer')).toHaveLength(customers);
		await paidReceipt('ch_early_1');
		const [later] = await refund([body]);
		expect(later).toMatchObject({ alreadySynced: false, TotalAmt: 25 });
	});

	test('a bookkeeper’s receipt with the payment’s number is never refunded', async () => {
		const item = realm().all('Item')[0];
		const [customer] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'Walk-in buyer' },
		]);
		const [theirs] = qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [
			{
				DocNumber: 'ch_theirs_1',
				CustomerRef: { value: customer.Id },
				PrivateNote: 'Entered by the bookkeeper',
				Line: [
					{
						Amount: 80,
						DetailType: 'SalesItemLineDetail',
						SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: 80 },
					},
				],
			},
		]);
		const [out] = await refund([
			workflowRefund({ refundId: 're_theirs_1', transactionId: 'ch_theirs_1', amount: 80 }),
		]);
		expect(out.error).toBe(
			`Item 0: QuickBooks has sales receipt ${theirs.Id} (no. ch_theirs_1, customer Walk-in buyer) under the number of CRM payment ch_theirs_1, not created by this sync for it; nothing was refunded`,
		);
		expect(refundReceipts()).toHaveLength(0);
	});

	test('a refund number taken by a bookkeeper’s refund receipt stops the item, or takes a distinct number', async () => {
		await paidReceipt('ch_num_1');
		const [theirs] = qb.emulator.seed(qb.emulator.defaultRealm, 'RefundReceipt', [
			{
				DocNumber: 're_num_1',
				DepositToAccountRef: { value: account('Checking') },
				PrivateNote: 'Refund typed in by the bookkeeper',
				Line: [{ Amount: 5, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: {} }],
			},
		]);
		const body = workflowRefund({ refundId: 're_num_1', transactionId: 'ch_num_1', amount: 5 });
		const [stopped] = await refund([body]);
		expect(stopped.error).toMatch(
			new RegExp(`refund receipt ${theirs.Id} \\(no. re_num_1\\) under number re_num_1`),
		);
		expect(refundReceipts()).toHaveLength(1);
		const [distinct] = await refund([body], { options: { onNumberClash: 'alternate' } });
		expect(distinct.error).toBeUndefined();
		expect(distinct.DocNumber).not.toBe('re_num_1');
	});

	test('a failed refund or a refund of another event kind writes nothing', async () => {
		await paidReceipt('ch_fail_1');
		const [failed] = await refund([
			workflowRefund({ refundId: 're_fail_1', transactionId: 'ch_fail_1', status: 'failed' }),
		]);
		expect(failed.error).toMatch(/refund.status.*"failed": no money went back/);
		const [payment] = await refund([paymentReceived({ transactionId: 'ch_fail_1' })]);
		expect(payment.error).toMatch(/not a HighLevel refund body/);
		expect(refundReceipts()).toHaveLength(0);
	});

	test('mapped fields: a refund of part of a receipt by its transaction id', async () => {
		await paidReceipt('ch_map_1');
		const [out] = await run(
			{
				resource: 'salesReceipt',
				operation: 'refund',
				source: 'fields',
				refundId: 'manual-1',
				transactionId: 'ch_map_1',
				amount: 12.34,
				refundFields: { date: '2026-12-01T00:00:00.000Z' },
				options: {},
			},
			[{}],
		);
		expect(out).toMatchObject({ TotalAmt: 12.34, TxnDate: '2026-12-01', alreadySynced: false });
	});

	describe('a refunded invoice payment', () => {
		const invoiceBase = { id: 'inv_6650aa01', number: 'INV-7001', email: 'riley.chen@example.com' };
		const sync = async (body: unknown) => {
			const [out] = await run(
				{
					resource: 'invoice',
					operation: 'sync',
					body: '={{ $json }}',
					key: 'number',
					options: {},
				},
				[body],
			);
			if (out.error) throw new Error(String(out.error));
			return out;
		};
		const invoiceRefund = (refundId: string, amount: number) =>
			workflowRefund({
				refundId,
				transactionId: `txn_${refundId}`,
				amount,
				email: 'riley.chen@example.com',
				customData: { invoice_id: invoiceBase.id, invoice_number: invoiceBase.number },
			});

		test('is refunded against our invoice up to what our payments paid; the invoice stays paid', async () => {
			const paid = await sync(invoiceEvent('InvoicePaid', invoiceBase));
			expect(paid).toMatchObject({ Balance: 0, TotalAmt: 1200 });
			const invoiceBefore = structuredClone(realm().get('Invoice', paid.Id));
			const [partial] = await refund([invoiceRefund('re_inv_1', 200)]);
			expect(partial.error).toBeUndefined();
			expect(partial).toMatchObject({
				TotalAmt: 200,
				CustomerRef: { value: paid.CustomerRef.value },
				DepositToAccountRef: { value: account('Undeposited Funds') },
				sync: {
					refundOf: { entity: 'Invoice', qboId: paid.Id, docNumber: 'INV-7001' },
					refundedToDate: 200,
					refundable: 1000,
				},
			});
			expect(partial.PrivateNote).toBe(
				`CRM refund re_inv_1 for invoice inv_6650aa01 (transaction txn_re_inv_1, invoice ${paid.Id} no. INV-7001)`,
			);
			expect(realm().get('Invoice', paid.Id)).toEqual(invoiceBefore);
			const [over] = await refund([invoiceRefund('re_inv_2', 1000.01)]);
			expect(over.error).toMatch(
				/past what this sync recorded as paid on it \(1200\): 200 refunded before, 1000 left/,
			);
			const [rest] = await refund([invoiceRefund('re_inv_3', 1000)]);
			expect(rest.TotalAmt).toBe(1000);
			expect(refundReceipts().map((r) => r.TotalAmt)).toEqual([200, 1000]);
		});

		test('HighLevel voids a refunded invoice: payments and invoice are voided, our refund receipts deleted, so the money goes back once', async () => {
			await sync(invoiceEvent('InvoicePaid', invoiceBase));
			const [refunded] = await refund([invoiceRefund('re_inv_void', 1200)]);
			expect(refunded.error).toBeUndefined();
			const voided = await sync(invoiceEvent('InvoiceVoid', { ...invoiceBase, amountPaid: 1200 }));
			expect(voided).toMatchObject({
				TotalAmt: 0,
				sync: { action: 'voided' },
				refundReceiptsDeleted: [{ Id: refunded.Id, TotalAmt: 1200 }],
			});
			expect(refundReceipts()).toHaveLength(0);
			expect(live('Payment').every((p) => p.TotalAmt === 0)).toBe(true);
		});

		test('is refused before the invoice is synced, when only a bookkeeper paid it, and without its number', async () => {
			const [early] = await refund([invoiceRefund('re_inv_early', 10)]);
			expect(early.error).toMatch(
				/The invoice of the refunded payment \(CRM invoice inv_6650aa01\) does not exist in QuickBooks yet/,
			);
			const sent = await sync(invoiceEvent('InvoiceSent', invoiceBase));
			// A payment typed in by the bookkeeper, without our marker.
			qb.emulator.seed(qb.emulator.defaultRealm, 'Payment', [
				{
					CustomerRef: sent.CustomerRef,
					TotalAmt: 100,
					Line: [{ Amount: 100, LinkedTxn: [{ TxnId: sent.Id, TxnType: 'Invoice' }] }],
				},
			]);
			const [theirs] = await refund([invoiceRefund('re_inv_theirs', 10)]);
			expect(theirs.error).toMatch(/has no payment recorded by this sync; nothing was refunded/);
			const noNumber = invoiceRefund('re_inv_nonum', 10);
			delete noNumber.customData.invoice_number;
			const [missing] = await refund([noNumber]);
			expect(missing.error).toMatch(/field "invoiceNumber" is missing/);
			expect(refundReceipts()).toHaveLength(0);
		});
	});
});
