import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getHighLevelApi, toNodeError } from '../transport';
import type { HighLevelEvent } from '../../shared/highlevel/types';
import { resources } from './node.description';

/**
 * Runs the chosen operation for every item: events that are money received (or an invoice) on the
 * first output, skipped ones (with `reason`) on the second, like the HighLevel Trigger. One item's
 * failure never hides the others' results.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const chosen = resources[resource as keyof typeof resources]?.operations[operation];
	if (!chosen)
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of "${resource}" is not known`,
		);
	const api = await getHighLevelApi(this);
	const received: INodeExecutionData[] = [];
	const skipped: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let events: HighLevelEvent[];
		try {
			events = await chosen.execute.call(this, itemIndex, api);
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, itemIndex);
			if (!this.continueOnFail()) throw nodeError;
			const details = (nodeError as { description?: string }).description;
			received.push({
				json: { error: nodeError.message, ...(details ? { details } : {}) },
				pairedItem: { item: itemIndex },
			});
			continue;
		}
		for (const event of events)
			(event.skipped ? skipped : received).push({
				json: event as unknown as IDataObject,
				pairedItem: { item: itemIndex },
			});
	}
	return [received, skipped];
}
