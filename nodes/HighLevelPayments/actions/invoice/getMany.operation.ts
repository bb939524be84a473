/**
 * Invoice → Get Many: GET /invoices/ (apps/invoices.json list-invoices): paged by limit/offset to `total`; each invoice as the
 * invoice webhook event of its status (key `invoice:<_id>:<status>:<amountPaid>:<total>:<updatedAt>`;
 * GoHighLevel/highlevel-api-docs@0af86a4; nodes/shared/highlevel/fromApi.ts).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { pullRange, rangeProperties, withDisplay } from '../common';

export const description = withDisplay(rangeProperties('invoice'), 'invoice', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	return await pullRange(this, itemIndex, api, 'invoice');
}
