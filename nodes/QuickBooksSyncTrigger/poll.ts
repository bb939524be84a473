/** One poll of the trigger: CDC while it can, paged queries when it must, then events out. */
import type { QboRecord } from '../shared/types';
import type { QboClient } from '../shared/transport/client';
import {
	candidates,
	dedupe,
	entitiesFor,
	firstPaidOnly,
	invoicesToFetch,
	time,
	toOutput,
} from '../shared/domain/pollEvents';
import type { Candidate, PollState, TriggerEvent } from '../shared/domain/types';

export interface TriggerSettings {
	events: TriggerEvent[];
	firstInvoiceOnly: boolean;
	backfill: boolean;
	backfillBatch: number;
	backfillLimit: number;
	overlapMs: number;
}

const CDC_WINDOW_MS = 29 * 24 * 3600_000;
const CDC_CAP = 1000;

/** Changes since `since`: one CDC call, or paged LastUpdatedTime queries past CDC's limits. */
async function changesSince(
	client: QboClient,
	entities: string[],
	since: number,
): Promise<{ changes: Record<string, QboRecord[]>; serverTime?: number }> {
	if (Date.now() - since < CDC_WINDOW_MS) {
		const cdc = await client.cdc(entities, new Date(since));
		const count = Object.values(cdc.changes).reduce((n, list) => n + list.length, 0);
		if (count < CDC_CAP) return cdc;
	}
	const changes: Record<string, QboRecord[]> = {};
	for (const entity of entities) {
		changes[entity] = await client.queryAll({
			entity,
			where: [{ field: 'MetaData.LastUpdatedTime', op: '>=', value: new Date(since) }],
			orderBy: 'MetaData.LastUpdatedTime ASC',
		});
	}
	return { changes };
}

/** Records of the given ids, inactive ones too (one query per 100 ids). */
async function recordsById(
	client: QboClient,
	entity: 'Customer' | 'Invoice',
	ids: string[],
): Promise<QboRecord[]> {
	const unique = [...new Set(ids.filter(Boolean))];
	const out: QboRecord[] = [];
	for (let i = 0; i < unique.length; i += 100) {
		out.push(
			...(await client.query({
				entity,
				where: [{ field: 'Id', op: 'IN', value: unique.slice(i, i + 100) }],
				includeInactive: entity === 'Customer',
				maxResults: 1000,
			})),
		);
	}
	return out;
}

async function customersById(client: QboClient, ids: string[]): Promise<Map<string, QboRecord>> {
	return new Map((await recordsById(client, 'Customer', ids)).map((c) => [String(c.Id), c]));
}

/** Paid-in-full invoices of these customers (one query per 100 customers). */
async function paidInvoicesOf(
	client: QboClient,
	customerIds: string[],
): Promise<Map<string, QboRecord[]>> {
	const map = new Map<string, QboRecord[]>();
	const unique = [...new Set(customerIds)];
	for (let i = 0; i < unique.length; i += 100) {
		const invoices = await client.queryAll({
			entity: 'Invoice',
			where: [
				{ field: 'CustomerRef', op: 'IN', value: unique.slice(i, i + 100) },
				{ field: 'Balance', op: '=', value: 0 },
			],
		});
		for (const inv of invoices) {
			const customer = String((inv.CustomerRef as { value?: string }).value);
			map.set(customer, [...(map.get(customer) ?? []), inv]);
		}
	}
	return map;
}

async function backfillPage(
	client: QboClient,
	settings: TriggerSettings,
	state: PollState,
): Promise<Candidate[]> {
	const bf = state.backfill;
	if (!bf || bf.done) return [];
	const remaining =
		settings.backfillLimit > 0 ? settings.backfillLimit - bf.emitted : Number.POSITIVE_INFINITY;
	const size = Math.min(settings.backfillBatch, remaining);
	const page: QboRecord[] = [];
	for await (const chunk of client.queryPages(
		{
			entity: 'Customer',
			// Customers created after activation arrive as "new" events, not through the back-fill.
			where: [
				{ field: 'MetaData.CreateTime', op: '<', value: new Date(state.activatedAt ?? Date.now()) },
			],
			orderBy: 'Id ASC',
		},
		{ limit: size, start: bf.nextStart },
	)) {
		page.push(...chunk);
	}
	bf.nextStart += page.length;
	bf.emitted += page.length;
	bf.done =
		page.length < size || (settings.backfillLimit > 0 && bf.emitted >= settings.backfillLimit);
	return page.map((record) => ({ event: 'newCustomer' as const, record }));
}

export async function pollOnce(
	client: QboClient,
	settings: TriggerSettings,
	previous: PollState | undefined,
	now: number,
): Promise<{ items: Array<Record<string, unknown>>; state: PollState }> {
	const state: PollState = structuredClone(previous ?? {});
	const entities = entitiesFor(settings.events);
	if (state.cursor === undefined) {
		// Activation is stamped with QuickBooks' clock (to the second, as QuickBooks stamps
		// records): changes at or after it are events, older records at most back-filled.
		const { serverTime } = await client.cdc(entities, new Date(now));
		const activatedAt = Math.floor((serverTime ?? now) / 1000) * 1000;
		state.cursor = activatedAt;
		state.activatedAt = activatedAt;
		state.seen = {};
		if (settings.backfill && settings.events.includes('newCustomer')) {
			state.backfill = { nextStart: 1, emitted: 0, done: false };
		} else {
			return { items: [], state };
		}
	}

	const since = Math.max(state.cursor - settings.overlapMs, state.activatedAt ?? 0);
	const { changes, serverTime } = await changesSince(client, entities, since);
	if (settings.events.includes('invoicePaid')) {
		const missing = invoicesToFetch(changes);
		if (missing.length)
			changes.Invoice = [
				...(changes.Invoice ?? []),
				...(await recordsById(client, 'Invoice', missing)),
			];
	}
	const found = candidates(changes, settings.events, since);
	const backfilled = await backfillPage(client, settings, state);

	// De-duplicate first, so that only newly paid invoices cost the "first invoice" look-up.
	const nextCursor = Math.max(state.cursor, serverTime ?? now);
	const deduped = dedupe(found, state.seen ?? {}, nextCursor - settings.overlapMs);
	state.seen = deduped.seen;
	state.cursor = nextCursor;
	let fresh = deduped.fresh;
	if (settings.firstInvoiceOnly && fresh.some((c) => c.event === 'invoicePaid')) {
		const paid = fresh.filter((c) => c.event === 'invoicePaid');
		const customerIds = paid.map((c) => String((c.record.CustomerRef as { value?: string }).value));
		const kept = new Set(firstPaidOnly(paid, await paidInvoicesOf(client, customerIds)));
		fresh = fresh.filter((c) => c.event !== 'invoicePaid' || kept.has(c));
	}

	const all = [...backfilled, ...fresh].sort(
		(a, b) => time(a.record, 'LastUpdatedTime') - time(b.record, 'LastUpdatedTime'),
	);
	const needCustomers = all
		.filter((c) => !c.event.endsWith('Customer'))
		.map((c) => String((c.record.CustomerRef as { value?: string } | undefined)?.value ?? ''));
	const customers = needCustomers.length
		? await customersById(client, needCustomers)
		: new Map<string, QboRecord>();
	return { items: all.map((c) => toOutput(c, customers)), state };
}

/** "Fetch test event": the most recent record of the first chosen event's entity. */
export async function sampleEvent(
	client: QboClient,
	settings: TriggerSettings,
): Promise<Record<string, unknown> | undefined> {
	const event = settings.events[0] ?? 'newCustomer';
	const entity = event.endsWith('Customer')
		? 'Customer'
		: event === 'newPayment'
			? 'Payment'
			: event === 'newSalesReceipt'
				? 'SalesReceipt'
				: 'Invoice';
	const where = event === 'invoicePaid' ? [{ field: 'Balance', op: '=' as const, value: 0 }] : [];
	const [record] = await client.query({
		entity,
		where,
		orderBy: 'MetaData.LastUpdatedTime DESC',
		maxResults: 1,
	});
	if (!record) return undefined;
	const customerId = String((record.CustomerRef as { value?: string } | undefined)?.value ?? '');
	const customers = customerId
		? await customersById(client, [customerId])
		: new Map<string, QboRecord>();
	return toOutput({ event, record }, customers);
}
