/** QuickBooks DocNumber holds at most 21 characters. */
export const DOC_NUMBER_MAX = 21;

/**
 * The QuickBooks DocNumber for a CRM document: prefix + key, and when that is too long the
 * key's last characters (the distinctive end of ids and numbers) are kept.
 */
export function docNumberFor(key: string, prefix = ''): string {
	const clean = key.trim().replace(/\s+/g, '-');
	if (!clean) throw new Error('The CRM document has no id or number to use as DocNumber');
	if (prefix.length >= DOC_NUMBER_MAX) throw new Error(`The DocNumber prefix "${prefix}" is too long`);
	const room = DOC_NUMBER_MAX - prefix.length;
	return prefix + (clean.length > room ? clean.slice(-room) : clean);
}

/** The marker written to PrivateNote that ties a QuickBooks record to its CRM source. */
export function crmMarker(kind: 'payment' | 'invoice', id: string): string {
	return `CRM ${kind} ${id}`;
}

export function hasCrmMarker(record: Record<string, unknown>, kind: 'payment' | 'invoice', id: string): boolean {
	return String(record.PrivateNote ?? '').includes(crmMarker(kind, id));
}
