/**
 * The errors that are not QuickBooks' word. A leaf module (no n8n, no imports), so every layer may
 * throw them. Three classes reach the user, and toNodeError (transport/n8n.ts) shows each its own way:
 *
 * | Class                            | Whose fault                                                       | Shown in n8n as                                            |
 * |----------------------------------|-------------------------------------------------------------------|------------------------------------------------------------|
 * | QboError (quickbooks/errors.ts)  | QuickBooks answered with a Fault or an HTTP error status          | NodeApiError: code, detail, element, HTTP status, intuit_tid |
 * | CrmInputError                    | the input: a field of the item (CRM body, mapping) or a parameter | NodeOperationError `Item N: field "x" …` + how to fix it    |
 * | OutcomeError                     | nobody's: a local outcome (clash, not found, ambiguous, refused)  | NodeOperationError `Item N: …` + what to do (the hint)      |
 *
 * A QboError is only ever built from what QuickBooks sent (quickbooks/errors.ts faultFromResponse) or
 * for a connection that failed (kind "network", shown as an operation error: QuickBooks said nothing).
 */

/** A bad value in what the CRM (or the user's mapping or parameters) sent: names the field, says what is wrong. */
export class CrmInputError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'CrmInputError';
	}
}

/**
 * What a local outcome is:
 * - clash: a number this sync would use is taken by a document it did not create;
 * - notFound: what the item names (an invoice number, an income account, an item) is not in QuickBooks;
 * - ambiguous: several QuickBooks records fit and policy forbids guessing;
 * - refused: a policy of this package stops the write (a bookkeeper's payment on our invoice);
 * - incomplete: QuickBooks answered without a fault but without the record asked for;
 * - busy: the call never got its place in the company's request budget (nothing was sent).
 */
export type OutcomeKind =
	| 'clash'
	| 'notFound'
	| 'ambiguous'
	| 'refused'
	| 'incomplete'
	| 'busy'
	| 'totals';

/** A local outcome that stops the item. Nothing QuickBooks said; `hint` tells the user what to do. */
export class OutcomeError extends Error {
	constructor(
		readonly kind: OutcomeKind,
		message: string,
		readonly hint: string,
	) {
		super(message);
		this.name = 'OutcomeError';
	}
}
