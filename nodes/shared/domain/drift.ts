/**
 * Drift between the CRM and the books, per day: what HighLevel recorded (payments read from its
 * API) against the sales receipts this package wrote for them (found by their markers). A payment
 * without its receipt is **missing**, a receipt of ours whose payment HighLevel does not list is
 * **extra**, one whose total or day differs is **differing**; so is one whose refund receipts add up
 * to another sum than HighLevel shows refunded on it (the transaction's `amountRefunded`, when the
 * items carry it). Pure: no n8n, no I/O.
 */
import { round2 } from './money';
import type { InvoiceDrift } from './invoiceDrift';

/** A payment as HighLevel recorded it. */
export interface CrmSide {
	transactionId: string;
	/** YYYY-MM-DD. */
	day: string;
	total: number;
	/** All HighLevel shows refunded on it; undefined when the items do not say. */
	refunded?: number;
}

/** A live (not voided) sales receipt this package wrote for a CRM payment. */
export interface BookSide {
	transactionId: string;
	qboId: string;
	docNumber?: string;
	day: string;
	total: number;
	/** What this package's live refund receipts of the payment add up to (0: none). */
	refunded?: number;
}

export interface DriftDay {
	day: string;
	crmCount: number;
	crmTotal: number;
	qboCount: number;
	qboTotal: number;
	missing: number;
	extra: number;
	differing: number;
}

export interface Difference {
	kind: 'missing' | 'extra' | 'differing';
	transactionId: string;
	day: string;
	crmTotal?: number;
	qboTotal?: number;
	qboId?: string;
	docNumber?: string;
	/** For `differing`: what differs. */
	what?: string;
}

export interface DriftReport {
	from: string;
	to: string;
	days: DriftDay[];
	differences: Difference[];
	totals: Omit<DriftDay, 'day'>;
}

/** Every day from `from` to `to` (YYYY-MM-DD), both included. */
export function daysBetween(from: string, to: string): string[] {
	const days: string[] = [];
	for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
		days.push(new Date(t).toISOString().slice(0, 10));
	return days;
}

export function driftReport(
	crm: CrmSide[],
	books: BookSide[],
	range: { from: string; to: string },
): DriftReport {
	const inRange = (day: string) => day >= range.from && day <= range.to;
	const payments = new Map(crm.filter((p) => inRange(p.day)).map((p) => [p.transactionId, p]));
	const receipts = new Map<string, BookSide>();
	// A race's second receipt is voided by the next run; two live ones count as the first plus an extra.
	const doubles: BookSide[] = [];
	for (const r of books.filter((b) => inRange(b.day))) {
		if (receipts.has(r.transactionId)) doubles.push(r);
		else receipts.set(r.transactionId, r);
	}
	const differences: Difference[] = [];
	for (const p of payments.values()) {
		const r = receipts.get(p.transactionId);
		if (!r) {
			differences.push({
				kind: 'missing',
				transactionId: p.transactionId,
				day: p.day,
				crmTotal: p.total,
			});
			continue;
		}
		const what = [
			round2(r.total) !== round2(p.total)
				? `total ${round2(r.total)} in QuickBooks, ${round2(p.total)} in HighLevel`
				: '',
			r.day !== p.day ? `dated ${r.day} in QuickBooks, ${p.day} in HighLevel` : '',
			p.refunded !== undefined && round2(r.refunded ?? 0) !== round2(p.refunded)
				? `refunded ${round2(r.refunded ?? 0)} in QuickBooks, ${round2(p.refunded)} in HighLevel`
				: '',
		].filter(Boolean);
		if (what.length)
			differences.push({
				kind: 'differing',
				transactionId: p.transactionId,
				day: p.day,
				crmTotal: p.total,
				qboTotal: r.total,
				qboId: r.qboId,
				docNumber: r.docNumber,
				what: what.join('; '),
			});
	}
	for (const r of [...receipts.values(), ...doubles])
		if (!payments.has(r.transactionId) || doubles.includes(r))
			differences.push({
				kind: 'extra',
				transactionId: r.transactionId,
				day: r.day,
				qboTotal: r.total,
				qboId: r.qboId,
				docNumber: r.docNumber,
			});

	const days = daysBetween(range.from, range.to).map((day) =>
		tallyDay(day, [...payments.values()], [...receipts.values(), ...doubles], differences),
	);
	return {
		from: range.from,
		to: range.to,
		days,
		differences: differences.sort(
			(a, b) => a.day.localeCompare(b.day) || a.transactionId.localeCompare(b.transactionId),
		),
		totals: sumDays(days),
	};
}

type Dated = { day: string; total: number };

/** One day of both sides: their counts and totals, and its differences by kind. */
export function tallyDay(
	day: string,
	crm: Dated[],
	books: Dated[],
	differences: Array<{ day: string; kind: Difference['kind'] }>,
): DriftDay {
	const p = crm.filter((x) => x.day === day);
	const b = books.filter((x) => x.day === day);
	const d = differences.filter((x) => x.day === day);
	return {
		day,
		crmCount: p.length,
		crmTotal: round2(p.reduce((s, x) => s + x.total, 0)),
		qboCount: b.length,
		qboTotal: round2(b.reduce((s, x) => s + x.total, 0)),
		missing: d.filter((x) => x.kind === 'missing').length,
		extra: d.filter((x) => x.kind === 'extra').length,
		differing: d.filter((x) => x.kind === 'differing').length,
	};
}

/** The whole range's counts and totals. */
export function sumDays(days: DriftDay[]): Omit<DriftDay, 'day'> {
	const sum = (key: keyof Omit<DriftDay, 'day'>) =>
		round2(days.reduce((s, d) => s + (d[key] as number), 0));
	return {
		crmCount: sum('crmCount'),
		crmTotal: sum('crmTotal'),
		qboCount: sum('qboCount'),
		qboTotal: sum('qboTotal'),
		missing: sum('missing'),
		extra: sum('extra'),
		differing: sum('differing'),
	};
}

const escape = (value: unknown) =>
	String(value ?? '').replace(
		/[&<>"']/g,
		(c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
	);

/**
 * The report as one HTML page: a bar per day for each side's total (inline SVG), the table of days
 * and the list of differences with links to QuickBooks (`qboUrl(id)`) and HighLevel
 * (`crmUrl(transactionId)`) when given. No scripts, no external resources.
 */
export function driftHtml(
	report: DriftReport,
	links: {
		qboUrl?: (id: string) => string | undefined;
		crmUrl?: (id: string) => string | undefined;
		qboInvoiceUrl?: (id: string) => string | undefined;
	} = {},
	invoices?: InvoiceDrift,
): string {
	const max = Math.max(1, ...report.days.flatMap((d) => [d.crmTotal, d.qboTotal]));
	const barWidth = 14;
	const height = 120;
	const bars = report.days
		.map((d, i) => {
			const x = i * (2 * barWidth + 6);
			const h = (v: number) => Math.round((v / max) * height);
			const bad = d.missing + d.extra + d.differing > 0;
			return (
				`<g><title>${escape(d.day)}: HighLevel ${d.crmTotal} (${d.crmCount}), QuickBooks ${d.qboTotal} (${d.qboCount})</title>` +
				`<rect x="${x}" y="${height - h(d.crmTotal)}" width="${barWidth}" height="${h(d.crmTotal)}" fill="#4a7bd0"/>` +
				`<rect x="${x + barWidth}" y="${height - h(d.qboTotal)}" width="${barWidth}" height="${h(d.qboTotal)}" fill="${bad ? '#d0453a' : '#3a9d5d'}"/></g>`
			);
		})
		.join('');
	const width = Math.max(1, report.days.length * (2 * barWidth + 6));
	const link = (url: string | undefined, text: string) =>
		url ? `<a href="${escape(url)}">${escape(text)}</a>` : escape(text);
	const dayRows = report.days
		.map(
			(d) =>
				`<tr${d.missing + d.extra + d.differing ? ' class="bad"' : ''}><td>${escape(d.day)}</td><td>${d.crmCount}</td><td>${d.crmTotal.toFixed(2)}</td><td>${d.qboCount}</td><td>${d.qboTotal.toFixed(2)}</td><td>${d.missing}</td><td>${d.extra}</td><td>${d.differing}</td></tr>`,
		)
		.join('');
	const differenceRows = report.differences
		.map(
			(x) =>
				`<tr><td>${escape(x.kind)}</td><td>${escape(x.day)}</td><td>${link(links.crmUrl?.(x.transactionId), x.transactionId)}</td><td>${x.crmTotal ?? ''}</td><td>${x.qboId ? link(links.qboUrl?.(x.qboId), x.docNumber ?? x.qboId) : ''}</td><td>${x.qboTotal ?? ''}</td><td>${escape(x.what ?? '')}</td></tr>`,
		)
		.join('');
	const t = report.totals;
	const i = invoices?.totals;
	const invoiceSection = invoices
		? `<h2>Invoices (by issue day)</h2>
<p class="${i!.missing + i!.extra + i!.differing ? 'bad-text' : 'ok'}">HighLevel ${i!.crmCount} invoices, ${i!.crmTotal.toFixed(2)}; QuickBooks ${i!.qboCount}, ${i!.qboTotal.toFixed(2)}. Missing ${i!.missing}, extra ${i!.extra}, differing ${i!.differing}.</p>
<table><thead><tr><th>Day</th><th>HighLevel invoices</th><th>HighLevel total</th><th>QuickBooks invoices</th><th>QuickBooks total</th><th>Missing</th><th>Extra</th><th>Differing</th></tr></thead><tbody>${invoices.days
				.map(
					(d) =>
						`<tr${d.missing + d.extra + d.differing ? ' class="bad"' : ''}><td>${escape(d.day)}</td><td>${d.crmCount}</td><td>${d.crmTotal.toFixed(2)}</td><td>${d.qboCount}</td><td>${d.qboTotal.toFixed(2)}</td><td>${d.missing}</td><td>${d.extra}</td><td>${d.differing}</td></tr>`,
				)
				.join('')}</tbody></table>
${
	invoices.differences.length
		? `<table><thead><tr><th>Kind</th><th>Day</th><th>HighLevel invoice</th><th>HighLevel total</th><th>QuickBooks invoice</th><th>QuickBooks total</th><th>What</th></tr></thead><tbody>${invoices.differences
				.map(
					(x) =>
						`<tr><td>${escape(x.kind)}</td><td>${escape(x.day)}</td><td>${escape(x.invoiceNumber ?? x.invoiceId)}</td><td>${x.crmTotal ?? ''}</td><td>${x.qboId ? link(links.qboInvoiceUrl?.(x.qboId), x.docNumber ?? x.qboId) : ''}</td><td>${x.qboTotal ?? ''}</td><td>${escape(x.what ?? '')}</td></tr>`,
				)
				.join('')}</tbody></table>`
		: '<p class="ok">No invoice differs.</p>'
}`
		: '';
	return `<!doctype html><html><head><meta charset="utf-8"><title>HighLevel → QuickBooks drift ${escape(report.from)} to ${escape(report.to)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}tr.bad{background:#fdecea}.ok{color:#3a9d5d}.bad-text{color:#d0453a}</style></head><body>
<h1>HighLevel → QuickBooks, ${escape(report.from)} to ${escape(report.to)}</h1>
<p class="${t.missing + t.extra + t.differing ? 'bad-text' : 'ok'}">HighLevel ${t.crmCount} payments, ${t.crmTotal.toFixed(2)}; QuickBooks ${t.qboCount} receipts, ${t.qboTotal.toFixed(2)}. Missing ${t.missing}, extra ${t.extra}, differing ${t.differing}.</p>
<svg width="${width}" height="${height}" role="img" aria-label="Totals per day: HighLevel blue, QuickBooks green (red where the day differs)">${bars}</svg>
<table><thead><tr><th>Day</th><th>HighLevel payments</th><th>HighLevel total</th><th>QuickBooks receipts</th><th>QuickBooks total</th><th>Missing</th><th>Extra</th><th>Differing</th></tr></thead><tbody>${dayRows}</tbody></table>
<h2>Differences</h2>
${report.differences.length ? `<table><thead><tr><th>Kind</th><th>Day</th><th>HighLevel transaction</th><th>HighLevel total</th><th>QuickBooks receipt</th><th>QuickBooks total</th><th>What</th></tr></thead><tbody>${differenceRows}</tbody></table>` : '<p class="ok">None.</p>'}
${invoiceSection}
</body></html>`;
}
