/**
 * Which receipts of a burst QuickBooks already holds (one query per 100 numbers), which CRM payments
 * have their receipt (a reconcile pass), and the races a burst may lose to a concurrent run, settled
 * after the writes.
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import { lostRace, raceLookupNeeded } from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { byNumber, documentsNumbered, findOwnDocuments, lookupIn } from './ownDocuments';
import { receiptKey, receiptSummary, type ReceiptOptions } from './receipts';
import { duplicateNumbersRefused } from './preferences';
import type { Lookup, ReceiptResult } from './types';

/** Receipts under any of these numbers, in as few queries as possible. */
export async function receiptsNumbered(client: QboClient, numbers: string[]): Promise<QboRecord[]> {
	return await documentsNumbered(client, 'SalesReceipt', numbers);
}

/** Receipts grouped by the numbers a payment's receipt may carry. */
export function lookupFor(
	payment: CrmPayment,
	options: ReceiptOptions,
	all: Map<string, QboRecord[]>,
): Lookup {
	return lookupIn(all, receiptKey(payment, options));
}

/**
 * The receipt each CRM transaction has in QuickBooks, by the package's own marker: both numbers a
 * receipt may carry (ownDocuments.ts `numbersFor`), all transactions' numbers together, 100 to a
 * query (50 transactions per QuickBooks call). A document under our number without our marker is
 * someone else's (`others`), never taken for the receipt.
 */
export async function receiptsOfPayments(
	client: QboClient,
	transactionIds: string[],
	options: Pick<ReceiptOptions, 'docNumberPrefix' | 'onNumberClash'>,
): Promise<Map<string, Lookup>> {
	return await findOwnDocuments(
		client,
		new Map(transactionIds.map((id) => [id, receiptKey({ transactionId: id }, options)])),
	);
}

/**
 * With custom numbers off (or not known), a concurrent run may have created the same payment's
 * receipt: one query per 100 new receipts finds them; the oldest stays, ours is voided when it is
 * the newer (recovery R8). With them on, QuickBooks refused the loser's create (R7).
 */
export async function settleRaces(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	created: number[],
	results: Array<ReceiptResult | Error | undefined>,
): Promise<void> {
	if (!created.length) return;
	if (!raceLookupNeeded(await duplicateNumbersRefused(client))) return;
	const after = byNumber(
		await receiptsNumbered(
			client,
			created.map((i) => String((results[i] as ReceiptResult).receipt.DocNumber)),
		),
	);
	for (const i of created) {
		const mine = (results[i] as ReceiptResult).receipt;
		const kept = lookupFor(payments[i], options, after).ours;
		if (!lostRace(mine, kept)) continue;
		results[i] = await client
			.void('SalesReceipt', mine)
			.then(() => ({
				receipt: kept,
				alreadySynced: true,
				sync: receiptSummary(kept, payments[i], 'matched'),
			}))
			.catch((e: Error) => e);
	}
}
