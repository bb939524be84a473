import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, withLink, type OperationResult } from '../common';
import { customerPicker } from '../pickers';

export const description = withDisplay(
	[customerPicker.property({ required: true })],
	'customer',
	'get',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await withLink(
		this,
		'customer',
		await client.read('Customer', customerPicker.required(this, itemIndex)),
	);
}
