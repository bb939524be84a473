import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { likePattern, type Condition } from '../../../shared/transport/query';
import { returnAllAndLimit, withDisplay, listRecords, type OperationResult } from '../common';

const properties: INodeProperties[] = [
	...returnAllAndLimit('items'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{ displayName: 'Name Starts With', name: 'nameStartsWith', type: 'string', default: '' },
			{
				displayName: 'Type',
				name: 'type',
				type: 'options',
				default: 'Service',
				options: [
					{ name: 'Inventory', value: 'Inventory' },
					{ name: 'Non-Inventory', value: 'NonInventory' },
					{ name: 'Service', value: 'Service' },
				],
			},
		],
	},
];

export const description = withDisplay(properties, 'item', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const where: Condition[] = [];
	if (filters.nameStartsWith)
		where.push({
			field: 'Name',
			op: 'LIKE',
			value: likePattern(String(filters.nameStartsWith), 'startsWith'),
		});
	if (filters.type) where.push({ field: 'Type', op: '=', value: String(filters.type) });
	return await listRecords(this, itemIndex, client, 'item', { entity: 'Item', where });
}
