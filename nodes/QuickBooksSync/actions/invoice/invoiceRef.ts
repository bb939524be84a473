import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient, QboRecord } from '../../../shared/transport/client';
import { OutcomeError } from '../../../shared/errors';
import { fieldError } from '../../../shared/transport/n8n';
import { invoicesNumbered } from '../../../shared/sync/invoices';
import { crmMarkersIn, describeDocument } from '../../../shared/domain/docNumber';
import { RecordPicker } from '../pickers';

const invoicePicker = new RecordPicker('invoiceId', 'Invoice', 'invoice', 'searchInvoices');

/**
 * How an operation names the QuickBooks invoice: its number (the CRM key), or the invoice itself
 * (picked from a list, by QuickBooks ID or by pasting its QuickBooks link).
 */
export const invoiceRefProperties: INodeProperties[] = [
	{
		displayName: 'Find Invoice By',
		name: 'invoiceBy',
		type: 'options',
		default: 'docNumber',
		options: [
			{
				name: 'Invoice Number',
				value: 'docNumber',
				description: 'The DocNumber, which Invoice Sync takes from the CRM',
			},
			{
				name: 'QuickBooks Invoice',
				value: 'id',
				description: 'Pick it from a list, by ID or by its QuickBooks link',
			},
		],
	},
	{
		displayName: 'Invoice Number',
		name: 'invoiceRef',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { invoiceBy: ['docNumber'] } },
	},
	// Not marked required: n8n would refuse to start an empty one before the item can say which
	// field is missing.
	invoicePicker.property({ displayOptions: { show: { invoiceBy: ['id'] } } }),
];

/**
 * For operations that change the books (Record Payment, Void): by number, only an invoice this sync
 * created (its CRM marker) is acted on, unless the user includes the others.
 */
export const ownInvoiceRefProperties: INodeProperties[] = [
	...invoiceRefProperties,
	{
		displayName: 'Include Invoices Not Created by This Sync',
		name: 'includeOthers',
		type: 'boolean',
		default: false,
		description:
			'Whether an invoice with this number that the sync did not create (a bookkeeper’s, say) may be acted on. Off, such an invoice stops the item and is left alone.',
		displayOptions: { show: { invoiceBy: ['docNumber'] } },
	},
];

const isOurInvoice = (invoice: QboRecord) =>
	crmMarkersIn(invoice.PrivateNote).some((m) => m.kind === 'invoice');

export async function invoiceFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
	ownOnly = false,
): Promise<QboRecord> {
	const by = context.getNodeParameter('invoiceBy', itemIndex) as string;
	if (by === 'id') {
		const id = invoicePicker.value(context, itemIndex);
		if (!id) throw fieldError(context.getNode(), itemIndex, 'Invoice', 'is missing');
		return await client.read('Invoice', id);
	}
	const ref = String(context.getNodeParameter('invoiceRef', itemIndex)).trim();
	const numbered = await invoicesNumbered(client, ref);
	const others =
		ownOnly && !context.getNodeParameter('includeOthers', itemIndex, false)
			? numbered.filter((i) => !isOurInvoice(i))
			: [];
	const invoices = numbered.filter((i) => !others.includes(i));
	if (!invoices.length && others.length)
		throw new OutcomeError(
			'clash',
			`QuickBooks ${others.map((i) => describeDocument('invoice', i)).join(', ')} ${others.length > 1 ? 'were' : 'was'} not created by this sync (no CRM marker): nothing was changed`,
			'Leave it to its owner, or turn on "Include Invoices Not Created by This Sync" to act on it.',
		);
	if (!invoices.length)
		throw new OutcomeError(
			'notFound',
			`No QuickBooks invoice has the number ${ref}`,
			'Check the number (Invoice Sync uses the CRM number, with its prefix if set), or find the invoice by its QuickBooks ID.',
		);
	// A company with custom transaction numbers off may hold several: never guess which one.
	if (invoices.length > 1) {
		throw new OutcomeError(
			'ambiguous',
			`${invoices.length} QuickBooks invoices have the number ${ref} (ids ${invoices.map((i) => String(i.Id)).join(', ')}); find the invoice by its QuickBooks ID instead`,
			'Set "Find Invoice By" to the QuickBooks invoice and pick it, or renumber the others in QuickBooks.',
		);
	}
	return invoices[0];
}
