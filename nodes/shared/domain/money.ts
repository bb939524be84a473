/** Money in currency units, rounded as QuickBooks rounds: half away from zero, to the cent. */
export function round2(value: number): number {
	const cents = Math.round(Math.abs(value) * 100 + 1e-7);
	return (Math.sign(value) || 1) * (cents / 100);
}

export function toAmount(value: unknown, field: string): number {
	if (value === undefined || value === null || value === '') return 0;
	const n = typeof value === 'number' ? value : Number(String(value).replace(/[^0-9.-]/g, ''));
	if (!Number.isFinite(n)) throw new Error(`${field} is not a number: ${JSON.stringify(value)}`);
	return n;
}

export function sameAmount(a: number, b: number): boolean {
	return Math.abs(round2(a) - round2(b)) < 0.005;
}
