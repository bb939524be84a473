/**
 * Order → Get Many: GET /payments/orders (apps/payments.json list-orders): paged by limit/offset to `totalCount`, then (option
 * Read Each Order) each order by ID for its items; each order as its OrderCreate / OrderStatusUpdate event
 * (key `order:<_id>`; GoHighLevel/highlevel-api-docs@0af86a4; nodes/shared/highlevel/fromApi.ts).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { pullRange, rangeProperties, withDisplay } from '../common';

export const description = withDisplay(rangeProperties('order'), 'order', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullRange(this, itemIndex, api, 'order');
}
