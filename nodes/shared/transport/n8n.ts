import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type ILoadOptionsFunctions,
	type INode,
	type IPollFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { QboClient, type HttpResponse, type Send } from './client';
import { QboError, isReconnectError } from './errors';
import { BooksPolicyError } from '../domain/policyError';
import { CrmInputError } from '../domain/inputError';
import { CREDENTIAL_TYPE, apiBaseUrl, realmIdOf } from './environment';

type Context = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

const RECONNECT_MESSAGE =
	'QuickBooks access has expired or was revoked: open the QuickBooks Sync credential and click "Reconnect"';

function httpResponseOf(error: unknown): HttpResponse | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
		const response = (current as { response?: { status?: number; headers?: never; data?: unknown } })
			.response;
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

	const send: Send = async (request) => {
		try {
			const response = (await context.helpers.httpRequestWithAuthentication.call(
				context,
				CREDENTIAL_TYPE,
				{
					method: request.method as IHttpRequestMethods,
					url: request.url,
					qs: request.qs,
					body: request.body as JsonObject | undefined,
					json: true,
					headers: { Accept: 'application/json', ...request.headers },
					returnFullResponse: true,
					// 401 must throw so that n8n refreshes the access token and retries once.
					ignoreHttpStatusErrors: { ignore: true, except: [401] },
					timeout: request.timeoutMs,
				},
			)) as HttpResponse;
			return response;
		} catch (error) {
			if (isReconnectError(error)) {
				throw new NodeOperationError(context.getNode(), RECONNECT_MESSAGE, {
					description: 'Intuit refused the refresh token (invalid_grant): it expired, was revoked, or was replaced by a newer one.',
				});
			}
			// A 401 that survived n8n's token refresh, or any status n8n threw for: read it as a reply.
			const response = httpResponseOf(error);
			if (response) return response;
			// Network failures keep their cause chain, so the client still sees ECONNRESET & co.
			throw new NodeApiError(context.getNode(), error as JsonObject);
		}
	};

	return new QboClient({ baseUrl, realmId }, send, {
		now: () => Date.now(),
		sleep: async (ms) => await sleep(ms),
		random: () => Math.random(),
	});
}

/** A QuickBooks failure as n8n shows it: a sentence first, then code, detail, element and intuit_tid. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined) {
			error.context.itemIndex = itemIndex;
		}
		return error;
	}
	if (error instanceof CrmInputError) {
		return fieldError(node, itemIndex, error.field, error.message);
	}
	if (error instanceof BooksPolicyError) {
		const prefix = itemIndex === undefined ? '' : `Item ${itemIndex}: `;
		return new NodeOperationError(node, `${prefix}${error.message}`, { itemIndex, description: error.hint });
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
				message: error.message,
				description: parts.join(' · '),
				httpCode: error.httpStatus ? String(error.httpStatus) : undefined,
				itemIndex,
			},
		);
	}
	if (error instanceof Error) {
		return new NodeOperationError(node, error, { itemIndex });
	}
	return new NodeOperationError(node, String(error), { itemIndex });
}

/** A bad input value: names the item and the field, so the user knows what to fix. */
export function fieldError(node: INode, itemIndex: number | undefined, field: string, problem: string): NodeOperationError {
	const where = itemIndex === undefined ? '' : `Item ${itemIndex}: `;
	return new NodeOperationError(node, `${where}field "${field}" ${problem}`, {
		itemIndex,
		description: `Fix "${field}" in the incoming data or in the node's parameters. Nothing was written to QuickBooks for this item.`,
	});
}
