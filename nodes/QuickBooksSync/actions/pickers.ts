/**
 * Record pickers (resource locators): From List (searchable, each entry links to QuickBooks), By ID,
 * and By URL where QuickBooks has a page for the record (the id is read from the link). One object
 * declares the parameter and reads the id chosen in it, so the two cannot disagree on the kind of
 * record or the name the user sees in errors.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
	INodePropertyMode,
} from 'n8n-workflow';

import { fieldError } from '../../shared/transport/n8n';
import {
	exampleUrl,
	idFromUrl,
	isQboId,
	looksLikeUrl,
	urlPattern,
	type QboLinkEntity,
} from '../../shared/domain/qboLinks';

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

export class RecordPicker {
	constructor(
		readonly name: string,
		readonly displayName: string,
		readonly kind: QboLinkEntity,
		private readonly searchListMethod: string,
	) {}

	/** The picker as a node parameter, with `options` (display rules, description…) added. */
	property(options: Partial<INodeProperties> = {}): INodeProperties {
		const label = KIND_LABELS[this.kind];
		const pattern = urlPattern(this.kind);
		return {
			displayName: this.displayName,
			name: this.name,
			type: 'resourceLocator',
			default: { mode: 'list', value: '' },
			modes: [
				{
					displayName: 'From List',
					name: 'list',
					type: 'list',
					placeholder: `Select a ${label}...`,
					typeOptions: { searchListMethod: this.searchListMethod, searchable: true },
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
								errorMessage: `${this.displayName}: not a valid QuickBooks ID`,
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
								placeholder: exampleUrl(this.kind),
								validation: [
									{
										type: 'regex',
										properties: {
											regex: pattern,
											errorMessage: `${this.displayName}: not a link to a QuickBooks ${label} (e.g. ${exampleUrl(this.kind)})`,
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

	/** The id chosen in the picker at the node's top level, or undefined when it is empty. */
	value(context: IExecuteFunctions, itemIndex: number): string | undefined {
		return this.idFrom(context, itemIndex, context.getNodeParameter(this.name, itemIndex, ''));
	}

	/** The id chosen in a required picker; an empty picker fails the item and names the field. */
	required(context: IExecuteFunctions, itemIndex: number): string {
		const id = this.value(context, itemIndex);
		if (!id) throw fieldError(context.getNode(), itemIndex, this.displayName, 'is missing');
		return id;
	}

	/** The id chosen in the picker inside a collection (Options, Filters). */
	option(
		context: IExecuteFunctions,
		itemIndex: number,
		collection: IDataObject,
	): string | undefined {
		return this.idFrom(context, itemIndex, collection[this.name]);
	}

	/**
	 * The QuickBooks id a picker's value names. Accepts the picker's value ({mode, value}) and, from
	 * workflows saved before the parameter was a picker, a plain id or a pasted link. A link that is
	 * not a link to the right kind of record fails the item and names the field.
	 */
	private idFrom(context: IExecuteFunctions, itemIndex: number, raw: unknown): string | undefined {
		let mode: unknown;
		let value: unknown = raw;
		if (raw && typeof raw === 'object') {
			mode = (raw as { mode?: unknown }).mode;
			value = (raw as { value?: unknown }).value;
		}
		if (value === undefined || value === null) return undefined;
		const text = String(value).trim();
		if (!text) return undefined;
		if (mode === 'url' || (mode !== 'id' && mode !== 'list' && looksLikeUrl(text))) {
			const id = idFromUrl(this.kind, text);
			if (id) return id;
			const example = exampleUrl(this.kind);
			throw fieldError(
				context.getNode(),
				itemIndex,
				this.displayName,
				`is not a link to a QuickBooks ${KIND_LABELS[this.kind]}${example ? ` (expected e.g. ${example})` : ''}: ${text}`,
			);
		}
		if (mode === 'id' && !isQboId(text))
			throw fieldError(
				context.getNode(),
				itemIndex,
				this.displayName,
				`is not a QuickBooks ID (letters and digits only): ${text}`,
			);
		return text;
	}
}

/** The pickers several operations share. */
export const customerPicker = new RecordPicker(
	'customerId',
	'Customer',
	'customer',
	'searchCustomers',
);
export const salesReceiptPicker = new RecordPicker(
	'salesReceiptId',
	'Sales Receipt',
	'salesReceipt',
	'searchSalesReceipts',
);
