import { CrmInputError } from '../errors';

/** Money in currency units, rounded as QuickBooks rounds: half away from zero, to the cent. */
export function round2(value: number): number {
	const cents = Math.round(Math.abs(value) * 100 + 1e-7);
	return (Math.sign(value) || 1) * (cents / 100);
}

export function toAmount(value: unknown, field: string): number {
	if (value === undefined || value === null || value === '') return 0;
	// "1,234.50" and "$12" are amounts; "twelve" or "12 apples" are not (never read as 0).
	const text = String(value).trim().replace(/[\s,$€£¥]/g, '');
	const n = typeof value === 'number' ? value : /^-?\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
	if (!Number.isFinite(n)) throw new CrmInputError(field, `is not a number: ${JSON.stringify(value)}`);
	return n;
}

/** Like toAmount, but a missing value is an error (a total must be stated, never assumed 0). */
export function requiredAmount(value: unknown, field: string): number {
	if (value === undefined || value === null || value === '') throw new CrmInputError(field, 'is missing');
	return toAmount(value, field);
}

export function sameAmount(a: number, b: number): boolean {
	return Math.abs(round2(a) - round2(b)) < 0.005;
}
