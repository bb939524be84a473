import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient, QboRecord } from '../../../shared/transport/client';
import { QboError } from '../../../shared/transport/errors';
import { invoicesNumbered } from '../../../shared/sync/invoices';

/** How an operation names the QuickBooks invoice: its number (the CRM key) or its QuickBooks id. */
export const invoiceRefProperties: INodeProperties[] = [
	{
		displayName: 'Find Invoice By',
		name: 'invoiceBy',
		type: 'options',
		default: 'docNumber',
		options: [
			{ name: 'Invoice Number', value: 'docNumber', description: 'The DocNumber, which Invoice Sync takes from the CRM' },
			{ name: 'QuickBooks ID', value: 'id' },
		],
	},
	{ displayName: 'Invoice Number or ID', name: 'invoiceRef', type: 'string', default: '', required: true },
];

export async function invoiceFrom(context: IExecuteFunctions, itemIndex: number, client: QboClient): Promise<QboRecord> {
	const by = context.getNodeParameter('invoiceBy', itemIndex) as string;
	const ref = String(context.getNodeParameter('invoiceRef', itemIndex)).trim();
	if (by === 'id') return await client.read('Invoice', ref);
	const invoices = await invoicesNumbered(client, ref);
	if (!invoices.length) throw new QboError(`No QuickBooks invoice has the number ${ref}`, { kind: 'fault' });
	// A company with custom transaction numbers off may hold several: never guess which one.
	if (invoices.length > 1) {
		throw new QboError(`${invoices.length} QuickBooks invoices have the number ${ref} (ids ${invoices.map((i) => String(i.Id)).join(', ')}); find the invoice by its QuickBooks ID instead`, { kind: 'fault' });
	}
	return invoices[0];
}
