/** The Sales Receipt resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as createFromPayment from './createFromPayment.operation';
import * as driftReport from './driftReport.operation';
import * as findByPayments from './findByPayments.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as refund from './refund.operation';
import * as voidOperation from './void.operation';

/** The operations by the value the Operation parameter stores: the router runs them. */
export const operations: Record<string, Operation> = {
	createFromPayment,
	driftReport,
	findByPayments,
	get,
	getMany,
	refund,
	void: voidOperation,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['salesReceipt'] } },
		options: [
			{
				name: 'Create From Payment',
				value: 'createFromPayment',
				action: 'Create a sales receipt from a CRM payment',
				description: 'Create a sales receipt from a CRM payment, once per transaction',
			},
			{
				name: 'Drift Report',
				value: 'driftReport',
				action: 'Compare CRM payments with their sales receipts',
				description:
					'Per day: HighLevel’s payments against the receipts this package wrote, with every missing, extra or differing one',
			},
			{
				name: 'Find by CRM Payments',
				value: 'findByPayments',
				action: 'Find the sales receipts of CRM payments',
				description:
					'Which CRM transactions already have their receipt (by its number and marker), 50 per QuickBooks call',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a sales receipt',
				description: 'Get a sales receipt',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many sales receipts',
				description: 'Get many sales receipts',
			},
			{
				name: 'Refund',
				value: 'refund',
				action: 'Refund a CRM payment',
				description:
					'Write a refund receipt for a CRM refund (full or partial) against the payment’s sales receipt or invoice, once per refund',
			},
			{
				name: 'Void',
				value: 'void',
				action: 'Void a sales receipt',
				description: 'Void a sales receipt',
			},
		],
		default: 'createFromPayment',
	},
	...createFromPayment.description,
	...driftReport.description,
	...findByPayments.description,
	...get.description,
	...getMany.description,
	...refund.description,
	...voidOperation.description,
];
