import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { invoiceFromHighLevel } from '../../../shared/highlevel/toCrm';
import { syncInvoice } from '../../../shared/sync/invoices';
import { appBaseOf, linked, jsonParameter, withDisplay, type OperationResult } from '../common';
import {
	invoiceNumberSources,
	invoicePrefixOption,
	onlyIssuedSinceFrom,
	onlyIssuedSinceOption,
	recordPaymentsOption,
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
import { RecordPicker } from '../pickers';

const depositPicker = new RecordPicker(
	'depositAccountId',
	'Deposit Payments To',
	'account',
	'searchDepositAccounts',
);

const properties: INodeProperties[] = [
	{
		displayName: 'CRM Invoice',
		name: 'body',
		type: 'json',
		default: '={{ $json.body ?? $json }}',
		description:
			'A HighLevel invoice webhook body (InvoiceSent, InvoiceUpdate, InvoicePaid, InvoicePartiallyPaid, InvoiceVoid, InvoiceDelete)',
		hint: 'Every event may go here: the invoice is created when missing, updated when changed, paid up to what the CRM shows, voided when void',
	},
	{
		displayName: 'Invoice Number From',
		name: 'key',
		type: 'options',
		default: 'number',
		options: invoiceNumberSources,
		description:
			'Becomes the QuickBooks invoice number (DocNumber, max. 21 characters), which ties the two together.',
	},
	...itemModeOptions,
	trackingOption,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			invoicePrefixOption,
			onlyIssuedSinceOption,
			{
				displayName: 'When Deleted in the CRM',
				name: 'onDelete',
				type: 'options',
				default: 'void',
				options: [
					{ name: 'Void in QuickBooks', value: 'void' },
					{ name: 'Delete in QuickBooks (If Unpaid)', value: 'delete' },
				],
			},
			recordPaymentsOption,
			depositPicker.property({
				description:
					'The account the payments it records are deposited to. Leave empty for Undeposited Funds.',
			}),
			fallbackCustomerOption,
			numberClashOption,
			...matchingOptions,
			...taxCodeOptions,
			adjustmentOption,
		],
	},
];

export const description = withDisplay(properties, 'invoice', 'sync');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const crm = invoiceFromHighLevel(jsonParameter(this, 'body', itemIndex));
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const result = await syncInvoice(client, crm, {
		match: matchOptionsFrom(this, itemIndex),
		items: itemModeFrom(this, itemIndex),
		key: this.getNodeParameter('key', itemIndex, 'number') as 'number' | 'id',
		docNumberPrefix: (options.docNumberPrefix as string) || undefined,
		onlyIssuedSince: onlyIssuedSinceFrom(options),
		onDelete: (options.onDelete as 'void' | 'delete') ?? 'void',
		recordPayments: options.recordPayments !== false,
		depositAccountId: depositPicker.option(this, itemIndex, options),
		taxCodes: taxCodesFrom(this, itemIndex),
		adjustmentItemId: adjustmentItemFrom(this, itemIndex),
		onNumberClash: numberClashFrom(options),
		trackingRules: trackingRulesFrom(this, itemIndex),
		taxBy: taxByFrom(options),
	});
	const appBase = await appBaseOf(this);
	const payments = (result.payments as IDataObject[]).map((p) => linked(appBase, 'payment', p));
	const output = {
		...(result.invoice ?? {}),
		payments,
		...(result.refundsDeleted
			? {
					refundReceiptsDeleted: result.refundsDeleted.map((r) => ({
						Id: r.Id,
						DocNumber: r.DocNumber,
						TotalAmt: r.TotalAmt,
					})),
				}
			: {}),
		sync: result.sync as unknown as IDataObject,
	};
	// A deleted invoice has no page left to open.
	return (result.sync as { action?: string }).action === 'deleted'
		? output
		: linked(appBase, 'invoice', output);
}
