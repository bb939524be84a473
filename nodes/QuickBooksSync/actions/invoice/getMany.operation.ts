import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import {
	limitFrom,
	returnAllAndLimit,
	withDisplay,
	appBaseOf,
	linked,
	type OperationResult,
} from '../common';
import { txnFilterProperties, txnWhere } from '../txnFilters';

const properties: INodeProperties[] = [...returnAllAndLimit('invoices'), ...txnFilterProperties];

export const description = withDisplay(properties, 'invoice', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const appBase = await appBaseOf(this);
	const records = await client.queryAll(
		{ entity: 'Invoice', where: txnWhere(this, itemIndex), orderBy: 'Id ASC' },
		{ limit: limitFrom(this, itemIndex) },
	);
	return records.map((r) => linked(appBase, 'invoice', r));
}
