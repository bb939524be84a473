/** Customer look-up and creation by e-mail against QuickBooks, following the matching policy. */
import type { QboClient } from '../transport/client';
import type { QuerySpec } from '../transport/query';
import type { QboRecord } from '../types';
import { CrmInputError, OutcomeError } from '../errors';
import { isNameTaken } from '../recovery';
import {
	chooseCustomer,
	disambiguatedName,
	displayNameFor,
	newCustomerBody,
	type DuplicatePolicy,
	type InactivePolicy,
	type Person,
} from '../domain/customerMatch';
import { describeEmailProblem, normalizeEmail } from '../domain/email';
import type { CustomerMatch } from './types';
import { companyCache, createKeySuffix, customerKey, forgetCustomer } from './companyCache';
import { once, readThrough, shareFound } from './sharedLookups';

export interface MatchOptions {
	duplicates: DuplicatePolicy;
	inactive: InactivePolicy;
	/** Customer id used when the e-mail is missing or malformed (instead of failing the item). */
	fallbackCustomerId?: string;
}

export const DEFAULT_MATCH: MatchOptions = { duplicates: 'oldest', inactive: 'reactivate' };

/** `fresh`: ask QuickBooks even when the company cache knows the answer (after a refusal, R17). */
export interface LookupMode {
	fresh?: boolean;
}

/**
 * A customer QuickBooks just gave as the match for this e-mail (found, reactivated or created),
 * remembered in this process at once and for the other processes when the returned promise settles.
 */
export async function rememberCustomer(
	client: QboClient,
	email: string,
	options: MatchOptions,
	customer: QboRecord,
): Promise<void> {
	const key = customerKey(email, options.duplicates);
	companyCache(client).customers.set(key, customer);
	await shareFound(client, 'customer', key, String(customer.Id), customer);
}

/** A customer this package just changed (e-mail, name, active): its cached matches go. */
export function forgetCachedCustomer(client: QboClient, customerId: string): void {
	forgetCustomer(companyCache(client), customerId);
}

/** The match this process, or another one in queue mode, found for the e-mail within its time to live. */
async function cachedCustomer(
	client: QboClient,
	email: string,
	options: MatchOptions,
): Promise<CustomerMatch | undefined> {
	const key = customerKey(email, options.duplicates);
	const customer = await readThrough(client, 'customer', key, companyCache(client).customers);
	return customer ? { customer, how: 'matched', cached: true } : undefined;
}

export function requireEmail(raw: unknown, field = 'email'): string {
	const email = normalizeEmail(raw);
	if (!email) throw new CrmInputError(field, describeEmailProblem(raw));
	return email;
}

/**
 * Candidates for an e-mail: LIKE because the field may hold several addresses ("a@x.com, b@y.com");
 * chooseCustomer then keeps only exact matches of one of them.
 */
export function customersByEmailQuery(email: string, options: MatchOptions): QuerySpec {
	return {
		entity: 'Customer',
		where: [{ field: 'PrimaryEmailAddr', op: 'LIKE', value: `%${email}%` }],
		includeInactive: options.inactive === 'reactivate',
		maxResults: 1000,
	};
}

/**
 * The customer with this e-mail, or undefined. Inactive matches are reactivated per policy. A match
 * may come from the company cache; "not found" never does.
 */
export async function findCustomerByEmail(
	client: QboClient,
	email: string,
	options: MatchOptions = DEFAULT_MATCH,
	mode: LookupMode = {},
): Promise<CustomerMatch | undefined> {
	const cached = mode.fresh ? undefined : await cachedCustomer(client, email, options);
	if (cached) return cached;
	const lookUp = async () => {
		const candidates = await client.query(customersByEmailQuery(email, options));
		const match = await settleChoice(client, email, candidates, options);
		if (match) await rememberCustomer(client, email, options, match.customer);
		return match;
	};
	// A fresh look-up (after a refusal) asks on its own; others in flight for the e-mail ask once.
	return mode.fresh
		? await lookUp()
		: await once(client, `customer:${customerKey(email, options.duplicates)}`, lookUp);
}

/** What the customers QuickBooks returned for an e-mail come to: one match, none, or an error. */
async function settleChoice(
	client: QboClient,
	email: string,
	candidates: QboRecord[],
	options: MatchOptions,
): Promise<CustomerMatch | undefined> {
	const choice = chooseCustomer(email, candidates, options.duplicates, options.inactive);
	if (choice.kind === 'none') return undefined;
	if (choice.kind === 'ambiguous') {
		throw new OutcomeError(
			'ambiguous',
			`Several QuickBooks customers have the e-mail ${email} (ids ${choice.ids.join(', ')}); choose "Oldest" or "Most Recently Updated" under "Several Customers With the E-Mail" or merge them in QuickBooks`,
			'Set "Several Customers With the E-Mail" to "Use Oldest" or "Use Most Recently Updated", or merge the customers in QuickBooks; then run the item again.',
		);
	}
	if (choice.kind === 'inactive') {
		const { record } = await client.modify(
			'Customer',
			String(choice.customer.Id),
			() => ({ Active: true }),
			choice.customer,
		);
		return { customer: record, how: 'matched', reactivated: true };
	}
	return { customer: choice.customer, how: 'matched' };
}

/**
 * Finds the customer by e-mail or creates one. A name clash (6240) is either a concurrent run
 * that just created this very customer (found by re-checking the e-mail) or someone else with
 * the same name (retried once as "Name (e-mail)"): recovery R5.
 */
export async function findOrCreateCustomer(
	client: QboClient,
	person: Person,
	options: MatchOptions = DEFAULT_MATCH,
	emailField = 'email',
	mode: LookupMode = {},
): Promise<CustomerMatch> {
	const email = normalizeEmail(person.email);
	if (!email) {
		if (options.fallbackCustomerId) {
			return {
				customer: await client.read('Customer', options.fallbackCustomerId),
				how: 'fallback',
			};
		}
		throw new CrmInputError(emailField, describeEmailProblem(person.email));
	}
	const existing = await findCustomerByEmail(client, email, options, mode);
	if (existing) return existing;
	return await createCustomer(client, person, email, options);
}

/**
 * Creates the customer for an e-mail nobody has (just looked up, never from the cache). A name
 * clash (6240) is settled as in findOrCreateCustomer (recovery R5).
 */
async function createCustomer(
	client: QboClient,
	person: Person,
	email: string,
	options: MatchOptions,
): Promise<CustomerMatch> {
	const names = [displayNameFor(person, email), disambiguatedName(person, email)];
	const suffix = createKeySuffix(
		companyCache(client),
		'customer',
		customerKey(email, options.duplicates),
	);
	for (let i = 0; i < names.length; i++) {
		try {
			// The first create is keyed by the e-mail alone (as the batch path's): runs that race for a
			// new e-mail with different names (on other workers, caches apart) get one customer back.
			// Only the second, after a name clash, is the name's own.
			const customer = await client.create(
				'Customer',
				newCustomerBody(person, email, names[i]),
				i === 0 ? `customer:${email}${suffix}` : `customer:${email}:${names[i]}${suffix}`,
			);
			await rememberCustomer(client, email, options, customer);
			return { customer, how: 'created' };
		} catch (error) {
			if (!isNameTaken(error)) throw error;
			const raced = await findCustomerByEmail(client, email, options, { fresh: true });
			if (raced) return raced;
			if (i === names.length - 1 || names[i] === names[i + 1]) throw error;
		}
	}
	throw new Error('unreachable');
}
