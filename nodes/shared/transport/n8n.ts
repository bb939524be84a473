import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type ILoadOptionsFunctions,
	type INode,
	type IPollFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { randomUUID } from 'crypto';

import { QboClient } from './client';
import { BUDGET_TABLE, DataTableBudgetStore, budgetTableId, type N8nApi } from './budgetTable';
import { DataTableLookupStore, LOOKUP_TABLE, lookupTableId } from './lookupTable';
import { QboError } from '../quickbooks/errors';
import type { Clock, HttpResponse, Send, Sharing } from '../quickbooks/types';
import { CREDENTIAL_TYPE, apiBaseUrl, realmIdOf } from './environment';
import { CrmInputError, OutcomeError } from '../errors';
import { N8N_REFRESH_STATUSES, R2_ATTEMPTS, isReconnectError } from '../recovery';

type Context = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

/**
 * Names invalid_grant on purpose: the durable template tells this refusal from an item's failure by
 * it (the row waits for the reconnect instead of spending its attempts).
 */
export const RECONNECT_MESSAGE =
	'QuickBooks refused the credential\'s refresh token (invalid_grant): reconnect the QuickBooks Sync credential in n8n (open it and click "Reconnect"), then run the failed work again';

/**
 * One clock for every client in the process, n8n's sleep for waits: clients on one clock share each
 * company's budget (pacing.ts), so all executions of all workflows pace their calls together.
 */
const PROCESS_CLOCK: Clock = {
	now: () => Date.now(),
	sleep: async (ms) => await sleep(ms),
	random: () => Math.random(),
};

/** This process among the n8n processes that share a company's budget (transport/sharedBudget.ts). */
const PROCESS_ID = randomUUID();

/** The budget table's store per n8n API (URL and key), found or made once per process. */
const stores = new Map<string, Promise<DataTableBudgetStore | undefined>>();
/** The same for the shared look-ups; without that table the process looks up alone. */
const lookupStores = new Map<string, Promise<DataTableLookupStore | undefined>>();

/**
 * How this run's calls share each company with the other n8n processes: through the budget Data
 * Table, reached by n8n's API when the credential says it is shared (queue mode). Otherwise, and
 * when that table is out of reach, the process paces alone (and says so in n8n's log).
 */
async function sharingOf(
	context: Context,
	credentials: ICredentialDataDecryptedObject,
): Promise<Sharing | undefined> {
	if (credentials.sharedBudget !== true) return undefined;
	const baseUrl = String(credentials.n8nApiUrl ?? '').replace(/\/+$/, '');
	const apiKey = String(credentials.n8nApiKey ?? '');
	const warn = (message: string, error?: unknown) =>
		context.logger.warn(
			`QuickBooks Sync: ${message}${error ? `: ${(error as Error)?.message ?? String(error)}` : ''}`,
		);
	const api: N8nApi = async (method, path, options = {}) =>
		await context.helpers.httpRequest({
			method,
			url: `${baseUrl}${path}`,
			qs: options.qs,
			body: options.body as IDataObject | undefined,
			json: true,
			headers: { 'X-N8N-API-KEY': apiKey, Accept: 'application/json' },
		});
	const key = `${baseUrl}\u0000${apiKey}`;
	let found: DataTableBudgetStore | undefined;
	try {
		let store = stores.get(key);
		if (!store) {
			store = budgetTableId(api).then((id) => (id ? new DataTableBudgetStore(api, id) : undefined));
			stores.set(key, store);
		}
		found = await store;
	} catch (error) {
		warn(`n8n's API at ${baseUrl} did not answer for the Data Table "${BUDGET_TABLE}"`, error);
	}
	if (!found) {
		// Asked again by the next run, should the API come within reach.
		stores.delete(key);
		warn('pacing QuickBooks calls in this process alone, though the credential says it is shared');
		return undefined;
	}
	let lookups = lookupStores.get(key);
	if (!lookups) {
		lookups = lookupTableId(api)
			.then((id) => (id ? new DataTableLookupStore(api, id) : undefined))
			.catch((error) => {
				warn(`n8n's API at ${baseUrl} did not answer for the Data Table "${LOOKUP_TABLE}"`, error);
				lookupStores.delete(key);
				return undefined;
			});
		lookupStores.set(key, lookups);
	}
	return {
		store: found,
		lookups: await lookups,
		me: PROCESS_ID,
		onStoreError: (error) =>
			warn('the shared QuickBooks budget could not be read or written', error),
	};
}

function httpResponseOf(error: unknown): HttpResponse | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const response = (
			current as { response?: { status?: number; headers?: never; data?: unknown } }
		).response;
		if (response?.status) {
			return { statusCode: response.status, headers: response.headers ?? {}, body: response.data };
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** Builds the QuickBooks client for a node run, with n8n handling the OAuth2 tokens. */
export async function getQboClient(context: Context): Promise<QboClient> {
	const credentials = await context.getCredentials(CREDENTIAL_TYPE);
	const realmId = realmIdOf(credentials);
	if (!realmId) {
		throw new NodeOperationError(
			context.getNode(),
			'The QuickBooks credential has no company (realm) id: reconnect it so Intuit sends the realmId again',
		);
	}
	let baseUrl: string;
	try {
		baseUrl = apiBaseUrl(credentials);
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message);
	}

	// Once Intuit refused the refresh token, every further call of this run would ask again in vain.
	let refused = false;
	const reconnectError = () => {
		const error = new NodeOperationError(context.getNode(), RECONNECT_MESSAGE, {
			description:
				'Intuit refused the refresh token: the app was disconnected in QuickBooks, the token expired (5 years at most), or a newer one replaced it. Nothing was written by this call.',
		});
		error.message = RECONNECT_MESSAGE;
		return error;
	};
	const sendOnce = async (request: Parameters<Send>[0]) =>
		(await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, {
			method: request.method as IHttpRequestMethods,
			url: request.url,
			qs: request.qs,
			body: request.body as JsonObject | undefined,
			json: true,
			headers: { Accept: 'application/json', ...request.headers },
			returnFullResponse: true,
			// 401 must throw so that n8n refreshes the access token and retries once (recovery R2).
			ignoreHttpStatusErrors: { ignore: true, except: N8N_REFRESH_STATUSES },
			timeout: request.timeoutMs,
		})) as HttpResponse;
	const send: Send = async (request) => {
		if (refused) throw reconnectError();
		for (let attempt = 1; ; attempt++) {
			try {
				return await sendOnce(request);
			} catch (error) {
				if (isReconnectError(error)) {
					// Recovery R3: no retry can help.
					refused = true;
					throw reconnectError();
				}
				// A 401 that survived n8n's token refresh, or any status n8n threw for: read it as a reply.
				const response = httpResponseOf(error);
				// R2: n8n signs its repeat with the stored token when another run refreshed meanwhile,
				// which may have expired since; asked once more, n8n refreshes that one.
				if (response?.statusCode === 401 && attempt < R2_ATTEMPTS) continue;
				if (response) return response;
				// Network failures keep their cause chain, so the client still sees ECONNRESET & co.
				throw new NodeApiError(context.getNode(), error as JsonObject);
			}
		}
	};

	const sharing = await sharingOf(context, credentials);
	return new QboClient({ baseUrl, realmId, sharing }, send, PROCESS_CLOCK);
}

/** `Item N: ` before the message of an error that belongs to one item, once. */
function forItem(message: string, itemIndex: number | undefined): string {
	if (itemIndex === undefined) return message;
	const prefix = `Item ${itemIndex}: `;
	return message.startsWith(prefix) ? message : `${prefix}${message}`;
}

/**
 * A NodeOperationError that keeps its message as written: n8n would swap a message naming a socket
 * code (ECONNRESET, …) for a generic sentence that says neither QuickBooks nor the item.
 */
function operationError(
	node: INode,
	message: string,
	options: { itemIndex?: number; description?: string },
): NodeOperationError {
	const error = new NodeOperationError(node, message, options);
	error.message = message;
	return error;
}

/**
 * Any failure as n8n shows it, by whose fault it is (see ../errors.ts):
 * - QuickBooks answered with a fault or an HTTP error → NodeApiError: the sentence first, then code,
 *   detail, element, HTTP status and intuit_tid;
 * - QuickBooks did not answer (network) → NodeOperationError: QuickBooks said nothing;
 * - bad input → NodeOperationError naming the field (fieldError);
 * - a local outcome → NodeOperationError with what to do;
 * - anything else → NodeOperationError.
 * With an item index, every message starts with `Item N: `.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined) {
			error.context.itemIndex = itemIndex;
		}
		error.message = forItem(error.message, itemIndex);
		return error;
	}
	if (error instanceof CrmInputError) {
		return fieldError(node, itemIndex, error.field, error.message);
	}
	if (error instanceof OutcomeError) {
		return operationError(node, forItem(error.message, itemIndex), {
			itemIndex,
			description: error.hint,
		});
	}
	if (error instanceof QboError && error.kind === 'network') {
		return operationError(node, forItem(error.message, itemIndex), {
			itemIndex,
			description:
				'QuickBooks did not answer, also when asked again; nothing it said is known. Check that n8n can reach QuickBooks (network, proxy), then run the item again.',
		});
	}
	if (error instanceof QboError) {
		const parts = [
			error.code && `QuickBooks code ${error.code}`,
			error.detail,
			error.element && `field: ${error.element}`,
			error.httpStatus && `HTTP ${error.httpStatus}`,
			error.intuitTid && `intuit_tid: ${error.intuitTid}`,
		].filter(Boolean);
		return new NodeApiError(
			node,
			{
				code: error.code ?? null,
				message: error.message,
				detail: error.detail ?? null,
				element: error.element ?? null,
				intuitTid: error.intuitTid ?? null,
				httpStatus: error.httpStatus ?? null,
			} as JsonObject,
			{
				message: forItem(error.message, itemIndex),
				description: parts.join(' · '),
				httpCode: error.httpStatus ? String(error.httpStatus) : undefined,
				itemIndex,
			},
		);
	}
	const nodeError = new NodeOperationError(node, error instanceof Error ? error : String(error), {
		itemIndex,
	});
	nodeError.message = forItem(nodeError.message, itemIndex);
	return nodeError;
}

/** A bad input value: names the item and the field, so the user knows what to fix. */
export function fieldError(
	node: INode,
	itemIndex: number | undefined,
	field: string,
	problem: string,
): NodeOperationError {
	return operationError(node, forItem(`field "${field}" ${problem}`, itemIndex), {
		itemIndex,
		description: `Fix "${field}" in the incoming data or in the node's parameters. Nothing was written to QuickBooks for this item.`,
	});
}
