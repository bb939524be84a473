/** Parameters and helpers several operations share. */
import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { QboClient } from '../../shared/transport/client';
import { fieldError } from '../../shared/transport/n8n';
import type { MatchOptions } from '../../shared/sync/customers';
import { defaultIncomeAccount, type ItemMode } from '../../shared/sync/items';
import type { NumberClash } from '../../shared/sync/ownDocuments';
import { US_TAX_CODES, type TaxCodes } from '../../shared/domain/salesDocument';

/** What an operation returns for one input item: one output item or several. */
export type OperationResult = Record<string, unknown> | Array<Record<string, unknown>>;

export type Operation = {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, itemIndex: number, client: QboClient) => Promise<OperationResult>;
	/** Operations that can serve all items together (QuickBooks batch endpoint) when asked to. */
	usesBatch?: (this: IExecuteFunctions) => boolean;
	executeBatch?: (this: IExecuteFunctions, itemIndexes: number[], client: QboClient) => Promise<Array<OperationResult | Error>>;
};

export function locator(
	name: string,
	displayName: string,
	searchListMethod: string,
	options: Partial<INodeProperties> = {},
): INodeProperties {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		modes: [
			{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod, searchable: true } },
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 58',
				validation: [{ type: 'regex', properties: { regex: '^[0-9A-Za-z]+$', errorMessage: 'Not a valid QuickBooks ID' } }],
			},
		],
		...options,
	} as INodeProperties;
}

export function locatorValue(context: IExecuteFunctions, name: string, itemIndex: number): string | undefined {
	const value = context.getNodeParameter(name, itemIndex, '', { extractValue: true }) as string;
	return value ? String(value) : undefined;
}

export const matchingOptions: INodeProperties[] = [
	{
		displayName: 'Several Customers With the E-Mail',
		name: 'duplicates',
		type: 'options',
		default: 'oldest',
		options: [
			{ name: 'Fail the Item', value: 'fail' },
			{ name: 'Use Most Recently Updated', value: 'newest' },
			{ name: 'Use Oldest', value: 'oldest' },
		],
	},
	{
		displayName: 'Inactive Customer With the E-Mail',
		name: 'inactive',
		type: 'options',
		default: 'reactivate',
		options: [
			{ name: 'Ignore It', value: 'ignore', description: 'Treat it as not found' },
			{ name: 'Reactivate It', value: 'reactivate' },
		],
	},
];

export function matchOptionsFrom(context: IExecuteFunctions, itemIndex: number, collection = 'options'): MatchOptions {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	const fallback = options.fallbackCustomerId as { value?: string } | string | undefined;
	const fallbackCustomerId = typeof fallback === 'object' ? fallback?.value : fallback;
	return {
		duplicates: (options.duplicates as MatchOptions['duplicates']) ?? 'oldest',
		inactive: (options.inactive as MatchOptions['inactive']) ?? 'reactivate',
		fallbackCustomerId: fallbackCustomerId || undefined,
	};
}

export const fallbackCustomerOption = locator('fallbackCustomerId', 'Fallback Customer', 'searchCustomers', {
	description: 'Used when the e-mail is missing or malformed, instead of failing the item',
});

/** What to do when the document number is already used by a QuickBooks document this sync did not create. */
export const numberClashOption: INodeProperties = {
	displayName: 'If the Number Is Taken',
	name: 'onNumberClash',
	type: 'options',
	default: 'error',
	options: [
		{ name: 'Stop With an Error', value: 'error', description: 'Nothing is written; the error names the QuickBooks document that has the number' },
		{ name: 'Use a Distinct Number', value: 'alternate', description: 'The document gets a second number derived from the CRM ID; the other document is left alone' },
	],
	description: 'A document this sync did not create (e.g. a bookkeeper’s) may already use the number. It is never changed, paid or voided.',
};

export function numberClashFrom(options: IDataObject): NumberClash {
	return options.onNumberClash === 'alternate' ? 'alternate' : 'error';
}

/** Tax codes for the lines (US companies use TAX / NON, which are the defaults). */
export const taxCodeOptions: INodeProperties[] = [
	locator('taxedTaxCode', 'Tax Code for Taxed Lines', 'searchTaxCodes', { description: 'Leave empty for TAX (QuickBooks US)' }),
	locator('untaxedTaxCode', 'Tax Code for Untaxed Lines', 'searchTaxCodes', { description: 'Leave empty for NON (QuickBooks US)' }),
];

export function taxCodesFrom(context: IExecuteFunctions, itemIndex: number, collection = 'options'): TaxCodes {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	const value = (v: unknown) => (typeof v === 'object' && v ? String((v as { value?: unknown }).value ?? '') : String(v ?? '')).trim();
	return { taxed: value(options.taxedTaxCode) || US_TAX_CODES.taxed, untaxed: value(options.untaxedTaxCode) || US_TAX_CODES.untaxed };
}

export const itemModeOptions: INodeProperties[] = [
	{
		displayName: 'Products',
		name: 'itemMode',
		type: 'options',
		default: 'perLine',
		options: [
			{ name: 'One Service Item per CRM Line Name', value: 'perLine', description: 'Found by name, created if missing' },
			{ name: 'One Default Item for All Lines', value: 'default' },
		],
	},
	locator('defaultItemId', 'Default Item', 'searchItems', { displayOptions: { show: { itemMode: ['default'] } } }),
	locator('incomeAccountId', 'Income Account for New Items', 'searchIncomeAccounts', {
		description: 'Leave empty to use the first income account named like "Services"',
		displayOptions: { show: { itemMode: ['perLine'] } },
	}),
];

export async function itemModeFrom(context: IExecuteFunctions, itemIndex: number, client: QboClient): Promise<ItemMode> {
	const mode = context.getNodeParameter('itemMode', itemIndex, 'perLine') as string;
	if (mode === 'default') {
		const itemId = locatorValue(context, 'defaultItemId', itemIndex);
		if (!itemId) throw new Error('Choose a Default Item or switch "Products" to one item per line');
		return { mode: 'default', itemId };
	}
	const chosen = locatorValue(context, 'incomeAccountId', itemIndex);
	return { mode: 'perLine', incomeAccountId: chosen ?? (await defaultIncomeAccount(client)) };
}

export const returnAllAndLimit = (resourceDisplay: string): INodeProperties[] => [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1 },
		displayOptions: { show: { returnAll: [false] } },
		description: 'Max number of results to return',
	},
];

export function limitFrom(context: IExecuteFunctions, itemIndex: number): number | undefined {
	const returnAll = context.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll ? undefined : (context.getNodeParameter('limit', itemIndex, 50) as number);
}

export function withDisplay<T extends INodeProperties>(properties: T[], resource: string, operation: string): T[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...p.displayOptions?.show, resource: [resource], operation: [operation] },
		},
	}));
}

export function operationOptions(options: Array<INodePropertyOptions & { action: string }>): INodePropertyOptions[] {
	return [...options].sort((a, b) => a.name.localeCompare(b.name));
}

/** A JSON parameter (a webhook body): parsed when given as text, refused when empty. */
export function jsonParameter(context: IExecuteFunctions, name: string, itemIndex: number): IDataObject {
	const raw = context.getNodeParameter(name, itemIndex);
	if (typeof raw === 'string') {
		try {
			return JSON.parse(raw) as IDataObject;
		} catch {
			throw fieldError(context.getNode(), itemIndex, name, 'is not valid JSON');
		}
	}
	if (!raw || typeof raw !== 'object') throw fieldError(context.getNode(), itemIndex, name, 'is empty');
	return raw as IDataObject;
}
