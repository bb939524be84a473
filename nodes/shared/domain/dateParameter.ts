/**
 * What a date parameter holds: n8n's date-time picker gives a Luxon DateTime, an expression an ISO
 * text (or a date). Pure: the nodes turn `undefined` into an error that names their field.
 */

/** The parameter as text: the DateTime's ISO form, or the value trimmed. */
export function dateText(raw: unknown): string {
	return raw && typeof raw === 'object' && 'toISO' in (raw as object)
		? String((raw as { toISO(): string }).toISO())
		: String(raw ?? '').trim();
}

/** YYYY-MM-DD of the parameter (its own day when it starts with one, else its UTC day), or undefined. */
export function dayOfDate(raw: unknown): string | undefined {
	const text = dateText(raw);
	if (/^\d{4}-\d{2}-\d{2}/.test(text)) return text.slice(0, 10);
	const parsed = Date.parse(text);
	return !text || Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString().slice(0, 10);
}

/** Epoch ms of the parameter, or undefined. */
export function timeOfDate(raw: unknown): number | undefined {
	const text = dateText(raw);
	const parsed = Date.parse(text);
	return !text || Number.isNaN(parsed) ? undefined : parsed;
}
