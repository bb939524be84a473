/**
 * Sales Receipt → Drift Report: per day of a range, HighLevel's payments (the items: events of the
 * HighLevel Trigger or HighLevel Payments) against the receipts this package wrote for them in
 * QuickBooks, and, when invoices are among the items, HighLevel's invoices against ours (by issue
 * day; one more query), with every missing, extra and differing document. One QuickBooks query per 1,000
 * receipts of the range; the rule is ../../../shared/domain/drift.ts. Links to QuickBooks when the
 * credential knows its web address, to HighLevel when the user gives a transaction's address.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { QboClient } from '../../../shared/transport/client';
import { fieldError } from '../../../shared/transport/n8n';
import { markerId } from '../../../shared/domain/docNumber';
import { dateText, dayOfDate } from '../../../shared/domain/dateParameter';
import { daysBetween, driftHtml, driftReport, type CrmSide } from '../../../shared/domain/drift';
import { invoiceDrift, type CrmInvoiceSide } from '../../../shared/domain/invoiceDrift';
import { ourInvoicesBetween } from '../../../shared/sync/invoicesBetween';
import { recordUrl } from '../../../shared/domain/qboLinks';
import { refundsOfPayments, refundsSince } from '../../../shared/sync/refundsFound';
import { ourReceiptsBetween } from '../../../shared/sync/receiptsBetween';
import { appBaseOf, withDisplay, type OperationResult, executeAsBatch } from '../common';

const properties: INodeProperties[] = [
	{
		displayName: 'Start Date',
		name: 'startDate',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'The first day to compare (receipts are dated by their payment’s day)',
	},
	{
		displayName: 'End Date',
		name: 'endDate',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'The last day to compare',
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'days',
		options: [
			{ name: 'Days', value: 'days', description: 'One item per day, then one per difference' },
			{ name: 'Differences', value: 'differences', description: 'One item per difference only' },
			{
				name: 'HTML Page',
				value: 'html',
				description:
					'One item whose `html` is a page with a bar per day and the tables (for Respond to Webhook)',
			},
		],
	},
	{
		displayName: 'Compare Invoices',
		name: 'compareInvoices',
		type: 'boolean',
		default: false,
		description:
			'Whether the invoices this package wrote are compared with HighLevel’s invoices among the items (by issue day), even when none is among them (a day without HighLevel invoices but with one of ours shows it as extra). Off: invoices are compared only when some are among the items.',
	},
	{
		displayName: 'HighLevel Link',
		name: 'crmLink',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://app.example-crm.com/…/transactions/{transactionId}',
		description:
			'The address of a transaction in your HighLevel app, with {transactionId} where its ID goes: copy it from a transaction opened in HighLevel (HighLevel documents no such address, and white-label domains differ). Empty: no links to HighLevel.',
	},
	{
		displayName:
			'Give it every HighLevel payment of the range as items (HighLevel Payments → Transaction → Get Many), and to compare invoices too, every invoice issued in it (Invoice → Get Many): they are all compared at once.',
		name: 'driftNotice',
		type: 'notice',
		default: '',
	},
];

export const description = withDisplay(properties, 'salesReceipt', 'driftReport');

export function usesBatch(): boolean {
	return true;
}

function dayOf(context: IExecuteFunctions, name: string): string {
	const raw = context.getNodeParameter(name, 0, '') as unknown;
	const day = dayOfDate(raw);
	if (day === undefined)
		throw fieldError(
			context.getNode(),
			0,
			name,
			`is not a date (${JSON.stringify(dateText(raw))})`,
		);
	return day;
}

/**
 * The payments among the items: events of money received that name a transaction, with what HighLevel
 * shows refunded on each when a refund event of it is among the items too (HighLevel Payments lists
 * a refunded transaction as its payment and its refunded total; an item list without refund events
 * says nothing of refunds, and they are not compared).
 */
function paymentsIn(context: IExecuteFunctions): CrmSide[] {
	const out: CrmSide[] = [];
	const refunded = new Map<string, number>();
	let refundsListed = false;
	for (const item of context.getInputData()) {
		const e = item.json as Record<string, any>;
		const record = e.record as Record<string, any> | undefined;
		if (e.format !== 'highlevel-event/1' || e.skipped || !record) continue;
		if (e.kind === 'refund' && record.refundedTotal !== undefined && record.transactionId) {
			refundsListed = true;
			refunded.set(markerId(String(record.transactionId)), Number(record.refundedTotal));
			continue;
		}
		if (e.kind !== 'payment') continue;
		const day = String(record.date ?? e.date ?? '').slice(0, 10);
		if (!record.transactionId || !day) continue;
		out.push({
			transactionId: markerId(String(record.transactionId)),
			day,
			total: Number(record.total),
		});
	}
	return refundsListed
		? out.map((p) => ({ ...p, refunded: refunded.get(p.transactionId) ?? 0 }))
		: out;
}

/**
 * The invoices among the items (HighLevel Payments → Invoice → Get Many, or the trigger's invoice
 * events), drafts left out (never synced); undefined when there are none and Compare Invoices is
 * off: invoices are then not compared. A deleted HighLevel invoice counts as void (the invoice sync voids it).
 */
function invoicesIn(context: IExecuteFunctions, always: boolean): CrmInvoiceSide[] | undefined {
	const out: CrmInvoiceSide[] = [];
	let listed = false;
	for (const item of context.getInputData()) {
		const e = item.json as Record<string, any>;
		const record = e.record as Record<string, any> | undefined;
		if (e.format !== 'highlevel-event/1' || e.kind !== 'invoice' || !record?.id) continue;
		listed = true;
		if (record.status === 'draft' || !record.issueDate) continue;
		out.push({
			invoiceId: markerId(String(record.id)),
			number: record.number === undefined ? undefined : String(record.number),
			day: String(record.issueDate).slice(0, 10),
			total: Number(record.total ?? 0),
			paid: Number(record.amountPaid ?? 0),
			void: record.status === 'void' || record.status === 'deleted',
		});
	}
	return listed || always ? out : undefined;
}

/** The HighLevel Link as a function of a transaction ID; undefined when none is set. */
function crmLinkOf(context: IExecuteFunctions): ((id: string) => string) | undefined {
	const pattern = String(context.getNodeParameter('crmLink', 0, '') ?? '').trim();
	if (!pattern) return undefined;
	if (!/^https?:\/\/[^\s]+$/i.test(pattern) || !pattern.includes('{transactionId}'))
		throw fieldError(
			context.getNode(),
			0,
			'crmLink',
			`must be a web address with {transactionId} where the transaction ID goes (${JSON.stringify(pattern)})`,
		);
	return (id) => pattern.split('{transactionId}').join(encodeURIComponent(id));
}

export async function executeBatch(
	this: IExecuteFunctions,
	itemIndexes: number[],
	client: QboClient,
): Promise<Array<OperationResult | Error>> {
	const from = dayOf(this, 'startDate');
	const to = dayOf(this, 'endDate');
	if (from > to)
		throw fieldError(this.getNode(), 0, 'endDate', `(${to}) is before the Start Date (${from})`);
	const crmUrl = crmLinkOf(this);
	const payments = paymentsIn(this);
	const receipts = await ourReceiptsBetween(client, from, to);
	if (payments.some((p) => p.refunded !== undefined)) {
		// A payment's refunds are not older than it: its receipt's day bounds the query.
		const booked = await refundsOfPayments(
			client,
			receipts.map((r) => r.transactionId),
			refundsSince([from]),
		);
		for (const r of receipts) r.refunded = booked.get(r.transactionId)?.total ?? 0;
	}
	const report = driftReport(payments, receipts, { from, to });
	const crmInvoices = invoicesIn(this, this.getNodeParameter('compareInvoices', 0, false) === true);
	const invoices = crmInvoices
		? invoiceDrift(crmInvoices, await ourInvoicesBetween(client, from, to), daysBetween(from, to))
		: undefined;
	const appBase = await appBaseOf(this);
	const qboUrl = (id: string) => recordUrl(appBase, 'salesReceipt', id);
	const qboInvoiceUrl = (id: string) => recordUrl(appBase, 'invoice', id);
	const output = this.getNodeParameter('output', 0, 'days') as string;
	const differences = [
		...report.differences.map((d) => ({
			...d,
			document: 'receipt',
			...(d.qboId && qboUrl(d.qboId) ? { qboUrl: qboUrl(d.qboId) } : {}),
			...(crmUrl ? { crmUrl: crmUrl(d.transactionId) } : {}),
		})),
		...(invoices?.differences ?? []).map((d) => ({
			...d,
			...(d.qboId && qboInvoiceUrl(d.qboId) ? { qboUrl: qboInvoiceUrl(d.qboId) } : {}),
		})),
	];
	let result: OperationResult;
	if (output === 'html')
		result = {
			html: driftHtml(report, { qboUrl, crmUrl, qboInvoiceUrl }, invoices),
			totals: report.totals,
			...(invoices ? { invoiceTotals: invoices.totals } : {}),
			from,
			to,
		};
	else if (output === 'differences') result = differences;
	else
		result = [
			...report.days.map((d) => ({ ...d })),
			...(invoices?.days ?? []).map((d) => ({ document: 'invoice', ...d })),
			...differences,
		];
	// The report stands for all items: it is paired with the first.
	return itemIndexes.map((_, i) => (i === 0 ? result : []));
}

export const execute = executeAsBatch(executeBatch);
