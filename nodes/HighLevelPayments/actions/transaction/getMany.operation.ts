/**
 * Transaction → Get Many: GET /payments/transactions (apps/payments.json list-transactions): paged by limit/offset to `totalCount`; each
 * transaction as the workflow "Payment Received" event (key `payment:<_id>`), and its refunded total, if any,
 * as a refund event (GoHighLevel/highlevel-api-docs@0af86a4; nodes/shared/highlevel/fromApi.ts). With
 * Refunds of Older Payments From, also the refunds of transactions created before the range.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { pullRange, rangeProperties, withDisplay } from '../common';

export const description = withDisplay(rangeProperties('transaction'), 'transaction', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullRange(this, itemIndex, api, 'transaction');
}
