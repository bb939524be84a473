/**
 * Transaction → Get: GET /payments/transactions/{transactionId} (apps/payments.json get-transaction-by-id), scope
 * payments/transactions.readonly.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { getOptions, idProperty, pullOne, withDisplay } from '../common';

export const description = withDisplay(
	[idProperty('transaction', 'searchTransactions'), ...getOptions('transaction')],
	'transaction',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullOne(this, itemIndex, api, 'transaction');
}
