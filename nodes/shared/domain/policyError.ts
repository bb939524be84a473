/**
 * The sync refused to touch a QuickBooks document because it is not provably this package's
 * (a bookkeeper's document under the same number, a payment it did not record). Nothing was
 * written; `hint` says what the user can do.
 */
export class BooksPolicyError extends Error {
	constructor(
		message: string,
		readonly hint: string,
	) {
		super(message);
		this.name = 'BooksPolicyError';
	}
}
