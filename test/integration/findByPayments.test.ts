/**
 * Sales Receipt → Find by CRM Payments through the n8n engine against the QuickBooks emulator: which
 * CRM transactions have the receipt Create From Payment wrote (its number and its marker), for a
 * whole burst in one query per 50 transactions; a bookkeeper's document under our number is not
 * taken for ours; the prefix must be the writer's.
 */
import { docNumberFor } from '../../nodes/shared/domain/docNumber';
import { paymentReceived } from '../fixtures/highlevel';
import { runNode, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });

	const book = async (ids: string[], options: Record<string, unknown> = {}) =>
		await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options: { batchRequests: true, ...options },
			},
			ids.map((transactionId, i) =>
				paymentReceived({ transactionId, email: `buyer${i % 7}@example.com` }),
			),
		);
	const find = async (
		input: Array<Record<string, unknown>>,
		options: Record<string, unknown> = {},
	) => {
		const before = qb.emulator.log.length;
		const result = await runNode(
			qb.creds,
			{ resource: 'salesReceipt', operation: 'findByPayments', options },
			input,
			{ continueOnFail: true },
		);
		return {
			out: result.output('QuickBooks Sync').map((i) => i.json as Record<string, any>),
			calls: qb.emulator.log.slice(before),
		};
	};
	/** What the HighLevel Trigger and the HighLevel Payments node emit: the payment under `record`. */
	const event = (transactionId: string) => ({
		key: `payment:${transactionId}`,
		ids: { transactionId },
		record: { transactionId },
	});

	test('70 transactions, 40 booked: each answered in input order, in 2 queries (50 transactions each)', async () => {
		const ids = Array.from({ length: 70 }, (_, i) => `ch_find_${String(i).padStart(3, '0')}`);
		const booked = ids.filter((_, i) => i % 7 < 4);
		await book(booked);
		const { out, calls } = await find(ids.map(event));
		expect(out.map((o) => [o.transactionId, o.booked])).toEqual(
			ids.map((id) => [id, booked.includes(id)]),
		);
		const receiptOf = (id: string) =>
			qb
				.realm()
				.all('SalesReceipt')
				.find((r) => r.DocNumber === docNumberFor(id));
		for (const o of out.filter((x) => x.booked))
			expect(o.receipt).toMatchObject({
				Id: receiptOf(o.transactionId)!.Id,
				DocNumber: o.transactionId,
				TotalAmt: 150,
			});
		expect(out.filter((o) => !o.booked).every((o) => o.receipt === null)).toBe(true);
		expect(calls.map((c) => `${c.endpoint}:${c.queried ?? ''}`)).toEqual([
			'query:SalesReceipt',
			'query:SalesReceipt',
		]);
	});

	test('a bookkeeper’s receipt under our number is not ours: not booked, named under otherDocuments', async () => {
		const [theirs] = qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [
			{
				DocNumber: 'ch_taken_1',
				PrivateNote: 'typed by the bookkeeper',
				Line: [{ DetailType: 'SalesItemLineDetail', Amount: 20, SalesItemLineDetail: {} }],
			},
		]);
		await book(['ch_mine_1']);
		const { out } = await find([event('ch_taken_1'), event('ch_mine_1')]);
		expect(out[0]).toMatchObject({
			booked: false,
			receipt: null,
			otherDocuments: [{ Id: theirs.Id, DocNumber: 'ch_taken_1' }],
		});
		expect(out[1]).toMatchObject({ booked: true, otherDocuments: [] });
	});

	test('the prefix is the writer’s: receipts written with HL- are found with HL- only', async () => {
		await book(['ch_pre_1', 'ch_pre_2'], { docNumberPrefix: 'HL-' });
		const withPrefix = await find([event('ch_pre_1'), event('ch_pre_2')], {
			docNumberPrefix: 'HL-',
		});
		expect(withPrefix.out.map((o) => [o.booked, o.receipt?.DocNumber])).toEqual([
			[true, 'HL-ch_pre_1'],
			[true, 'HL-ch_pre_2'],
		]);
		const without = await find([event('ch_pre_1')]);
		expect(without.out[0].booked).toBe(false);
	});

	test('an item without a transaction id fails alone; the others are answered', async () => {
		await book(['ch_ok_1']);
		const { out, calls } = await find([event('ch_ok_1'), { key: 'nothing' }, event('ch_no_1')]);
		expect(out[0].booked).toBe(true);
		expect(out[1].error).toMatch(/transactionId/);
		expect(out[2].booked).toBe(false);
		expect(calls).toHaveLength(1);
	});
});
