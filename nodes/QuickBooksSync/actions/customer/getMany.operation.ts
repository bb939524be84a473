import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { likePattern, type Condition } from '../../../shared/transport/query';
import {
	limitFrom,
	returnAllAndLimit,
	withDisplay,
	appBaseOf,
	linked,
	type OperationResult,
} from '../common';

const properties: INodeProperties[] = [
	...returnAllAndLimit('customers'),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				displayName: 'Display Name Starts With',
				name: 'nameStartsWith',
				type: 'string',
				default: '',
			},
			{
				displayName: 'E-Mail',
				name: 'email',
				type: 'string',
				placeholder: 'name@email.com',
				default: '',
			},
			{ displayName: 'Include Inactive', name: 'includeInactive', type: 'boolean', default: false },
			{ displayName: 'Updated Since', name: 'updatedSince', type: 'dateTime', default: '' },
		],
	},
];

export const description = withDisplay(properties, 'customer', 'getMany');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const where: Condition[] = [];
	if (filters.email)
		where.push({ field: 'PrimaryEmailAddr', op: '=', value: String(filters.email).trim() });
	if (filters.nameStartsWith)
		where.push({
			field: 'DisplayName',
			op: 'LIKE',
			value: likePattern(String(filters.nameStartsWith), 'startsWith'),
		});
	if (filters.updatedSince)
		where.push({
			field: 'MetaData.LastUpdatedTime',
			op: '>=',
			value: new Date(String(filters.updatedSince)),
		});
	const appBase = await appBaseOf(this);
	const records = await client.queryAll(
		{
			entity: 'Customer',
			where,
			includeInactive: Boolean(filters.includeInactive),
			orderBy: 'Id ASC',
		},
		{ limit: limitFrom(this, itemIndex) },
	);
	return records.map((r) => linked(appBase, 'customer', r));
}
