/** Options several operations share: customer matching, number clashes, tax codes, products, batching. */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { fieldError } from '../../shared/transport/n8n';
import type { MatchOptions } from '../../shared/sync/customers';
import type { ItemMode } from '../../shared/sync/items';
import type { NumberClash } from '../../shared/sync/ownDocuments';
import { US_TAX_CODES, type TaxCodes } from '../../shared/domain/salesDocument';
import { productRulesFrom } from '../../shared/domain/productMapping';
import type { TaxBy } from '../../shared/sync/salesTax';
import { asksNothing, trackingRuleProblem, type TrackingRule } from '../../shared/domain/tracking';
import { RecordPicker } from './pickers';

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
	const fallbackCustomerId = fallbackCustomerPicker.option(context, itemIndex, options);
	return {
		duplicates: (options.duplicates as MatchOptions['duplicates']) ?? 'oldest',
		inactive: (options.inactive as MatchOptions['inactive']) ?? 'reactivate',
		fallbackCustomerId: fallbackCustomerId || undefined,
	};
}

const fallbackCustomerPicker = new RecordPicker(
	'fallbackCustomerId',
	'Fallback Customer',
	'customer',
	'searchCustomers',
);

export const fallbackCustomerOption = fallbackCustomerPicker.property({
	description: 'Used when the e-mail is missing or malformed, instead of failing the item',
});

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

const taxedPicker = new RecordPicker(
	'taxedTaxCode',
	'Tax Code for Taxed Lines',
	'taxCode',
	'searchTaxCodes',
);
const untaxedPicker = new RecordPicker(
	'untaxedTaxCode',
	'Tax Code for Untaxed Lines',
	'taxCode',
	'searchTaxCodes',
);

/** Whose sales tax the document carries, and the tax codes of its lines (US: TAX / NON, the defaults). */
export const taxCodeOptions: INodeProperties[] = [
	{
		displayName: 'Sales Tax',
		name: 'taxBy',
		type: 'options',
		default: 'crm',
		options: [
			{
				name: 'The CRM’s Tax',
				value: 'crm',
				description:
					'The tax the CRM charged, sent as the document’s total tax (automated sales tax keeps it as an override)',
			},
			{
				name: 'QuickBooks Calculates',
				value: 'quickbooks',
				description:
					'Automated sales tax calculates it from the addresses; the output shows both taxes, and the totals may then differ from the CRM’s. A company without automated sales tax stops the item.',
			},
		],
	},
	taxedPicker.property({ description: 'Leave empty for TAX (QuickBooks US)' }),
	untaxedPicker.property({ description: 'Leave empty for NON (QuickBooks US)' }),
];

export function taxByFrom(options: IDataObject): TaxBy {
	return options.taxBy === 'quickbooks' ? 'quickbooks' : 'crm';
}

export function taxCodesFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	collection = 'options',
): TaxCodes {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	return {
		taxed: taxedPicker.option(context, itemIndex, options) || US_TAX_CODES.taxed,
		untaxed: untaxedPicker.option(context, itemIndex, options) || US_TAX_CODES.untaxed,
	};
}

const adjustmentPicker = new RecordPicker(
	'adjustmentItemId',
	'Adjustment Item for Total Differences',
	'item',
	'searchItems',
);

/** Where a CRM total its own lines, discount and tax do not make goes: nowhere (stop) unless chosen. */
export const adjustmentOption: INodeProperties = adjustmentPicker.property({
	description:
		'Leave empty to stop an item whose CRM total is not what its lines, discount and tax make (the error shows both totals). Choose an item (e.g. a non-inventory “Adjustment”) to book the difference on one untaxed line instead. A difference is never booked as sales tax.',
});

export function adjustmentItemFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	collection = 'options',
): string | undefined {
	const options = context.getNodeParameter(collection, itemIndex, {}) as IDataObject;
	return adjustmentPicker.option(context, itemIndex, options) || undefined;
}

const defaultItemPicker = new RecordPicker('defaultItemId', 'Default Item', 'item', 'searchItems');
const newItemAccountPicker = new RecordPicker(
	'incomeAccountId',
	'Income Account for New Items',
	'account',
	'searchIncomeAccounts',
);

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
				description: 'Lines no Product Mapping names: found by name, created if missing',
			},
			{
				name: 'One Default Item for All Lines',
				value: 'default',
				description: 'Lines no Product Mapping names book to the Default Item',
			},
			{
				name: 'Only Mapped Products',
				value: 'mapped',
				description: 'A line no Product Mapping names stops its item, naming the product',
			},
		],
	},
	{
		displayName: 'Product Mapping',
		name: 'productMapping',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Product',
		description:
			'Which QuickBooks product or service a CRM product books to. A rule naming the CRM product ID keeps its mapping when the product is renamed in the CRM.',
		options: [
			{
				displayName: 'Product',
				name: 'product',
				values: [
					{
						displayName: 'CRM Product ID or Name',
						name: 'crm',
						type: 'string',
						default: '',
						placeholder: '6578278e879ad2646715ba9c',
						description: 'HighLevel’s product ID (matched first), or the line’s name (case aside)',
					},
					{
						displayName: 'QuickBooks Item Name or ID',
						name: 'item',
						type: 'string',
						default: '',
						placeholder: 'Consulting',
						description:
							'The product or service the line books to, with its income account; it must exist and be active',
					},
				],
			},
		],
	},
	defaultItemPicker.property({ displayOptions: { show: { itemMode: ['default'] } } }),
	newItemAccountPicker.property({
		description: 'Leave empty to use the first income account named like "Services"',
		displayOptions: { show: { itemMode: ['perLine'] } },
	}),
];

/** Classes and locations (../../shared/domain/tracking.ts): receipts and invoices. */
export const trackingOption: INodeProperties = {
	displayName: 'Classes and Locations',
	name: 'tracking',
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	default: {},
	placeholder: 'Add Rule',
	description:
		'When the QuickBooks company tracks classes or locations (Settings → Advanced → Categories): which ones the document carries. A HighLevel Location rule wins over an Always rule; a CRM Product rule gives that product’s lines their class (with classes assigned to each row). A class or location the company lacks, or tracking turned off, stops the item before anything is written.',
	options: [
		{
			displayName: 'Rule',
			name: 'rule',
			values: [
				{
					displayName: 'When',
					name: 'when',
					type: 'options',
					default: 'always',
					options: [
						{ name: 'Always', value: 'always', description: 'Every document' },
						{
							name: 'HighLevel Location Is',
							value: 'location',
							description: 'The sub-account the payment or invoice belongs to (its location ID)',
						},
						{
							name: 'CRM Product Is',
							value: 'product',
							description: 'Lines of this product (its ID, or its name): their class only',
						},
					],
				},
				{
					displayName: 'Equals',
					name: 'equals',
					type: 'string',
					default: '',
					placeholder: 've9EPM428h8vShlRW1KT',
					displayOptions: { hide: { when: ['always'] } },
					description: 'The HighLevel location ID, or the CRM product ID or name',
				},
				{
					displayName: 'Class',
					name: 'qboClass',
					type: 'string',
					default: '',
					placeholder: 'Online Sales',
					description: 'The QuickBooks class: its name, Parent:Child for a sub-class, or its ID',
				},
				{
					displayName: 'Location',
					name: 'qboLocation',
					type: 'string',
					default: '',
					placeholder: 'Downtown',
					displayOptions: { hide: { when: ['product'] } },
					description: 'The QuickBooks location: its name or ID',
				},
			],
		},
	],
};

export function trackingRulesFrom(context: IExecuteFunctions, itemIndex: number): TrackingRule[] {
	const raw = context.getNodeParameter('tracking.rule', itemIndex, []) as IDataObject[];
	const rules = raw.map((row, i) => {
		const rule: TrackingRule = {
			when: row.when === 'location' || row.when === 'product' ? row.when : 'always',
			equals: String(row.equals ?? '').trim(),
			qboClass: String(row.qboClass ?? '').trim(),
			qboLocation: row.when === 'product' ? '' : String(row.qboLocation ?? '').trim(),
		};
		const problem = trackingRuleProblem(rule);
		if (problem)
			throw fieldError(
				context.getNode(),
				itemIndex,
				`Classes and Locations`,
				`rule ${i + 1} ${problem}`,
			);
		return rule;
	});
	return rules.filter((rule) => !asksNothing(rule));
}

export function itemModeFrom(context: IExecuteFunctions, itemIndex: number): ItemMode {
	const mode = context.getNodeParameter('itemMode', itemIndex, 'perLine') as string;
	const raw = context.getNodeParameter('productMapping.product', itemIndex, []) as IDataObject[];
	const rules = productRulesFrom(raw);
	if (!Array.isArray(rules))
		throw fieldError(
			context.getNode(),
			itemIndex,
			'Product Mapping',
			`product ${rules.index + 1} has no ${rules.missing === 'crm' ? 'CRM product ID or name' : 'QuickBooks item'}`,
		);
	if (mode === 'mapped') return { mode: 'mapped', rules };
	if (mode === 'default') {
		const itemId = defaultItemPicker.value(context, itemIndex);
		if (!itemId)
			throw fieldError(
				context.getNode(),
				itemIndex,
				defaultItemPicker.displayName,
				'is empty: choose a Default Item or switch "Products" to one item per line',
			);
		return { mode: 'default', itemId, rules };
	}
	// Without a chosen account the default one is looked up only if an item has to be created.
	return {
		mode: 'perLine',
		incomeAccountId: newItemAccountPicker.value(context, itemIndex),
		rules,
	};
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

/** What a QuickBooks invoice number is made from: Invoice → Sync sets it, Refund must find the same invoice. */
export const invoiceNumberSources = [
	{ name: 'CRM Invoice Number', value: 'number' },
	{ name: 'CRM Invoice ID', value: 'id' },
];

/** Invoice → Sync's options on which invoices it writes and where; Find by CRM Invoices takes the same. */
export const invoicePrefixOption: INodeProperties = {
	displayName: 'Invoice Number Prefix',
	name: 'docNumberPrefix',
	type: 'string',
	default: '',
};

export const onlyIssuedSinceOption: INodeProperties = {
	displayName: 'Only Invoices Issued On or After',
	name: 'onlyIssuedSince',
	type: 'dateTime',
	default: '',
	description: 'Older CRM invoices are skipped, so nothing is back-filled',
};

export const recordPaymentsOption: INodeProperties = {
	displayName: 'Record Payments',
	name: 'recordPayments',
	type: 'boolean',
	default: true,
	description: 'Whether to record in QuickBooks what the CRM shows as paid',
};

/** "Only Invoices Issued On or After" as YYYY-MM-DD. */
export function onlyIssuedSinceFrom(options: IDataObject): string | undefined {
	return options.onlyIssuedSince
		? new Date(String(options.onlyIssuedSince)).toISOString().slice(0, 10)
		: undefined;
}
