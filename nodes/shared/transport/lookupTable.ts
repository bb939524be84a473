/**
 * The look-ups the n8n processes of one install share (../sync/sharedLookups.ts), kept in an n8n
 * Data Table ("QuickBooks Sync Shared Look-ups", made on first use) reached through n8n's public API,
 * as the shared budget is (./budgetTable.ts says why that is the one store a community node may
 * use). A row per stored answer; a read takes the newest row of its key within the time to live, so
 * writers never need to agree, and rows older than the longest time to live are deleted now and then.
 * Only insert, read and delete are used: the scopes the shared budget already asks of the API key.
 */
import type { LookupKind, LookupStore } from '../quickbooks/types';
import { dataTableId, where, type N8nApi } from './budgetTable';

export const LOOKUP_TABLE = 'QuickBooks Sync Shared Look-ups';

const COLUMNS = [
	{ name: 'company', type: 'string' },
	{ name: 'kind', type: 'string' },
	{ name: 'key', type: 'string' },
	{ name: 'recordId', type: 'string' },
	{ name: 'value', type: 'string' },
	{ name: 'storedAt', type: 'number' },
];

/** Rows older than this are never read (the longest time to live of ../sync/companyCache.ts). */
export const LOOKUP_ROW_MAX_AGE_MS = 30 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export class DataTableLookupStore implements LookupStore {
	private lastPruned = 0;

	constructor(
		private readonly api: N8nApi,
		private readonly tableId: string,
		private readonly now: () => number = () => Date.now(),
	) {}

	async get(
		company: string,
		kind: LookupKind,
		key: string,
		maxAgeMs: number,
	): Promise<{ value: string; storedAt: number } | undefined> {
		const filter = where({ company, kind, key });
		filter.filters.push({ columnName: 'storedAt', condition: 'gte', value: this.now() - maxAgeMs });
		const answer = (await this.api('GET', `/data-tables/${this.tableId}/rows`, {
			qs: { filter: JSON.stringify(filter), sortBy: 'id:desc', limit: 1 },
		})) as { data?: Array<Record<string, unknown>> };
		const row = answer.data?.[0];
		return typeof row?.value === 'string' && row.value !== ''
			? { value: row.value, storedAt: Number(row.storedAt) }
			: undefined;
	}

	async put(
		company: string,
		kind: LookupKind,
		key: string,
		recordId: string,
		value: string,
	): Promise<void> {
		const storedAt = this.now();
		await this.api('POST', `/data-tables/${this.tableId}/rows`, {
			body: { data: [{ company, kind, key, recordId, value, storedAt }], returnType: 'count' },
		});
		if (storedAt - this.lastPruned >= PRUNE_EVERY_MS) {
			this.lastPruned = storedAt;
			const old = where({ company });
			old.filters.push({
				columnName: 'storedAt',
				condition: 'lt',
				value: storedAt - LOOKUP_ROW_MAX_AGE_MS,
			});
			await this.deleteWhere(old);
		}
	}

	async forget(company: string, kind: LookupKind, recordId: string): Promise<void> {
		await this.deleteWhere(where({ company, kind, recordId }));
	}

	private async deleteWhere(filter: ReturnType<typeof where>): Promise<void> {
		await this.api('DELETE', `/data-tables/${this.tableId}/rows/delete`, {
			qs: { filter: JSON.stringify(filter) },
		});
	}
}

export async function lookupTableId(api: N8nApi): Promise<string | undefined> {
	return await dataTableId(api, LOOKUP_TABLE, COLUMNS);
}
