/** Parameters and helpers several operations share. */
import type {
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeProperties,
	INodePropertyMode,
	INodePropertyOptions,
} from 'n8n-workflow';

import type { QboClient } from '../../shared/transport/client';
import type { QuerySpec } from '../../shared/transport/query';
import type { QboRecord } from '../../shared/types';
import { fieldError } from '../../shared/transport/n8n';
import type { MatchOptions } from '../../shared/sync/customers';
import type { ItemMode } from '../../shared/sync/items';
import type { NumberClash } from '../../shared/sync/ownDocuments';
import { US_TAX_CODES, type TaxCodes } from '../../shared/domain/salesDocument';
import {
	exampleUrl,
	idFromUrl,
	isQboId,
	looksLikeUrl,
	recordUrl,
	urlPattern,
	type QboLinkEntity,
} from '../../shared/domain/qboLinks';
import { CREDENTIAL_TYPE, appBaseUrl } from '../../shared/transport/environment';

/** What an operation returns for one input item: one output item or several. */
export type OperationResult = Record<string, unknown> | Array<Record<string, unknown>>;

export type Operation = {
	description: INodeProperties[];
	execute: (
		this: IExecuteFunctions,
		itemIndex: number,
		client: QboClient,
	) => Promise<OperationResult>;
	/** Operations that can serve all items together (QuickBooks batch endpoint) when asked to. */
	usesBatch?: (this: IExecuteFunctions) => boolean;
	executeBatch?: (
		this: IExecuteFunctions,
		itemIndexes: number[],
		client: QboClient,
	) => Promise<Array<OperationResult | Error>>;
};

/** How a record picker names the kind of record, for its modes and its messages. */
const KIND_LABELS: Record<QboLinkEntity, string> = {
	customer: 'customer',
	invoice: 'invoice',
	salesReceipt: 'sales receipt',
	refundReceipt: 'refund receipt',
	payment: 'payment',
	item: 'product or service',
	account: 'account',
	paymentMethod: 'payment method',
	taxCode: 'tax code',
};

/** Every record picker, by parameter name: what it picks and how the user sees it. */
const LOCATORS = new Map<string, { kind: QboLinkEntity; displayName: string }>();

/**
 * A record picker (resource locator): From List (searchable, each entry links to QuickBooks),
 * By ID, and By URL where QuickBooks has a page for the record (the id is read from the link).
 */
export function locator(
	name: string,
	displayName: string,
	kind: QboLinkEntity,
	searchListMethod: string,
	options: Partial<INodeProperties> = {},
): INodeProperties {
	LOCATORS.set(name, { kind, displayName });
	const label = KIND_LABELS[kind];
	const pattern = urlPattern(kind);
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${label}...`,
				typeOptions: { searchListMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 58',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: '^\\s*[0-9A-Za-z]+\\s*$',
							errorMessage: `${displayName}: not a valid QuickBooks ID`,
						},
					},
				],
			},
			...(pattern
				? [
						// A resource locator mode, not a parameter: modes have no default (the rule misreads it here).
						// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
						{
							displayName: 'By URL',
							name: 'url',
							type: 'string',
							placeholder: exampleUrl(kind),
							validation: [
								{
									type: 'regex',
									properties: {
										regex: pattern,
										errorMessage: `${displayName}: not a link to a QuickBooks ${label} (e.g. ${exampleUrl(kind)})`,
									},
								},
							],
						} as INodePropertyMode,
					]
				: []),
		],
		...options,
	} as INodeProperties;
}

/**
 * The QuickBooks id a picker's value names. Accepts the picker's value ({mode, value}) and, from
 * workflows saved before the parameter was a picker, a plain id or a pasted link. A link that is
 * not a link to the right kind of record fails the item and names the field.
 */
export function recordIdFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	name: string,
	raw: unknown,
): string | undefined {
	const picker = LOCATORS.get(name);
	let mode: unknown;
	let value: unknown = raw;
	if (raw && typeof raw === 'object') {
		mode = (raw as { mode?: unknown }).mode;
		value = (raw as { value?: unknown }).value;
	}
	if (value === undefined || value === null) return undefined;
	const text = String(value).trim();
	if (!text) return undefined;
	const field = picker?.displayName ?? name;
	if (picker && (mode === 'url' || (mode !== 'id' && mode !== 'list' && looksLikeUrl(text)))) {
		const id = idFromUrl(picker.kind, text);
		if (id) return id;
		const example = exampleUrl(picker.kind);
		throw fieldError(
			context.getNode(),
			itemIndex,
			field,
			`is not a link to a QuickBooks ${KIND_LABELS[picker.kind]}${example ? ` (expected e.g. ${example})` : ''}: ${text}`,
		);
	}
	if (mode === 'id' && !isQboId(text))
		throw fieldError(
			context.getNode(),
			itemIndex,
			field,
			`is not a QuickBooks ID (letters and digits only): ${text}`,
		);
	return text;
}

/** The id chosen in a top-level picker, or undefined when it is empty. */
export function locatorValue(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): string | undefined {
	return recordIdFrom(context, itemIndex, name, context.getNodeParameter(name, itemIndex, ''));
}

/** The id chosen in a required top-level picker; an empty picker fails the item and names the field. */
export function requiredLocatorValue(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): string {
	const id = locatorValue(context, name, itemIndex);
	if (!id)
		throw fieldError(
			context.getNode(),
			itemIndex,
			LOCATORS.get(name)?.displayName ?? name,
			'is missing',
		);
	return id;
}

/** The id chosen in a picker inside a collection (Options, Filters). */
export function optionLocatorValue(
	context: IExecuteFunctions,
	itemIndex: number,
	collection: IDataObject,
	name: string,
): string | undefined {
	return recordIdFrom(context, itemIndex, name, collection[name]);
}

const appBases = new WeakMap<object, Promise<string | undefined>>();

/** The web-app address for links, from the credential's environment (once per run). */
export async function appBaseOf(
	context: IExecuteFunctions | ILoadOptionsFunctions,
): Promise<string | undefined> {
	let base = appBases.get(context);
	if (!base) {
		base = context.getCredentials(CREDENTIAL_TYPE).then((credentials) => appBaseUrl(credentials));
		appBases.set(context, base);
	}
	return await base;
}

/** A record with `qboUrl`, the link that opens it in QuickBooks (left out when there is none). */
export function linked<T extends object>(
	appBase: string | undefined,
	kind: QboLinkEntity,
	record: T,
): T & { qboUrl?: string } {
	const url = recordUrl(appBase, kind, (record as { Id?: unknown }).Id);
	return url ? { ...record, qboUrl: url } : record;
}

/** Adds `qboUrl` to one record, using the credential's environment. */
export async function withLink<T extends object>(
	context: IExecuteFunctions,
	kind: QboLinkEntity,
	record: T,
): Promise<T & { qboUrl?: string }> {
	return linked(await appBaseOf(context), kind, record);
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

export function matchOptionsFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	collection = 'options',
): MatchOptions {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	const fallbackCustomerId = optionLocatorValue(context, itemIndex, options, 'fallbackCustomerId');
	return {
		duplicates: (options.duplicates as MatchOptions['duplicates']) ?? 'oldest',
		inactive: (options.inactive as MatchOptions['inactive']) ?? 'reactivate',
		fallbackCustomerId: fallbackCustomerId || undefined,
	};
}

export const fallbackCustomerOption = locator(
	'fallbackCustomerId',
	'Fallback Customer',
	'customer',
	'searchCustomers',
	{
		description: 'Used when the e-mail is missing or malformed, instead of failing the item',
	},
);

/** What to do when the document number is already used by a QuickBooks document this sync did not create. */
export const numberClashOption: INodeProperties = {
	displayName: 'If the Number Is Taken',
	name: 'onNumberClash',
	type: 'options',
	default: 'error',
	options: [
		{
			name: 'Stop With an Error',
			value: 'error',
			description:
				'Nothing is written; the error names the QuickBooks document that has the number',
		},
		{
			name: 'Use a Distinct Number',
			value: 'alternate',
			description:
				'The document gets a second number derived from the CRM ID; the other document is left alone',
		},
	],
	description:
		'A document this sync did not create (e.g. a bookkeeper’s) may already use the number. It is never changed, paid or voided.',
};

export function numberClashFrom(options: IDataObject): NumberClash {
	return options.onNumberClash === 'alternate' ? 'alternate' : 'error';
}

/** Tax codes for the lines (US companies use TAX / NON, which are the defaults). */
export const taxCodeOptions: INodeProperties[] = [
	locator('taxedTaxCode', 'Tax Code for Taxed Lines', 'taxCode', 'searchTaxCodes', {
		description: 'Leave empty for TAX (QuickBooks US)',
	}),
	locator('untaxedTaxCode', 'Tax Code for Untaxed Lines', 'taxCode', 'searchTaxCodes', {
		description: 'Leave empty for NON (QuickBooks US)',
	}),
];

export function taxCodesFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	collection = 'options',
): TaxCodes {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	return {
		taxed: optionLocatorValue(context, itemIndex, options, 'taxedTaxCode') || US_TAX_CODES.taxed,
		untaxed:
			optionLocatorValue(context, itemIndex, options, 'untaxedTaxCode') || US_TAX_CODES.untaxed,
	};
}

export const itemModeOptions: INodeProperties[] = [
	{
		displayName: 'Products',
		name: 'itemMode',
		type: 'options',
		default: 'perLine',
		options: [
			{
				name: 'One Service Item per CRM Line Name',
				value: 'perLine',
				description: 'Found by name, created if missing',
			},
			{ name: 'One Default Item for All Lines', value: 'default' },
		],
	},
	locator('defaultItemId', 'Default Item', 'item', 'searchItems', {
		displayOptions: { show: { itemMode: ['default'] } },
	}),
	locator('incomeAccountId', 'Income Account for New Items', 'account', 'searchIncomeAccounts', {
		description: 'Leave empty to use the first income account named like "Services"',
		displayOptions: { show: { itemMode: ['perLine'] } },
	}),
];

export function itemModeFrom(context: IExecuteFunctions, itemIndex: number): ItemMode {
	const mode = context.getNodeParameter('itemMode', itemIndex, 'perLine') as string;
	if (mode === 'default') {
		const itemId = locatorValue(context, 'defaultItemId', itemIndex);
		if (!itemId)
			throw fieldError(
				context.getNode(),
				itemIndex,
				'defaultItemId',
				'is empty: choose a Default Item or switch "Products" to one item per line',
			);
		return { mode: 'default', itemId };
	}
	// Without a chosen account the default one is looked up only if an item has to be created.
	return { mode: 'perLine', incomeAccountId: locatorValue(context, 'incomeAccountId', itemIndex) };
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

/** Get Many: the records matching `spec`, up to the item's limit, each with its QuickBooks link. */
export async function listRecords(
	context: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
	kind: QboLinkEntity,
	spec: Omit<QuerySpec, 'orderBy'>,
	keep: (record: QboRecord) => boolean = () => true,
): Promise<OperationResult> {
	const appBase = await appBaseOf(context);
	const records = await client.queryAll(
		{ ...spec, orderBy: 'Id ASC' },
		{ limit: limitFrom(context, itemIndex) },
	);
	return records.filter(keep).map((r) => linked(appBase, kind, r));
}

export function limitFrom(context: IExecuteFunctions, itemIndex: number): number | undefined {
	const returnAll = context.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll ? undefined : (context.getNodeParameter('limit', itemIndex, 50) as number);
}

export function withDisplay<T extends INodeProperties>(
	properties: T[],
	resource: string,
	operation: string,
): T[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...p.displayOptions?.show, resource: [resource], operation: [operation] },
		},
	}));
}

export function operationOptions(
	options: Array<INodePropertyOptions & { action: string }>,
): INodePropertyOptions[] {
	return [...options].sort((a, b) => a.name.localeCompare(b.name));
}

/** A JSON parameter (a webhook body): parsed when given as text, refused when empty. */
export function jsonParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): IDataObject {
	const raw = context.getNodeParameter(name, itemIndex);
	if (typeof raw === 'string') {
		try {
			return JSON.parse(raw) as IDataObject;
		} catch {
			throw fieldError(context.getNode(), itemIndex, name, 'is not valid JSON');
		}
	}
	if (!raw || typeof raw !== 'object')
		throw fieldError(context.getNode(), itemIndex, name, 'is empty');
	return raw as IDataObject;
}

/** The Batch Requests option: `what` names the calls that go 30 to a batch, `firstItem` (one sentence, no final period) what is read from item 0. */
export function batchRequestsOption(what: string, firstItem: string): INodeProperties {
	return {
		displayName: 'Batch Requests',
		name: 'batchRequests',
		type: 'boolean',
		default: false,
		description: `Whether to send the ${what} of all items through the QuickBooks batch endpoint, 30 per call, instead of one call per item. ${firstItem}.`,
	};
}

/** Whether the node runs its items through the batch endpoint (read from the first item). */
export function usesBatch(this: IExecuteFunctions): boolean {
	return (this.getNodeParameter('options', 0, {}) as IDataObject).batchRequests === true;
}

/** `read` for each item; an item whose input is bad becomes its Error, so only that item fails. */
export function eachItem<T>(
	itemIndexes: number[],
	read: (itemIndex: number) => T,
): Array<T | Error> {
	return itemIndexes.map((i) => {
		try {
			return read(i);
		} catch (error) {
			return error as Error;
		}
	});
}

/** What a QuickBooks invoice number is made from: Invoice → Sync sets it, Refund must find the same invoice. */
export const invoiceNumberSources = [
	{ name: 'CRM Invoice Number', value: 'number' },
	{ name: 'CRM Invoice ID', value: 'id' },
];
