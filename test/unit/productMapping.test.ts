/** Product Mapping rules (nodes/shared/domain/productMapping.ts): which rule books a CRM line. */
import {
	productLineKey,
	productRuleFor,
	productRulesFrom,
} from '../../nodes/shared/domain/productMapping';
import { productLinesOf } from '../../nodes/shared/domain/salesDocument';

const rules = [
	{ crm: 'Membership - Gold', item: 'Gold by name' },
	{ crm: 'p-gold', item: 'Gold by id' },
];

describe('which rule books a line', () => {
	test('the product ID first: a renamed product keeps its mapping', () => {
		expect(productRuleFor({ name: 'Gold Plan 2027', productId: 'p-gold' }, rules)?.item).toBe(
			'Gold by id',
		);
		expect(productRuleFor({ name: 'Membership - Gold', productId: 'p-gold' }, rules)?.item).toBe(
			'Gold by id',
		);
	});

	test('else the name, case and spacing aside; no rule for other products', () => {
		expect(productRuleFor({ name: '  membership -  GOLD ' }, rules)?.item).toBe('Gold by name');
		expect(productRuleFor({ name: 'Silver', productId: 'p-silver' }, rules)).toBeUndefined();
	});

	test('lines of one product share a key; a sale lists each product once, shipping by name', () => {
		const lines = productLinesOf({
			lines: [
				{
					name: 'Gold',
					productId: 'p-gold',
					qty: 1,
					unitPrice: 5,
					taxRate: 0,
					taxInclusive: false,
				},
				{
					name: 'Gold renamed',
					productId: 'p-gold',
					qty: 1,
					unitPrice: 5,
					taxRate: 0,
					taxInclusive: false,
				},
				{ name: 'Fee', qty: 1, unitPrice: 1, taxRate: 0, taxInclusive: false },
			],
			shipping: 4,
		} as never);
		expect(lines.map(productLineKey)).toEqual(['id:p-gold', 'name:fee', 'name:shipping']);
	});

	test('a rule missing a side is named, so the node can say which', () => {
		expect(productRulesFrom([{ crm: 'a', item: 'b' }, { crm: 'c' }])).toEqual({
			index: 1,
			missing: 'item',
		});
		expect(productRulesFrom([{ item: 'b' }])).toEqual({ index: 0, missing: 'crm' });
		expect(productRulesFrom([{ crm: ' a ', item: ' b ' }])).toEqual([{ crm: 'a', item: 'b' }]);
	});
});
