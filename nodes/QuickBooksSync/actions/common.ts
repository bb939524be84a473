/** What every operation shares: its shape, links to QuickBooks, list parameters, item handling. */
import type {
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';

import type { QboClient } from '../../shared/transport/client';
import type { QuerySpec } from '../../shared/transport/query';
import type { QboRecord } from '../../shared/types';
import { fieldError } from '../../shared/transport/n8n';
import { recordUrl, type QboLinkEntity } from '../../shared/domain/qboLinks';
import { CREDENTIAL_TYPE, appBaseUrl } from '../../shared/transport/environment';

/** What an operation returns for one input item: one output item or several. */
export type OperationResult = Record<string, unknown> | Array<Record<string, unknown>>;

export type Operation = {
	description: INodeProperties[];
	execute: (
		this: IExecuteFunctions,
		itemIndex: number,
		client: QboClient,
	) => Promise<OperationResult>;
	/** Operations that can serve all items together (QuickBooks batch endpoint) when asked to. */
	usesBatch?: (this: IExecuteFunctions) => boolean;
	executeBatch?: (
		this: IExecuteFunctions,
		itemIndexes: number[],
		client: QboClient,
	) => Promise<Array<OperationResult | Error>>;
};

/**
 * `execute` of an operation that always serves its items together (usesBatch true): its batch of
 * one item, for callers that run a single item.
 */
export function executeAsBatch(
	executeBatch: NonNullable<Operation['executeBatch']>,
): Operation['execute'] {
	return async function (this: IExecuteFunctions, itemIndex: number, client: QboClient) {
		const [result] = await executeBatch.call(this, [itemIndex], client);
		if (result instanceof Error) throw result;
		return result;
	};
}

const appBases = new WeakMap<object, Promise<string | undefined>>();

/** The web-app address for links, from the credential's environment (once per run). */
export async function appBaseOf(
	context: IExecuteFunctions | ILoadOptionsFunctions,
): Promise<string | undefined> {
	let base = appBases.get(context);
	if (!base) {
		base = context.getCredentials(CREDENTIAL_TYPE).then((credentials) => appBaseUrl(credentials));
		appBases.set(context, base);
	}
	return await base;
}

/** A record with `qboUrl`, the link that opens it in QuickBooks (left out when there is none). */
export function linked<T extends object>(
	appBase: string | undefined,
	kind: QboLinkEntity,
	record: T,
): T & { qboUrl?: string } {
	const url = recordUrl(appBase, kind, (record as { Id?: unknown }).Id);
	return url ? { ...record, qboUrl: url } : record;
}

/** Adds `qboUrl` to one record, using the credential's environment. */
export async function withLink<T extends object>(
	context: IExecuteFunctions,
	kind: QboLinkEntity,
	record: T,
): Promise<T & { qboUrl?: string }> {
	return linked(await appBaseOf(context), kind, record);
}

export const returnAllAndLimit = (resourceDisplay: string): INodeProperties[] => [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1 },
		displayOptions: { show: { returnAll: [false] } },
		description: 'Max number of results to return',
	},
];

/** Get Many: the records matching `spec`, up to the item's limit, each with its QuickBooks link. */
export async function listRecords(
	context: IExecuteFunctions,
	itemIndex: number,
	client: QboClient,
	kind: QboLinkEntity,
	spec: Omit<QuerySpec, 'orderBy'>,
	keep: (record: QboRecord) => boolean = () => true,
): Promise<OperationResult> {
	const appBase = await appBaseOf(context);
	const records = await client.queryAll(
		{ ...spec, orderBy: 'Id ASC' },
		{ limit: limitFrom(context, itemIndex) },
	);
	return records.filter(keep).map((r) => linked(appBase, kind, r));
}

export function limitFrom(context: IExecuteFunctions, itemIndex: number): number | undefined {
	const returnAll = context.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll ? undefined : (context.getNodeParameter('limit', itemIndex, 50) as number);
}

export function withDisplay<T extends INodeProperties>(
	properties: T[],
	resource: string,
	operation: string,
): T[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...p.displayOptions?.show, resource: [resource], operation: [operation] },
		},
	}));
}

export function operationOptions(
	options: Array<INodePropertyOptions & { action: string }>,
): INodePropertyOptions[] {
	return [...options].sort((a, b) => a.name.localeCompare(b.name));
}

/** A JSON parameter (a webhook body): parsed when given as text, refused when empty. */
export function jsonParameter(
	context: IExecuteFunctions,
	name: string,
	itemIndex: number,
): IDataObject {
	const raw = context.getNodeParameter(name, itemIndex);
	if (typeof raw === 'string') {
		try {
			return JSON.parse(raw) as IDataObject;
		} catch {
			throw fieldError(context.getNode(), itemIndex, name, 'is not valid JSON');
		}
	}
	if (!raw || typeof raw !== 'object')
		throw fieldError(context.getNode(), itemIndex, name, 'is empty');
	return raw as IDataObject;
}

/** `read` for each item; an item whose input is bad becomes its Error, so only that item fails. */
export function eachItem<T>(
	itemIndexes: number[],
	read: (itemIndex: number) => T,
): Array<T | Error> {
	return itemIndexes.map((i) => {
		try {
			return read(i);
		} catch (error) {
			return error as Error;
		}
	});
}
