/**
 * Every retry and replay decision of the package, in one place. Call sites use the names below;
 * what a row does not name is structure, and the row says where it lives.
 *
 * | #   | When                                                        | Decision                                                                                          | Bounded by                                               | Used in |
 * |-----|-------------------------------------------------------------|---------------------------------------------------------------------------------------------------|----------------------------------------------------------|---------|
 * | R1a | HTTP 429 / fault 3001 (a company limit reached)             | `retryKindOf` "throttled": the company's budget holds every call to the company in the process for `throttleHoldMs`; then the same request again (same requestid), in the call's first place in the company's queue, once the window has room | `THROTTLED_RETRY`: 10 attempts, 200 s after the first was sent (three windows) | transport/retry.ts `withRetry`, transport/pacing.ts `CompanyBudget` |
 * | R1b | HTTP 5xx, connection reset or timeout                       | `retryKindOf` "transient": send the same request again (same requestid), exponential backoff with equal jitter, never sooner than Retry-After | `HTTP_RETRY`: 6 attempts, 120 s after the first          | transport/retry.ts `withRetry`, for every call of transport/client.ts `call` |
 * | R2  | HTTP 401 (access token expired)                             | `N8N_REFRESH_STATUSES`: n8n throws, refreshes the OAuth2 token (or takes the one another run stored) and repeats the request; a 401 after that goes once more through the same | `R2_ATTEMPTS` = 2 rounds of n8n's refresh                | transport/n8n.ts `getQboClient` |
 * | R3  | token refresh refused (`invalid_grant`)                     | `isReconnectError`: no retry; the user must reconnect the credential. The rest of the node run gets the same answer without asking Intuit again; the durable drain keeps the rows pending without spending an attempt and stops at once for the error workflow | one refused refresh per node run                         | transport/n8n.ts `getQboClient`, the durable template's Outcome |
 * | R4  | fault 5010 (stale SyncToken) on an update                   | `rereadAfterStale`: read the record again, re-apply the change, write once more                   | `STALE_REREADS` = 1                                      | transport/client.ts `modify` (customer update and reactivation, invoice update) |
 * | R5  | fault 6240 (name taken) creating a customer                 | `isNameTaken`: look the e-mail up again (a concurrent run created it: use it), else the next name "Name (e-mail)" | the 2 names of domain/customerMatch.ts        | sync/customers.ts `findOrCreateCustomer` |
 * | R6  | fault 6240 creating an item                                 | `isNameTaken`: look the name up again (a concurrent run created it: use it)                       | 1 look-up                                                | sync/items.ts `findOrCreateItem` |
 * | R7  | fault 6140 (number taken; "custom transaction numbers" on)  | `isNumberTaken`: look our document up: ours → use it; someone else's → clash error. With the preference on (cached, R8) this is how a race between two runs ends | 1 look-up                  | sync/ownDocuments.ts `createOwnDocument` |
 * | R8  | after a create, an older document with our marker exists    | `raceLookupNeeded`: look again after each create unless the company's preference, cached for `CACHE_LIMITS.preferences` (15 min), says QuickBooks refuses duplicate numbers (then R7 settled any race); off or unknown: `lostRace`: keep the oldest, void ours (a refund receipt: delete it) | 1 look-up, 1 void | sync/ownDocuments.ts `createOwnDocument`, sync/receiptsBatch.ts `settleRaces`, sync/preferences.ts |
 * | R9  | the invoice was created by another run (R7/R8 gave theirs)  | bring theirs to what this event says (an update)                                                  | 1 update (itself R4)                                     | sync/invoices.ts `syncInvoice` |
 * | R10 | a batch item the batch cannot settle                        | `lookupSettledOneByOne`, `settledInBatch`, `receiptRedoneOneByOne`, `isRefusedReference`: that item alone goes the one-by-one way (R4–R8, R17 apply there) | once per item | sync/receiptsBatch.ts, sync/customersBatch.ts |
 * | R11 | a write repeated (retry, re-run, replayed event)            | the same caller key gives the same requestid, so QuickBooks answers with the first response       | QuickBooks' memory of requestids (undocumented)          | transport/client.ts `requestIdFor`; keys in sync/* |
 * | R12 | a HighLevel delivery fails on our side                      | `HIGHLEVEL_REDELIVER_STATUS`: answer 429, the only status HighLevel redelivers on                  | HighLevel: about 6 tries, 10 min apart                   | HighLevelTrigger/HighLevelTrigger.node.ts `webhook` |
 * | R13 | a HighLevel delivery repeats one already emitted            | answered 200 without an execution (business key)                                                  | the newest `MAX_KEYS` keys                               | highlevel/seen.ts `rememberKey` |
 * | R14 | a trigger poll fails                                        | the poll state is saved only after success: the next poll reads the same window again             | every poll; re-reads of the overlap are de-duplicated    | QuickBooksSyncTrigger/QuickBooksSyncTrigger.node.ts `poll`, domain/pollEvents.ts `dedupe` |
 * | R15 | a memoized look-up fails                                    | it is forgotten, so the next item asks QuickBooks again                                           | one node execution                                       | transport/client.ts `memo` |
 * | R16 | QuickBooks dropped the tax of a document just created (sales tax off) | the document this run created is deleted, the item stops with what to do                          | one delete                                               | sync/salesTax.ts `requireTaxKept` |
 * | R17 | a write refused with 610 / 2500 (a record it names was made inactive, merged or deleted) | `isRefusedReference`: every cached customer and item the write used is dropped; when one came from the cache, they are looked up again (`lookAgainAfterRefusal`) and the write goes once more if that gave other records (or reactivated the customer): the refused write stored nothing. Otherwise the item stops with QuickBooks' fault | `FRESH_REF_RETRIES` = 1 | sync/documentRefs.ts `writeWithRefs` (receipts, invoices), sync/receiptsBatch.ts |
 * | R18 | QuickBooks echoes a cached customer or item under another name in the document just written (renamed) | `echoedUnderOtherName`: the entry is dropped, the next run looks it up again; the written document stays (same record, new name) | no retry                 | sync/documentRefs.ts `forgetRenamed` |
 * | R19 | after a refund receipt is created, the refunds of its receipt or invoice exceed what may be refunded (two different refunds ran at once, each saw room for itself) | `overRefunded`: the older refunds are kept, ours is deleted and the item stops with the figures. A create QuickBooks answers from its memory of a request (R11) whose refund receipt was deleted since is written anew under a requestid of its own | 1 look-up, 1 delete; 1 more create | sync/refunds.ts `refundPayment` |
 * | R20 | a call gets no place in its company's budget (other runs, other n8n processes or a throttled hold use the limits) | `PACING_MAX_WAIT_MS`: the call stops with OutcomeError "busy", nothing sent: a failed execution (error workflow, retry in n8n) or a failed outbox row (retried with back-off), never a silent loss | 5 minutes of waiting | transport/pacing.ts `CompanyBudget.acquire` |
 * | R21 | a create answered with a document this sync deleted since (its requestid replayed after a compensating delete, sync/salesTax.ts) | `isDeletedBefore`: the answer still shows the tax dropped, and reading it (before deleting it again) is refused with 610 "Another user has deleted this transaction"; the create goes again under the requestid suffix `:after:<deleted id>` | `REPLAYED_DELETE_ATTEMPTS` = 3 | sync/salesTax.ts `createKeepingTax` (receipts, invoices, receipts in batches) |
 * | R22 | an invoice payment refused by a business rule (6000, e.g. more than the open balance: another run paid part of it since this one read it) | `payingRaced`: the invoice is read again and what is still due is paid under that state's own requestid; a payment QuickBooks took beyond the balance (`UnappliedAmt`) is voided and the rest paid the same way | `PAYMENT_REREADS` = 2 | sync/invoices.ts `recordCrmPayment` |
 *
 * What is cached across executions (sync/companyCache.ts) is never "not found": a customer or item
 * that is missing is always looked for in QuickBooks again right before it is created (R5, R6).
 */
import type { QboRecord } from './types';
import { FaultCode, QboError } from './quickbooks/errors';
import type { BatchResult, RetryPolicies, RetryPolicy } from './quickbooks/types';

/**
 * R1a: the retry budget of a call QuickBooks refused for the company's limits. Its waits are the
 * company's holds (`throttleHoldMs`), so the time bound is what counts: three whole windows of a
 * minute after the first attempt, with room for the calls themselves.
 */
export const THROTTLED_RETRY: RetryPolicy = {
	maxAttempts: 10,
	baseDelayMs: 1_000,
	maxDelayMs: 60_000,
	maxTotalMs: 200_000,
};

/**
 * R20: how long a call waits for its place in the company's budget before it stops, sending nothing.
 * A shared budget keeps a company's waits to seconds; only a backlog of more than five minutes of the
 * company's limits, or a hold QuickBooks asked for, gets here.
 */
export const PACING_MAX_WAIT_MS = 300_000;

/** R1b: the retry budget of a call that met server trouble or a dropped connection. */
export const HTTP_RETRY: RetryPolicy = {
	maxAttempts: 6,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	maxTotalMs: 120_000,
};

export const RETRY_POLICIES: RetryPolicies = { throttled: THROTTLED_RETRY, transient: HTTP_RETRY };

/** R1a, R1b: throttling, server trouble and dropped connections are transient; validation faults are not. */
export function isTransient(error: unknown): boolean {
	if (!(error instanceof QboError)) return false;
	if (error.kind === 'throttled' || error.kind === 'server' || error.kind === 'network')
		return true;
	return error.kind === 'fault' && (error.httpStatus ?? 0) >= 500;
}

/** R1a, R1b: which retry budget a failure draws on; undefined when it is not retried. */
export function retryKindOf(error: unknown): keyof RetryPolicies | undefined {
	if (error instanceof QboError && error.kind === 'throttled') return 'throttled';
	return isTransient(error) ? 'transient' : undefined;
}

/**
 * R1a: how long every call to a company holds back after a throttled answer, `episode` being the
 * number of throttled episodes in a row (1 for the first). Without Retry-After: a whole window, as
 * Intuit advises ("wait 60 seconds before retrying"), since its count then holds requests this
 * process cannot see (our own never pass the limits, see transport/pacing.ts). With it: the later of
 * Retry-After and a backoff doubling with each episode, up to a window.
 * Source: https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles
 */
export function throttleHoldMs(
	episode: number,
	retryAfterMs: number | undefined,
	windowMs: number,
	policy: RetryPolicy = THROTTLED_RETRY,
): number {
	if (retryAfterMs === undefined) return windowMs;
	const backoff = Math.min(windowMs, policy.maxDelayMs, policy.baseDelayMs * 2 ** (episode - 1));
	return Math.max(retryAfterMs, backoff);
}

/** R2: statuses n8n must throw for (the others come back as answers), so that it refreshes the token and repeats. */
export const N8N_REFRESH_STATUSES = [401];

/**
 * R2: how often a call goes out while QuickBooks answers 401 (n8n refreshes within each). n8n-core
 * repeats a 401 once, with the token another run stored meanwhile if there is one; a second round
 * refreshes that token when it has expired too.
 */
export const R2_ATTEMPTS = 2;

/** R3: whether n8n's OAuth2 refresh failed because the grant is gone (the user must reconnect). */
export function isReconnectError(error: unknown): boolean {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		const message = String((current as { message?: unknown }).message ?? '');
		const body = (current as { body?: { error?: unknown } }).body;
		if (
			body?.error === 'invalid_grant' ||
			/invalid_grant/.test(message) ||
			/needs to be reconnected/i.test(message) ||
			/OAuth credentials not connected/i.test(message)
		) {
			return true;
		}
		current = (current as { cause?: unknown }).cause;
	}
	return false;
}

/** R4: fresh reads after a stale SyncToken before the fault stands. */
export const STALE_REREADS = 1;

/** R4: whether an update that failed gets a fresh read and one more write (`rereads` done so far). */
export function rereadAfterStale(error: unknown, rereads: number): boolean {
	return (
		rereads < STALE_REREADS && error instanceof QboError && error.hasCode(FaultCode.StaleObject)
	);
}

/** R5, R6: QuickBooks refused a name as taken (customers, vendors and employees share the names). */
export function isNameTaken(error: unknown): boolean {
	return error instanceof QboError && error.hasCode(FaultCode.DuplicateName);
}

/** R7: QuickBooks refused a document number as taken (only with "custom transaction numbers" on). */
export function isNumberTaken(error: unknown): boolean {
	return error instanceof QboError && error.hasCode(FaultCode.DuplicateDocNumber);
}

/**
 * R7, R8: whether a create needs the look-up that settles a race. Not when the company refuses
 * duplicate numbers (`SalesFormsPrefs.CustomTxnNumbers` on): a concurrent run's create was then
 * refused with 6140 and settled by R7. Off or unknown: look.
 */
export function raceLookupNeeded(duplicateNumbersRefused: boolean | undefined): boolean {
	return duplicateNumbersRefused !== true;
}

/** R8: `oldest` is the document a race keeps; true when it is not `mine`, which must then be voided. */
export function lostRace(mine: QboRecord, oldest: QboRecord | undefined): oldest is QboRecord {
	return oldest !== undefined && String(oldest.Id) !== String(mine.Id);
}

/** R10: a batch customer look-up that found an inactive customer (to reactivate) or several (to explain). */
export function lookupSettledOneByOne(
	choice: 'none' | 'active' | 'inactive' | 'ambiguous',
): boolean {
	return choice === 'inactive' || choice === 'ambiguous';
}

/** R10: the record a batch create wrote, or undefined: then the item goes the one-by-one way. */
export function settledInBatch(answer: BatchResult): QboRecord | undefined {
	return answer.ok ? answer.record : undefined;
}

/** R10: a batch receipt refused for its number (a race with another run) is settled one by one (R7). */
export function receiptRedoneOneByOne(answer: BatchResult): boolean {
	return !answer.ok && isNumberTaken(answer.error);
}

/** R17: Intuit's code for an invalid (inactive or deleted) reference, besides 610 (source below). */
const INVALID_REFERENCE = '2500';

/**
 * R17: QuickBooks refused a write because a record it references is gone from use: 610 "Object Not
 * Found: Something you're trying to use has been made inactive" or 2500 "Invalid Reference Id" with
 * the same detail. Source: Intuit, "Top QuickBooks Online API errors and how to handle them",
 * https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-handle-them ;
 * a merged customer becomes inactive: https://quickbooks.intuit.com/learn-support/en-global/help-article/manage-customers/merge-duplicate-customers-quickbooks-online/L6s6B3PQd_ROW_en
 */
export function isRefusedReference(error: unknown): boolean {
	return error instanceof QboError && error.hasCode(FaultCode.NotFound, INVALID_REFERENCE);
}

/**
 * R21: QuickBooks refused to touch a transaction because it was deleted: 610 "Object Not Found :
 * Another user has deleted this transaction." (mcohen01/node-quickbooks#21, an update of a deleted
 * sales receipt). That a read of a deleted one answers the same is assumed (UNCERTAIN, left to the
 * live contract suite); the emulator answers 610 for any use of a deleted record.
 */
export function isDeletedBefore(error: unknown): boolean {
	return error instanceof QboError && error.hasCode(FaultCode.NotFound);
}

/** R21: creates repeated under a new requestid after answers that were deleted documents. */
export const REPLAYED_DELETE_ATTEMPTS = 3;

/**
 * R22: a payment towards an invoice refused by a business rule (6000). The emulator refuses more
 * than the open balance; whether QuickBooks refuses it or keeps the rest as a credit is UNCERTAIN
 * (left to the live contract suite), so both are handled. Other business rules refuse the re-read
 * payment again and stop the item with QuickBooks' message.
 */
export function payingRaced(error: unknown): boolean {
	return error instanceof QboError && error.hasCode(FaultCode.BusinessRule);
}

/** R22: re-reads of the invoice after a refused or over-applied payment. */
export const PAYMENT_REREADS = 2;

/** R17: writes repeated with freshly looked-up records after a refusal. */
export const FRESH_REF_RETRIES = 1;

/**
 * R17: whether a refused write looks its records up afresh (`retries` done so far): only when it
 * used a cached one. It is then written once more if the look-up gave other records.
 */
export function lookAgainAfterRefusal(retries: number, usedCache: boolean): boolean {
	return retries < FRESH_REF_RETRIES && usedCache;
}

/** R18: QuickBooks echoes a cached record under a name it was not cached with: it was renamed. */
export function echoedUnderOtherName(cachedNames: string[], echoed: unknown): boolean {
	return typeof echoed === 'string' && echoed !== '' && !cachedNames.includes(echoed);
}

/**
 * R19: whether the refund receipt `mineId`, counted after the refunds written before it (oldest
 * first), takes the refunds of one document past `cap`. Then it is deleted and the item stops.
 */
export function overRefunded(
	refundsOldestFirst: QboRecord[],
	mineId: string,
	cap: number,
): boolean {
	let sum = 0;
	for (const refund of refundsOldestFirst) {
		sum += Number(refund.TotalAmt ?? 0);
		if (String(refund.Id) === mineId) return sum > cap + 0.005;
	}
	return false;
}

/** R12: HighLevel redelivers a webhook only when it is answered 429. */
export const HIGHLEVEL_REDELIVER_STATUS = 429;
