/**
 * A refund pulled from HighLevel's API knows only the transaction's refunded total (no refund id);
 * a pushed "Refund" delivery knows its own id and amount, and in the durable drain also that total
 * (HighLevel Payments → Add Line Items reads the transaction). Whichever of them is booked first, the
 * refunds of the payment never pass HighLevel's total: nothing is refunded twice, nothing is missed.
 * Through the n8n engine against the QuickBooks emulator; events as the nodes emit them.
 */
import { eventsFromTransaction } from '../../nodes/shared/highlevel/fromApi';
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import type { CrmRefund } from '../../nodes/shared/domain/crm';
import type { HighLevelEvent } from '../../nodes/shared/highlevel/types';
import { apiTransaction, workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { paymentReceived } from '../fixtures/highlevel';
import { runNode, useEmulatedQuickBooks } from '../helpers/engine';

const qb = useEmulatedQuickBooks();
const refundReceipts = () =>
	qb
		.realm()
		.all('RefundReceipt')
		.filter((r) => r.status !== 'Deleted');
const booked = () => refundReceipts().map((r) => Number(r.TotalAmt));

const run = async (parameters: Record<string, unknown>, items: unknown[]) =>
	(
		await runNode(qb.creds, parameters, items as Array<Record<string, unknown>>, {
			continueOnFail: true,
		})
	)
		.output('QuickBooks Sync')
		.map(
			(o): Record<string, any> => ({ ...(o.json as Record<string, any>), hint: o.json.details }),
		);

const refund = (events: HighLevelEvent[]) =>
	run(
		{
			resource: 'salesReceipt',
			operation: 'refund',
			source: 'highLevel',
			body: '={{ $json }}',
			options: {},
		},
		events,
	);

/** A receipt of 100 for the transaction. */
async function paid(transactionId: string) {
	const [out] = await run(
		{
			resource: 'salesReceipt',
			operation: 'createFromPayment',
			source: 'highLevel',
			body: '={{ $json }}',
			options: {},
		},
		[paymentReceived({ transactionId, items: [{ name: 'Coaching', qty: 1, price: 100 }] })],
	);
	expect(out.error).toBeUndefined();
}

/** The refund event a reconcile pass pulls for a transaction showing `refunded` in all. */
function pulled(transactionId: string, refunded: number): HighLevelEvent {
	const events = eventsFromTransaction(
		apiTransaction({
			id: transactionId,
			amount: 100,
			amountRefunded: refunded,
			entityType: '',
			entityId: '',
			createdAt: '2026-11-20T10:00:00.000Z',
			updatedAt: '2026-11-22T10:00:00.000Z',
		}),
		{ invoicesSynced: true },
	);
	return events.find((e) => e.kind === 'refund')!;
}

/** A pushed refund as the drain has it after Add Line Items (HighLevel's total read, or not). */
function pushed(refundId: string, transactionId: string, amount: number, refundedTotal?: number) {
	const event = normalizeHighLevelBody(
		workflowRefund({
			refundId,
			transactionId,
			amount,
			type: 'partial',
			createdOn: '2026-11-21T09:00:00.000Z',
		}),
		{ delivery: 'workflow', invoicesSynced: true, kinds: ['refund'] },
	);
	return refundedTotal === undefined
		? event
		: { ...event, record: { ...(event.record as CrmRefund), refundedTotal } };
}

test('a pulled refund is an event to book: its total, the payment date, not skipped', () => {
	const event = pulled('ch_pull_0', 40);
	expect(event).toMatchObject({
		kind: 'refund',
		key: 'refund:ch_pull_0:refunded-total:40',
		record: { amount: 40, refundedTotal: 40, paidOn: '2026-11-20', idDerived: true },
	});
	expect(event.skipped).toBeFalsy();
});

test('pulled first (a delivery lost), then the late pushes: booked once, never past HighLevel’s total', async () => {
	await paid('ch_pull_1');
	const [first] = await refund([pulled('ch_pull_1', 50)]);
	expect(first).toMatchObject({ alreadySynced: false, TotalAmt: 50, sync: { action: 'created' } });
	// The two refunds that made up the 50 arrive after all: their money is already given back.
	const late = await refund([
		pushed('re_a', 'ch_pull_1', 30, 50),
		pushed('re_b', 'ch_pull_1', 20, 50),
	]);
	expect(late.map((o) => [o.error, o.alreadySynced, o.sync?.action])).toEqual([
		[undefined, true, 'matched'],
		[undefined, true, 'matched'],
	]);
	expect(late[0].sync.reason).toMatch(/^Covered: HighLevel shows 50 refunded in all/);
	expect(booked()).toEqual([50]);
	// A third refund HighLevel records later is new money: booked for its own amount.
	const [third] = await refund([pushed('re_c', 'ch_pull_1', 10, 60)]);
	expect(third).toMatchObject({ alreadySynced: false, TotalAmt: 10 });
	expect(booked()).toEqual([50, 10]);
	// And the next pull of 60 finds it all booked.
	const [again] = await refund([pulled('ch_pull_1', 60)]);
	expect(again).toMatchObject({ alreadySynced: true, sync: { action: 'matched' } });
	expect(booked()).toEqual([50, 10]);
});

test('pushed first, one delivery lost: the pull books only the shortfall', async () => {
	await paid('ch_pull_2');
	const [a] = await refund([pushed('re_d', 'ch_pull_2', 30, 30)]);
	expect(a).toMatchObject({ alreadySynced: false, TotalAmt: 30 });
	const [pull] = await refund([pulled('ch_pull_2', 75)]);
	expect(pull).toMatchObject({ alreadySynced: false, TotalAmt: 45 });
	expect(pull.sync.reason).toBe(
		'45 of 75 booked: HighLevel shows 75 refunded in all, 30 was booked before',
	);
	const [repeat] = await refund([pulled('ch_pull_2', 75)]);
	expect(repeat).toMatchObject({ alreadySynced: true, Id: pull.Id });
	expect(booked()).toEqual([30, 45]);
});

test('a pull and a push of the same money at the same moment: HighLevel’s total, once', async () => {
	await paid('ch_pull_3');
	const outs = await Promise.all([
		refund([pulled('ch_pull_3', 40)]),
		refund([pushed('re_e', 'ch_pull_3', 40, 40)]),
	]);
	expect(outs.map(([o]) => o.error)).toEqual([undefined, undefined]);
	expect(booked()).toEqual([40]);
});

test('a push without HighLevel’s total after a pull stops with what to do; pushes alone book their own amounts, whatever the total says', async () => {
	await paid('ch_pull_4');
	await refund([pulled('ch_pull_4', 25)]);
	const [blind] = await refund([pushed('re_f', 'ch_pull_4', 25)]);
	expect(blind.error).toMatch(
		/has a refund booked from HighLevel's refunded total .* cannot be told apart/,
	);
	expect(blind.hint).toMatch(/payments\/transactions\.readonly/);
	// Distinct refund ids are distinct money: a total HighLevel has not updated yet cuts nothing.
	await paid('ch_pull_5');
	const outs = await refund([pushed('re_g', 'ch_pull_5', 25, 0), pushed('re_h5', 'ch_pull_5', 15)]);
	expect(outs.map((o) => [o.error, o.TotalAmt])).toEqual([
		[undefined, 25],
		[undefined, 15],
	]);
	expect(booked()).toEqual([25, 25, 15]);
});

test('Find by CRM Payments: a pulled refund counts as booked when the payment’s refund receipts reach its total; all refunds in one query', async () => {
	await paid('ch_find_r1');
	await paid('ch_find_r2');
	await refund([pushed('re_h', 'ch_find_r1', 30, 30)]);
	const before = qb.emulator.log.length;
	const outs = await run({ resource: 'salesReceipt', operation: 'findByPayments', options: {} }, [
		pulled('ch_find_r1', 30),
		pulled('ch_find_r2', 20),
		pulled('ch_find_r1', 45),
	]);
	expect(
		outs.map((o) => [o.transactionId, o.booked, o.refundedTotal, o.refundedInQuickBooks]),
	).toEqual([
		['ch_find_r1', true, 30, 30],
		['ch_find_r2', false, 20, 0],
		['ch_find_r1', false, 45, 30],
	]);
	const calls = qb.emulator.log.slice(before).map((c) => `${c.operation} ${c.queried ?? c.entity}`);
	expect(calls).toEqual(['query RefundReceipt']);
	expect(outs[0].refundReceipts).toHaveLength(1);
});
