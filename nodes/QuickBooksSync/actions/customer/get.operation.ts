import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import {
	locator,
	requiredLocatorValue,
	withDisplay,
	withLink,
	type OperationResult,
} from '../common';

export const description = withDisplay(
	[locator('customerId', 'Customer', 'customer', 'searchCustomers', { required: true })],
	'customer',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await withLink(
		this,
		'customer',
		await client.read('Customer', requiredLocatorValue(this, 'customerId', itemIndex)),
	);
}
