/**
 * Customers for many e-mails at once (Find Customer by E-Mail, Find or Create and Create From
 * Payment with Batch Requests): the company cache first, then 30 look-ups per /batch call, and
 * with `create` 30 new customers per /batch call. What a batch cannot settle (an inactive customer
 * to reactivate, several customers to choose from, a name clash) goes one by one for that e-mail
 * alone, by the same rules as the one-by-one operations (recovery R10, R5).
 */
import type { QboClient } from '../transport/client';
import type { BatchOperation } from '../quickbooks/types';
import { selectQuery } from '../transport/query';
import { CrmInputError } from '../errors';
import { lookupSettledOneByOne, settledInBatch } from '../recovery';
import { describeEmailProblem, normalizeEmail } from '../domain/email';
import {
	chooseCustomer,
	displayNameFor,
	newCustomerBody,
	type Person,
} from '../domain/customerMatch';
import { BATCH_LIMIT } from '../transport/client';
import {
	customersByEmailQuery,
	findCustomerByEmail,
	findOrCreateCustomer,
	rememberCustomer,
	type MatchOptions,
} from './customers';
import { companyCache, createKeySuffix, customerKey } from './companyCache';
import type { CustomerMatch } from './types';

/** Per e-mail: the customer, undefined when nobody has it (only without `create`), or that e-mail's error. */
export type BatchMatches = Map<string, CustomerMatch | Error | undefined>;

export function chunks<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

async function settled<T>(work: Promise<T>): Promise<T | Error> {
	return await work.catch((error: unknown) =>
		error instanceof Error ? error : new Error(String(error)),
	);
}

/**
 * `people`: normalized e-mail → who it is (the first item's details count for a new customer).
 * Every e-mail gets an entry in the answer.
 */
export async function matchCustomersInBatch(
	client: QboClient,
	people: Map<string, Person>,
	options: MatchOptions,
	create: boolean,
): Promise<BatchMatches> {
	const result: BatchMatches = new Map();
	const shares: Array<Promise<void>> = [];
	const cache = companyCache(client).customers;
	const toLookUp: string[] = [];
	for (const email of people.keys()) {
		const customer = cache.get(customerKey(email, options.duplicates));
		if (customer) result.set(email, { customer, how: 'matched', cached: true });
		else toLookUp.push(email);
	}

	// One by one, for one e-mail: reactivate, explain, or create after a name clash.
	const oneByOne = async (email: string) =>
		await settled(
			create
				? findOrCreateCustomer(client, people.get(email)!, options, 'email', { fresh: true })
				: findCustomerByEmail(client, email, options, { fresh: true }),
		);

	const missing: string[] = [];
	for (const part of chunks(toLookUp, BATCH_LIMIT)) {
		const ops: BatchOperation[] = part.map((email) => ({
			entity: 'Customer',
			operation: 'query',
			payload: selectQuery(customersByEmailQuery(email, options)),
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
				options.duplicates,
				options.inactive,
			);
			if (lookupSettledOneByOne(choice.kind)) result.set(email, await oneByOne(email));
			else if (choice.kind === 'active') {
				shares.push(rememberCustomer(client, email, options, choice.customer));
				result.set(email, { customer: choice.customer, how: 'matched' });
			} else if (create) missing.push(email);
			else result.set(email, undefined);
		}
	}

	for (const part of chunks(missing, BATCH_LIMIT)) {
		const ops: BatchOperation[] = part.map((email) => ({
			entity: 'Customer',
			operation: 'create',
			payload: newCustomerBody(
				people.get(email)!,
				email,
				displayNameFor(people.get(email)!, email),
			),
		}));
		const company = companyCache(client);
		const keyOf = (email: string) =>
			`${email}${createKeySuffix(company, 'customer', customerKey(email, options.duplicates))}`;
		const answers = await client.batch(ops, `customers:${part.map(keyOf).join(',')}`);
		for (const [i, answer] of answers.entries()) {
			const email = part[i];
			const created = settledInBatch(answer);
			if (created) {
				shares.push(rememberCustomer(client, email, options, created));
				result.set(email, { customer: created, how: 'created' });
			} else result.set(email, await oneByOne(email));
		}
	}
	await Promise.all(shares);
	return result;
}

/**
 * What a later item with an e-mail already settled in this run gets: what the one-by-one path
 * would give it (the customer now exists and is active, so it is simply matched).
 */
function asRepeat(match: CustomerMatch | Error | undefined): CustomerMatch | Error | undefined {
	if (!match || match instanceof Error) return match;
	return { customer: match.customer, how: 'matched', ...(match.cached ? { cached: true } : {}) };
}

/**
 * One answer per item, in order: its customer, undefined (nobody has the e-mail; only without
 * `create`), or that item's own error. An item without a usable e-mail gets the fallback customer
 * when one is set (read once), else an error naming `emailField`. Items sharing an e-mail are
 * settled once; the later ones get what the one-by-one operation would give them.
 */
export async function matchEachInBatch(
	client: QboClient,
	people: Array<Person | Error>,
	options: MatchOptions,
	create: boolean,
	emailField = 'email',
): Promise<Array<CustomerMatch | Error | undefined>> {
	const emails = people.map((p) => (p instanceof Error ? undefined : normalizeEmail(p.email)));
	const distinct = new Map<string, Person>();
	people.forEach((p, i) => {
		const email = emails[i];
		if (email && !(p instanceof Error) && !distinct.has(email)) distinct.set(email, p);
	});
	const matches = distinct.size
		? await matchCustomersInBatch(client, distinct, options, create)
		: new Map<string, CustomerMatch | Error | undefined>();
	const seen = new Set<string>();
	const answers: Array<CustomerMatch | Error | undefined> = [];
	for (const [i, person] of people.entries()) {
		const email = emails[i];
		if (person instanceof Error) answers.push(person);
		else if (email) {
			answers.push(seen.has(email) ? asRepeat(matches.get(email)) : matches.get(email));
			seen.add(email);
		} else if (options.fallbackCustomerId) {
			const id = options.fallbackCustomerId;
			answers.push(
				await settled(
					client
						.memo(`customer:${id}`, async () => await client.read('Customer', id))
						.then((customer): CustomerMatch => ({ customer, how: 'fallback' })),
				),
			);
		} else answers.push(new CrmInputError(emailField, describeEmailProblem(person.email)));
	}
	return answers;
}
