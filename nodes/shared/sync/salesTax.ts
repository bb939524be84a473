/**
 * Tax the CRM charged must reach QuickBooks. A company with sales tax turned off
 * (Preferences.TaxPrefs.UsingSalesTax = false) ignores TxnTaxDetail (Intuit API reference,
 * Invoice/SalesReceipt TxnTaxDetail; see scripts/dev/emulator/README.md), so the document would
 * silently total less than the CRM. That is seen on the write's own answer, at no extra call:
 * the document this run just created is deleted again and the item stops with what to do.
 */
import { OutcomeError } from '../errors';
import { round2 } from '../domain/money';
import type { QboClient } from '../transport/client';
import type { QboRecord } from '../types';
import type { Created } from './types';

/** Whether QuickBooks dropped the tax the sync sent (total short by the tax, or no tax kept). */
export function taxDropped(record: QboRecord, plannedTax: number, crmTotal: number): boolean {
	if (plannedTax <= 0.004) return false;
	const kept = Number((record.TxnTaxDetail as { TotalTax?: number } | undefined)?.TotalTax ?? 0);
	const total = Number(record.TotalAmt ?? 0);
	return kept < 0.005 || total <= round2(crmTotal - plannedTax) + 0.005;
}

export async function requireTaxKept(
	client: QboClient,
	entity: 'SalesReceipt' | 'Invoice',
	written: Created,
	plannedTax: number,
	crmTotal: number,
): Promise<void> {
	if (!taxDropped(written.record, plannedTax, crmTotal)) return;
	if (written.created) await client.delete(entity, written.record);
	const what = entity === 'Invoice' ? 'invoice' : 'sales receipt';
	throw new OutcomeError(
		'refused',
		`QuickBooks dropped the ${round2(plannedTax)} tax of this ${what} (the company has sales tax turned off), so its total would differ from the CRM's ${round2(crmTotal)}; nothing was kept`,
		'Turn on sales tax in QuickBooks (Taxes → Use sales tax) and run the item again, or send the CRM document without tax.',
	);
}
