/**
 * The QuickBooks invoices this package wrote for CRM invoices, dated (issued) within a range: one
 * query per 1,000 invoices of the range, kept when their PrivateNote carries an invoice marker
 * (domain/docNumber.ts); voided ones kept and marked, since a CRM invoice voided since is one.
 */
import type { QboClient } from '../transport/client';
import { crmMarkersIn } from '../domain/docNumber';
import { isVoided } from '../domain/invoiceState';
import { round2 } from '../domain/money';
import type { BookInvoiceSide } from '../domain/invoiceDrift';

export async function ourInvoicesBetween(
	client: QboClient,
	from: string,
	to: string,
): Promise<BookInvoiceSide[]> {
	const invoices = await client.queryAll({
		entity: 'Invoice',
		where: [
			{ field: 'TxnDate', op: '>=', value: from },
			{ field: 'TxnDate', op: '<=', value: to },
		],
	});
	const ours: BookInvoiceSide[] = [];
	for (const i of invoices)
		for (const marker of crmMarkersIn(i.PrivateNote).filter((m) => m.kind === 'invoice'))
			ours.push({
				invoiceId: marker.id,
				qboId: String(i.Id),
				docNumber: i.DocNumber === undefined ? undefined : String(i.DocNumber),
				day: String(i.TxnDate ?? ''),
				total: Number(i.TotalAmt ?? 0),
				paid: round2(Number(i.TotalAmt ?? 0) - Number(i.Balance ?? 0)),
				voided: isVoided(i),
			});
	return ours;
}
