/**
 * Sales Receipt → Drift Report through the n8n engine against the QuickBooks emulator (23.5): per
 * day, HighLevel's payments (the events the HighLevel Trigger and HighLevel Payments emit) against
 * the receipts Create From Payment wrote; what a bookkeeper would look for: the payment never
 * booked, the receipt whose payment HighLevel does not list, the receipt whose total was changed,
 * a bookkeeper's own receipt left out, and the same report as an HTML page.
 */
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import { workflowPayment, workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { invoiceEvent } from '../fixtures/highlevel';
import { refundPayments, syncInvoices } from '../helpers/receipts';
import { runNode, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });

	const event = (transactionId: string, day: number, subTotal: number) =>
		normalizeHighLevelBody(
			workflowPayment({
				transactionId,
				email: `drift${day}@example.com`,
				subTotal,
				createdOn: `2026-11-0${day}T12:00:00.000Z`,
			}),
			{ delivery: 'workflow', invoicesSynced: false },
		) as unknown as Record<string, unknown>;
	const book = async (events: Array<Record<string, unknown>>) =>
		await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options: {},
			},
			events,
		);
	const drift = async (
		events: Array<Record<string, unknown>>,
		output = 'days',
		crmLink = '',
		continueOnFail = false,
	) => {
		const before = qb.emulator.log.length;
		const result = await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'driftReport',
				startDate: '2026-11-01T00:00:00',
				endDate: '2026-11-03T00:00:00',
				output,
				crmLink,
			},
			events,
			{ continueOnFail },
		);
		return {
			error: result.error('QuickBooks Sync'),
			out: result.output('QuickBooks Sync').map((i) => i.json as Record<string, any>),
			calls: qb.emulator.log.slice(before).filter((e) => e.endpoint !== 'token'),
		};
	};

	test('missing, extra and differing receipts per day, in one QuickBooks query; a bookkeeper’s receipt is not counted', async () => {
		const a = event('ch_drift_a', 1, 100);
		const b = event('ch_drift_b', 1, 50);
		const c = event('ch_drift_c', 2, 70);
		const gone = event('ch_drift_gone', 2, 30); // booked, then not listed by HighLevel
		const never = event('ch_drift_never', 3, 40); // listed, never booked
		await book([a, b, c, gone]);
		// A bookkeeper changed one receipt's amount in QuickBooks.
		const receipt = qb
			.realm()
			.all('SalesReceipt')
			.find((r) => r.DocNumber === 'ch_drift_b')!;
		qb.realm().update('SalesReceipt', {
			Id: receipt.Id,
			SyncToken: receipt.SyncToken,
			sparse: true,
			Line: [
				{
					...receipt.Line[0],
					Amount: 45,
					SalesItemLineDetail: { ...receipt.Line[0].SalesItemLineDetail, UnitPrice: 45 },
				},
			],
		});
		// A bookkeeper's own receipt that day: not ours, not in the report.
		qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [
			{
				...receipt,
				Id: undefined,
				DocNumber: 'walk-in-1',
				PrivateNote: 'cash sale',
				TxnDate: '2026-11-01',
			},
		]);

		const { out, calls } = await drift([a, b, c, never, { unrelated: true }]);
		expect(calls.map((c) => `${c.operation} ${c.queried ?? ''}`.trim())).toEqual([
			'query SalesReceipt',
		]);
		const days = out.filter((o) => o.day && o.kind === undefined);
		expect(
			days.map((d) => [
				d.day,
				d.crmCount,
				d.crmTotal,
				d.qboCount,
				d.qboTotal,
				d.missing,
				d.extra,
				d.differing,
			]),
		).toEqual([
			['2026-11-01', 2, 150, 2, 145, 0, 0, 1],
			['2026-11-02', 1, 70, 2, 100, 0, 1, 0],
			['2026-11-03', 1, 40, 0, 0, 1, 0, 0],
		]);
		const differences = out.filter((o) => o.kind);
		expect(differences.map((d) => [d.kind, d.transactionId, d.crmTotal, d.qboTotal])).toEqual([
			['differing', 'ch_drift_b', 50, 45],
			['extra', 'ch_drift_gone', undefined, 30],
			['missing', 'ch_drift_never', 40, undefined],
		]);
		expect(differences[0].what).toBe('total 45 in QuickBooks, 50 in HighLevel');
		expect(differences[1].qboId).toBe(
			qb
				.realm()
				.all('SalesReceipt')
				.find((r) => r.DocNumber === 'ch_drift_gone')!.Id,
		);
	});

	test('the HTML page: a bar per day, the tables, links to QuickBooks, no scripts; a day without drift says so', async () => {
		const a = event('ch_page_a', 1, 100);
		await book([a]);
		const [page] = (await drift([a, event('ch_page_missing', 2, 25)], 'html')).out;
		expect(page.totals).toMatchObject({ crmCount: 2, qboCount: 1, missing: 1 });
		const html = String(page.html);
		expect(html).toMatch(/^<!doctype html>/);
		expect(html.match(/<g><title>/g)).toHaveLength(3);
		expect(html).toContain(
			'<td>2026-11-02</td><td>1</td><td>25.00</td><td>0</td><td>0.00</td><td>1</td>',
		);
		expect(html).toContain('ch_page_missing');
		expect(html).not.toMatch(/<script|src=|href="http(?!s?:\/\/[^"]*salesreceipt)/i);
		const [clean] = (await drift([a], 'html')).out;
		expect(String(clean.html)).toContain('<p class="ok">None.</p>');
	});

	test('HighLevel Link: each difference links to its HighLevel transaction (page and items); a link without {transactionId} stops naming the field', async () => {
		const link = 'https://crm.example.com/v2/location/L1/payments/transactions/{transactionId}';
		const missing = event('ch_link_missing', 2, 25);
		const [page] = (await drift([missing], 'html', link)).out;
		expect(String(page.html)).toContain(
			'<a href="https://crm.example.com/v2/location/L1/payments/transactions/ch_link_missing">ch_link_missing</a>',
		);
		const items = (await drift([missing], 'differences', link)).out;
		expect(items).toEqual([
			expect.objectContaining({
				kind: 'missing',
				crmUrl: 'https://crm.example.com/v2/location/L1/payments/transactions/ch_link_missing',
			}),
		]);
		const bad = await drift(
			[missing],
			'differences',
			'https://crm.example.com/transactions/',
			true,
		);
		expect(String(bad.out[0]?.error ?? bad.error?.message)).toMatch(/crmLink.*\{transactionId\}/);
	});
	test('refunds: a payment’s refund receipts against what HighLevel shows refunded on it, when the refunded totals are among the items', async () => {
		const paid = [event('ch_drift_r1', 1, 100), event('ch_drift_r2', 1, 60)];
		await book(paid);
		// HighLevel refunded 20 of the first (booked) and 30 of the second (its refund never booked).
		await refundPayments(qb.creds, [
			normalizeHighLevelBody(
				workflowRefund({
					refundId: 're_drift_1',
					transactionId: 'ch_drift_r1',
					amount: 20,
					createdOn: '2026-11-02T09:00:00.000Z',
				}),
				{ delivery: 'workflow', invoicesSynced: false, kinds: ['refund'] },
			) as unknown as Record<string, unknown>,
		]);
		const refundedTotal = (transactionId: string, total: number) => ({
			format: 'highlevel-event/1',
			kind: 'refund',
			skipped: false,
			record: { transactionId, refundedTotal: total, amount: total },
		});
		const { out } = await drift(
			[...paid, refundedTotal('ch_drift_r1', 20), refundedTotal('ch_drift_r2', 30)],
			'differences',
		);
		expect(out.map((d) => [d.kind, d.transactionId, d.what])).toEqual([
			['differing', 'ch_drift_r2', 'refunded 0 in QuickBooks, 30 in HighLevel'],
		]);
		// Without refund events among the items, refunds are not compared (and not queried).
		const { out: without, calls } = await drift(paid, 'differences');
		expect(without).toEqual([]);
		expect(calls.map((c) => c.queried)).toEqual(['SalesReceipt']);
	});

	test('invoices among the items: HighLevel’s invoices by issue day against ours, missing, extra and differing ones named (one more query)', async () => {
		const sent = (number: string, day: number, amount: number, extra = {}) =>
			invoiceEvent('InvoiceSent', {
				id: `inv_${number}`,
				number,
				issueDate: `2026-11-0${day}`,
				items: [{ name: 'Consulting', qty: 1, amount }],
				...extra,
			});
		const same = sent('D-1', 1, 100);
		const lost = sent('D-2', 1, 50); // sent, its delivery lost: never synced
		const paid = sent('D-3', 2, 80);
		const voided = sent('D-4', 2, 60);
		const gone = sent('D-5', 3, 25); // synced, then no longer listed by HighLevel
		const draft = { ...sent('D-6', 3, 10), status: 'draft' };
		const synced = await syncInvoices(qb.creds, [same, paid, voided, gone]);
		expect(synced.output('QuickBooks Sync').map((o) => o.json.error)).toEqual([
			undefined,
			undefined,
			undefined,
			undefined,
		]);
		// What HighLevel shows now: D-3 paid in full, D-4 voided (neither event reached QuickBooks).
		const listed = [
			same,
			lost,
			{ ...paid, status: 'paid', amountPaid: 80 },
			{ ...voided, status: 'void' },
			draft,
		].map(
			(body) =>
				normalizeHighLevelBody(body, {
					delivery: 'marketplace',
					invoicesSynced: true,
				}) as unknown as Record<string, unknown>,
		);
		const { out, calls } = await drift(listed, 'differences');
		expect(
			out.map((d) => [d.document, d.kind, d.invoiceNumber ?? d.docNumber, d.day, d.what]),
		).toEqual([
			['invoice', 'missing', 'D-2', '2026-11-01', undefined],
			['invoice', 'differing', 'D-3', '2026-11-02', 'paid 0.00 in QuickBooks, 80.00 in HighLevel'],
			['invoice', 'differing', 'D-4', '2026-11-02', 'void in HighLevel, open in QuickBooks'],
			['invoice', 'extra', 'D-5', '2026-11-03', undefined],
		]);
		expect(calls.map((c) => c.queried)).toEqual(['SalesReceipt', 'Invoice']);
		const days = (await drift(listed)).out.filter((d) => d.document === 'invoice' && !d.kind);
		expect(days.map((d) => [d.day, d.crmCount, d.crmTotal, d.qboCount, d.qboTotal])).toEqual([
			['2026-11-01', 2, 150, 1, 100],
			['2026-11-02', 1, 80, 2, 140],
			['2026-11-03', 0, 0, 1, 25],
		]);
		// No invoice among the items: not compared, unless Compare Invoices says so (then ours are extra).
		expect((await drift([], 'differences')).out).toEqual([]);
		const compared = await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'driftReport',
				startDate: '2026-11-01T00:00:00',
				endDate: '2026-11-03T00:00:00',
				output: 'differences',
				compareInvoices: true,
			},
			[{}],
		);
		expect(compared.output('QuickBooks Sync').map((o) => [o.json.kind, o.json.docNumber])).toEqual([
			['extra', 'D-1'],
			['extra', 'D-3'],
			['extra', 'D-4'],
			['extra', 'D-5'],
		]);
		const [page] = (await drift(listed, 'html')).out;
		expect(String(page.html)).toContain('<h2>Invoices (by issue day)</h2>');
		expect(String(page.html)).toContain(
			'HighLevel 3 invoices, 230.00; QuickBooks 4, 265.00. Missing 1, extra 1, differing 2.',
		);
	});
});
