import type { INodeProperties } from 'n8n-workflow';

import { locator } from '../common';

/** The sales receipt an operation works on: from a list, by QuickBooks ID or by its QuickBooks link. */
export const salesReceiptProperty: INodeProperties = locator(
	'salesReceiptId',
	'Sales Receipt',
	'salesReceipt',
	'searchSalesReceipts',
	{ required: true },
);
