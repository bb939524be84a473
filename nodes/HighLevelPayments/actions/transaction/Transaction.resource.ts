/** The Transaction resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as addLines from './addLines.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';

export const operations: Record<string, Operation> = { addLines, get, getMany };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['transaction'] } },
		options: [
			{
				name: 'Add Line Items',
				value: 'addLines',
				action: 'Add line items to a payment',
				description:
					'Give a payment event delivered without lines (workflow Payment Received) the items, discount and tax of the order it paid, and a refund event the total refunded on its transaction, read from HighLevel',
			},
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
	...addLines.description,
	...get.description,
	...getMany.description,
];
