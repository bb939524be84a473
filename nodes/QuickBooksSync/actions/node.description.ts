/** The node's parameters: the resource, then each resource's operations and their fields. */
import type { INodeProperties } from 'n8n-workflow';

import * as customer from './customer/Customer.resource';
import * as invoice from './invoice/Invoice.resource';
import * as item from './item/Item.resource';
import * as salesReceipt from './salesReceipt/SalesReceipt.resource';

export const resources = { customer, invoice, item, salesReceipt };

export const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Customer', value: 'customer' },
			{ name: 'Invoice', value: 'invoice' },
			{ name: 'Item', value: 'item' },
			{ name: 'Sales Receipt', value: 'salesReceipt' },
		],
		default: 'salesReceipt',
	},
	...customer.description,
	...invoice.description,
	...item.description,
	...salesReceipt.description,
];
