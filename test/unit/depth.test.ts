import { MAX_BODY_DEPTH, nestsDeeperThan } from '../../nodes/shared/highlevel/depth';
import { marketplaceInvoice } from '../../scripts/dev/fixtures/highlevel';

const nested = (depth: number) => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

test('nesting depth is counted without recursion, up to the limit and one past it', () => {
	expect(nestsDeeperThan(1, 0)).toBe(false);
	expect(nestsDeeperThan({}, 0)).toBe(true);
	expect(nestsDeeperThan(nested(3), 3)).toBe(false);
	expect(nestsDeeperThan(nested(4), 3)).toBe(true);
	expect(nestsDeeperThan([[[]], {}], 3)).toBe(false);
	// Far deeper than the call stack allows recursion.
	expect(nestsDeeperThan(nested(200_000), MAX_BODY_DEPTH)).toBe(true);
	expect(nestsDeeperThan(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)), 64)).toBe(true);
});

test('HighLevel’s documented bodies are far below the limit', () => {
	expect(nestsDeeperThan(marketplaceInvoice('InvoiceSent'), 8)).toBe(false);
});
