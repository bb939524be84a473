import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getQboClient, toNodeError } from '../../shared/transport/n8n';
import type { OperationResult } from './common';
import { resources } from './node.description';

/** Runs the chosen operation for every item; one item's failure never hides the others' results. */
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

	const client = await getQboClient(this);
	const errorOutput = this.getNode().onError === 'continueErrorOutput';
	const output: INodeExecutionData[] = [];
	const emit = (itemIndex: number, result: OperationResult | Error) => {
		if (result instanceof Error) {
			const nodeError = toNodeError(this.getNode(), result, itemIndex);
			if (!this.continueOnFail()) throw nodeError;
			const details = (nodeError as { description?: string }).description;
			output.push({
				json: failedItem(nodeError.message, details, errorOutput),
				pairedItem: { item: itemIndex },
			});
			return;
		}
		for (const json of Array.isArray(result) ? result : [result]) {
			output.push({ json: json as IDataObject, pairedItem: { item: itemIndex } });
		}
	};

	if (chosen.executeBatch && chosen.usesBatch?.call(this)) {
		let results: Array<OperationResult | Error>;
		try {
			results = await chosen.executeBatch.call(
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
			result = await chosen.execute.call(this, itemIndex, client);
		} catch (error) {
			result = error instanceof Error ? error : new Error(String(error));
		}
		emit(itemIndex, result);
	}
	return [output];
}

/**
 * A failed item's JSON. With "Continue (using error output)", n8n moves an item to the error output
 * only when its JSON is `{error}` or `{error, message}` (n8n-core WorkflowExecute.handleNodeErrorOutput;
 * an item-level `error` would do too, but n8n then cuts the JSON down to the message), so the
 * description travels as `message` there and as `details` on the regular output.
 */
function failedItem(error: string, details: string | undefined, errorOutput: boolean): IDataObject {
	if (!details) return { error };
	return errorOutput ? { error, message: details } : { error, details };
}
