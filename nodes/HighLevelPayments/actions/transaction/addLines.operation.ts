/**
 * Transaction → Add Line Items: a payment event HighLevel delivered without lines (the workflow
 * "Payment Received" body) gets its order's items, discount, tax and shipping, read through
 * HighLevel's API: GET /payments/transactions/{id} for the order it paid (scope
 * payments/transactions.readonly), then GET /payments/orders/{id} (payments/orders.readonly). The
 * domain rule is ../../../shared/highlevel/itemize.ts. A refund event gets HighLevel's refunded total
 * on its transaction (the same transaction read), so Sales Receipt → Refund does not book money a
 * reconcile pass already booked from that total. Every other event passes unchanged.
 *
 * The API never stops the books: without a scope, an order or an answer, the event keeps one line of
 * the net amount and `linesHint` says why and what to add (money right, items missing), rather than
 * holding a payment back until HighLevel answers.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import {
	eventFrom,
	itemizePayment,
	needsLines,
	needsRefundedTotal,
	withRefundedTotal,
} from '../../../shared/highlevel/itemize';
import type { HighLevelEvent } from '../../../shared/highlevel/types';
import { withDisplay } from '../common';

export const description: INodeProperties[] = withDisplay(
	[
		{
			displayName: 'Event',
			name: 'event',
			type: 'json',
			default: '={{ $json }}',
			required: true,
			description:
				'The HighLevel Trigger’s event (or one stored in the outbox). Other fields of the item are kept.',
		},
	],
	'transaction',
	'addLines',
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
): Promise<HighLevelEvent[]> {
	const event = eventFrom(this.getNodeParameter('event', itemIndex, {}));
	if (needsLines(event)) return [await itemizePayment(api, event)];
	if (needsRefundedTotal(event)) return [await withRefundedTotal(api, event)];
	return [event];
}
