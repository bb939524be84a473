import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import type { CrmPayment } from '../../../shared/domain/crm';
import { paymentFromHighLevel } from '../../../shared/highlevel/toCrm';
import { fieldError } from '../../../shared/transport/n8n';
import { toAmount } from '../../../shared/domain/money';
import { createReceiptFromPayment, type ReceiptOptions } from '../../../shared/sync/receipts';
import type { ReceiptResult } from '../../../shared/sync/types';
import { createReceiptsInBatch } from '../../../shared/sync/receiptsBatch';
import {
	eachItem,
	appBaseOf,
	linked,
	jsonParameter,
	withDisplay,
	type OperationResult,
} from '../common';
import {
	batchRequestsOption,
	fallbackCustomerOption,
	numberClashFrom,
	numberClashOption,
	itemModeFrom,
	itemModeOptions,
	trackingOption,
	trackingRulesFrom,
	matchOptionsFrom,
	matchingOptions,
	taxCodeOptions,
	taxByFrom,
	taxCodesFrom,
	adjustmentItemFrom,
	adjustmentOption,
} from '../options';
import { RecordPicker, customerPicker } from '../pickers';
import { routingFrom, routingOptions } from '../routingOptions';

const paymentMethodPicker = new RecordPicker(
	'paymentMethodId',
	'Payment Method',
	'paymentMethod',
	'searchPaymentMethods',
);
const depositAccountPicker = new RecordPicker(
	'depositAccountId',
	'Deposit To Account',
	'account',
	'searchDepositAccounts',
);

const fields = { show: { source: ['fields'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Payment Data',
		name: 'source',
		type: 'options',
		default: 'highLevel',
		options: [
			{
				name: 'HighLevel Webhook Body (Auto-Detect)',
				value: 'highLevel',
				description: 'Workflow "Payment Received" webhook, OrderCreate or OrderStatusUpdate',
			},
			{ name: 'Map Fields', value: 'fields' },
		],
	},
	{
		displayName: 'Webhook Body',
		name: 'body',
		type: 'json',
		default: '={{ $json.body ?? $json }}',
		description: 'The HighLevel body; the default reads it from a Webhook node’s output',
		hint: 'Connect the Webhook node that receives HighLevel’s “Payment Received” workflow webhook or OrderCreate; the same transaction never makes a second receipt',
		displayOptions: { show: { source: ['highLevel'] } },
	},
	{
		displayName: 'Transaction ID',
		name: 'transactionId',
		type: 'string',
		default: '',
		required: true,
		description: 'The CRM’s ID of the payment: the same ID never makes a second receipt',
		displayOptions: fields,
	},
	{
		displayName: 'E-Mail',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		default: '',
		required: true,
		displayOptions: fields,
	},
	{
		displayName: 'Customer Name',
		name: 'customerName',
		type: 'string',
		default: '',
		displayOptions: fields,
	},
	{
		displayName: 'Total',
		name: 'total',
		type: 'number',
		default: 0,
		typeOptions: { numberPrecision: 2 },
		required: true,
		displayOptions: fields,
	},
	{
		displayName: 'Lines',
		name: 'lines',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Line',
		displayOptions: fields,
		options: [
			{
				displayName: 'Line',
				name: 'line',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Quantity', name: 'qty', type: 'number', default: 1 },
					{
						displayName: 'Unit Price',
						name: 'unitPrice',
						type: 'number',
						default: 0,
						typeOptions: { numberPrecision: 2 },
					},
					{ displayName: 'Tax Rate (%)', name: 'taxRate', type: 'number', default: 0 },
				],
			},
		],
	},
	{
		displayName: 'More Payment Fields',
		name: 'paymentFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: fields,
		options: [
			{
				displayName: 'Currency',
				name: 'currency',
				type: 'string',
				default: '',
				placeholder: 'USD',
			},
			{ displayName: 'Date', name: 'date', type: 'dateTime', default: '' },
			{ displayName: 'Discount Amount', name: 'discountAmount', type: 'number', default: 0 },
			{
				displayName: 'Payment Method (CRM)',
				name: 'method',
				type: 'string',
				default: '',
				placeholder: 'card',
				description: 'How it was paid, as the CRM says it: read by "Payment Method From CRM"',
			},
			{
				displayName: 'Provider',
				name: 'provider',
				type: 'string',
				default: '',
				placeholder: 'stripe',
				description: 'Who took the payment: read by "Deposit To by Source or Provider"',
			},
			{
				displayName: 'Source',
				name: 'paymentSource',
				type: 'string',
				default: '',
				placeholder: 'invoice',
				description: 'Where the CRM took the payment: read by "Deposit To by Source or Provider"',
			},
			{ displayName: 'Tax Amount', name: 'taxAmount', type: 'number', default: 0 },
		],
	},
	...itemModeOptions,
	trackingOption,
	paymentMethodPicker.property(),
	depositAccountPicker.property({
		description:
			'Leave empty for Undeposited Funds. Rules by source or provider: Options → Deposit To by Source or Provider.',
	}),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			batchRequestsOption(
				'look-ups and writes',
				'A burst of N payments costs about N/10 calls instead of 2-4 per payment. Each item keeps its own settings: items whose settings differ go in separate batches',
			),
			customerPicker.property({
				description:
					'Use this QuickBooks customer instead of matching by e-mail (e.g. an expression with the ID from a Find Customer node before this one)',
			}),
			{
				displayName: 'Receipt Number Prefix',
				name: 'docNumberPrefix',
				type: 'string',
				default: '',
				description:
					'Put before the CRM transaction ID in the receipt number (max. 21 characters in all).',
			},
			fallbackCustomerOption,
			numberClashOption,
			...matchingOptions,
			...taxCodeOptions,
			adjustmentOption,
			...routingOptions,
		],
	},
];

export const description = withDisplay(properties, 'salesReceipt', 'createFromPayment');

function paymentFromFields(context: IExecuteFunctions, itemIndex: number): CrmPayment {
	const transactionId = String(context.getNodeParameter('transactionId', itemIndex, '')).trim();
	if (!transactionId) throw fieldError(context.getNode(), itemIndex, 'transactionId', 'is missing');
	const more = context.getNodeParameter('paymentFields', itemIndex, {}) as IDataObject;
	const lines =
		((context.getNodeParameter('lines', itemIndex, {}) as IDataObject).line as
			| IDataObject[]
			| undefined) ?? [];
	const total = toAmount(context.getNodeParameter('total', itemIndex), 'total');
	return {
		transactionId,
		person: {
			email: context.getNodeParameter('email', itemIndex) as string,
			name: (context.getNodeParameter('customerName', itemIndex, '') as string) || undefined,
		},
		currency: more.currency ? String(more.currency).toUpperCase() : undefined,
		source: String(more.paymentSource ?? '').trim() || undefined,
		provider: String(more.provider ?? '').trim() || undefined,
		method:
			String(more.method ?? '')
				.trim()
				.toLowerCase() || undefined,
		date: more.date ? new Date(String(more.date)).toISOString().slice(0, 10) : undefined,
		lines: lines.length
			? lines.map((l, i) => {
					if (!String(l.name ?? '').trim())
						throw fieldError(context.getNode(), itemIndex, `lines[${i}].name`, 'is missing');
					return {
						name: String(l.name),
						qty: toAmount(l.qty, `lines[${i}].qty`),
						unitPrice: toAmount(l.unitPrice, `lines[${i}].unitPrice`),
						taxRate: toAmount(l.taxRate, `lines[${i}].taxRate`),
						taxInclusive: false,
					};
				})
			: [
					{
						name: 'Payment',
						qty: 1,
						unitPrice:
							total -
							toAmount(more.taxAmount, 'taxAmount') +
							toAmount(more.discountAmount, 'discountAmount'),
						taxRate: 0,
						taxInclusive: false,
					},
				],
		discountAmount: more.discountAmount
			? toAmount(more.discountAmount, 'discountAmount')
			: undefined,
		taxAmount: more.taxAmount ? toAmount(more.taxAmount, 'taxAmount') : undefined,
		total,
	};
}

function paymentOf(context: IExecuteFunctions, itemIndex: number): CrmPayment {
	const source = context.getNodeParameter('source', itemIndex) as string;
	return source === 'fields'
		? paymentFromFields(context, itemIndex)
		: paymentFromHighLevel(jsonParameter(context, 'body', itemIndex));
}

function receiptOptions(context: IExecuteFunctions, itemIndex: number): ReceiptOptions {
	const options = context.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		match: matchOptionsFrom(context, itemIndex),
		items: itemModeFrom(context, itemIndex),
		docNumberPrefix: (options.docNumberPrefix as string) || undefined,
		paymentMethodId: paymentMethodPicker.value(context, itemIndex),
		depositAccountId: depositAccountPicker.value(context, itemIndex),
		customerId: customerPicker.option(context, itemIndex, options),
		taxCodes: taxCodesFrom(context, itemIndex),
		adjustmentItemId: adjustmentItemFrom(context, itemIndex),
		onNumberClash: numberClashFrom(options),
		...routingFrom(context, itemIndex, options),
		trackingRules: trackingRulesFrom(context, itemIndex),
		taxBy: taxByFrom(options),
	};
}

function output(result: ReceiptResult, appBase: string | undefined): OperationResult {
	return linked(appBase, 'salesReceipt', {
		...result.receipt,
		alreadySynced: result.alreadySynced,
		sync: result.sync as unknown as IDataObject,
	});
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const payment = paymentOf(this, itemIndex);
	return output(
		await createReceiptFromPayment(client, payment, receiptOptions(this, itemIndex)),
		await appBaseOf(this),
	);
}

export { usesBatch } from '../options';

/** One item's payment, the customer earlier nodes chose for it and the item's own settings. */
interface BatchItem {
	payment: CrmPayment;
	customerId?: string;
	options: ReceiptOptions;
}

function batchItemOf(context: IExecuteFunctions, itemIndex: number): BatchItem {
	const options = receiptOptions(context, itemIndex);
	return {
		payment: paymentOf(context, itemIndex),
		customerId: options.customerId,
		options: { ...options, customerId: undefined },
	};
}

/**
 * Each item with its own settings, as one by one: items whose settings agree (the usual case, one
 * prefix and account for all) share batch calls; others go in batches of their own.
 */
export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const parsed = eachItem(itemIndexes, (i) => batchItemOf(this, i));
	const groups = new Map<string, number[]>();
	parsed.forEach((item, at) => {
		if (item instanceof Error) return;
		const key = JSON.stringify(item.options);
		groups.set(key, [...(groups.get(key) ?? []), at]);
	});
	const results: Array<ReceiptResult | Error> = [];
	for (const positions of groups.values()) {
		const items = positions.map((at) => parsed[at] as BatchItem);
		const written = await createReceiptsInBatch(
			client,
			items.map((item) => item.payment),
			items[0].options,
			items.map((item) => item.customerId),
		);
		positions.forEach((at, k) => (results[at] = written[k]));
	}
	const appBase = await appBaseOf(this);
	return parsed.map((item, at) => {
		const result = item instanceof Error ? item : results[at];
		return result instanceof Error ? result : output(result, appBase);
	});
}
