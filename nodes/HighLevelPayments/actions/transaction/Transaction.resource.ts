/** The Transaction resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as get from './get.operation';
import * as getMany from './getMany.operation';

export const operations: Record<string, Operation> = { get, getMany };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['transaction'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get a transaction',
				description: 'Read one transaction by its ID as the HighLevel Trigger’s event',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many transactions',
				description:
					'Read every transaction of a date range, all pages, as the HighLevel Trigger’s events',
			},
		],
		default: 'getMany',
	},
	...get.description,
	...getMany.description,
];
