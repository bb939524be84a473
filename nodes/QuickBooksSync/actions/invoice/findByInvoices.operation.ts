/**
 * Invoice → Find by CRM Invoices: for many CRM invoices at once, the QuickBooks invoice this package
 * wrote for each (number and marker, as Invoice → Sync writes them; 50 invoices per QuickBooks call)
 * and whether it lags behind the CRM: missing, another total, less paid, not voided
 * (domain/invoiceLag.ts). A reconcile pass runs Invoice → Sync for the lagging ones only.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import type { QboRecord } from '../../../shared/types';
import type { CrmInvoice } from '../../../shared/domain/crm';
import { invoiceLag } from '../../../shared/domain/invoiceLag';
import { invoiceFromHighLevel } from '../../../shared/highlevel/toCrm';
import { invoiceKey } from '../../../shared/sync/linkedDocuments';
import { findOwnDocuments } from '../../../shared/sync/ownDocuments';
import type { Lookup } from '../../../shared/sync/types';
import {
	appBaseOf,
	eachItem,
	jsonParameter,
	linked,
	withDisplay,
	type OperationResult,
	executeAsBatch,
} from '../common';
import {
	invoiceNumberSources,
	invoicePrefixOption,
	onlyIssuedSinceFrom,
	onlyIssuedSinceOption,
	recordPaymentsOption,
} from '../options';

const properties: INodeProperties[] = [
	{
		displayName: 'CRM Invoice',
		name: 'body',
		type: 'json',
		default: '={{ $json }}',
		description:
			'A HighLevel invoice: the event of HighLevel Payments → Invoice → Get Many (or of the HighLevel Trigger), or a webhook body',
		hint: 'All items are looked up together: 50 invoices per QuickBooks call',
	},
	{
		displayName: 'Invoice Number From',
		name: 'key',
		type: 'options',
		default: 'number',
		options: invoiceNumberSources,
		description: 'As in Invoice → Sync (the same value, or invoices are not found)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{ ...invoicePrefixOption, description: 'As in Invoice → Sync' },
			{
				...onlyIssuedSinceOption,
				description:
					'As in Invoice → Sync: older CRM invoices are not missing, they are not synced',
			},
			{
				...recordPaymentsOption,
				description:
					'Whether less paid in QuickBooks than in the CRM counts as lagging (as Invoice → Sync’s option)',
			},
		],
	},
];

export const description = withDisplay(properties, 'invoice', 'findByInvoices');

/** Always all items at once: that is the point of the operation. */
export function usesBatch(): boolean {
	return true;
}

interface Asked {
	crm: CrmInvoice;
	key: 'number' | 'id';
	prefix?: string;
	onlyIssuedSince?: string;
	recordPayments: boolean;
}

function askedOf(context: IExecuteFunctions, itemIndex: number): Asked {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		crm: invoiceFromHighLevel(jsonParameter(context, 'body', itemIndex)),
		key: context.getNodeParameter('key', itemIndex, 'number') as 'number' | 'id',
		prefix: (options.docNumberPrefix as string) || undefined,
		onlyIssuedSince: onlyIssuedSinceFrom(options),
		recordPayments: options.recordPayments !== false,
	};
}

function output(asked: Asked, lookup: Lookup, appBase: string | undefined): OperationResult {
	const summary = (r: QboRecord) => ({
		Id: r.Id,
		DocNumber: r.DocNumber,
		TotalAmt: r.TotalAmt,
		Balance: r.Balance,
		TxnDate: r.TxnDate,
	});
	const lag = invoiceLag(asked.crm, lookup.ours, asked);
	return {
		invoiceId: asked.crm.id,
		number: asked.crm.number,
		status: asked.crm.status,
		inSync: !lag,
		...(lag ? { lag } : {}),
		invoice: lookup.ours ? linked(appBase, 'invoice', summary(lookup.ours)) : null,
		// Documents under our numbers that do not carry our marker: Invoice → Sync stops on them.
		otherDocuments: lookup.others.map(summary),
	};
}

export const execute = executeAsBatch(executeBatch);

export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const asked = eachItem(itemIndexes, (i) => askedOf(this, i));
	const keys = new Map(
		asked.flatMap((a, i) =>
			a instanceof Error
				? []
				: [[i, invoiceKey(a.crm, { key: a.key, docNumberPrefix: a.prefix })] as const],
		),
	);
	const found = await findOwnDocuments(client, keys);
	const appBase = await appBaseOf(this);
	return asked.map((a, i) => (a instanceof Error ? a : output(a, found.get(i)!, appBase)));
}
