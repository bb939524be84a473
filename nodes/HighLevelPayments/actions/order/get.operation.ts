/**
 * Order → Get: GET /payments/orders/{orderId} (apps/payments.json get-order-by-id), scope payments/orders.readonly.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { getOptions, idProperty, pullOne, withDisplay } from '../common';

export const description = withDisplay(
	[idProperty('order', 'searchOrders'), ...getOptions('order')],
	'order',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullOne(this, itemIndex, api, 'order');
}
