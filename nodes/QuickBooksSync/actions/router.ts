import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getQboClient, toNodeError } from '../../shared/transport/n8n';
import type { OperationResult } from './common';
import { RESOURCES } from './operations';

/** Runs the chosen operation for every item; one item's failure never hides the others' results. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const entry = RESOURCES[resource]?.operations[operation];
	if (!entry)
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of "${resource}" is not known`,
		);

	const client = await getQboClient(this);
	const output: INodeExecutionData[] = [];
	const emit = (itemIndex: number, result: OperationResult | Error) => {
		if (result instanceof Error) {
			const nodeError = toNodeError(this.getNode(), result, itemIndex);
			if (!this.continueOnFail()) throw nodeError;
			const details = (nodeError as { description?: string }).description;
			// `error` on the item too: n8n's "Continue (using error output)" routes by it.
			output.push({
				json: { error: nodeError.message, ...(details ? { details } : {}) },
				error: nodeError,
				pairedItem: { item: itemIndex },
			});
			return;
		}
		for (const json of Array.isArray(result) ? result : [result]) {
			output.push({ json: json as IDataObject, pairedItem: { item: itemIndex } });
		}
	};

	if (entry.module.executeBatch && entry.module.usesBatch?.call(this)) {
		let results: Array<OperationResult | Error>;
		try {
			results = await entry.module.executeBatch.call(
				this,
				items.map((_, i) => i),
				client,
			);
		} catch (error) {
			// A batch call that failed as a whole (QuickBooks down) fails each item, so each can be retried.
			results = items.map(() => (error instanceof Error ? error : new Error(String(error))));
		}
		results.forEach((result, itemIndex) => emit(itemIndex, result));
		return [output];
	}
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let result: OperationResult | Error;
		try {
			result = await entry.module.execute.call(this, itemIndex, client);
		} catch (error) {
			result = error instanceof Error ? error : new Error(String(error));
		}
		emit(itemIndex, result);
	}
	return [output];
}
