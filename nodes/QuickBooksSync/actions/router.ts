import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getQboClient, toNodeError } from '../../shared/transport/n8n';
import { RESOURCES } from './operations';

/** Runs the chosen operation for every item; one item's failure never hides the others' results. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const entry = RESOURCES[resource]?.operations[operation];
	if (!entry) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not known`);

	const client = await getQboClient(this);
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await entry.module.execute.call(this, itemIndex, client);
			for (const json of Array.isArray(result) ? result : [result]) {
				output.push({ json: json as IDataObject, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, itemIndex);
			if (!this.continueOnFail()) throw nodeError;
			output.push({
				json: { error: nodeError.message, ...(nodeError as { description?: string }).description ? { details: (nodeError as { description?: string }).description } : {} },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return [output];
}
