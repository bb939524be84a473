/**
 * Sales Receipt → Find by CRM Payments: which CRM transactions already have the receipt this package
 * writes for them (its number and its marker, as Create From Payment writes them), for many items in
 * few calls: every item's numbers go into the same queries, 100 numbers (50 transactions) to a
 * QuickBooks call. A reconcile pass uses it to store only what QuickBooks lacks. A refund pulled from
 * HighLevel (its transaction's refunded total) is looked for as the payment's refund receipts: booked
 * when they reach that total; all refund items of a run share one query.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import type { QboRecord } from '../../../shared/types';
import { fieldError } from '../../../shared/transport/n8n';
import { receiptsOfPayments } from '../../../shared/sync/receiptsFound';
import {
	refundsOfPayments,
	refundsSince,
	type RefundsBooked,
} from '../../../shared/sync/refundsFound';
import { round2, toAmount } from '../../../shared/domain/money';
import type { Lookup } from '../../../shared/sync/types';
import {
	appBaseOf,
	eachItem,
	linked,
	withDisplay,
	type OperationResult,
	executeAsBatch,
} from '../common';

const properties: INodeProperties[] = [
	{
		displayName: 'Transaction ID',
		name: 'transactionId',
		type: 'string',
		default: '={{ $json.record?.transactionId ?? $json.ids?.transactionId }}',
		required: true,
		description:
			'The CRM payment whose receipt to look for; the default reads it from a HighLevel Trigger or HighLevel Payments event',
		hint: 'All items are looked up together: 50 transactions per QuickBooks call',
	},
	{
		displayName: 'Refunded Total',
		name: 'refundedTotal',
		type: 'string',
		default: "={{ $json.kind === 'refund' ? $json.record?.refundedTotal : '' }}",
		description:
			'For a refund pulled from HighLevel’s API (reconcile, history import): the total refunded on the transaction. The item then counts as booked when the payment’s refund receipts reach it. Empty for payments.',
	},
	{
		displayName: 'Payment Date',
		name: 'paidOn',
		type: 'string',
		default: "={{ $json.kind === 'refund' ? $json.record?.paidOn : '' }}",
		description:
			'For a refund: the refunded payment’s date (YYYY-MM-DD). Refund receipts are looked for from the day before; empty: all of the company’s.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Receipt Number Prefix',
				name: 'docNumberPrefix',
				type: 'string',
				default: '',
				description:
					'The prefix Create From Payment puts before the CRM transaction ID (the same value, or receipts are not found)',
			},
		],
	},
];

export const description = withDisplay(properties, 'salesReceipt', 'findByPayments');

/** Always all items at once: that is the point of the operation. */
export function usesBatch(): boolean {
	return true;
}

function transactionIdOf(context: IExecuteFunctions, itemIndex: number): string {
	const id = String(context.getNodeParameter('transactionId', itemIndex, '') ?? '').trim();
	if (!id) throw fieldError(context.getNode(), itemIndex, 'transactionId', 'is empty');
	return id;
}

function prefixOf(context: IExecuteFunctions, itemIndex: number): string | undefined {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return (options.docNumberPrefix as string) || undefined;
}

/** The item's refunded total, when it asks after refunds. */
function refundedTotalOf(context: IExecuteFunctions, itemIndex: number): number | undefined {
	const raw = context.getNodeParameter('refundedTotal', itemIndex, '') as unknown;
	if (raw === undefined || raw === null || String(raw).trim() === '') return undefined;
	try {
		return round2(toAmount(raw, 'refundedTotal'));
	} catch {
		throw fieldError(
			context.getNode(),
			itemIndex,
			'refundedTotal',
			`is not an amount (${JSON.stringify(raw)})`,
		);
	}
}

function paidOnOf(context: IExecuteFunctions, itemIndex: number): string | undefined {
	const raw = String(context.getNodeParameter('paidOn', itemIndex, '') ?? '').trim();
	if (!raw) return undefined;
	if (!/^\d{4}-\d{2}-\d{2}/.test(raw))
		throw fieldError(context.getNode(), itemIndex, 'paidOn', `is not a date YYYY-MM-DD (${raw})`);
	return raw.slice(0, 10);
}

/** A refund's look-up: booked when this sync's refund receipts of the payment reach HighLevel's total. */
function refundOutput(
	transactionId: string,
	refundedTotal: number,
	booked: RefundsBooked,
	appBase: string | undefined,
): OperationResult {
	return {
		transactionId,
		booked: booked.total >= refundedTotal - 0.005,
		refundedTotal,
		refundedInQuickBooks: booked.total,
		refundReceipts: booked.receipts.map((r) =>
			linked(appBase, 'refundReceipt', {
				Id: r.Id,
				DocNumber: r.DocNumber,
				TotalAmt: r.TotalAmt,
				TxnDate: r.TxnDate,
			}),
		),
	};
}

function output(
	transactionId: string,
	lookup: Lookup,
	appBase: string | undefined,
): OperationResult {
	const summary = (r: QboRecord) => ({
		Id: r.Id,
		DocNumber: r.DocNumber,
		TotalAmt: r.TotalAmt,
		TxnDate: r.TxnDate,
	});
	return {
		transactionId,
		booked: !!lookup.ours,
		receipt: lookup.ours ? linked(appBase, 'salesReceipt', summary(lookup.ours)) : null,
		docNumbers: lookup.numbers,
		// Documents under our numbers that do not carry our marker: Create From Payment stops on them.
		otherDocuments: lookup.others.map(summary),
	};
}

export const execute = executeAsBatch(executeBatch);

/** Items whose prefix differs are looked up in queries of their own. */
export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const parsed = eachItem(itemIndexes, (i) => ({
		transactionId: transactionIdOf(this, i),
		prefix: prefixOf(this, i),
		refundedTotal: refundedTotalOf(this, i),
		paidOn: paidOnOf(this, i),
	}));
	const groups = new Map<string, string[]>();
	const refunds = parsed.filter(
		(item): item is Exclude<typeof item, Error> & { refundedTotal: number } =>
			!(item instanceof Error) && item.refundedTotal !== undefined,
	);
	for (const item of parsed) {
		if (item instanceof Error || item.refundedTotal !== undefined) continue;
		const key = item.prefix ?? '';
		groups.set(key, [...(groups.get(key) ?? []), item.transactionId]);
	}
	const refundsBooked = refunds.length
		? await refundsOfPayments(
				client,
				refunds.map((r) => r.transactionId),
				refundsSince(refunds.map((r) => r.paidOn)),
			)
		: new Map<string, RefundsBooked>();
	const found = new Map<string, Map<string, Lookup>>();
	for (const [prefix, ids] of groups)
		found.set(
			prefix,
			await receiptsOfPayments(client, ids, { docNumberPrefix: prefix || undefined }),
		);
	const appBase = await appBaseOf(this);
	return parsed.map((item) =>
		item instanceof Error
			? item
			: item.refundedTotal !== undefined
				? refundOutput(
						item.transactionId,
						item.refundedTotal,
						refundsBooked.get(item.transactionId)!,
						appBase,
					)
				: output(
						item.transactionId,
						found.get(item.prefix ?? '')!.get(item.transactionId)!,
						appBase,
					),
	);
}
