import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, withLink, type OperationResult } from '../common';
import { salesReceiptPicker } from '../pickers';

export const description = withDisplay(
	[salesReceiptPicker.property({ required: true })],
	'salesReceipt',
	'void',
);

/** Voiding keeps the receipt (amounts become zero), as QuickBooks does. Already void: no write. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	const id = salesReceiptPicker.required(this, itemIndex);
	const current = await client.read('SalesReceipt', id);
	if (String(current.PrivateNote ?? '').startsWith('Voided') && Number(current.TotalAmt) === 0) {
		return await withLink(this, 'salesReceipt', {
			...current,
			sync: { action: 'unchanged', qboId: id },
		});
	}
	const voided = await client.void('SalesReceipt', current);
	return await withLink(this, 'salesReceipt', { ...voided, sync: { action: 'voided', qboId: id } });
}
