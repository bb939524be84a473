import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { getQboClient } from '../../shared/transport/n8n';
import { likePattern, type Condition } from '../../shared/transport/query';
import { recordUrl, type QboLinkEntity } from '../../shared/domain/qboLinks';
import { appBaseOf } from '../actions/common';

const PAGE = 100;

type Search = {
	entity: string;
	kind: QboLinkEntity;
	/** The field the typed text is matched against (contains), and the list is sorted by. */
	nameField: string;
	orderBy?: string;
	extra?: Condition[];
	name?: (r: Record<string, unknown>) => string;
};

/** One page of records for a picker's list; each entry links to the record in QuickBooks. */
async function search(
	context: ILoadOptionsFunctions,
	spec: Search,
	filter: string | undefined,
	paginationToken: string | undefined,
): Promise<INodeListSearchResult> {
	const client = await getQboClient(context);
	const appBase = await appBaseOf(context);
	const start = Number(paginationToken ?? 1) || 1;
	const where = [...(spec.extra ?? [])];
	if (filter?.trim())
		where.push({
			field: spec.nameField,
			op: 'LIKE',
			value: likePattern(filter.trim(), 'contains'),
		});
	const records = await client.query({
		entity: spec.entity,
		where,
		orderBy: spec.orderBy ?? `${spec.nameField} ASC`,
		startPosition: start,
		maxResults: PAGE,
	});
	const results: INodeListSearchItems[] = records.map((r) => {
		const url = recordUrl(appBase, spec.kind, r.Id);
		return {
			name: spec.name ? spec.name(r) : String(r[spec.nameField]),
			value: String(r.Id),
			...(url ? { url } : {}),
		};
	});
	return { results, paginationToken: records.length === PAGE ? String(start + PAGE) : undefined };
}

const withDetail = (main: unknown, detail: unknown) =>
	detail ? `${String(main)} (${String(detail)})` : String(main);
const refName = (ref: unknown) => (ref as { name?: string } | undefined)?.name;

/** A listSearch method for n8n (which calls it with `this` bound to its load-options context). */
function searchFor(spec: Search) {
	return async function (this: ILoadOptionsFunctions, filter?: string, paginationToken?: string) {
		return await search(this, spec, filter, paginationToken);
	};
}

/** A transaction as a list shows it: number, customer, total, date. */
const txnName = (r: Record<string, unknown>) =>
	[
		r.DocNumber ? `#${String(r.DocNumber)}` : `ID ${String(r.Id)}`,
		refName(r.CustomerRef),
		r.TotalAmt !== undefined ? String(r.TotalAmt) : undefined,
		r.TxnDate,
	]
		.filter(Boolean)
		.join(' · ');

export const searchCustomers = searchFor({
	entity: 'Customer',
	kind: 'customer',
	nameField: 'DisplayName',
	name: (r) =>
		withDetail(r.DisplayName, (r.PrimaryEmailAddr as { Address?: string } | undefined)?.Address),
});

/**
 * Invoices and sales receipts, newest first; the typed text is matched against the number.
 * DocNumber is a documented filter field; that it takes LIKE is UNCERTAIN (not documented either
 * way) and left to the live contract suite.
 */
export const searchInvoices = searchFor({
	entity: 'Invoice',
	kind: 'invoice',
	nameField: 'DocNumber',
	orderBy: 'TxnDate DESC',
	name: txnName,
});

export const searchSalesReceipts = searchFor({
	entity: 'SalesReceipt',
	kind: 'salesReceipt',
	nameField: 'DocNumber',
	orderBy: 'TxnDate DESC',
	name: txnName,
});

export const searchItems = searchFor({ entity: 'Item', kind: 'item', nameField: 'Name' });

export const searchIncomeAccounts = searchFor({
	entity: 'Account',
	kind: 'account',
	nameField: 'Name',
	extra: [{ field: 'AccountType', op: '=', value: 'Income' }],
});

export const searchDepositAccounts = searchFor({
	entity: 'Account',
	kind: 'account',
	nameField: 'Name',
	extra: [{ field: 'AccountType', op: 'IN', value: ['Bank', 'Other Current Asset'] }],
});

export const searchPaymentMethods = searchFor({
	entity: 'PaymentMethod',
	kind: 'paymentMethod',
	nameField: 'Name',
});

export const searchTaxCodes = searchFor({ entity: 'TaxCode', kind: 'taxCode', nameField: 'Name' });
