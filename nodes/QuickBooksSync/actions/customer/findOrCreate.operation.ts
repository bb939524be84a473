import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { findOrCreateCustomer } from '../../../shared/sync/customers';
import {
	fallbackCustomerOption,
	matchOptionsFrom,
	matchingOptions,
	withDisplay,
	withLink,
	type OperationResult,
} from '../common';
import { emailProperty, personFields, personFrom } from './person';

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
		options: [fallbackCustomerOption, ...matchingOptions],
	},
];

export const description = withDisplay(properties, 'customer', 'findOrCreate');

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
	return await withLink(this, 'customer', {
		...match.customer,
		sync: { action: match.how, qboId: match.customer.Id, reactivated: match.reactivated ?? false },
	});
}
