import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { txnFilterProperties, txnWhere } from '../txnFilters';
import { returnAllAndLimit, withDisplay, listRecords, type OperationResult } from '../common';

const properties: INodeProperties[] = [
	...returnAllAndLimit('sales receipts'),
	...txnFilterProperties,
];

export const description = withDisplay(properties, 'salesReceipt', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await listRecords(this, itemIndex, client, 'salesReceipt', {
		entity: 'SalesReceipt',
		where: txnWhere(this, itemIndex),
	});
}
