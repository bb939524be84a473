import type { INodeProperties, IExecuteFunctions } from 'n8n-workflow';

import type { Person } from '../../../shared/domain/customerMatch';

/** The e-mail a customer is matched by. */
export const emailProperty: INodeProperties = {
	displayName: 'E-Mail',
	name: 'email',
	type: 'string',
	placeholder: 'name@email.com',
	default: '',
	required: true,
	description: 'Compared with the customer’s primary e-mail, ignoring case and surrounding spaces',
};

/** The Batch Requests option of the customer operations (the drain workflow sends up to 30 items). */
/** What a customer operation in batch reads from the first item only. */
export const FIRST_ITEM =
	"Settings other than the e-mail (and the new customer's details) are read from the first item";

/** Name and contact fields used when a customer has to be created. */
export const personFields: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		description: 'Full name; becomes the display name',
	},
	{ displayName: 'First Name', name: 'givenName', type: 'string', default: '' },
	{ displayName: 'Last Name', name: 'familyName', type: 'string', default: '' },
	{ displayName: 'Company Name', name: 'companyName', type: 'string', default: '' },
	{ displayName: 'Phone', name: 'phone', type: 'string', default: '' },
];

export function personFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	email: string,
	collection = 'person',
): Person {
	const fields = context.getNodeParameter(collection, itemIndex, {}) as Record<string, string>;
	const clean = (v?: string) => (v && String(v).trim() ? String(v).trim() : undefined);
	return {
		email,
		name: clean(fields.name),
		givenName: clean(fields.givenName),
		familyName: clean(fields.familyName),
		companyName: clean(fields.companyName),
		phone: clean(fields.phone),
	};
}
