import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { fieldError } from '../../../shared/transport/n8n';
import { findOrCreateItem } from '../../../shared/sync/items';
import { withDisplay, withLink, type OperationResult } from '../common';
import { RecordPicker } from '../pickers';

const incomeAccountPicker = new RecordPicker(
	'incomeAccountId',
	'Income Account',
	'account',
	'searchIncomeAccounts',
);

const properties: INodeProperties[] = [
	{ displayName: 'Name', name: 'name', type: 'string', default: '', required: true },
	incomeAccountPicker.property({
		description: 'For a new item; leave empty for the first "Services" income account',
	}),
];

export const description = withDisplay(properties, 'item', 'findOrCreate');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const name = String(this.getNodeParameter('name', itemIndex)).trim();
	if (!name) throw fieldError(this.getNode(), itemIndex, 'name', 'is missing');
	// Without a chosen account the default one is looked up only if the item has to be created.
	const account = incomeAccountPicker.value(this, itemIndex);
	const { item, created } = await findOrCreateItem(client, name, account);
	return await withLink(this, 'item', {
		...item,
		sync: { action: created ? 'created' : 'matched', qboId: item.Id },
	});
}
