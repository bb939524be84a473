/**
 * Drift between HighLevel's invoices and the QuickBooks invoices this package wrote for them, per
 * issue day: an invoice sent in HighLevel without its QuickBooks invoice is **missing**, one of ours
 * whose HighLevel invoice is not listed is **extra**, one whose total, payments or void state differ
 * is **differing**. Drafts are never synced and are left out. Pure: no n8n, no I/O.
 */
import { round2 } from './money';
import { sumDays, tallyDay, type DriftDay } from './drift';

/** An invoice as HighLevel shows it (HighLevel Payments → Invoice, or the trigger's event). */
export interface CrmInvoiceSide {
	invoiceId: string;
	number?: string;
	/** Issue day, YYYY-MM-DD (the QuickBooks invoice's TxnDate). */
	day: string;
	total: number;
	paid: number;
	void: boolean;
}

/** An invoice this package wrote in QuickBooks (found by its marker). */
export interface BookInvoiceSide {
	invoiceId: string;
	qboId: string;
	docNumber?: string;
	day: string;
	total: number;
	/** Total less balance: what QuickBooks shows paid. */
	paid: number;
	voided: boolean;
}

export type InvoiceDriftDay = DriftDay;

export interface InvoiceDifference {
	kind: 'missing' | 'extra' | 'differing';
	document: 'invoice';
	invoiceId: string;
	invoiceNumber?: string;
	day: string;
	crmTotal?: number;
	qboTotal?: number;
	qboId?: string;
	docNumber?: string;
	what?: string;
}

export interface InvoiceDrift {
	days: InvoiceDriftDay[];
	differences: InvoiceDifference[];
	totals: Omit<InvoiceDriftDay, 'day'>;
}

const money = (n: number) => round2(n).toFixed(2);

/** What differs between the two sides of one invoice, in words (empty: nothing). */
function differs(crm: CrmInvoiceSide, book: BookInvoiceSide): string[] {
	if (crm.void !== book.voided)
		return [crm.void ? 'void in HighLevel, open in QuickBooks' : 'voided in QuickBooks only'];
	if (crm.void) return [];
	return [
		round2(crm.total) !== round2(book.total)
			? `total ${money(book.total)} in QuickBooks, ${money(crm.total)} in HighLevel`
			: '',
		round2(Math.min(crm.paid, book.total)) !== round2(book.paid)
			? `paid ${money(book.paid)} in QuickBooks, ${money(crm.paid)} in HighLevel`
			: '',
	].filter(Boolean);
}

export function invoiceDrift(
	crm: CrmInvoiceSide[],
	books: BookInvoiceSide[],
	days: string[],
): InvoiceDrift {
	const inRange = new Set(days);
	const listed = new Map(crm.filter((i) => inRange.has(i.day)).map((i) => [i.invoiceId, i]));
	const written = new Map(books.filter((b) => inRange.has(b.day)).map((b) => [b.invoiceId, b]));
	const differences: InvoiceDifference[] = [];
	const base = (i: CrmInvoiceSide | BookInvoiceSide) => ({
		document: 'invoice' as const,
		day: i.day,
	});
	for (const i of listed.values()) {
		const b = written.get(i.invoiceId);
		if (!b) {
			if (!i.void)
				differences.push({
					...base(i),
					kind: 'missing',
					invoiceId: i.invoiceId,
					invoiceNumber: i.number,
					crmTotal: i.total,
				});
			continue;
		}
		const what = differs(i, b);
		if (what.length)
			differences.push({
				...base(i),
				kind: 'differing',
				invoiceId: i.invoiceId,
				invoiceNumber: i.number,
				crmTotal: i.total,
				qboTotal: b.total,
				qboId: b.qboId,
				docNumber: b.docNumber,
				what: what.join('; '),
			});
	}
	for (const b of written.values())
		if (!listed.has(b.invoiceId) && !b.voided)
			differences.push({
				...base(b),
				kind: 'extra',
				invoiceId: b.invoiceId,
				qboTotal: b.total,
				qboId: b.qboId,
				docNumber: b.docNumber,
			});
	const live = <T extends { void?: boolean; voided?: boolean }>(x: T) => !x.void && !x.voided;
	const perDay = days.map((day) =>
		tallyDay(
			day,
			[...listed.values()].filter(live),
			[...written.values()].filter(live),
			differences,
		),
	);
	return {
		days: perDay,
		differences: differences.sort(
			(a, b) => a.day.localeCompare(b.day) || a.invoiceId.localeCompare(b.invoiceId),
		),
		totals: sumDays(perDay),
	};
}
