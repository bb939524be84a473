/** The Get pickers' lists: one page of the newest records, the typed text as HighLevel's `search`. */
import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import type { PulledResource } from '../../shared/highlevel/fromApi';
import { getHighLevelApi, toNodeError } from '../transport';

const PAGE = 50;

type Obj = Record<string, any>;

/** A record as a list shows it: who, how much, when (keys of TxnResponseSchema, OrderResponseSchema, invoices). */
function nameOf(resource: PulledResource, r: Obj): string {
	const who =
		resource === 'invoice'
			? [r.invoiceNumber ? `#${String(r.invoiceNumber)}` : undefined, r.contactDetails?.name]
			: [r.contactName ?? r.contactEmail];
	const amount = resource === 'invoice' ? r.total : r.amount;
	return [
		...who,
		amount !== undefined ? `${String(amount)} ${String(r.currency ?? '')}`.trim() : undefined,
		typeof r.createdAt === 'string' ? r.createdAt.slice(0, 10) : undefined,
		r.liveMode === false ? 'test' : undefined,
	]
		.filter(Boolean)
		.join(' · ');
}

function searchFor(resource: PulledResource) {
	return async function (
		this: ILoadOptionsFunctions,
		filter?: string,
		paginationToken?: string,
	): Promise<INodeListSearchResult> {
		try {
			const api = await getHighLevelApi(this);
			const offset = Number(paginationToken ?? 0) || 0;
			// `search`: "The name of the transaction for searching" / "of the order" / invoice "id / name / email / phoneNo".
			const { records, total } = await api.page(resource, {
				limit: PAGE,
				offset,
				...(filter?.trim() ? { search: filter.trim() } : {}),
			});
			const results: INodeListSearchItems[] = records.map((r) => ({
				name: nameOf(resource, r) || String(r._id),
				value: String(r._id),
			}));
			const next = offset + records.length;
			return {
				results,
				paginationToken:
					records.length > 0 && (total === undefined || next < total) ? String(next) : undefined,
			};
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	};
}

export const searchTransactions = searchFor('transaction');
export const searchOrders = searchFor('order');
export const searchInvoices = searchFor('invoice');
