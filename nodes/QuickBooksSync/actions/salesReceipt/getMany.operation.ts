import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { txnFilterProperties, txnWhere } from '../txnFilters';
import {
	limitFrom,
	returnAllAndLimit,
	withDisplay,
	appBaseOf,
	linked,
	type OperationResult,
} from '../common';

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
	const appBase = await appBaseOf(this);
	const records = await client.queryAll(
		{ entity: 'SalesReceipt', where: txnWhere(this, itemIndex), orderBy: 'Id ASC' },
		{ limit: limitFrom(this, itemIndex) },
	);
	return records.map((r) => linked(appBase, 'salesReceipt', r));
}
