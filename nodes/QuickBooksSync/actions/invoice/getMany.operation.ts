import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { returnAllAndLimit, withDisplay, listRecords, type OperationResult } from '../common';
import { txnFilterProperties, txnWhere } from '../txnFilters';

const properties: INodeProperties[] = [...returnAllAndLimit('invoices'), ...txnFilterProperties];

export const description = withDisplay(properties, 'invoice', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await listRecords(this, itemIndex, client, 'invoice', {
		entity: 'Invoice',
		where: txnWhere(this, itemIndex),
	});
}
