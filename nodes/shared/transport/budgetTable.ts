/**
 * The shared budgets of ./sharedBudget.ts kept in an n8n Data Table ("QuickBooks Sync Shared Budget",
 * made on first use), one row per process and company, written by that process only,
 * reached through n8n's public API (/api/v1/data-tables): n8n's database is the one store every
 * process of an install already shares (PostgreSQL in queue mode), and its API is the one way a
 * community node may reach it — n8n 2.30 offers its Data Table helpers to its own Data Table nodes
 * only (data-table-proxy.service.js `ALLOWED_NODES`).
 */
import type { BudgetStore, ShareEntry } from '../quickbooks/types';

export const BUDGET_TABLE = 'QuickBooks Sync Shared Budget';

/** `version` counts the writes of the row's process (figures; nothing compares it). */
const COLUMNS = [
	{ name: 'company', type: 'string' },
	{ name: 'state', type: 'string' },
	{ name: 'version', type: 'number' },
];

/** A process's row no one has written for this long is deleted by the next process that reads. */
const FORGET_AFTER_MS = 10 * 60_000;

/** One call of n8n's public API: path under /api/v1, the JSON answer. */
export type N8nApi = (
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
	path: string,
	options?: { qs?: Record<string, string | number>; body?: unknown },
) => Promise<unknown>;

type Filter = {
	type: 'and' | 'or';
	filters: Array<{ columnName: string; condition: 'eq' | 'gte' | 'lt'; value: string | number }>;
};

/** Rows whose columns equal these values (n8n's Data Table filter, api-types data-table-filter.schema). */
export const where = (conditions: Record<string, string | number>): Filter => ({
	type: 'and',
	filters: Object.entries(conditions).map(([columnName, value]) => ({
		columnName,
		condition: 'eq',
		value,
	})),
});

export class DataTableBudgetStore implements BudgetStore {
	/** This process's row per company. */
	private readonly rowIds = new Map<string, number>();
	private writes = 0;
	private sweptAt = Number.NEGATIVE_INFINITY;

	constructor(
		private readonly api: N8nApi,
		private readonly tableId: string,
		private readonly now: () => number = Date.now,
	) {}

	async entries(company: string): Promise<ShareEntry[]> {
		const answer = (await this.api('GET', `/data-tables/${this.tableId}/rows`, {
			qs: { filter: JSON.stringify(where({ company })), sortBy: 'id:asc', limit: 250 },
		})) as { data?: Array<Record<string, unknown>> };
		const entries: ShareEntry[] = [];
		const gone: number[] = [];
		const now = this.now();
		for (const row of answer.data ?? []) {
			const entry = parseEntry(row.state);
			if (entry) entries.push(entry);
			const last = entry ? Math.max(entry.leaseUntil, ...entry.answers) : 0;
			if (Number(row.id) !== this.rowIds.get(company) && last < now - FORGET_AFTER_MS)
				gone.push(Number(row.id));
		}
		// Rows of processes gone (restarted workers), and of an older layout: once in a while.
		if (gone.length > 0 && now - this.sweptAt >= FORGET_AFTER_MS) {
			this.sweptAt = now;
			await this.api('DELETE', `/data-tables/${this.tableId}/rows/delete`, {
				qs: {
					filter: JSON.stringify({
						type: 'or',
						filters: gone.map((id) => ({ columnName: 'id', condition: 'eq', value: id })),
					} satisfies Filter),
				},
			}).catch(() => undefined);
		}
		return entries;
	}

	async put(company: string, entry: ShareEntry): Promise<void> {
		const data = { company, state: entryText(entry), version: ++this.writes };
		const id = this.rowIds.get(company);
		if (id !== undefined) {
			const updated = await this.api('PATCH', `/data-tables/${this.tableId}/rows/update`, {
				body: { filter: where({ id }), data, returnData: true },
			});
			if (Array.isArray(updated) && updated.length > 0) return;
			// Deleted meanwhile (taken for a gone process's): made again.
		}
		const [inserted] = (await this.api('POST', `/data-tables/${this.tableId}/rows`, {
			body: { data: [data], returnType: 'id' },
		})) as Array<number | { id: number }>;
		this.rowIds.set(company, typeof inserted === 'number' ? inserted : inserted.id);
	}
}

/**
 * The entry as one JSON text. Up to 480 answer times live in it, so each list is written as its
 * first time and the gaps after it (about 3 KB at the full per-minute pace, not 7).
 */
function entryText(entry: ShareEntry): string {
	return JSON.stringify({
		...entry,
		answers: gaps(entry.answers),
		batchAnswers: gaps(entry.batchAnswers),
	});
}

function parseEntry(text: unknown): ShareEntry | undefined {
	if (typeof text !== 'string' || text === '') return undefined;
	try {
		const entry = JSON.parse(text) as Partial<ShareEntry>;
		if (typeof entry.me !== 'string' || typeof entry.leaseUntil !== 'number') return undefined;
		return {
			concurrent: 0,
			perSecond: 0,
			calls: 0,
			batches: 0,
			wantsBatches: false,
			heldUntil: 0,
			...entry,
			me: entry.me,
			leaseUntil: entry.leaseUntil,
			answers: times(entry.answers ?? []),
			batchAnswers: times(entry.batchAnswers ?? []),
		};
	} catch {
		return undefined;
	}
}

function gaps(list: number[]): number[] {
	const sorted = [...list].sort((a, b) => a - b);
	return sorted.map((at, i) => (i === 0 ? at : at - sorted[i - 1]));
}

function times(list: number[]): number[] {
	let at = 0;
	return list.map((gap) => (at += gap));
}

/**
 * The id of the named table the API key's user sees, made with these columns when missing (in that
 * user's personal project). Undefined when it can be neither found nor made.
 */
export async function dataTableId(
	api: N8nApi,
	name: string,
	columns: Array<{ name: string; type: string }>,
): Promise<string | undefined> {
	const find = async () => {
		const answer = (await api('GET', '/data-tables', {
			qs: { filter: JSON.stringify({ name }), limit: 250 },
		})) as { data?: Array<{ id: string; name: string }> };
		return answer.data?.find((table) => table.name === name)?.id;
	};
	const found = await find();
	if (found) return found;
	try {
		const made = (await api('POST', '/data-tables', { body: { name, columns } })) as {
			id?: string;
		};
		if (made.id) return made.id;
	} catch {
		// Another process made it at the same moment (409: the name is unique in a project).
	}
	return await find();
}

export async function budgetTableId(api: N8nApi): Promise<string | undefined> {
	return await dataTableId(api, BUDGET_TABLE, COLUMNS);
}
