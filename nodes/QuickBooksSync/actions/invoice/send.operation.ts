import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { requireEmail } from '../../../shared/sync/customers';
import { withDisplay, withLink, type OperationResult } from '../common';
import { invoiceFrom, invoiceRefProperties } from './invoiceRef';

const properties: INodeProperties[] = [
	...invoiceRefProperties,
	{
		displayName: 'Send To',
		name: 'sendTo',
		type: 'string',
		placeholder: 'name@email.com',
		default: '',
		description: 'Leave empty to use the invoice’s billing e-mail',
	},
];

export const description = withDisplay(properties, 'invoice', 'send');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const invoice = await invoiceFrom(this, itemIndex, client);
	const raw = String(this.getNodeParameter('sendTo', itemIndex, '')).trim();
	// One send per execution and item: n8n's Retry On Fail repeats it under the same requestid.
	const sent = await client.sendInvoice(
		String(invoice.Id),
		raw ? requireEmail(raw, 'sendTo') : undefined,
		`${this.getExecutionId()}:${itemIndex}`,
	);
	return await withLink(this, 'invoice', {
		...sent,
		sync: { action: 'sent', qboId: sent.Id, docNumber: sent.DocNumber },
	});
}
