import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { findCustomerByEmail, requireEmail } from '../../../shared/sync/customers';
import { emailProperty } from './person';
import {
	matchOptionsFrom,
	matchingOptions,
	withDisplay,
	withLink,
	type OperationResult,
} from '../common';

const properties: INodeProperties[] = [
	emailProperty,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: matchingOptions,
	},
];

export const description = withDisplay(properties, 'customer', 'findByEmail');

/** Always outputs one item: the customer with `found: true`, or `found: false` and the e-mail. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const email = requireEmail(this.getNodeParameter('email', itemIndex), 'email');
	const match = await findCustomerByEmail(client, email, matchOptionsFrom(this, itemIndex));
	if (!match) return { found: false, email };
	return await withLink(this, 'customer', {
		found: true,
		email,
		...match.customer,
		sync: { action: 'matched', qboId: match.customer.Id, reactivated: match.reactivated ?? false },
	});
}
