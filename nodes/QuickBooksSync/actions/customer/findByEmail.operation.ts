import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { findCustomerByEmail, requireEmail } from '../../../shared/sync/customers';
import { matchEachInBatch } from '../../../shared/sync/customersBatch';
import type { CustomerMatch } from '../../../shared/sync/types';
import { FIRST_ITEM, emailProperty } from './person';
import { eachItem, withDisplay, withLink, type OperationResult } from '../common';
import { batchRequestsOption, matchOptionsFrom, matchingOptions } from '../options';

const properties: INodeProperties[] = [
	emailProperty,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [batchRequestsOption('look-ups', FIRST_ITEM), ...matchingOptions],
	},
];

export const description = withDisplay(properties, 'customer', 'findByEmail');

/** Always one item: the customer with `found: true`, or `found: false` and the e-mail. */
async function output(
	context: IExecuteFunctions,
	email: string,
	match: CustomerMatch | undefined,
): Promise<OperationResult> {
	if (!match) return { found: false, email };
	return await withLink(context, 'customer', {
		found: true,
		email,
		...match.customer,
		sync: { action: 'matched', qboId: match.customer.Id, reactivated: match.reactivated ?? false },
	});
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const email = requireEmail(this.getNodeParameter('email', itemIndex), 'email');
	return await output(
		this,
		email,
		await findCustomerByEmail(client, email, matchOptionsFrom(this, itemIndex)),
	);
}

export { usesBatch } from '../options';

/** The matching options are read from the first item. */
export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const emails = eachItem(itemIndexes, (i) =>
		requireEmail(this.getNodeParameter('email', i), 'email'),
	);
	const matches = await matchEachInBatch(
		client,
		emails.map((email) => (email instanceof Error ? email : { email })),
		matchOptionsFrom(this, itemIndexes[0]),
		false,
	);
	const results: Array<OperationResult | Error> = [];
	for (const [k, match] of matches.entries()) {
		const email = emails[k];
		results.push(
			email instanceof Error
				? email
				: match instanceof Error
					? match
					: await output(this, email, match),
		);
	}
	return results;
}
