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
import {
	lookAgainAfterRefusal,
	lostRace,
	raceLookupNeeded,
	receiptRedoneOneByOne,
	settledInBatch,
} from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { itemNamesOf, planSale, type ItemRef } from '../domain/salesDocument';
import {
	findOrCreateItem,
	itemCreateKey,
	itemName,
	newItemBody,
	rememberItem,
	type ItemRefs,
} from './items';
import { requireTaxKept } from './salesTax';
import { fromRecords, numbersFor, numberToCreate } from './ownDocuments';
import {
	createReceiptFromPayment,
	receiptBody,
	receiptKey,
	receiptSummary,
	type ReceiptOptions,
} from './receipts';
import { chunks, matchEachInBatch } from './customersBatch';
import { companyCache, itemKey, type CachedItem } from './companyCache';
import { forgetRefused, forgetRenamed, usesCache, type DocumentRefs } from './documentRefs';
import { duplicateNumbersRefused } from './preferences';
import type { CustomerMatch, Lookup, ReceiptResult } from './types';

const IN_CHUNK = 100;

/** Items by cache key: from the company cache, else 100 names per query, the missing ones created 30 per batch call. */
async function itemRefs(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
): Promise<{ refs: Map<string, ItemRef | Error>; cached: Map<string, CachedItem> }> {
	const refs = new Map<string, ItemRef | Error>();
	const cached = new Map<string, CachedItem>();
	const mode = options.items;
	if (mode.mode === 'default') return { refs, cached };
	const cache = companyCache(client).items;
	const names = [...new Set(payments.flatMap((p) => itemNamesOf(p)))];
	const byKey = new Map(names.map((n) => [itemKey(itemName(n)), n]));
	for (const key of byKey.keys()) {
		const known = cache.get(key);
		if (known) {
			cached.set(key, known);
			refs.set(key, known.ref);
		}
	}
	const toLookUp = [...byKey.keys()].filter((k) => !refs.has(k));
	for (const part of chunks(toLookUp, IN_CHUNK)) {
		const found = await client.queryAll({
			entity: 'Item',
			where: [{ field: 'Name', op: 'IN', value: part.map((k) => itemName(byKey.get(k)!)) }],
		});
		for (const item of found) {
			const key = itemKey(String(item.Name));
			if (byKey.has(key)) refs.set(key, rememberItem(client, byKey.get(key)!, item).ref);
		}
	}
	const missing = [...byKey.keys()].filter((k) => !refs.has(k));
	for (const part of chunks(missing, BATCH_LIMIT)) {
		const bodies = await Promise.all(
			part.map(async (k) => await newItemBody(client, byKey.get(k)!, mode.incomeAccountId)),
		);
		const answers = await client.batch(
			bodies.map((payload) => ({ entity: 'Item', operation: 'create', payload })),
			`items:${part.map((k) => itemCreateKey(client, byKey.get(k)!)).join(',')}`,
		);
		for (const [i, answer] of answers.entries()) {
			const key = part[i];
			const created = settledInBatch(answer);
			if (created) refs.set(key, rememberItem(client, byKey.get(key)!, created).ref);
			else {
				const settled = await findOrCreateItem(client, byKey.get(key)!, mode.incomeAccountId).catch(
					(e: Error) => e,
				);
				refs.set(
					key,
					settled instanceof Error
						? settled
						: rememberItem(client, byKey.get(key)!, settled.item).ref,
				);
			}
		}
	}
	return { refs, cached };
}

/** Receipts under any of these numbers, in as few queries as possible. */
async function receiptsNumbered(client: QboClient, numbers: string[]): Promise<QboRecord[]> {
	const found: QboRecord[] = [];
	for (const part of chunks([...new Set(numbers)], IN_CHUNK)) {
		found.push(
			...(await client.queryAll({
				entity: 'SalesReceipt',
				where: [{ field: 'DocNumber', op: 'IN', value: part }],
			})),
		);
	}
	return found;
}

/** Receipts grouped by the numbers a payment's receipt may carry. */
function lookupFor(
	payment: CrmPayment,
	options: ReceiptOptions,
	all: Map<string, QboRecord[]>,
): Lookup {
	const key = receiptKey(payment, options);
	const numbers = numbersFor(key);
	return fromRecords(
		[...(all.get(numbers.base) ?? []), ...(all.get(numbers.alternate) ?? [])],
		key,
		numbers,
	);
}

function byNumber(records: QboRecord[]): Map<string, QboRecord[]> {
	const map = new Map<string, QboRecord[]>();
	for (const r of records)
		map.set(String(r.DocNumber), [...(map.get(String(r.DocNumber)) ?? []), r]);
	return map;
}

/**
 * With custom numbers off (or not known), a concurrent run may have created the same payment's
 * receipt: one query per 100 new receipts finds them; the oldest stays, ours is voided when it is
 * the newer (recovery R8). With them on, QuickBooks refused the loser's create (R7).
 */
async function settleRaces(
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
	options: ReceiptOptions,
): DocumentRefs {
	const byName = new Map<string, ItemRef>();
	const cached = new Map<string, CachedItem>();
	for (const name of itemNamesOf(payment)) {
		const key = itemKey(itemName(name));
		const ref = options.items.mode === 'default' ? { value: options.items.itemId } : items.get(key);
		if (ref && !(ref instanceof Error)) byName.set(name, ref);
		if (cachedItems.has(key)) cached.set(key, cachedItems.get(key)!);
	}
	const refs: ItemRefs = { refFor: (name) => byName.get(name)!, byName, cached };
	return { match, items: refs };
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
	const results: Array<ReceiptResult | Error | undefined> = new Array(payments.length);
	const keys = payments.map((p) => receiptKey(p, options));
	const existing = byNumber(
		await receiptsNumbered(
			client,
			keys.flatMap((k) => Object.values(numbersFor(k))),
		),
	);

	// Already in QuickBooks, a number taken by someone else's receipt, or a repeat in this burst.
	const firstIndexOf = new Map<string, number>();
	const pending: number[] = [];
	const docNumbers: string[] = [];
	payments.forEach((payment, i) => {
		const lookup = lookupFor(payment, options, existing);
		if (lookup.ours)
			results[i] = {
				receipt: lookup.ours,
				alreadySynced: true,
				sync: receiptSummary(lookup.ours, payment, 'matched'),
			};
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

	const customers = await customersFor(client, payments, pending, options, customerIds);
	const items = await itemRefs(
		client,
		pending.map((i) => payments[i]),
		options,
	);

	const bodies: Array<{
		index: number;
		body: QboRecord;
		refs: DocumentRefs;
		customer: ReceiptResult['sync']['customer'];
	}> = [];
	for (const i of pending) {
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
				(name) => {
					if (options.items.mode === 'default') return { value: options.items.itemId };
					const ref = items.refs.get(itemKey(itemName(name)));
					if (!ref) {
						throw new OutcomeError(
							'notFound',
							`No QuickBooks item for the line "${name}"`,
							'Run the item again without "Batch Requests", or choose one default item under "Products".',
						);
					}
					if (ref instanceof Error) throw ref;
					return ref;
				},
				options.taxCodes,
			);
			bodies.push({
				index: i,
				body: receiptBody(payment, docNumbers[i], String(match.customer.Id), plan, options),
				refs: refsOf(match, payment, items.refs, items.cached, options),
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

	const created: number[] = [];
	for (const part of chunks(bodies, BATCH_LIMIT)) {
		const answers = await client.batch(
			part.map((b) => ({ entity: 'SalesReceipt', operation: 'create', payload: b.body })),
			`receipts:${part.map((b) => payments[b.index].transactionId).join(',')}`,
		);
		for (const [k, answer] of answers.entries()) {
			const { index, customer, refs } = part[k];
			const payment = payments[index];
			const receipt = settledInBatch(answer);
			if (receipt) {
				forgetRenamed(client, receipt);
				results[index] = {
					receipt,
					alreadySynced: false,
					sync: receiptSummary(receipt, payment, 'created', customer),
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
	await settleRaces(client, payments, options, created, results);
	const bodyOf = new Map(bodies.map((b) => [b.index, b.body]));
	// A company with sales tax off drops the tax: the receipts just written for taxed payments go again.
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
		).catch((error: Error) => (results[index] = error));
	}

	// Repeats inside the burst point at the receipt of their first occurrence.
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
