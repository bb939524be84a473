/**
 * Invoice → Find by CRM Invoices through the n8n engine against the QuickBooks emulator: which CRM
 * invoices have the QuickBooks invoice Invoice → Sync wrote, and which lag behind the CRM (missing,
 * another total, less paid, not voided), for a whole pass in one query per 50 invoices; drafts,
 * invoices issued before the chosen day and invoices a bookkeeper voided do not lag; a bookkeeper's
 * invoice under our number is not ours.
 */
import { normalizeHighLevelBody } from '../../nodes/shared/highlevel/events';
import { invoiceEvent } from '../fixtures/highlevel';
import { runNode, useEmulatedQuickBooks } from '../helpers/engine';
import { syncInvoices } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();

/** The event HighLevel Payments emits for an invoice (the webhook body's record). */
const pulled = (body: Record<string, unknown>) =>
	normalizeHighLevelBody(body, { delivery: 'workflow', invoicesSynced: true, kinds: ['invoice'] });

async function find(items: unknown[], options: Record<string, unknown> = {}) {
	const before = qb.emulator.log.length;
	const result = await runNode(
		qb.creds,
		{ resource: 'invoice', operation: 'findByInvoices', key: 'number', options },
		items as Array<Record<string, unknown>>,
		{ continueOnFail: true },
	);
	return {
		out: result.output('QuickBooks Sync').map((i) => i.json as Record<string, any>),
		calls: qb.emulator.log.slice(before).map((c) => `${c.operation} ${c.queried ?? c.entity}`),
	};
}

test('a pass over 6 invoices: in sync, missing, another total, less paid, to be voided, a draft; one QuickBooks query', async () => {
	const sent = (number: string, extra = {}) =>
		invoiceEvent('InvoiceSent', { id: `inv_${number}`, number, issueDate: '2026-11-02', ...extra });
	const synced = await syncInvoices(qb.creds, [sent('F-1'), sent('F-3'), sent('F-4'), sent('F-5')]);
	expect(synced.output('QuickBooks Sync').map((o) => o.json.error)).toEqual([
		undefined,
		undefined,
		undefined,
		undefined,
	]);
	// What HighLevel shows now: F-1 as synced, F-2 sent but never delivered, F-3 edited to another
	// total, F-4 paid in part, F-5 voided, F-6 a draft.
	const now = [
		sent('F-1'),
		sent('F-2'),
		sent('F-3', { items: [{ name: 'Website Design', qty: 1, amount: 1500 }] }),
		invoiceEvent('InvoicePartiallyPaid', {
			id: 'inv_F-4',
			number: 'F-4',
			issueDate: '2026-11-02',
			amountPaid: 400,
		}),
		invoiceEvent('InvoiceVoid', { id: 'inv_F-5', number: 'F-5', issueDate: '2026-11-02' }),
		invoiceEvent('InvoiceSent', { id: 'inv_F-6', number: 'F-6', status: 'draft' }),
	].map(pulled);
	const { out, calls } = await find(now);
	expect(out.map((o) => [o.number, o.inSync, o.lag ?? null, !!o.invoice])).toEqual([
		['F-1', true, null, true],
		['F-2', false, 'missing', false],
		['F-3', false, 'total', true],
		['F-4', false, 'payment', true],
		['F-5', false, 'void', true],
		['F-6', true, null, false],
	]);
	expect(calls).toEqual(['query Invoice']);

	// Invoice → Sync on the lagging ones brings them level: the next look-up finds none behind.
	await syncInvoices(
		qb.creds,
		now.filter((_, i) => !out[i].inSync),
	);
	const after = await find(now);
	expect(after.out.map((o) => o.inSync)).toEqual([true, true, true, true, true, true]);
});

test('issued before the chosen day or voided by a bookkeeper: no lag; a bookkeeper’s invoice under our number is not ours: missing, named', async () => {
	await syncInvoices(qb.creds, [
		invoiceEvent('InvoiceSent', { id: 'inv_G-2', number: 'G-2', issueDate: '2026-11-02' }),
	]);
	const ours = qb.realm().findBy('Invoice', 'DocNumber', 'G-2')!;
	qb.realm().voidTxn('Invoice', { Id: ours.Id, SyncToken: ours.SyncToken });
	const [customer] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
		{ DisplayName: 'A Bookkeeper Customer' },
	]);
	qb.emulator.seed(qb.emulator.defaultRealm, 'Invoice', [
		{
			DocNumber: 'G-3',
			CustomerRef: { value: customer.Id },
			Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: {} }],
		},
	]);
	const { out } = await find(
		[
			invoiceEvent('InvoiceSent', { id: 'inv_G-1', number: 'G-1', issueDate: '2025-12-30' }),
			invoiceEvent('InvoicePaid', {
				id: 'inv_G-2',
				number: 'G-2',
				issueDate: '2026-11-02',
				amountPaid: 1200,
			}),
			invoiceEvent('InvoiceSent', { id: 'inv_G-3', number: 'G-3', issueDate: '2026-11-02' }),
		].map(pulled),
		{ onlyIssuedSince: '2026-01-01' },
	);
	expect(out.map((o) => [o.number, o.inSync, o.lag ?? null, o.otherDocuments.length])).toEqual([
		['G-1', true, null, 0],
		['G-2', true, null, 0],
		['G-3', false, 'missing', 1],
	]);
});
