import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient, QboRecord } from '../../../shared/transport/client';
import { forgetCachedCustomer, requireEmail } from '../../../shared/sync/customers';
import { withDisplay, withLink, type OperationResult } from '../common';
import { customerPicker } from '../pickers';

const properties: INodeProperties[] = [
	customerPicker.property({ required: true }),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			{ displayName: 'Active', name: 'active', type: 'boolean', default: true },
			{ displayName: 'Company Name', name: 'companyName', type: 'string', default: '' },
			{ displayName: 'Display Name', name: 'displayName', type: 'string', default: '' },
			{
				displayName: 'E-Mail',
				name: 'email',
				type: 'string',
				placeholder: 'name@email.com',
				default: '',
			},
			{ displayName: 'First Name', name: 'givenName', type: 'string', default: '' },
			{ displayName: 'Last Name', name: 'familyName', type: 'string', default: '' },
			{ displayName: 'Notes', name: 'notes', type: 'string', default: '' },
			{ displayName: 'Phone', name: 'phone', type: 'string', default: '' },
		],
	},
];

export const description = withDisplay(properties, 'customer', 'update');

/** Sparse update through read-modify-write, so a concurrent edit in QuickBooks is not lost. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const id = customerPicker.required(this, itemIndex);
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const changes: QboRecord = {};
	if (fields.displayName) changes.DisplayName = String(fields.displayName);
	if (fields.email !== undefined)
		changes.PrimaryEmailAddr = { Address: requireEmail(fields.email, 'updateFields.email') };
	if (fields.givenName) changes.GivenName = String(fields.givenName);
	if (fields.familyName) changes.FamilyName = String(fields.familyName);
	if (fields.companyName) changes.CompanyName = String(fields.companyName);
	if (fields.phone) changes.PrimaryPhone = { FreeFormNumber: String(fields.phone) };
	if (fields.notes) changes.Notes = String(fields.notes);
	if (fields.active !== undefined) changes.Active = Boolean(fields.active);
	const { record, changed } = await client.modify('Customer', id, (current) => {
		const diff = Object.fromEntries(
			Object.entries(changes).filter(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v)),
		);
		return Object.keys(diff).length ? diff : null;
	});
	// A changed e-mail, name or active flag must not be answered from the cache across executions.
	if (changed) forgetCachedCustomer(client, id);
	return await withLink(this, 'customer', {
		...record,
		sync: { action: changed ? 'updated' : 'unchanged', qboId: record.Id },
	});
}
