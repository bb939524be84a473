/** The Customer resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as create from './create.operation';
import * as findByEmail from './findByEmail.operation';
import * as findOrCreate from './findOrCreate.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as update from './update.operation';

/** The operations by the value the Operation parameter stores: the router runs them. */
export const operations: Record<string, Operation> = {
	create,
	findByEmail,
	findOrCreate,
	get,
	getMany,
	update,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['customer'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create a customer',
				description: 'Create a customer',
			},
			{
				name: 'Find by Email',
				value: 'findByEmail',
				action: 'Find a customer by email',
				description: 'Find the customer that has an e-mail address',
			},
			{
				name: 'Find or Create',
				value: 'findOrCreate',
				action: 'Find or create a customer by email',
				description: 'Find the customer by e-mail, or create one',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a customer',
				description: 'Get a customer',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many customers',
				description: 'Get many customers',
			},
			{
				name: 'Update',
				value: 'update',
				action: 'Update a customer',
				description: 'Update a customer',
			},
		],
		default: 'findOrCreate',
	},
	...create.description,
	...findByEmail.description,
	...findOrCreate.description,
	...get.description,
	...getMany.description,
	...update.description,
];
