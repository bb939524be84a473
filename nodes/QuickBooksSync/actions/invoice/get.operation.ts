import type { IExecuteFunctions } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { withDisplay, withLink, type OperationResult } from '../common';
import { invoiceFrom, invoiceRefProperties } from './invoiceRef';

export const description = withDisplay(invoiceRefProperties, 'invoice', 'get');

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
): Promise<OperationResult> {
	return await withLink(this, 'invoice', await invoiceFrom(this, itemIndex, client));
}
