/** The Invoice resource: its operations as n8n's editor and lint read them, and each operation's module. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../common';

import * as findByInvoices from './findByInvoices.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as recordPayment from './recordPayment.operation';
import * as send from './send.operation';
import * as sync from './sync.operation';
import * as voidOperation from './void.operation';

/** The operations by the value the Operation parameter stores: the router runs them. */
export const operations: Record<string, Operation> = {
	findByInvoices,
	get,
	getMany,
	recordPayment,
	send,
	sync,
	void: voidOperation,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['invoice'] } },
		options: [
			{
				name: 'Find by CRM Invoices',
				value: 'findByInvoices',
				action: 'Find the invoices of CRM invoices',
				description:
					'Whether each CRM invoice has its QuickBooks invoice and whether it lags behind (missing, total, payment, void); 50 invoices per call',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get an invoice',
				description: 'Get an invoice',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				action: 'Get many invoices',
				description: 'Get many invoices',
			},
			{
				name: 'Record Payment',
				value: 'recordPayment',
				action: 'Record a payment on an invoice',
				description: 'Record what the CRM shows as paid',
			},
			{
				name: 'Send',
				value: 'send',
				action: 'Send an invoice',
				description: 'QuickBooks e-mails the invoice',
			},
			{
				name: 'Sync',
				value: 'sync',
				action: 'Sync an invoice from the CRM',
				description:
					'Create or update the QuickBooks copy of a CRM invoice, with payments and voiding',
			},
			{
				name: 'Void',
				value: 'void',
				action: 'Void an invoice',
				description: 'Void an invoice',
			},
		],
		default: 'sync',
	},
	...findByInvoices.description,
	...get.description,
	...getMany.description,
	...recordPayment.description,
	...send.description,
	...sync.description,
	...voidOperation.description,
];
