import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { locator, locatorValue, withDisplay, type OperationResult } from '../common';

export const description = withDisplay([locator('customerId', 'Customer', 'searchCustomers', { required: true })], 'customer', 'get');

export async function execute(this: IExecuteFunctions, itemIndex: number, client: QboClient): Promise<OperationResult> {
	return await client.read('Customer', locatorValue(this, 'customerId', itemIndex)!);
}
