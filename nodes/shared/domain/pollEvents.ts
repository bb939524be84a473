/**
 * Turns QuickBooks changes into trigger events, exactly once: records seen in the overlap window
 * are remembered by Id + LastUpdatedTime and forgotten once the window has moved past them, so
 * the state stays bounded however long the trigger runs.
 */
import type { QboRecord } from '../types';
import type { Candidate, TriggerEvent } from './types';

export const ENTITIES_FOR_EVENT: Record<TriggerEvent, string[]> = {
	newCustomer: ['Customer'],
	updatedCustomer: ['Customer'],
	newInvoice: ['Invoice'],
	invoicePaid: ['Invoice', 'Payment'],
	newPayment: ['Payment'],
	newSalesReceipt: ['SalesReceipt'],
};

export function entitiesFor(events: TriggerEvent[]): string[] {
	return [...new Set(events.flatMap((e) => ENTITIES_FOR_EVENT[e]))].sort();
}

export function time(record: QboRecord, field: 'CreateTime' | 'LastUpdatedTime'): number {
	const meta = record.MetaData as Record<string, string> | undefined;
	return Date.parse(meta?.[field] ?? '') || 0;
}

export function isDeleted(record: QboRecord): boolean {
	return String(record.status ?? '').toLowerCase() === 'deleted';
}

export function isVoidedTxn(record: QboRecord): boolean {
	return (
		String(record.PrivateNote ?? '').startsWith('Voided') && Number(record.TotalAmt ?? 0) === 0
	);
}

/** Invoices paid in full by a payment that changed in this window (so later edits don't re-fire). */
export function paidInvoices(invoices: QboRecord[], payments: QboRecord[]): QboRecord[] {
	const paymentIds = new Set(payments.filter((p) => !isDeleted(p)).map((p) => String(p.Id)));
	return invoices.filter((invoice) => {
		if (isDeleted(invoice) || isVoidedTxn(invoice)) return false;
		if (!(Number(invoice.TotalAmt ?? 0) > 0) || Number(invoice.Balance ?? 1) !== 0) return false;
		const links =
			(invoice.LinkedTxn as Array<{ TxnId?: string; TxnType?: string }> | undefined) ?? [];
		return links.some((l) => l.TxnType === 'Payment' && paymentIds.has(String(l.TxnId)));
	});
}

/**
 * Invoices the window's payments were applied to that the window does not hold. Whether applying
 * a payment changes the invoice's LastUpdatedTime is not documented, so "paid in full" must not
 * depend on the invoice showing up in the changes by itself.
 */
export function invoicesToFetch(changes: Record<string, QboRecord[]>): string[] {
	const known = new Set((changes.Invoice ?? []).map((i) => String(i.Id)));
	const ids = new Set<string>();
	for (const payment of changes.Payment ?? []) {
		if (isDeleted(payment) || isVoidedTxn(payment)) continue;
		for (const line of (payment.Line as
			| Array<{ LinkedTxn?: Array<{ TxnId?: string; TxnType?: string }> }>
			| undefined) ?? []) {
			for (const link of line.LinkedTxn ?? []) {
				if (link.TxnType === 'Invoice' && link.TxnId && !known.has(String(link.TxnId)))
					ids.add(String(link.TxnId));
			}
		}
	}
	return [...ids];
}

/** The events a window of changes holds, before de-duplication. */
export function candidates(
	changes: Record<string, QboRecord[]>,
	events: TriggerEvent[],
	since: number,
): Candidate[] {
	const out: Candidate[] = [];
	const wants = new Set(events);
	const live = (entity: string) => (changes[entity] ?? []).filter((r) => !isDeleted(r));
	for (const customer of live('Customer')) {
		if (customer.Active === false) continue;
		const isNew = time(customer, 'CreateTime') >= since;
		if (isNew && wants.has('newCustomer')) out.push({ event: 'newCustomer', record: customer });
		if (!isNew && wants.has('updatedCustomer'))
			out.push({ event: 'updatedCustomer', record: customer });
	}
	if (wants.has('newInvoice')) {
		for (const invoice of live('Invoice')) {
			if (time(invoice, 'CreateTime') >= since && !isVoidedTxn(invoice))
				out.push({ event: 'newInvoice', record: invoice });
		}
	}
	if (wants.has('invoicePaid')) {
		for (const invoice of paidInvoices(changes.Invoice ?? [], changes.Payment ?? []))
			out.push({ event: 'invoicePaid', record: invoice });
	}
	if (wants.has('newPayment')) {
		for (const payment of live('Payment')) {
			if (time(payment, 'CreateTime') >= since && !isVoidedTxn(payment))
				out.push({ event: 'newPayment', record: payment });
		}
	}
	if (wants.has('newSalesReceipt')) {
		for (const receipt of live('SalesReceipt')) {
			if (time(receipt, 'CreateTime') >= since && !isVoidedTxn(receipt))
				out.push({ event: 'newSalesReceipt', record: receipt });
		}
	}
	return out;
}

/** Key under which an event is remembered: "new"/"paid" events once per record, updates per version. */
export function eventKey(c: Candidate): string {
	const id = String(c.record.Id);
	if (c.event === 'updatedCustomer') return `${c.event}:${id}:${time(c.record, 'LastUpdatedTime')}`;
	return `${c.event}:${id}`;
}

/**
 * "Paid in full" is remembered past the overlap window (the most recent PAID_MEMORY of them), so
 * a later edit of a paid invoice or of its payment never announces the same payment twice.
 */
export const PAID_MEMORY = 5000;

/** Drops what was already emitted; returns the new `seen` map pruned to the overlap window. */
export function dedupe(
	list: Candidate[],
	seen: Record<string, number>,
	keepFrom: number,
): { fresh: Candidate[]; seen: Record<string, number> } {
	const next: Record<string, number> = {};
	const paid = Object.entries(seen).filter(([key]) => key.startsWith('invoicePaid:'));
	for (const [key, at] of paid.sort((a, b) => b[1] - a[1]).slice(0, PAID_MEMORY)) next[key] = at;
	for (const [key, at] of Object.entries(seen)) if (at >= keepFrom) next[key] = at;
	const fresh: Candidate[] = [];
	for (const c of list) {
		const key = eventKey(c);
		if (key in seen || key in next) continue;
		next[key] = Math.max(time(c.record, 'LastUpdatedTime'), keepFrom);
		fresh.push(c);
	}
	return { fresh, seen: next };
}

/**
 * "Only the customer's first invoice": keeps a paid invoice only if no other invoice of that
 * customer is paid in full, except ones paid in this same window that come later (by paid time,
 * then Id), so two invoices paid in one poll give one event.
 */
export function firstPaidOnly(
	paid: Candidate[],
	otherPaidByCustomer: Map<string, QboRecord[]>,
): Candidate[] {
	const inWindow = new Set(paid.map((c) => String(c.record.Id)));
	const byCustomer = new Map<string, Candidate[]>();
	for (const c of paid) {
		const customer = String((c.record.CustomerRef as { value?: string } | undefined)?.value);
		byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), c]);
	}
	const out: Candidate[] = [];
	for (const [customer, list] of byCustomer) {
		const earlier = (otherPaidByCustomer.get(customer) ?? []).filter(
			(inv) => !inWindow.has(String(inv.Id)) && Number(inv.TotalAmt ?? 0) > 0 && !isVoidedTxn(inv),
		);
		if (earlier.length) continue;
		const sorted = [...list].sort(
			(a, b) =>
				time(a.record, 'LastUpdatedTime') - time(b.record, 'LastUpdatedTime') ||
				Number(a.record.Id) - Number(b.record.Id),
		);
		out.push(sorted[0]);
	}
	return out;
}

/** The flat fields a CRM needs first, then the full record. */
export function toOutput(c: Candidate, customers: Map<string, QboRecord>): Record<string, unknown> {
	const r = c.record;
	const customerId = c.event.endsWith('Customer')
		? String(r.Id)
		: String((r.CustomerRef as { value?: string } | undefined)?.value ?? '');
	const customer = c.event.endsWith('Customer') ? r : customers.get(customerId);
	const email =
		(customer?.PrimaryEmailAddr as { Address?: string } | undefined)?.Address ??
		(r.BillEmail as { Address?: string } | undefined)?.Address;
	return {
		event: c.event,
		id: String(r.Id),
		customerId: customerId || undefined,
		email: email ?? null,
		name: customer?.DisplayName ?? null,
		firstName: customer?.GivenName ?? null,
		lastName: customer?.FamilyName ?? null,
		companyName: customer?.CompanyName ?? null,
		phone:
			(customer?.PrimaryPhone as { FreeFormNumber?: string } | undefined)?.FreeFormNumber ?? null,
		balance: customer?.Balance ?? null,
		...(c.event.endsWith('Customer')
			? {}
			: { docNumber: r.DocNumber ?? null, total: r.TotalAmt ?? null, txnDate: r.TxnDate ?? null }),
		updatedAt: (r.MetaData as { LastUpdatedTime?: string } | undefined)?.LastUpdatedTime,
		record: r,
	};
}
