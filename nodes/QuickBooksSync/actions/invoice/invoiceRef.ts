import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient, QboRecord } from '../../../shared/transport/client';
import { QboError } from '../../../shared/transport/errors';
import { findInvoiceByDocNumber } from '../../../shared/sync/invoices';

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
	const invoice = await findInvoiceByDocNumber(client, ref);
	if (!invoice) throw new QboError(`No QuickBooks invoice has the number ${ref}`, { kind: 'fault' });
	return invoice;
}
