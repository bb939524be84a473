import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { toAmount } from '../../../shared/domain/money';
import { qboPaid } from '../../../shared/domain/invoiceState';
import { recordCrmPayment } from '../../../shared/sync/invoices';
import { appBaseOf, linked, withDisplay, type OperationResult } from '../common';
import { invoiceFrom, ownInvoiceRefProperties } from './invoiceRef';
import { RecordPicker } from '../pickers';

const depositPicker = new RecordPicker(
	'depositAccountId',
	'Deposit To Account',
	'account',
	'searchDepositAccounts',
);

const properties: INodeProperties[] = [
	...ownInvoiceRefProperties,
	{
		displayName: 'Amount Paid to Date',
		name: 'amountPaid',
		type: 'number',
		default: 0,
		typeOptions: { numberPrecision: 2, minValue: 0 },
		required: true,
		description:
			'What the CRM shows as paid in all (e.g. amountPaid). Only the part QuickBooks has not recorded yet is paid, so a repeated event never pays twice.',
	},
	depositPicker.property({ description: 'Leave empty for Undeposited Funds' }),
];

export const description = withDisplay(properties, 'invoice', 'recordPayment');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const invoice = await invoiceFrom(this, itemIndex, client, true);
	const amountPaid = toAmount(this.getNodeParameter('amountPaid', itemIndex), 'amountPaid');
	const result = await recordCrmPayment(client, invoice, amountPaid, `manual:${invoice.Id}`, {
		depositAccountId: depositPicker.value(this, itemIndex),
	});
	const appBase = await appBaseOf(this);
	return linked(appBase, 'invoice', {
		...result.invoice,
		payments: result.payment ? [linked(appBase, 'payment', result.payment as IDataObject)] : [],
		sync: {
			action: result.payment ? 'paid' : 'unchanged',
			qboId: result.invoice.Id,
			docNumber: result.invoice.DocNumber,
			crmAmountPaid: amountPaid,
			qboAmountPaid: qboPaid(result.invoice),
		},
	});
}
