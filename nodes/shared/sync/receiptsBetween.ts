/**
 * The live sales receipts this package wrote for CRM payments, dated within a range: one query per
 * 1,000 receipts of the range (QuickBooks' page size), kept when their PrivateNote carries a payment
 * marker (domain/docNumber.ts); voided ones (a race's loser) left out.
 */
import type { QboClient } from '../transport/client';
import { crmMarkersIn } from '../domain/docNumber';
import { isVoided } from '../domain/invoiceState';
import type { BookSide } from '../domain/drift';

export async function ourReceiptsBetween(
	client: QboClient,
	from: string,
	to: string,
): Promise<BookSide[]> {
	const receipts = await client.queryAll({
		entity: 'SalesReceipt',
		where: [
			{ field: 'TxnDate', op: '>=', value: from },
			{ field: 'TxnDate', op: '<=', value: to },
		],
	});
	const ours: BookSide[] = [];
	for (const r of receipts) {
		if (isVoided(r)) continue;
		for (const marker of crmMarkersIn(r.PrivateNote).filter((m) => m.kind === 'payment'))
			ours.push({
				transactionId: marker.id,
				qboId: String(r.Id),
				docNumber: r.DocNumber === undefined ? undefined : String(r.DocNumber),
				day: String(r.TxnDate ?? ''),
				total: Number(r.TotalAmt ?? 0),
			});
	}
	return ours;
}
