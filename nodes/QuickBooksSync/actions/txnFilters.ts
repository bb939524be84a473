import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { Condition } from '../../shared/transport/query';
import { customerPicker } from './pickers';

export const txnFilterProperties: INodeProperties[] = [
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			customerPicker.property(),
			{ displayName: 'Number', name: 'docNumber', type: 'string', default: '' },
			{ displayName: 'Date From', name: 'dateFrom', type: 'dateTime', default: '' },
			{ displayName: 'Date To', name: 'dateTo', type: 'dateTime', default: '' },
		],
	},
];

const day = (value: unknown) => new Date(String(value)).toISOString().slice(0, 10);

export function txnWhere(context: IExecuteFunctions, itemIndex: number): Condition[] {
	const filters = context.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const where: Condition[] = [];
	const customerId = customerPicker.option(context, itemIndex, filters);
	if (customerId) where.push({ field: 'CustomerRef', op: '=', value: customerId });
	if (filters.docNumber)
		where.push({ field: 'DocNumber', op: '=', value: String(filters.docNumber) });
	if (filters.dateFrom) where.push({ field: 'TxnDate', op: '>=', value: day(filters.dateFrom) });
	if (filters.dateTo) where.push({ field: 'TxnDate', op: '<=', value: day(filters.dateTo) });
	return where;
}
