import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, type OperationResult } from '../common';

export const description = withDisplay(
	[{ displayName: 'Sales Receipt ID', name: 'salesReceiptId', type: 'string', default: '', required: true }],
	'salesReceipt',
	'void',
);

/** Voiding keeps the receipt (amounts become zero), as QuickBooks does. Already void: no write. */
export async function execute(this: IExecuteFunctions, itemIndex: number, client: QboClient): Promise<OperationResult> {
	const id = String(this.getNodeParameter('salesReceiptId', itemIndex)).trim();
	const current = await client.read('SalesReceipt', id);
	if (String(current.PrivateNote ?? '').startsWith('Voided') && Number(current.TotalAmt) === 0) {
		return { ...current, sync: { action: 'unchanged', qboId: id } };
	}
	const voided = await client.void('SalesReceipt', current);
	return { ...voided, sync: { action: 'voided', qboId: id } };
}
