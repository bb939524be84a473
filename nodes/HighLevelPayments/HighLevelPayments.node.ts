import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as listSearch from './methods/listSearch';
import { properties } from './actions/node.description';
import { router } from './actions/router';

/**
 * HighLevel's payments read from its API (transactions, orders, invoices): by date range, every
 * page, or one by ID. Each record comes out as the HighLevel Trigger's normalized event for it,
 * with the same business key as its pushed delivery (nodes/shared/highlevel/fromApi.ts), for the
 * deliveries HighLevel never made or n8n never took.
 */
export class HighLevelPayments implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HighLevel Payments',
		name: 'highLevelPayments',
		icon: { light: 'file:highlevel.svg', dark: 'file:highlevel.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description:
			'Read HighLevel transactions, orders and invoices as the HighLevel Trigger’s events',
		defaults: { name: 'HighLevel Payments' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Received', 'Skipped'],
		credentials: [{ name: 'highLevelApi', required: true }],
		properties,
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
