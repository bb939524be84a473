/**
 * Transaction → Add Line Items: a payment event HighLevel delivered without lines (the workflow
 * "Payment Received" body) gets its order's items, discount, tax and shipping, read through
 * HighLevel's API: GET /payments/transactions/{id} for the order it paid (scope
 * payments/transactions.readonly), then GET /payments/orders/{id} (payments/orders.readonly). The
 * domain rule is ../../../shared/highlevel/itemize.ts. Every other event passes unchanged.
 *
 * The API never stops the books: without a scope, an order or an answer, the event keeps one line of
 * the net amount and `linesHint` says why and what to add (money right, items missing), rather than
 * holding a payment back until HighLevel answers.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { CrmInputError } from '../../../shared/errors';
import { HighLevelApiError, type HighLevelPaymentsApi } from '../../../shared/highlevel/api';
import {
	keepsOneLine,
	needsLines,
	orderIdOf,
	withOrderLines,
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
	const given = eventParameter(this, itemIndex);
	const event = given as unknown as HighLevelEvent;
	if (!needsLines(event)) return [event];
	return [await itemized(api, event)];
}

async function itemized(api: HighLevelPaymentsApi, event: HighLevelEvent): Promise<HighLevelEvent> {
	const transactionId = event.ids.transactionId!;
	try {
		const transaction = await api.get('transaction', transactionId);
		const orderId = orderIdOf(transaction);
		if (!orderId)
			return keepsOneLine(event, `HighLevel's transaction ${transactionId} names no order`);
		return withOrderLines(event, await api.get('order', orderId), api.locationId);
	} catch (error) {
		if (!(error instanceof HighLevelApiError)) throw error;
		return keepsOneLine(event, `${error.message}. ${error.hint}`);
	}
}

function eventParameter(context: IExecuteFunctions, itemIndex: number): Record<string, unknown> {
	let value = context.getNodeParameter('event', itemIndex, {}) as unknown;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			throw new CrmInputError('event', 'is not JSON');
		}
	}
	if (!value || typeof value !== 'object' || Array.isArray(value))
		throw new CrmInputError('event', 'is not an object');
	const event = value as Record<string, unknown>;
	if (event.format !== 'highlevel-event/1')
		throw new CrmInputError(
			'event',
			'is not an event of the HighLevel Trigger or HighLevel Payments (no format "highlevel-event/1")',
		);
	return event;
}
