/**
 * Sales receipts for a burst of CRM payments through QuickBooks' batch endpoint: look-ups and
 * writes go 30 to a call instead of 3-4 calls per payment. Every rule of the one-by-one path
 * holds (one receipt per transaction id, one customer per e-mail); the rare conflicts a batch
 * item meets (a name clash, a race) are settled by the one-by-one path for that item only
 * (recovery R10).
 */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import type { BatchOperation } from '../transport/types';
import { selectQuery } from '../transport/query';
import { CrmInputError, OutcomeError } from '../errors';
import {
	lookupSettledOneByOne,
	lostRace,
	receiptRedoneOneByOne,
	settledInBatch,
} from '../recovery';
import type { CrmPayment } from '../domain/crm';
import { chooseCustomer, displayNameFor, newCustomerBody } from '../domain/customerMatch';
import { describeEmailProblem, normalizeEmail } from '../domain/email';
import { itemNamesOf, planSale, type ItemRef } from '../domain/salesDocument';
import { customersByEmailQuery, findOrCreateCustomer } from './customers';
import { findOrCreateItem, itemName } from './items';
import { requireTaxKept } from './salesTax';
import { fromRecords, numbersFor, numberToCreate } from './ownDocuments';
import {
	createReceiptFromPayment,
	receiptBody,
	receiptKey,
	receiptSummary,
	type ReceiptOptions,
} from './receipts';
import type { CustomerMatch, Lookup, ReceiptResult } from './types';

const IN_CHUNK = 100;

function chunks<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

async function customersByEmail(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
): Promise<Map<string, CustomerMatch | Error>> {
	const result = new Map<string, CustomerMatch | Error>();
	const people = new Map<string, CrmPayment['person']>();
	for (const p of payments) {
		const email = normalizeEmail(p.person.email);
		if (email && !people.has(email)) people.set(email, p.person);
	}
	const emails = [...people.keys()];
	// 1. Look-ups, 30 queries per batch call.
	const missing: string[] = [];
	for (const part of chunks(emails, 30)) {
		const ops: BatchOperation[] = part.map((email) => ({
			entity: 'Customer',
			operation: 'query',
			payload: selectQuery(customersByEmailQuery(email, options.match)),
		}));
		const answers = await client.batch(ops);
		for (const [i, answer] of answers.entries()) {
			const email = part[i];
			if (!answer.ok) {
				result.set(email, answer.error);
				continue;
			}
			const choice = chooseCustomer(
				email,
				answer.records ?? [],
				options.match.duplicates,
				options.match.inactive,
			);
			// Inactive or ambiguous: the one-by-one path reactivates or explains.
			if (lookupSettledOneByOne(choice.kind))
				result.set(
					email,
					await findOrCreateCustomer(client, people.get(email)!, options.match).catch(
						(e: Error) => e,
					),
				);
			else if (choice.kind === 'active')
				result.set(email, { customer: choice.customer, how: 'matched' });
			else missing.push(email);
		}
	}
	// 2. Creates, 30 per batch call; a name clash goes the one-by-one way.
	for (const part of chunks(missing, 30)) {
		const ops: BatchOperation[] = part.map((email) => ({
			entity: 'Customer',
			operation: 'create',
			payload: newCustomerBody(
				people.get(email)!,
				email,
				displayNameFor(people.get(email)!, email),
			),
		}));
		const answers = await client.batch(ops, `customers:${part.join(',')}`);
		for (const [i, answer] of answers.entries()) {
			const email = part[i];
			const created = settledInBatch(answer);
			if (created) result.set(email, { customer: created, how: 'created' });
			else
				result.set(
					email,
					await findOrCreateCustomer(client, people.get(email)!, options.match).catch(
						(e: Error) => e,
					),
				);
		}
	}
	return result;
}

async function itemRefs(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
): Promise<Map<string, ItemRef | Error>> {
	const refs = new Map<string, ItemRef | Error>();
	const mode = options.items;
	if (mode.mode === 'default') return refs;
	const names = [...new Set(payments.flatMap((p) => itemNamesOf(p)))];
	const byKey = new Map(names.map((n) => [itemName(n).toLowerCase(), n]));
	for (const part of chunks([...byKey.keys()], IN_CHUNK)) {
		const found = await client.queryAll({
			entity: 'Item',
			where: [{ field: 'Name', op: 'IN', value: part.map((k) => itemName(byKey.get(k)!)) }],
		});
		for (const item of found)
			refs.set(String(item.Name).toLowerCase(), {
				value: String(item.Id),
				name: String(item.Name),
			});
	}
	const missing = [...byKey.keys()].filter((k) => !refs.has(k));
	for (const part of chunks(missing, 30)) {
		const answers = await client.batch(
			part.map((k) => ({
				entity: 'Item',
				operation: 'create',
				payload: {
					Name: itemName(byKey.get(k)!),
					Type: 'Service',
					IncomeAccountRef: { value: mode.incomeAccountId },
				},
			})),
			`items:${part.join(',')}`,
		);
		for (const [i, answer] of answers.entries()) {
			const key = part[i];
			const created = settledInBatch(answer);
			if (created) refs.set(key, { value: String(created.Id), name: String(created.Name) });
			else {
				const settled = await findOrCreateItem(client, byKey.get(key)!, mode.incomeAccountId).catch(
					(e: Error) => e,
				);
				refs.set(
					key,
					settled instanceof Error
						? settled
						: { value: String(settled.item.Id), name: String(settled.item.Name) },
				);
			}
		}
	}
	return refs;
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
 * With custom numbers off, a concurrent run may have created the same payment's receipt: one
 * query per 100 new receipts finds them; the oldest stays, ours is voided when it is the newer
 * (recovery R8).
 */
async function settleRaces(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
	created: number[],
	results: Array<ReceiptResult | Error | undefined>,
): Promise<void> {
	if (!created.length) return;
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

/** One result per input payment, in order: the receipt, or the error of that payment alone. */
export async function createReceiptsInBatch(
	client: QboClient,
	payments: CrmPayment[],
	options: ReceiptOptions,
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

	const toCreate = pending.map((i) => payments[i]);
	const customers = options.customerId
		? new Map()
		: await customersByEmail(client, toCreate, options);
	const items = await itemRefs(client, toCreate, options);

	const bodies: Array<{
		index: number;
		body: QboRecord;
		customer: ReceiptResult['sync']['customer'];
	}> = [];
	for (const i of pending) {
		const payment = payments[i];
		try {
			let match: CustomerMatch | Error | undefined;
			if (options.customerId) match = { customer: { Id: options.customerId }, how: 'given' };
			else {
				const email = normalizeEmail(payment.person.email);
				if (!email && options.match.fallbackCustomerId)
					match = { customer: { Id: options.match.fallbackCustomerId }, how: 'fallback' };
				else if (!email)
					throw new CrmInputError('email', describeEmailProblem(payment.person.email));
				else match = customers.get(email);
			}
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
					const ref = items.get(itemName(name).toLowerCase());
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
	for (const part of chunks(bodies, 30)) {
		const answers = await client.batch(
			part.map((b) => ({ entity: 'SalesReceipt', operation: 'create', payload: b.body })),
			`receipts:${part.map((b) => payments[b.index].transactionId).join(',')}`,
		);
		for (const [k, answer] of answers.entries()) {
			const { index, customer } = part[k];
			const payment = payments[index];
			const receipt = settledInBatch(answer);
			if (receipt) {
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
