/** Refund receipts' pure rules: lines for a full or partial refund to the cent, what is left, notes. */
import { crmMarkersIn, docNumberFor, hasCrmMarker } from '../../nodes/shared/domain/docNumber';
import {
	planRefund,
	refundNote,
	refundStillDue,
	refundTargetOf,
	refundsOf,
	totalOf,
} from '../../nodes/shared/domain/refund';
import { round2 } from '../../nodes/shared/domain/money';
import type { QboRecord } from '../../nodes/shared/types';

/** A sales receipt as QuickBooks answers it: product lines, subtotal, discount, tax. */
function receipt(
	lines: Array<[string, number, number, string?]>,
	discount = 0,
	tax = 0,
): QboRecord {
	const sales = lines.map(([item, qty, price, code], i) => ({
		Id: String(i + 1),
		LineNum: i + 1,
		DetailType: 'SalesItemLineDetail',
		Amount: round2(qty * price),
		Description: `${item} line`,
		SalesItemLineDetail: {
			ItemRef: { value: String(10 + i), name: item },
			Qty: qty,
			UnitPrice: price,
			TaxCodeRef: { value: code ?? 'TAX' },
		},
	}));
	const subtotal = round2(sales.reduce((s, l) => s + l.Amount, 0));
	return {
		Id: '501',
		TotalAmt: round2(subtotal - discount + tax),
		ApplyTaxAfterDiscount: true,
		TxnTaxDetail: { TotalTax: tax },
		Line: [
			...sales,
			{ DetailType: 'SubTotalLineDetail', Amount: subtotal, SubTotalLineDetail: {} },
			...(discount
				? [
						{
							DetailType: 'DiscountLineDetail',
							Amount: discount,
							DiscountLineDetail: { PercentBased: false },
						},
					]
				: []),
		],
	};
}

/** What QuickBooks would total for a planned refund receipt. */
function totalOfPlan(plan: { lines: QboRecord[]; totalTax: number }): number {
	const sales = plan.lines.filter((l) => l.DetailType === 'SalesItemLineDetail');
	const discount = plan.lines.find((l) => l.DetailType === 'DiscountLineDetail');
	return round2(
		sales.reduce((s, l) => s + Number(l.Amount), 0) - Number(discount?.Amount ?? 0) + plan.totalTax,
	);
}

const refundReceipt = (total: number, tax: number, note = ''): QboRecord => ({
	TotalAmt: total,
	TxnTaxDetail: { TotalTax: tax },
	PrivateNote: note,
});

test('a full refund copies the receipt: its lines, quantities, discount and tax', () => {
	const source = receipt(
		[
			['Consultation', 2, 75],
			['Report', 1, 49.99, 'NON'],
		],
		20,
		10.4,
	);
	const plan = planRefund(source, 190.39, []);
	expect(plan).toMatchObject({ ok: true, copied: true, totalTax: 10.4, remaining: 0 });
	if (!plan.ok) throw new Error('refused');
	expect(plan.lines).toEqual([
		{
			DetailType: 'SalesItemLineDetail',
			Amount: 150,
			Description: 'Consultation line',
			SalesItemLineDetail: {
				ItemRef: { value: '10' },
				Qty: 2,
				UnitPrice: 75,
				TaxCodeRef: { value: 'TAX' },
			},
		},
		expect.objectContaining({ Amount: 49.99 }),
		{ DetailType: 'DiscountLineDetail', Amount: 20, DiscountLineDetail: { PercentBased: false } },
	]);
	expect(totalOfPlan(plan)).toBe(190.39);
});

test('a partial refund: tax in proportion, the rest over the lines by amount, remainder on the last line', () => {
	const source = receipt(
		[
			['A', 1, 10],
			['B', 1, 10],
			['C', 1, 10],
		],
		0,
		2.55,
	);
	const plan = planRefund(source, 10, []);
	if (!plan.ok) throw new Error('refused');
	expect(plan.copied).toBe(false);
	// 2.55 × 10 / 32.55 = 0.783… → 0.78; net 9.22 → 3.07, 3.07, 3.08.
	expect(plan.totalTax).toBe(0.78);
	expect(plan.lines.map((l) => l.Amount)).toEqual([3.07, 3.07, 3.08]);
	expect(plan.lines[2].SalesItemLineDetail).toEqual({
		ItemRef: { value: '12' },
		TaxCodeRef: { value: 'TAX' },
	});
	expect(totalOfPlan(plan)).toBe(10);
	expect(plan.remaining).toBe(22.55);
});

test('partial refunds summing to the total: each exact, the last one completes lines and tax', () => {
	const source = receipt(
		[
			['Plan', 1, 99],
			['Kit', 2, 15.5],
		],
		13,
		9.35,
	);
	expect(source.TotalAmt).toBe(126.35);
	const done: QboRecord[] = [];
	for (const amount of [33.33, 50, 43.02]) {
		const plan = planRefund(source, amount, done);
		if (!plan.ok) throw new Error(`refused ${amount}`);
		expect(totalOfPlan(plan)).toBe(amount);
		done.push(refundReceipt(amount, plan.totalTax));
	}
	expect(totalOf(done)).toBe(126.35);
	// The tax refunded in all is the receipt's tax, to the cent.
	expect(round2(done.reduce((s, r) => s + Number((r.TxnTaxDetail as any).TotalTax), 0))).toBe(9.35);
	expect(planRefund(source, 0.01, done)).toEqual({
		ok: false,
		why: 'exceeds',
		refundedBefore: 126.35,
		available: 0,
	});
});

test('more than is left is refused with what was refunded and what is left', () => {
	const source = receipt([['A', 1, 100, 'NON']]);
	expect(planRefund(source, 100.01, [])).toMatchObject({ ok: false, available: 100 });
	expect(planRefund(source, 15, [refundReceipt(90, 0)])).toEqual({
		ok: false,
		why: 'exceeds',
		refundedBefore: 90,
		available: 10,
	});
	expect(planRefund(source, 0, [])).toMatchObject({ ok: false });
	// For an invoice the cap is what this sync's payments paid, not the invoice total.
	expect(planRefund(source, 60, [], 50)).toMatchObject({ ok: false, available: 50 });
	expect(planRefund({ TotalAmt: 10, Line: [] }, 5, [])).toMatchObject({
		ok: false,
		why: 'noLines',
	});
});

test('a few cents over many lines never make a line negative', () => {
	const source = receipt(
		Array.from(
			{ length: 7 },
			(_, i) => [`I${i}`, 1, 0.01, 'NON'] as [string, number, number, string],
		),
	);
	const plan = planRefund(source, 0.03, []);
	if (!plan.ok) throw new Error('refused');
	expect(plan.lines.every((l) => Number(l.Amount) > 0)).toBe(true);
	expect(totalOfPlan(plan)).toBe(0.03);
});

test("a refund receipt's note: ours by its own marker, says what it refunds, is no payment's marker", () => {
	const note = refundNote('re_1 (x)', { kind: 'payment', id: 'ch_1' }, 'sales receipt 501');
	expect(note).toBe('CRM refund re_1%20%28x%29 for payment ch_1 (sales receipt 501)');
	expect(crmMarkersIn(note)).toEqual([{ kind: 'refund', id: 're_1%20%28x%29' }]);
	const record = { PrivateNote: note, TotalAmt: 5 };
	expect(hasCrmMarker(record, 'refund', 're_1 (x)')).toBe(true);
	expect(hasCrmMarker(record, 'payment', 'ch_1')).toBe(false);
	expect(refundTargetOf(note)).toEqual({ kind: 'payment', id: 'ch_1' });
	expect(refundTargetOf('CRM payment ch_1')).toBeUndefined();
	const others = [
		record,
		{ PrivateNote: refundNote('re_2', { kind: 'payment', id: 'ch_12' }), TotalAmt: 1 },
		{ PrivateNote: refundNote('re_3', { kind: 'invoice', id: 'ch_1' }), TotalAmt: 1 },
		{ PrivateNote: `Voided - ${refundNote('re_4', { kind: 'payment', id: 'ch_1' })}`, TotalAmt: 0 },
	];
	expect(refundsOf(others, { kind: 'payment', id: 'ch_1' })).toEqual([record]);
	// Refund numbers follow the document-number rules: ≤ 21 characters, distinct for long ids.
	expect(docNumberFor('re_3PqZ0001aBcDeFgHiJkLmNoP', 'R-')).toHaveLength(21);
});

describe('refundStillDue: HighLevel’s refunded total bounds what is booked', () => {
	test('without the total, the refund’s own amount', () => {
		expect(refundStillDue(30, undefined, 500)).toBe(30);
	});
	test('never past the total: the shortfall, or nothing once it is booked', () => {
		expect(refundStillDue(75, 75, 30)).toBe(45);
		expect(refundStillDue(30, 50, 50)).toBe(0);
		expect(refundStillDue(30, 50, 60)).toBe(0);
		expect(refundStillDue(10, 60, 50)).toBe(10);
		expect(refundStillDue(0.1 + 0.2, 0.3, 0)).toBe(0.3);
	});
});
