import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { getQboClient, toNodeError } from '../shared/transport/n8n';
import type { TriggerEvent } from '../shared/domain/types';
import { pollOnce, sampleEvent, type TriggerSettings } from './poll';

export class QuickBooksSyncTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'QuickBooks Sync Trigger',
		name: 'quickBooksSyncTrigger',
		icon: { light: 'file:quickbooks.svg', dark: 'file:quickbooks.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["events"].join(", ") }}',
		description:
			'Starts a workflow when customers, invoices, payments or sales receipts change in QuickBooks Online',
		defaults: { name: 'QuickBooks Sync Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'quickBooksSyncOAuth2Api', required: true }],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['newCustomer'],
				options: [
					{
						name: 'Invoice Paid in Full',
						value: 'invoicePaid',
						description: 'Balance reached 0 through a payment (total above 0)',
					},
					{ name: 'New Customer', value: 'newCustomer' },
					{ name: 'New Invoice', value: 'newInvoice' },
					{ name: 'New Payment', value: 'newPayment' },
					{ name: 'New Sales Receipt', value: 'newSalesReceipt' },
					{ name: 'Updated Customer', value: 'updatedCustomer' },
				],
			},
			{
				displayName: 'Only the Customer’s First Invoice',
				name: 'firstInvoiceOnly',
				type: 'boolean',
				default: false,
				description:
					'Whether to fire only when no other invoice of the customer was paid in full before (for review requests)',
				hint: 'Costs one extra QuickBooks query in polls where an invoice was paid',
				displayOptions: { show: { events: ['invoicePaid'] } },
			},
			{
				displayName: 'On First Activation',
				name: 'start',
				type: 'options',
				default: 'now',
				options: [
					{
						name: 'Start From Now',
						value: 'now',
						description: 'Only changes made after activation',
					},
					{
						name: 'Emit Existing Customers Too',
						value: 'backfill',
						description: 'Every customer that exists already, page by page, then new changes',
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Back-Fill Customers per Poll',
						name: 'backfillBatch',
						type: 'number',
						default: 1000,
						typeOptions: { minValue: 1, maxValue: 10000 },
						description:
							'Existing customers emitted per poll while back-filling, which bounds memory',
					},
					{
						displayName: 'Back-Fill Limit',
						name: 'backfillLimit',
						type: 'number',
						default: 0,
						typeOptions: { minValue: 0 },
						description: 'Stop the back-fill after this many customers (0 = all)',
					},
					{
						displayName: 'Overlap (Seconds)',
						name: 'overlapSeconds',
						type: 'number',
						default: 180,
						typeOptions: { minValue: 0 },
						description:
							'Each poll re-reads this much of the previous window, against clock skew and late commits; repeats are dropped',
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const events = this.getNodeParameter('events', []) as TriggerEvent[];
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const settings: TriggerSettings = {
			events,
			firstInvoiceOnly: this.getNodeParameter('firstInvoiceOnly', false) as boolean,
			backfill: this.getNodeParameter('start', 'now') === 'backfill',
			backfillBatch: Number(options.backfillBatch ?? 1000),
			backfillLimit: Number(options.backfillLimit ?? 0),
			overlapMs: Number(options.overlapSeconds ?? 180) * 1000,
		};
		try {
			const client = await getQboClient(this);
			if (this.getMode() === 'manual') {
				const sample = await sampleEvent(client, settings);
				return sample ? [[{ json: sample as IDataObject }]] : null;
			}
			const staticData = this.getWorkflowStaticData('node');
			// The state is replaced only after every call of the poll succeeded: a failed poll
			// (429, 500, network) leaves the cursor where it was, so the next poll catches up (recovery R14).
			const { items, state } = await pollOnce(
				client,
				settings,
				staticData.state as never,
				Date.now(),
			);
			staticData.state = state as unknown as IDataObject;
			return items.length ? [items.map((json) => ({ json: json as IDataObject }))] : null;
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	}
}
