import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { getQboClient } from '../../shared/transport/n8n';
import { likePattern, type Condition } from '../../shared/transport/query';

const PAGE = 100;

async function search(
	context: ILoadOptionsFunctions,
	entity: string,
	nameField: string,
	filter: string | undefined,
	paginationToken: string | undefined,
	extra: Condition[] = [],
	describe: (r: Record<string, unknown>) => string | undefined = () => undefined,
): Promise<INodeListSearchResult> {
	const client = await getQboClient(context);
	const start = Number(paginationToken ?? 1);
	const where = [...extra];
	if (filter) where.push({ field: nameField, op: 'LIKE', value: likePattern(filter, 'contains') });
	const records = await client.query({ entity, where, orderBy: `${nameField} ASC`, startPosition: start, maxResults: PAGE });
	const results: INodeListSearchItems[] = records.map((r) => ({
		name: describe(r) ? `${String(r[nameField])} (${describe(r)})` : String(r[nameField]),
		value: String(r.Id),
	}));
	return { results, paginationToken: records.length === PAGE ? String(start + PAGE) : undefined };
}

export async function searchCustomers(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'Customer', 'DisplayName', filter, paginationToken, [], (r) => (r.PrimaryEmailAddr as { Address?: string } | undefined)?.Address);
}

export async function searchItems(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'Item', 'Name', filter, paginationToken);
}

export async function searchIncomeAccounts(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'Account', 'Name', filter, paginationToken, [{ field: 'AccountType', op: '=', value: 'Income' }]);
}

export async function searchDepositAccounts(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'Account', 'Name', filter, paginationToken, [{ field: 'AccountType', op: 'IN', value: ['Bank', 'Other Current Asset'] }]);
}

export async function searchPaymentMethods(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'PaymentMethod', 'Name', filter, paginationToken);
}

export async function searchTaxCodes(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
	return await search(this, 'TaxCode', 'Name', filter, paginationToken);
}
