/**
 * Invoice → Get: GET /invoices/{invoiceId} (apps/invoices.json get-invoice), scope invoices.readonly.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { getOptions, idProperty, pullOne, withDisplay } from '../common';

export const description = withDisplay(
	[idProperty('invoice', 'searchInvoices'), ...getOptions('invoice')],
	'invoice',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullOne(this, itemIndex, api, 'invoice');
}
