import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { isVoided } from '../../../shared/domain/invoiceState';
import { withDisplay, withLink, type OperationResult } from '../common';
import { invoiceFrom, ownInvoiceRefProperties } from './invoiceRef';

export const description = withDisplay(ownInvoiceRefProperties, 'invoice', 'void');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const invoice = await invoiceFrom(this, itemIndex, client, true);
	if (isVoided(invoice))
		return await withLink(this, 'invoice', {
			...invoice,
			sync: { action: 'unchanged', qboId: invoice.Id },
		});
	const voided = await client.void('Invoice', invoice);
	return await withLink(this, 'invoice', {
		...voided,
		sync: { action: 'voided', qboId: voided.Id, docNumber: voided.DocNumber },
	});
}
