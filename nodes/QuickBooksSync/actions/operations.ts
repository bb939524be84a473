/** Every operation of the node, by resource: the router and the description both read this. */
import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from './common';
import { operationOptions } from './common';
import * as customerCreate from './customer/create.operation';
import * as customerFindByEmail from './customer/findByEmail.operation';
import * as customerFindOrCreate from './customer/findOrCreate.operation';
import * as customerGet from './customer/get.operation';
import * as customerGetMany from './customer/getMany.operation';
import * as customerUpdate from './customer/update.operation';
import * as invoiceGet from './invoice/get.operation';
import * as invoiceGetMany from './invoice/getMany.operation';
import * as invoiceRecordPayment from './invoice/recordPayment.operation';
import * as invoiceSend from './invoice/send.operation';
import * as invoiceSync from './invoice/sync.operation';
import * as invoiceVoid from './invoice/void.operation';
import * as itemFindOrCreate from './item/findOrCreate.operation';
import * as itemGetMany from './item/getMany.operation';
import * as receiptCreateFromPayment from './salesReceipt/createFromPayment.operation';
import * as receiptGet from './salesReceipt/get.operation';
import * as receiptGetMany from './salesReceipt/getMany.operation';
import * as receiptRefund from './salesReceipt/refund.operation';
import * as receiptVoid from './salesReceipt/void.operation';

type Entry = { name: string; action: string; description: string; module: Operation };

export const RESOURCES: Record<
	string,
	{ name: string; defaultOperation: string; operations: Record<string, Entry> }
> = {
	customer: {
		name: 'Customer',
		defaultOperation: 'findOrCreate',
		operations: {
			create: {
				name: 'Create',
				action: 'Create a customer',
				description: 'Create a customer',
				module: customerCreate,
			},
			findByEmail: {
				name: 'Find by Email',
				action: 'Find a customer by email',
				description: 'Find the customer that has an e-mail address',
				module: customerFindByEmail,
			},
			findOrCreate: {
				name: 'Find or Create',
				action: 'Find or create a customer by email',
				description: 'Find the customer by e-mail, or create one',
				module: customerFindOrCreate,
			},
			get: {
				name: 'Get',
				action: 'Get a customer',
				description: 'Get a customer',
				module: customerGet,
			},
			getMany: {
				name: 'Get Many',
				action: 'Get many customers',
				description: 'Get many customers',
				module: customerGetMany,
			},
			update: {
				name: 'Update',
				action: 'Update a customer',
				description: 'Update a customer',
				module: customerUpdate,
			},
		},
	},
	invoice: {
		name: 'Invoice',
		defaultOperation: 'sync',
		operations: {
			get: {
				name: 'Get',
				action: 'Get an invoice',
				description: 'Get an invoice',
				module: invoiceGet,
			},
			getMany: {
				name: 'Get Many',
				action: 'Get many invoices',
				description: 'Get many invoices',
				module: invoiceGetMany,
			},
			recordPayment: {
				name: 'Record Payment',
				action: 'Record a payment on an invoice',
				description: 'Record what the CRM shows as paid',
				module: invoiceRecordPayment,
			},
			send: {
				name: 'Send',
				action: 'Send an invoice',
				description: 'QuickBooks e-mails the invoice',
				module: invoiceSend,
			},
			sync: {
				name: 'Sync',
				action: 'Sync an invoice from the CRM',
				description:
					'Create or update the QuickBooks copy of a CRM invoice, with payments and voiding',
				module: invoiceSync,
			},
			void: {
				name: 'Void',
				action: 'Void an invoice',
				description: 'Void an invoice',
				module: invoiceVoid,
			},
		},
	},
	item: {
		name: 'Item',
		defaultOperation: 'findOrCreate',
		operations: {
			findOrCreate: {
				name: 'Find or Create',
				action: 'Find or create an item',
				description: 'Find a service item by name, or create it',
				module: itemFindOrCreate,
			},
			getMany: {
				name: 'Get Many',
				action: 'Get many items',
				description: 'Get many items',
				module: itemGetMany,
			},
		},
	},
	salesReceipt: {
		name: 'Sales Receipt',
		defaultOperation: 'createFromPayment',
		operations: {
			createFromPayment: {
				name: 'Create From Payment',
				action: 'Create a sales receipt from a CRM payment',
				description: 'Create a sales receipt from a CRM payment, once per transaction',
				module: receiptCreateFromPayment,
			},
			get: {
				name: 'Get',
				action: 'Get a sales receipt',
				description: 'Get a sales receipt',
				module: receiptGet,
			},
			getMany: {
				name: 'Get Many',
				action: 'Get many sales receipts',
				description: 'Get many sales receipts',
				module: receiptGetMany,
			},
			refund: {
				name: 'Refund',
				action: 'Refund a CRM payment',
				description:
					'Write a refund receipt for a CRM refund (full or partial) against the payment’s sales receipt or invoice, once per refund',
				module: receiptRefund,
			},
			void: {
				name: 'Void',
				action: 'Void a sales receipt',
				description: 'Void a sales receipt',
				module: receiptVoid,
			},
		},
	},
};

export function resourceProperties(): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			default: 'salesReceipt',
			options: Object.entries(RESOURCES)
				.map(([value, r]) => ({ name: r.name, value }))
				.sort((a, b) => a.name.localeCompare(b.name)),
		},
	];
	for (const [resource, r] of Object.entries(RESOURCES)) {
		properties.push({
			displayName: 'Operation',
			name: 'operation',
			type: 'options',
			noDataExpression: true,
			displayOptions: { show: { resource: [resource] } },
			default: String(r.defaultOperation),
			options: operationOptions(
				Object.entries(r.operations).map(([value, op]) => ({
					name: op.name,
					value,
					action: op.action,
					description: op.description,
				})),
			),
		});
	}
	for (const r of Object.values(RESOURCES)) {
		for (const op of Object.values(r.operations)) properties.push(...op.module.description);
	}
	return properties;
}
