/** A bad value in what the CRM (or the user's mapping) sent: names the field, says what is wrong. */
export class CrmInputError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
	}
}
