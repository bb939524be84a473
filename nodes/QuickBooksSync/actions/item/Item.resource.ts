/** The Item resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as findOrCreate from './findOrCreate.operation';
import * as getMany from './getMany.operation';

/** The operations by the value the Operation parameter stores: the router runs them. */
export const operations: Record<string, Operation> = { findOrCreate, getMany };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['item'] } },
		options: [
			{
				name: 'Find or Create',
				value: 'findOrCreate',
				action: 'Find or create an item',
				description: 'Find a service item by name, or create it',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many items',
				description: 'Get many items',
			},
		],
		default: 'findOrCreate',
	},
	...findOrCreate.description,
	...getMany.description,
];
