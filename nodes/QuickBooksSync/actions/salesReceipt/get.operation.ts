import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { requiredLocatorValue, withDisplay, withLink, type OperationResult } from '../common';
import { salesReceiptProperty } from './receiptRef';

export const description = withDisplay([salesReceiptProperty], 'salesReceipt', 'get');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await withLink(
		this,
		'salesReceipt',
		await client.read('SalesReceipt', requiredLocatorValue(this, 'salesReceiptId', itemIndex)),
	);
}
