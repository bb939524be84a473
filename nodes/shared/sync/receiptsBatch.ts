/**
 * Sales receipts for a burst of CRM payments through QuickBooks' batch endpoint: look-ups and
 * writes go 30 to a call instead of 3-4 calls per payment. Every rule of the one-by-one path
 * holds (one receipt per transaction id, one customer per e-mail); the rare conflicts a batch
 * item meets (a name clash, a race, a cached record QuickBooks refuses) are settled by the
 * one-by-one path for that item only (recovery R10).
 */
import type { QboRecord } from '../types';
import { BATCH_LIMIT, type QboClient } from '../transport/client';
import { OutcomeError } from '../errors';
import { lookAgainAfterRefusal, receiptRedoneOneByOne, settledInBatch } from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { adjustmentRef, planSale, productLinesOf, type ItemRef } from '../domain/salesDocument';
import { productLineKey } from '../domain/productMapping';
import { itemName, type ItemRefs } from './items';
import { itemRefsInBatch } from './itemsBatch';
import { checkProductMapping } from './productMapping';
import { ReplayedDeletedDocument, requireTaxKept } from './salesTax';
import { byNumber, numbersFor, numberToCreate, settleExtras } from './ownDocuments';
import { lookupFor, receiptsNumbered, settleRaces } from './receiptsFound';
import {
	createReceiptFromPayment,
	receiptBody,
	receiptKey,
	routedOptions,
	receiptSummary,
	type ReceiptOptions,
} from './receipts';
import { chunks, matchEachInBatch } from './customersBatch';
import { itemKey, type CachedItem } from './companyCache';
import { forgetRefused, forgetRenamed, usesCache, type DocumentRefs } from './documentRefs';
import { routePayment, type Routed } from './paymentRouting';
import type { CustomerMatch, Lookup, ReceiptResult } from './types';

/** The customer of each pending payment: given by earlier nodes, else matched by e-mail or created. */
async function customersFor(
	client: QboClient,
	payments: CrmPayment[],
	pending: number[],
	options: ReceiptOptions,
	customerIds: Array<string | undefined>,
): Promise<Map<number, CustomerMatch | Error | undefined>> {
	const givenTo = (i: number) => customerIds[i] ?? options.customerId;
	const byEmail = pending.filter((i) => !givenTo(i));
	const matches = await matchEachInBatch(
		client,
		byEmail.map((i) => payments[i].person),
		options.match,
		true,
	);
	const result = new Map<number, CustomerMatch | Error | undefined>(
		byEmail.map((i, k) => [i, matches[k]]),
	);
	for (const i of pending) {
		const given = givenTo(i);
		if (given) result.set(i, { customer: { Id: given }, how: 'given' });
	}
	return result;
}

/** What one receipt of the batch was written with, for R17 and R18. */
function refsOf(
	match: CustomerMatch,
	payment: CrmPayment,
	items: Map<string, ItemRef | Error>,
	cachedItems: Map<string, CachedItem>,
): DocumentRefs {
	const byName = new Map<string, ItemRef>();
	const cached = new Map<string, CachedItem>();
	for (const line of productLinesOf(payment)) {
		const key = itemKey(itemName(line.name));
		const ref = items.get(productLineKey(line));
		if (ref && !(ref instanceof Error)) byName.set(productLineKey(line), ref);
		if (cachedItems.has(key)) cached.set(key, cachedItems.get(key)!);
	}
	const refs: ItemRefs = { refFor: (line) => byName.get(productLineKey(line))!, byName, cached };
	return { match, items: refs };
}

type Results = Array<ReceiptResult | Error | undefined>;

/** A receipt body ready for the batch, with what it was written with (for R17 and R18). */
interface PlannedReceipt {
	index: number;
	body: QboRecord;
	refs: DocumentRefs;
	customer: ReceiptResult['sync']['customer'];
	routed: Routed;
}

/**
 * One result per input payment, in order: the receipt, or the error of that payment alone.
 * `customerIds[i]`: the customer chosen for payment i by earlier nodes, if any (else
 * `options.customerId`, else matched by e-mail).
 */
export async function createReceiptsInBatch(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	customerIds: Array<string | undefined> = [],
): Promise<Array<ReceiptResult | Error>> {
	const results: Results = new Array(payments.length);
	const { pending, docNumbers, firstIndexOf } = await alreadyBooked(
		client,
		payments,
		options,
		results,
	);
	const planned = await planReceipts(
		client,
		payments,
		options,
		customerIds,
		pending,
		docNumbers,
		results,
	);
	const created = await writeInBatches(
		client,
		payments,
		options,
		customerIds,
		planned,
		docNumbers,
		results,
	);
	await settleRaces(client, payments, options, created, results);
	await keepTaxOf(client, payments, options, planned, created, results);
	return pointRepeatsAtFirst(payments, results, firstIndexOf);
}

/**
 * Fills `results` for payments already in QuickBooks (or whose number another receipt holds) and
 * returns the others: each transaction once (`firstIndexOf`), with the number its receipt gets.
 */
async function alreadyBooked(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	results: Results,
): Promise<{ pending: number[]; docNumbers: string[]; firstIndexOf: Map<string, number> }> {
	const keys = payments.map((p) => receiptKey(p, options));
	const existing = byNumber(
		await receiptsNumbered(
			client,
			keys.flatMap((k) => Object.values(numbersFor(k))),
		),
	);
	const firstIndexOf = new Map<string, number>();
	const pending: number[] = [];
	const docNumbers: string[] = [];
	const withExtras: Array<[number, Lookup]> = [];
	payments.forEach((payment, i) => {
		const lookup = lookupFor(payment, options, existing);
		if (lookup.extra?.length && !firstIndexOf.has(payment.transactionId))
			withExtras.push([i, lookup]);
		if (lookup.ours)
			results[i] = {
				receipt: lookup.ours,
				alreadySynced: true,
				sync: receiptSummary(lookup.ours, payment, 'matched'),
			};
		if (lookup.ours) firstIndexOf.set(payment.transactionId, i);
		else if (firstIndexOf.has(payment.transactionId)) return;
		else {
			try {
				docNumbers[i] = numberToCreate(keys[i], lookup);
			} catch (error) {
				results[i] = error as Error;
				return;
			}
			firstIndexOf.set(payment.transactionId, i);
			pending.push(i);
		}
	});
	// A race's clean-up that failed once: finished here, one item at a time (rare).
	for (const [i, lookup] of withExtras) {
		const duplicatesVoided = await settleExtras(client, keys[i], lookup).catch((e: Error) => e);
		if (duplicatesVoided instanceof Error) results[i] = duplicatesVoided;
		else (results[i] as ReceiptResult).sync.duplicatesVoided = duplicatesVoided;
	}
	return { pending, docNumbers, firstIndexOf };
}

/** The receipt body of each pending payment (its customer and items found or created first). */
async function planReceipts(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	customerIds: Array<string | undefined>,
	pending: number[],
	docNumbers: string[],
	results: Results,
): Promise<PlannedReceipt[]> {
	// A rule naming an account or payment method the company lacks, or a product the Product
	// Mapping cannot book, stops its payment first, before any customer or item is written for it.
	const routes = new Map<number, Routed>();
	for (const i of pending) {
		try {
			const routed = await routePayment(client, payments[i], options);
			await checkProductMapping(client, productLinesOf(payments[i]), options.items);
			routes.set(i, routed);
		} catch (error) {
			results[i] = error as Error;
		}
	}
	const routable = pending.filter((i) => routes.has(i));
	const customers = await customersFor(client, payments, routable, options, customerIds);
	const items = await itemRefsInBatch(
		client,
		routable.map((i) => payments[i]),
		options,
	);
	const planned: PlannedReceipt[] = [];
	for (const i of routable) {
		const routed = routes.get(i)!;
		const payment = payments[i];
		try {
			const match = customers.get(i);
			if (!match) {
				throw new OutcomeError(
					'notFound',
					'No customer could be found or created for this payment',
					'Run the item again without "Batch Requests", or give the customer under "Customer ID".',
				);
			}
			if (match instanceof Error) throw match;
			const plan = planSale(
				payment,
				(line) => {
					const ref = items.refs.get(productLineKey(line));
					if (!ref) {
						throw new OutcomeError(
							'notFound',
							`No QuickBooks item for the line "${line.name}"`,
							'Run the item again without "Batch Requests", or choose one default item under "Products".',
						);
					}
					if (ref instanceof Error) throw ref;
					return ref;
				},
				options.taxCodes,
				adjustmentRef(options),
			);
			planned.push({
				index: i,
				body: receiptBody(
					payment,
					docNumbers[i],
					String(match.customer.Id),
					plan,
					routedOptions(options, routed),
				),
				routed,
				refs: refsOf(match, payment, items.refs, items.cached),
				customer: {
					id: String(match.customer.Id),
					how: match.how,
					displayName: match.customer.DisplayName as string | undefined,
				},
			});
		} catch (error) {
			results[i] = error as Error;
		}
	}
	return planned;
}

/** Writes the planned receipts 30 per batch call; returns the payments whose receipt it created. */
async function writeInBatches(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	customerIds: Array<string | undefined>,
	planned: PlannedReceipt[],
	docNumbers: string[],
	results: Results,
): Promise<number[]> {
	const created: number[] = [];
	for (const part of chunks(planned, BATCH_LIMIT)) {
		const answers = await client.batch(
			part.map((b) => ({ entity: 'SalesReceipt', operation: 'create', payload: b.body })),
			`receipts:${part.map((b) => payments[b.index].transactionId).join(',')}`,
		);
		for (const [k, answer] of answers.entries()) {
			const { index, customer, refs, routed } = part[k];
			const payment = payments[index];
			const receipt = settledInBatch(answer);
			if (receipt) {
				forgetRenamed(client, receipt);
				results[index] = {
					receipt,
					alreadySynced: false,
					sync: receiptSummary(receipt, payment, 'created', customer, routed),
				};
				created.push(index);
			} else if (receiptRedoneOneByOne(answer)) {
				// Raced with another run (custom numbers on): settle it the one-by-one way.
				results[index] = await createReceiptFromPayment(client, payment, {
					...options,
					customerId: customer?.id,
				}).catch((e: Error) => e);
			} else if (
				!answer.ok &&
				forgetRefused(client, answer.error, refs) &&
				lookAgainAfterRefusal(0, usesCache(refs))
			) {
				// A cached customer or item QuickBooks refused (recovery R17): this payment alone, looked up afresh.
				results[index] = await createReceiptFromPayment(client, payment, {
					...options,
					customerId: customerIds[index] ?? options.customerId,
				}).catch((e: Error) => e);
			} else if (answer.ok) {
				results[index] = new OutcomeError(
					'incomplete',
					'QuickBooks returned no receipt for this batch item',
					`Run the item again: it finds the receipt (number ${docNumbers[index]}) if QuickBooks wrote it, and creates it otherwise.`,
				);
			} else {
				results[index] = answer.error;
			}
		}
	}
	return created;
}

/** A company with sales tax off drops the tax: the receipts just written for taxed payments go again. */
async function keepTaxOf(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	planned: PlannedReceipt[],
	created: number[],
	results: Results,
): Promise<void> {
	const bodyOf = new Map(planned.map((b) => [b.index, b.body]));
	for (const index of created) {
		const result = results[index];
		if (!result || result instanceof Error || result.alreadySynced) continue;
		const body = bodyOf.get(index);
		const plannedTax = Number(
			(body?.TxnTaxDetail as { TotalTax?: number } | undefined)?.TotalTax ?? 0,
		);
		await requireTaxKept(
			client,
			'SalesReceipt',
			{ record: result.receipt, created: true },
			plannedTax,
			payments[index].total,
		).catch(async (error: Error) => {
			// The batch was answered from QuickBooks' memory with a receipt deleted since (R21): this
			// payment alone, whose create finds its own requestid.
			results[index] =
				error instanceof ReplayedDeletedDocument
					? await createReceiptFromPayment(client, payments[index], {
							...options,
							customerId: String((result.receipt.CustomerRef as { value: string }).value),
						}).catch((e: Error) => e)
					: error;
		});
	}
}

/** Repeats inside the burst point at the receipt of their first occurrence. */
function pointRepeatsAtFirst(
	payments: CrmPayment[],
	results: Results,
	firstIndexOf: Map<string, number>,
): Array<ReceiptResult | Error> {
	return payments.map((payment, i) => {
		const result = results[i];
		if (result) return result;
		const first = results[firstIndexOf.get(payment.transactionId)!];
		if (!first || first instanceof Error) return first ?? new Error('unreachable');
		return {
			receipt: first.receipt,
			alreadySynced: true,
			sync: receiptSummary(first.receipt, payment, 'matched'),
		};
	});
}
