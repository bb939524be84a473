/**
 * The turns of ./turns.ts kept in an n8n Data Table ("QuickBooks Sync Budget", made on first use in
 * the workflow's project): the one store every n8n process of an install already shares, its
 * database (PostgreSQL in queue mode), without a dependency or a setting. n8n's row update is one
 * `UPDATE … WHERE … RETURNING` on PostgreSQL, so an update filtered by id and version is a
 * compare-and-set (n8n 2.30 data-table-rows.repository.js `updateRows`).
 */
import type { DataTableFilter, IDataTableProjectService, IExecuteFunctions } from 'n8n-workflow';

import type { LeaseRow, LeaseStore } from './types';

export const BUDGET_TABLE = 'QuickBooks Sync Budget';

const COLUMNS = [
	{ name: 'company', type: 'string' },
	{ name: 'holder', type: 'string' },
	{ name: 'until', type: 'number' },
	{ name: 'wants', type: 'string' },
	{ name: 'pace', type: 'string' },
	{ name: 'version', type: 'number' },
] as const;

type Helpers = IExecuteFunctions['helpers'];

function companyIs(company: string): DataTableFilter {
	return { type: 'and', filters: [{ columnName: 'company', condition: 'eq', value: company }] };
}

export class DataTableLeaseStore implements LeaseStore {
	/** The row each company's turn lives in: the oldest, should two processes have made one at once. */
	private readonly rowIds = new Map<string, number>();

	constructor(private readonly table: IDataTableProjectService) {}

	async read(company: string): Promise<LeaseRow | undefined> {
		const { data } = await this.table.getManyRowsAndCount({
			filter: companyIs(company),
			sortBy: ['id', 'ASC'],
			take: 1,
		});
		const row = data[0];
		if (!row) return undefined;
		this.rowIds.set(company, row.id);
		return {
			version: Number(row.version),
			holder: String(row.holder ?? ''),
			until: Number(row.until ?? 0),
			wants: parse(row.wants, {}),
			pace: parse(row.pace, { answers: [], batches: [], heldUntil: 0 }),
		};
	}

	async write(company: string, version: number, next: Omit<LeaseRow, 'version'>): Promise<boolean> {
		const data = {
			company,
			holder: next.holder,
			until: next.until,
			wants: JSON.stringify(next.wants),
			pace: JSON.stringify(next.pace),
			version: version + 1,
		};
		if (version === 0) {
			const [inserted] = await this.table.insertRows([data], 'id');
			// Two processes may have made the first row at once: the older one is the company's.
			const first = await this.read(company);
			if (first && first.version === 1 && this.rowIds.get(company) === inserted.id) return true;
			await this.table.deleteRows({
				filter: {
					type: 'and',
					filters: [{ columnName: 'id', condition: 'eq', value: inserted.id }],
				},
			});
			return false;
		}
		const id = this.rowIds.get(company);
		if (id === undefined) return false;
		const updated = await this.table.updateRows({
			filter: {
				type: 'and',
				filters: [
					{ columnName: 'id', condition: 'eq', value: id },
					{ columnName: 'version', condition: 'eq', value: version },
				],
			},
			data,
		});
		return updated.length > 0;
	}
}

function parse<T>(value: unknown, fallback: T): T {
	if (typeof value !== 'string' || value === '') return fallback;
	try {
		return JSON.parse(value) as T;
	} catch {
		return fallback;
	}
}

/**
 * The budget table of the workflow's project, made when missing. Undefined where n8n offers no Data
 * Tables to this node (a trigger's poll, an n8n without the module): the process then paces alone.
 */
export async function budgetTable(helpers: Helpers): Promise<IDataTableProjectService | undefined> {
	if (!helpers.getDataTableAggregateProxy || !helpers.getDataTableProxy) return undefined;
	const tables = await helpers.getDataTableAggregateProxy();
	const find = async () =>
		(await tables.getManyAndCount({ filter: { name: BUDGET_TABLE } })).data.find(
			(table) => table.name === BUDGET_TABLE,
		);
	let table = await find();
	if (!table) {
		try {
			table = await tables.createDataTable({ name: BUDGET_TABLE, columns: [...COLUMNS] });
		} catch (error) {
			// Another process made it at the same moment (the name is unique in a project).
			table = await find();
			if (!table) throw error;
		}
	}
	return await helpers.getDataTableProxy(table.id);
}
