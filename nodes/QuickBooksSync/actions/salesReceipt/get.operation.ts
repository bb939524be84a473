import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, withLink, type OperationResult } from '../common';
import { salesReceiptPicker } from '../pickers';

export const description = withDisplay(
	[salesReceiptPicker.property({ required: true })],
	'salesReceipt',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await withLink(
		this,
		'salesReceipt',
		await client.read('SalesReceipt', salesReceiptPicker.required(this, itemIndex)),
	);
}
