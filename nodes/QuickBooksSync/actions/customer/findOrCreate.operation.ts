import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { findOrCreateCustomer } from '../../../shared/sync/customers';
import { matchEachInBatch } from '../../../shared/sync/customersBatch';
import type { CustomerMatch } from '../../../shared/sync/types';
import { eachItem, withDisplay, withLink, type OperationResult } from '../common';
import {
	batchRequestsOption,
	fallbackCustomerOption,
	matchOptionsFrom,
	matchingOptions,
} from '../options';
import { FIRST_ITEM, emailProperty, personFields, personFrom } from './person';

const properties: INodeProperties[] = [
	emailProperty,
	{
		displayName: 'New Customer Details',
		name: 'person',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		description: 'Used only when no customer has the e-mail',
		options: personFields,
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			batchRequestsOption('look-ups and creates', FIRST_ITEM),
			fallbackCustomerOption,
			...matchingOptions,
		],
	},
];

export const description = withDisplay(properties, 'customer', 'findOrCreate');

async function output(context: IExecuteFunctions, match: CustomerMatch): Promise<OperationResult> {
	return await withLink(context, 'customer', {
		...match.customer,
		sync: { action: match.how, qboId: match.customer.Id, reactivated: match.reactivated ?? false },
	});
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const email = this.getNodeParameter('email', itemIndex) as string;
	const match = await findOrCreateCustomer(
		client,
		personFrom(this, itemIndex, email),
		matchOptionsFrom(this, itemIndex),
		'email',
	);
	return await output(this, match);
}

export { usesBatch } from '../options';

/** The matching options and the fallback customer are read from the first item. */
export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const people = eachItem(itemIndexes, (i) =>
		personFrom(this, i, this.getNodeParameter('email', i) as string),
	);
	const matches = await matchEachInBatch(
		client,
		people,
		matchOptionsFrom(this, itemIndexes[0]),
		true,
	);
	const results: Array<OperationResult | Error> = [];
	for (const match of matches) {
		// With `create`, only an error leaves an item without a customer.
		results.push(
			match instanceof Error || !match
				? (match ?? new Error('no customer'))
				: await output(this, match),
		);
	}
	return results;
}
