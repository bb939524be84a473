import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { fieldError } from '../../../shared/transport/n8n';
import { customerEmails } from '../../../shared/domain/customerMatch';
import { describeEmailProblem, normalizeEmail } from '../../../shared/domain/email';
import { likePattern, type Condition } from '../../../shared/transport/query';
import { returnAllAndLimit, withDisplay, listRecords, type OperationResult } from '../common';

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
	const email = filters.email ? normalizeEmail(filters.email) : undefined;
	if (filters.email && !email)
		throw fieldError(
			this.getNode(),
			itemIndex,
			'filters.email',
			describeEmailProblem(filters.email),
		);
	if (email) where.push({ field: 'PrimaryEmailAddr', op: 'LIKE', value: `%${email}%` });
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
	return await listRecords(
		this,
		itemIndex,
		client,
		'customer',
		{ entity: 'Customer', where, includeInactive: Boolean(filters.includeInactive) },
		// The e-mail field may hold several addresses: LIKE finds candidates, this keeps exact ones.
		(customer) => !email || customerEmails(customer).includes(email),
	);
}
