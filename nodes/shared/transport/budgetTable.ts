/**
 * The shared budgets of ./sharedBudget.ts kept in an n8n Data Table ("QuickBooks Sync Shared Budget",
 * made on first use), one row per company,
 * reached through n8n's public API (/api/v1/data-tables): n8n's database is the one store every
 * process of an install already shares (PostgreSQL in queue mode), and its API is the one way a
 * community node may reach it — n8n 2.30 offers its Data Table helpers to its own Data Table nodes
 * only (data-table-proxy.service.js `ALLOWED_NODES`). A row update is one
 * `UPDATE … WHERE … RETURNING` on PostgreSQL (data-table-rows.repository.js `updateRows`), so an
 * update filtered by id and version is a compare-and-set.
 */
import type { BudgetRow, BudgetStore } from '../quickbooks/types';

export const BUDGET_TABLE = 'QuickBooks Sync Shared Budget';

const COLUMNS = [
	{ name: 'company', type: 'string' },
	{ name: 'state', type: 'string' },
	{ name: 'version', type: 'number' },
];

/** One call of n8n's public API: path under /api/v1, the JSON answer. */
export type N8nApi = (
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
	path: string,
	options?: { qs?: Record<string, string | number>; body?: unknown },
) => Promise<unknown>;

type Filter = {
	type: 'and';
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
	/** The row each company's budget lives in: the oldest, should two processes have made one at once. */
	private readonly rowIds = new Map<string, number>();

	constructor(
		private readonly api: N8nApi,
		private readonly tableId: string,
	) {}

	async read(company: string): Promise<BudgetRow | undefined> {
		const answer = (await this.api('GET', `/data-tables/${this.tableId}/rows`, {
			qs: { filter: JSON.stringify(where({ company })), sortBy: 'id:asc', limit: 1 },
		})) as { data?: Array<Record<string, unknown>> };
		const row = answer.data?.[0];
		if (!row) return undefined;
		this.rowIds.set(company, Number(row.id));
		return { version: Number(row.version), ...parseState(row.state) };
	}

	async write(
		company: string,
		version: number,
		next: Omit<BudgetRow, 'version'>,
	): Promise<boolean> {
		const data = { company, state: stateText(next), version: version + 1 };
		if (version === 0) {
			const [inserted] = (await this.api('POST', `/data-tables/${this.tableId}/rows`, {
				body: { data: [data], returnType: 'id' },
			})) as Array<number | { id: number }>;
			const insertedId = typeof inserted === 'number' ? inserted : inserted.id;
			// Two processes may have made the first row at once: the older one is the company's.
			const first = await this.read(company);
			if (first?.version === 1 && this.rowIds.get(company) === insertedId) return true;
			await this.api('DELETE', `/data-tables/${this.tableId}/rows/delete`, {
				qs: { filter: JSON.stringify(where({ id: insertedId })) },
			});
			return false;
		}
		const id = this.rowIds.get(company);
		if (id === undefined) return false;
		const updated = await this.api('PATCH', `/data-tables/${this.tableId}/rows/update`, {
			body: { filter: where({ id, version }), data, returnData: true },
		});
		return Array.isArray(updated) && updated.length > 0;
	}
}

/**
 * The row's state as one JSON text. Up to 480 answer times live in it, so each list is written as
 * its first time and the gaps after it (about 3 KB at the full per-minute pace, not 7).
 */
function stateText(state: Omit<BudgetRow, 'version'>): string {
	return JSON.stringify({ ...state, answers: gaps(state.answers), batches: gaps(state.batches) });
}

function parseState(text: unknown): Omit<BudgetRow, 'version'> {
	const empty = { answers: [], batches: [], heldUntil: 0, taken: {}, wants: {} };
	if (typeof text !== 'string' || text === '') return empty;
	try {
		const state = JSON.parse(text) as Omit<BudgetRow, 'version'>;
		return {
			...empty,
			...state,
			answers: times(state.answers ?? []),
			batches: times(state.batches ?? []),
		};
	} catch {
		return empty;
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
