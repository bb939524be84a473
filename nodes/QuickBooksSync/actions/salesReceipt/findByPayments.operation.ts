/**
 * Sales Receipt → Find by CRM Payments: which CRM transactions already have the receipt this package
 * writes for them (its number and its marker, as Create From Payment writes them), for many items in
 * few calls: every item's numbers go into the same queries, 100 numbers (50 transactions) to a
 * QuickBooks call. A reconcile pass uses it to store only what QuickBooks lacks.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import type { QboRecord } from '../../../shared/types';
import { fieldError } from '../../../shared/transport/n8n';
import { receiptsOfPayments } from '../../../shared/sync/receiptsFound';
import type { Lookup } from '../../../shared/sync/types';
import { appBaseOf, eachItem, linked, withDisplay, type OperationResult } from '../common';

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

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const [result] = await executeBatch.call(this, [itemIndex], client);
	if (result instanceof Error) throw result;
	return result;
}

/** Items whose prefix differs are looked up in queries of their own. */
export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const parsed = eachItem(itemIndexes, (i) => ({
		transactionId: transactionIdOf(this, i),
		prefix: prefixOf(this, i),
	}));
	const groups = new Map<string, string[]>();
	for (const item of parsed) {
		if (item instanceof Error) continue;
		const key = item.prefix ?? '';
		groups.set(key, [...(groups.get(key) ?? []), item.transactionId]);
	}
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
			: output(item.transactionId, found.get(item.prefix ?? '')!.get(item.transactionId)!, appBase),
	);
}
