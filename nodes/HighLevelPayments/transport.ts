/** n8n glue for HighLevel's API: the credential's base URL and location, n8n's HTTP and clock. */
import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type ILoadOptionsFunctions,
	type INode,
	type JsonObject,
} from 'n8n-workflow';

import {
	HIGHLEVEL_API_BASE_URL,
	HighLevelApiError,
	HighLevelPaymentsApi,
	LocationBudget,
	type ApiClock,
	type ApiResponse,
	type ApiSend,
} from '../shared/highlevel/api';
import { CrmInputError } from '../shared/errors';

export const HIGHLEVEL_CREDENTIAL = 'highLevelApi';

const CLOCK: ApiClock = { now: () => Date.now(), sleep: async (ms) => await sleep(ms) };

/** One budget per location and base URL for the whole process: every run shares the location's limit. */
const budgets = new Map<string, LocationBudget>();

function responseOf(error: unknown): ApiResponse | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const response = (
			current as { response?: { status?: number; headers?: never; data?: unknown } }
		).response;
		if (response?.status)
			return { statusCode: response.status, headers: response.headers ?? {}, body: response.data };
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** The API of the credential's location, for this node run. */
export async function getHighLevelApi(
	context: IExecuteFunctions | ILoadOptionsFunctions,
): Promise<HighLevelPaymentsApi> {
	const credentials = await context.getCredentials(HIGHLEVEL_CREDENTIAL);
	const locationId = String(credentials.locationId ?? '').trim();
	if (!locationId)
		throw new NodeOperationError(
			context.getNode(),
			'The HighLevel API credential has no Location ID: add the ID of the sub-account its token belongs to',
		);
	let baseUrl = HIGHLEVEL_API_BASE_URL;
	if (credentials.environment === 'custom') {
		baseUrl = String(credentials.customBaseUrl ?? '')
			.trim()
			.replace(/\/+$/, '');
		if (!baseUrl)
			throw new NodeOperationError(
				context.getNode(),
				'The HighLevel API credential uses a custom environment but has no API Base URL',
			);
	}
	const send: ApiSend = async (request) => {
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(
				context,
				HIGHLEVEL_CREDENTIAL,
				{
					method: request.method as IHttpRequestMethods,
					url: `${baseUrl}${request.path}`,
					qs: request.qs,
					json: true,
					headers: { Accept: 'application/json' },
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
				},
			)) as { statusCode: number; headers: Record<string, unknown>; body: unknown };
			return {
				statusCode: response.statusCode,
				headers: response.headers ?? {},
				body: response.body,
			};
		} catch (error) {
			const response = responseOf(error);
			if (response) return response;
			// No answer (connection refused, reset, timeout): the client retries it (shared/highlevel/api.ts).
			throw new NodeApiError(context.getNode(), error as JsonObject);
		}
	};
	const key = `${baseUrl}\u0000${locationId}`;
	let budget = budgets.get(key);
	if (!budget) {
		budget = new LocationBudget(CLOCK);
		budgets.set(key, budget);
	}
	return new HighLevelPaymentsApi(send, CLOCK, locationId, budget);
}

function forItem(message: string, itemIndex: number | undefined): string {
	if (itemIndex === undefined) return message;
	const prefix = `Item ${itemIndex}: `;
	return message.startsWith(prefix) ? message : `${prefix}${message}`;
}

/** A failure as n8n shows it: HighLevel's answers as NodeApiError (with what to do), the rest as NodeOperationError. */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined)
			error.context.itemIndex = itemIndex;
		error.message = forItem(error.message, itemIndex);
		return error;
	}
	if (error instanceof HighLevelApiError) {
		const message = forItem(error.message, itemIndex);
		if (error.statusCode === undefined) {
			const failed = new NodeOperationError(node, message, {
				itemIndex,
				description: error.hint,
			});
			failed.message = message;
			return failed;
		}
		const failed = new NodeApiError(
			node,
			{
				message: error.message,
				httpStatus: error.statusCode,
				body: error.body ?? null,
			} as JsonObject,
			{ message, description: error.hint, httpCode: String(error.statusCode), itemIndex },
		);
		failed.message = message;
		return failed;
	}
	if (error instanceof CrmInputError) {
		const message = forItem(`field "${error.field}" ${error.message}`, itemIndex);
		const failed = new NodeOperationError(node, message, {
			itemIndex,
			description: `Fix "${error.field}" in the node's parameters.`,
		});
		failed.message = message;
		return failed;
	}
	const failed = new NodeOperationError(node, error instanceof Error ? error : String(error), {
		itemIndex,
	});
	failed.message = forItem(failed.message, itemIndex);
	return failed;
}
