import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, type OperationResult } from '../common';

export const description = withDisplay(
	[{ displayName: 'Sales Receipt ID', name: 'salesReceiptId', type: 'string', default: '', required: true }],
	'salesReceipt',
	'get',
);

export async function execute(this: IExecuteFunctions, itemIndex: number, client: QboClient): Promise<OperationResult> {
	return await client.read('SalesReceipt', String(this.getNodeParameter('salesReceiptId', itemIndex)).trim());
}
