import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import type { CrmRefund } from '../../../shared/domain/crm';
import { toAmount } from '../../../shared/domain/money';
import { refundFromHighLevel } from '../../../shared/highlevel/toCrm';
import { fieldError } from '../../../shared/transport/n8n';
import { refundPayment, type RefundOptions } from '../../../shared/sync/refunds';
import { appBaseOf, jsonParameter, linked, withDisplay, type OperationResult } from '../common';
import { invoiceNumberSources, numberClashFrom, numberClashOption } from '../options';
import { RecordPicker } from '../pickers';

const refundAccountPicker = new RecordPicker(
	'refundFromAccountId',
	'Refund From Account',
	'account',
	'searchDepositAccounts',
);
const refundMethodPicker = new RecordPicker(
	'refundPaymentMethodId',
	'Payment Method',
	'paymentMethod',
	'searchPaymentMethods',
);

const fields = { show: { source: ['fields'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Refund Data',
		name: 'source',
		type: 'options',
		default: 'highLevel',
		options: [
			{
				name: 'HighLevel Webhook Body (Auto-Detect)',
				value: 'highLevel',
				description:
					'The HighLevel Trigger’s Payment Refunded event, or the body of the workflow trigger “Refund”',
			},
			{ name: 'Map Fields', value: 'fields' },
		],
	},
	{
		displayName: 'Webhook Body',
		name: 'body',
		type: 'json',
		default: '={{ $json.body ?? $json }}',
		description: 'The HighLevel refund body; the default reads it from the trigger’s output',
		hint: 'The refund is written against the sales receipt of its transaction, once per refund ID',
		displayOptions: { show: { source: ['highLevel'] } },
	},
	{
		displayName: 'Refund ID',
		name: 'refundId',
		type: 'string',
		default: '',
		required: true,
		description: 'The CRM’s ID of the refund: the same ID never makes a second refund receipt',
		displayOptions: fields,
	},
	{
		displayName: 'Transaction ID',
		name: 'transactionId',
		type: 'string',
		default: '',
		required: true,
		description:
			'The refunded payment’s transaction ID (the one its sales receipt was created from)',
		displayOptions: fields,
	},
	{
		displayName: 'Amount',
		name: 'amount',
		type: 'number',
		default: 0,
		typeOptions: { numberPrecision: 2 },
		required: true,
		description: 'What this refund gave back (a partial refund refunds that amount)',
		displayOptions: fields,
	},
	{
		displayName: 'More Refund Fields',
		name: 'refundFields',
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
		],
	},
	refundAccountPicker.property({
		description:
			'Leave empty for the account the refunded payment went to (Undeposited Funds when it names none)',
	}),
	refundMethodPicker.property({
		description: 'Leave empty for the refunded payment’s',
	}),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'CRM Invoice ID',
				name: 'invoiceId',
				type: 'string',
				default: '',
				description:
					'When the refunded payment paid a CRM invoice (recorded by Invoice → Sync): the refund is written against that invoice instead of a sales receipt. Default: the body’s (Custom Data invoice_id).',
			},
			{
				displayName: 'CRM Invoice Number',
				name: 'invoiceNumber',
				type: 'string',
				default: '',
				description:
					'The refunded invoice’s number, needed when Invoice Number From is CRM Invoice Number. Default: the body’s (Custom Data invoice_number).',
			},
			{
				displayName: 'Invoice Number From',
				name: 'invoiceKey',
				type: 'options',
				default: 'number',
				options: invoiceNumberSources,
				description: 'As set in Invoice → Sync: how the refunded invoice is found',
			},
			{
				displayName: 'Invoice Number Prefix',
				name: 'invoiceNumberPrefix',
				type: 'string',
				default: '',
				description: 'As set in Invoice → Sync',
			},
			{
				displayName: 'Receipt Number Prefix',
				name: 'receiptNumberPrefix',
				type: 'string',
				default: '',
				description: 'As set in Create From Payment: how the refunded payment’s receipt is found',
			},
			{
				displayName: 'Refund Number Prefix',
				name: 'refundNumberPrefix',
				type: 'string',
				default: '',
				description:
					'Put before the CRM refund ID in the refund receipt number (max. 21 characters in all).',
			},
			numberClashOption,
		],
	},
];

export const description = withDisplay(properties, 'salesReceipt', 'refund');

function refundFromFields(context: IExecuteFunctions, itemIndex: number): CrmRefund {
	const text = (name: string) => String(context.getNodeParameter(name, itemIndex, '')).trim();
	const refundId = text('refundId');
	if (!refundId) throw fieldError(context.getNode(), itemIndex, 'refundId', 'is missing');
	const transactionId = text('transactionId');
	if (!transactionId) throw fieldError(context.getNode(), itemIndex, 'transactionId', 'is missing');
	const amount = toAmount(context.getNodeParameter('amount', itemIndex), 'amount');
	if (!(amount > 0))
		throw fieldError(context.getNode(), itemIndex, 'amount', 'must be more than 0');
	const more = context.getNodeParameter('refundFields', itemIndex, {}) as IDataObject;
	return {
		refundId,
		idDerived: false,
		transactionId,
		amount,
		currency: more.currency ? String(more.currency).toUpperCase() : undefined,
		date: more.date ? new Date(String(more.date)).toISOString().slice(0, 10) : undefined,
		person: {},
	};
}

function refundOf(context: IExecuteFunctions, itemIndex: number, options: IDataObject): CrmRefund {
	const refund =
		context.getNodeParameter('source', itemIndex) === 'fields'
			? refundFromFields(context, itemIndex)
			: refundFromHighLevel(jsonParameter(context, 'body', itemIndex));
	const invoiceId = String(options.invoiceId ?? '').trim();
	const invoiceNumber = String(options.invoiceNumber ?? '').trim();
	return {
		...refund,
		...(invoiceId ? { invoiceId } : {}),
		...(invoiceNumber ? { invoiceNumber } : {}),
	};
}

/**
 * A refund receipt for a CRM refund, against the sales receipt (or invoice) this sync wrote for the
 * refunded payment; never against a document it did not write.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const refund = refundOf(this, itemIndex, options);
	const settings: RefundOptions = {
		receiptNumberPrefix: (options.receiptNumberPrefix as string) || undefined,
		invoiceKey: options.invoiceKey === 'id' ? 'id' : 'number',
		invoiceNumberPrefix: (options.invoiceNumberPrefix as string) || undefined,
		refundNumberPrefix: (options.refundNumberPrefix as string) || undefined,
		depositAccountId: refundAccountPicker.value(this, itemIndex),
		paymentMethodId: refundMethodPicker.value(this, itemIndex),
		onNumberClash: numberClashFrom(options),
	};
	const result = await refundPayment(client, refund, settings);
	return linked(await appBaseOf(this), 'refundReceipt', {
		...result.refund,
		alreadySynced: result.alreadySynced,
		sync: result.sync as unknown as IDataObject,
	});
}
