import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { newCustomerBody } from '../../../shared/domain/customerMatch';
import { requireEmail } from '../../../shared/sync/customers';
import { withDisplay, withLink, type OperationResult } from '../common';
import { personFields, personFrom } from './person';

const properties: INodeProperties[] = [
	{
		displayName: 'Display Name',
		name: 'displayName',
		type: 'string',
		default: '',
		required: true,
		description: 'Unique across QuickBooks customers, vendors and employees',
	},
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		default: '',
		required: true,
	},
	{
		displayName: 'Additional Fields',
		name: 'person',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: personFields.filter((f) => f.name !== 'name'),
	},
];

export const description = withDisplay(properties, 'customer', 'create');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const written = this.getNodeParameter('email', itemIndex);
	const email = requireEmail(written, 'email');
	const displayName = String(this.getNodeParameter('displayName', itemIndex)).trim() || email;
	// The address keeps the case it was given (matching ignores case anyway).
	const person = personFrom(this, itemIndex, String(written).trim());
	const customer = await client.create('Customer', newCustomerBody(person, email, displayName));
	return await withLink(this, 'customer', {
		...customer,
		sync: { action: 'created', qboId: customer.Id },
	});
}
