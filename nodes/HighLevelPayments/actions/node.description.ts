/** The node's parameters: the resource, then each resource's operations and their fields. */
import type { INodeProperties } from 'n8n-workflow';

import * as invoice from './invoice/Invoice.resource';
import * as order from './order/Order.resource';
import * as transaction from './transaction/Transaction.resource';

export const resources = { invoice, order, transaction };

export const properties: INodeProperties[] = [
	{
		displayName:
			'Each item out is the event the <b>HighLevel Trigger</b> emits for the same payment, order, refund or invoice (same <code>key</code>), so the QuickBooks nodes and the outbox take it the same way. What is not money received leaves on <b>Skipped</b> with the reason.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Invoice', value: 'invoice' },
			{ name: 'Order', value: 'order' },
			{ name: 'Transaction', value: 'transaction' },
		],
		default: 'transaction',
	},
	...invoice.description,
	...order.description,
	...transaction.description,
];
