/** What the operations share: their shape, the date range, payment mode and ID parameters, the pull itself. */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { CrmInputError } from '../../shared/errors';
import type { HighLevelPaymentsApi } from '../../shared/highlevel/api';
import { eventsFromRecord, refundedOn, type PulledResource } from '../../shared/highlevel/fromApi';
import type { HighLevelEvent } from '../../shared/highlevel/types';
import { createdWithin, daysAround, type TimeRange } from '../../shared/highlevel/timeRange';
import { dateText, dayOfDate, timeOfDate } from '../../shared/domain/dateParameter';

export type Operation = {
	description: INodeProperties[];
	execute: (
		this: IExecuteFunctions,
		itemIndex: number,
		api: HighLevelPaymentsApi,
	) => Promise<HighLevelEvent[]>;
};

export function withDisplay(
	properties: INodeProperties[],
	resource: PulledResource,
	operation: string,
): INodeProperties[] {
	return properties.map((p) => ({
		...p,
		displayOptions: {
			...p.displayOptions,
			show: { ...p.displayOptions?.show, resource: [resource], operation: [operation] },
		},
	}));
}

const LABEL: Record<PulledResource, string> = {
	transaction: 'transactions',
	order: 'orders',
	invoice: 'invoices',
};

/** Start and End Date, payment mode, and the options each resource has. */
export function rangeProperties(resource: PulledResource): INodeProperties[] {
	const options: INodeProperties[] = [];
	if (resource !== 'invoice')
		options.push({
			displayName: 'Invoices Are Synced Too',
			name: 'invoicesSynced',
			type: 'boolean',
			default: true,
			description:
				'Whether payments of HighLevel invoices leave on Skipped, as the HighLevel Trigger’s option of the same name does (the invoice sync records them on the QuickBooks invoice)',
		});
	if (resource !== 'invoice')
		options.push({
			displayName: 'Exact Times',
			name: 'exactTimes',
			type: 'boolean',
			default: false,
			description:
				'Whether to keep only records created between the Start Date’s and End Date’s exact times (e.g. a reconcile window of the last hour). HighLevel filters by whole days only: the days asked for are widened by one on each side and each record’s createdAt decides.',
		});
	if (resource === 'transaction')
		options.push({
			displayName: 'Refunds of Older Payments From',
			name: 'refundsFrom',
			type: 'dateTime',
			default: '',
			description:
				'Also read the transactions created from this day up to the Start Date, and keep only their refunds. HighLevel shows a refund on its payment, listed by the day the payment was made: a pass over the last days misses the refund of an older payment, a daily pass over a longer span finds it. Empty: none.',
		});
	if (resource === 'order')
		options.push({
			displayName: 'Read Each Order',
			name: 'readEachOrder',
			type: 'boolean',
			default: true,
			description:
				'Whether each listed order is read by its ID (one more call per order) for its items, taxes and contact, as the order webhooks carry them. Off: one line per order with its total.',
		});
	return [
		{
			displayName: 'Start Date',
			name: 'startDate',
			type: 'dateTime',
			default: '',
			required: true,
			description: `The first day of ${LABEL[resource]} to read (HighLevel's startAt, a day)`,
		},
		{
			displayName: 'End Date',
			name: 'endDate',
			type: 'dateTime',
			default: '',
			required: true,
			description: `The last day of ${LABEL[resource]} to read (HighLevel's endAt, a day)`,
		},
		{
			displayName: 'Payment Mode',
			name: 'paymentMode',
			type: 'options',
			default: 'live',
			options: [
				{ name: 'Live Only', value: 'live', description: 'Real money only' },
				{
					name: 'Live and Test',
					value: 'liveAndTest',
					description: 'Also what was paid in test mode',
				},
			],
		},
		...(options.length
			? [
					{
						displayName: 'Options',
						name: 'options',
						type: 'collection' as const,
						placeholder: 'Add option',
						default: {},
						options,
					},
				]
			: []),
	];
}

/** YYYY-MM-DD of a date parameter (n8n's date-time picker, or an expression giving an ISO text). */
export function dayParameter(context: IExecuteFunctions, name: string, itemIndex: number): string {
	const raw = context.getNodeParameter(name, itemIndex, '') as unknown;
	const day = dayOfDate(raw);
	if (day === undefined)
		throw new CrmInputError(name, `is not a date (${JSON.stringify(dateText(raw))})`);
	return day;
}

function option(context: IExecuteFunctions, name: string, itemIndex: number): unknown {
	return (context.getNodeParameter('options', itemIndex, {}) as Record<string, unknown>)[name];
}

/** Epoch ms of a date parameter (n8n's date-time picker, or an expression giving an ISO text). */
export function timeParameter(context: IExecuteFunctions, name: string, itemIndex: number): number {
	const raw = context.getNodeParameter(name, itemIndex, '') as unknown;
	const time = timeOfDate(raw);
	if (time === undefined)
		throw new CrmInputError(name, `is not a date and time (${JSON.stringify(dateText(raw))})`);
	return time;
}

/** The days to list and, with Exact Times, the times a record's createdAt must fall in. */
function rangeOf(
	context: IExecuteFunctions,
	itemIndex: number,
): { startAt: string; endAt: string; exact?: TimeRange } {
	if (option(context, 'exactTimes', itemIndex) === true) {
		const exact = {
			from: timeParameter(context, 'startDate', itemIndex),
			to: timeParameter(context, 'endDate', itemIndex),
		};
		if (exact.from > exact.to)
			throw new CrmInputError(
				'endDate',
				`(${new Date(exact.to).toISOString()}) is before the Start Date (${new Date(exact.from).toISOString()})`,
			);
		return { ...daysAround(exact), exact };
	}
	const startAt = dayParameter(context, 'startDate', itemIndex);
	const endAt = dayParameter(context, 'endDate', itemIndex);
	if (startAt > endAt)
		throw new CrmInputError('endDate', `(${endAt}) is before the Start Date (${startAt})`);
	return { startAt, endAt };
}

/** Get Many: every record of the range, each once, as the events a push of it gives. */
export async function pullRange(
	context: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
	resource: PulledResource,
): Promise<HighLevelEvent[]> {
	const { startAt, endAt, exact } = rangeOf(context, itemIndex);
	const includeTest = context.getNodeParameter('paymentMode', itemIndex, 'live') === 'liveAndTest';
	const listed = await api.listAll(resource, { startAt, endAt, includeTest });
	const records = exact ? listed.records.filter((r) => createdWithin(r, exact)) : listed.records;
	let full = records;
	if (resource === 'order' && option(context, 'readEachOrder', itemIndex) !== false) {
		full = [];
		for (const record of records) full.push(await api.get('order', String(record._id)));
	}
	const invoicesSynced = option(context, 'invoicesSynced', itemIndex) !== false;
	const eventsOf = (record: Record<string, unknown>) =>
		eventsFromRecord(resource, record, { locationId: api.locationId, invoicesSynced });
	const events = full.flatMap(eventsOf);
	const older = await refundedBefore(context, itemIndex, api, {
		before: exact?.from ?? Date.parse(`${startAt}T00:00:00Z`),
		includeTest,
		listed: new Set(records.map((r) => String(r._id))),
	});
	return events.concat(older.flatMap(eventsOf).filter((e) => e.kind === 'refund'));
}

/**
 * Refunds of Older Payments From: the transactions created from that day up to the range, refunded
 * since (`amountRefunded` > 0). Only those are held (a 60-day span of payments is read for a few).
 */
async function refundedBefore(
	context: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
	range: { before: number; includeTest: boolean; listed: Set<string> },
): Promise<Array<Record<string, unknown>>> {
	const raw = option(context, 'refundsFrom', itemIndex);
	if (raw === undefined || raw === null || raw === '') return [];
	const from = timeOfDate(raw);
	if (from === undefined)
		throw new CrmInputError('refundsFrom', `is not a date (${JSON.stringify(dateText(raw))})`);
	if (from >= range.before) return [];
	const wanted = { from, to: range.before - 1 };
	const { records } = await api.listAll('transaction', {
		...daysAround(wanted),
		includeTest: range.includeTest,
		keep: (r) =>
			!range.listed.has(String(r._id)) && (refundedOn(r) ?? 0) > 0 && createdWithin(r, wanted),
	});
	return records;
}

/** The ID picker of Get (From List / By ID). */
export function idProperty(resource: PulledResource, searchListMethod: string): INodeProperties {
	const noun = resource.charAt(0).toUpperCase() + resource.slice(1);
	return {
		displayName: `${noun}`,
		name: `${resource}Id`,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: `The HighLevel ${resource} to read`,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${resource}...`,
				typeOptions: { searchListMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 653f5e0cde5a1314e62a837c',
				validation: [
					{
						type: 'regex',
						properties: {
							regex: '^\\s*[0-9A-Za-z_-]+\\s*$',
							errorMessage: `Not a valid HighLevel ${resource} ID`,
						},
					},
				],
			},
		],
	};
}

/** Get: one record by its ID, as the events a push of it gives (test mode included: it was asked for). */
export async function pullOne(
	context: IExecuteFunctions,
	itemIndex: number,
	api: HighLevelPaymentsApi,
	resource: PulledResource,
): Promise<HighLevelEvent[]> {
	const id = String(
		context.getNodeParameter(`${resource}Id`, itemIndex, '', { extractValue: true }) ?? '',
	).trim();
	if (!id) throw new CrmInputError(`${resource}Id`, 'is empty');
	const record = await api.get(resource, id);
	const invoicesSynced = option(context, 'invoicesSynced', itemIndex) !== false;
	return eventsFromRecord(resource, record, { locationId: api.locationId, invoicesSynced });
}

/** Get's options: the invoice rule for payments (transactions, orders). */
export function getOptions(resource: PulledResource): INodeProperties[] {
	return resource === 'invoice'
		? []
		: [
				{
					displayName: 'Options',
					name: 'options',
					type: 'collection',
					placeholder: 'Add option',
					default: {},
					options: [
						{
							displayName: 'Invoices Are Synced Too',
							name: 'invoicesSynced',
							type: 'boolean',
							default: true,
							description:
								'Whether a payment of a HighLevel invoice leaves on Skipped, as the HighLevel Trigger’s option of the same name does',
						},
					],
				},
			];
}
