import { CrmInputError } from '../errors';

/** Money in currency units, rounded as QuickBooks rounds: half away from zero, to the cent. */
export function round2(value: number): number {
	const cents = Math.round(Math.abs(value) * 100 + 1e-7);
	return (Math.sign(value) || 1) * (cents / 100);
}

export function toAmount(value: unknown, field: string): number {
	if (value === undefined || value === null || value === '') return 0;
	// "1,234.50" and "$12" are amounts; "twelve", "12 apples" and a comma that could be a decimal
	// comma ("12,50", "1.234,50") are not: an error beats a misread amount (never read as 0).
	const text = typeof value === 'string' ? value.trim().replace(/[\s$€£¥]/g, '') : '';
	const thousands = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text);
	const plain = text.replace(thousands ? /,/g : /$^/, '');
	const n =
		typeof value === 'number' ? value : /^-?\d*\.?\d+$/.test(plain) ? Number(plain) : Number.NaN;
	if (!Number.isFinite(n))
		throw new CrmInputError(field, `is not a number: ${JSON.stringify(value)}`);
	return n;
}

/** Like toAmount, but a missing value is an error (a total must be stated, never assumed 0). */
export function requiredAmount(value: unknown, field: string): number {
	if (value === undefined || value === null || value === '')
		throw new CrmInputError(field, 'is missing');
	return toAmount(value, field);
}

export function sameAmount(a: number, b: number): boolean {
	return Math.abs(round2(a) - round2(b)) < 0.005;
}
