/**
 * Tax the CRM charged must reach QuickBooks. A company with sales tax turned off
 * (Preferences.TaxPrefs.UsingSalesTax = false) ignores TxnTaxDetail (Intuit API reference,
 * Invoice/SalesReceipt TxnTaxDetail; see scripts/dev/emulator/README.md), so the document would
 * silently total less than the CRM. That is seen on the write's own answer, at no extra call:
 * the document this run just created is deleted again and the item stops with what to do.
 */
import { OutcomeError } from '../errors';
import { isDeletedBefore, REPLAYED_DELETE_ATTEMPTS } from '../recovery';
import { round2 } from '../domain/money';
import type { QboClient } from '../transport/client';
import type { QboRecord } from '../types';
import type { Created } from './types';
import { automatedSalesTaxOf } from './preferences';

/** Whose sales tax a document carries: the CRM's figure (an override), or QuickBooks' own. */
export type TaxBy = 'crm' | 'quickbooks';

/**
 * "QuickBooks Calculates" needs automated sales tax: without it QuickBooks takes no tax it is not
 * given, and the document would silently total less than the CRM's. Read again before refusing.
 */
export async function requireQuickBooksTax(client: QboClient, what: string): Promise<void> {
	if ((await automatedSalesTaxOf(client)) || (await automatedSalesTaxOf(client, true))) return;
	throw new OutcomeError(
		'refused',
		`${what} was not written: "Sales Tax" is set to QuickBooks Calculates, but the QuickBooks company has no automated sales tax`,
		'Set up sales tax in QuickBooks (Taxes → Set up sales tax), or set "Sales Tax" to The CRM’s Tax; then run the item again.',
	);
}

/** Whether QuickBooks dropped the tax the sync sent (total short by the tax, or no tax kept). */
export function taxDropped(record: QboRecord, plannedTax: number, crmTotal: number): boolean {
	if (plannedTax <= 0.004) return false;
	const kept = Number((record.TxnTaxDetail as { TotalTax?: number } | undefined)?.TotalTax ?? 0);
	const total = Number(record.TotalAmt ?? 0);
	return kept < 0.005 || total <= round2(crmTotal - plannedTax) + 0.005;
}

/**
 * Creates the document (`create` gets the requestid suffix to add) and keeps it only if QuickBooks
 * kept its tax. QuickBooks answers a repeated requestid with its first answer (recovery R11), even
 * when that document was deleted since, so a run after such a delete (sales tax turned on in the
 * meantime) would get the deleted document back and report it as booked. Such an answer still shows
 * the tax dropped, and reading it is refused as deleted (R21): it is then written anew under a
 * requestid of its own, named after the deleted document, so every process and retry derives the same.
 */
export async function createKeepingTax(
	client: QboClient,
	entity: 'SalesReceipt' | 'Invoice',
	plannedTax: number,
	crmTotal: number,
	create: (requestKeySuffix: string) => Promise<Created>,
): Promise<Created> {
	let suffix = '';
	for (let attempt = 0; ; attempt++) {
		const written = await create(suffix);
		try {
			await requireTaxKept(client, entity, written, plannedTax, crmTotal);
			return written;
		} catch (error) {
			if (!(error instanceof ReplayedDeletedDocument) || attempt >= REPLAYED_DELETE_ATTEMPTS)
				throw error instanceof ReplayedDeletedDocument ? error.taxError : error;
			suffix += `:after:${String(written.record.Id)}`;
		}
	}
}

/** The document QuickBooks answered with had been deleted before (R21): the tax error it would raise. */
export class ReplayedDeletedDocument extends Error {
	constructor(readonly taxError: OutcomeError) {
		super(taxError.message);
	}
}

export async function requireTaxKept(
	client: QboClient,
	entity: 'SalesReceipt' | 'Invoice',
	written: Created,
	plannedTax: number,
	crmTotal: number,
): Promise<void> {
	if (!taxDropped(written.record, plannedTax, crmTotal)) return;
	const error = taxDroppedError(entity, plannedTax, crmTotal);
	if (written.created) {
		// Read first: a delete of the replayed document would be answered from QuickBooks' memory of
		// the first delete (same requestid), so only a read tells it was deleted before.
		if (await deletedBefore(client, entity, written.record))
			throw new ReplayedDeletedDocument(error);
		await client.delete(entity, written.record);
	}
	throw error;
}

async function deletedBefore(
	client: QboClient,
	entity: 'SalesReceipt' | 'Invoice',
	record: QboRecord,
): Promise<boolean> {
	try {
		await client.read(entity, String(record.Id));
		return false;
	} catch (error) {
		if (isDeletedBefore(error)) return true;
		throw error;
	}
}

function taxDroppedError(
	entity: 'SalesReceipt' | 'Invoice',
	plannedTax: number,
	crmTotal: number,
): OutcomeError {
	const what = entity === 'Invoice' ? 'invoice' : 'sales receipt';
	return new OutcomeError(
		'refused',
		`QuickBooks dropped the ${round2(plannedTax)} tax of this ${what} (the company has sales tax turned off), so its total would differ from the CRM's ${round2(crmTotal)}; nothing was kept`,
		'Turn on sales tax in QuickBooks (Taxes → Use sales tax) and run the item again, or send the CRM document without tax.',
	);
}
