/**
 * "Continue (using error output)", as the durable drain uses it: failed items leave on the second
 * output with their input fields, the error naming the item and QuickBooks' details; the others go on.
 */
import { runNode, useEmulatedQuickBooks } from '../helpers/engine';

const qb = useEmulatedQuickBooks();

describe('error output', () => {
	const findByEmail = {
		resource: 'customer',
		operation: 'findByEmail',
		email: '={{ $json.email }}',
	};
	const input = [
		{ rowId: 1, email: 'ok@example.com' },
		{ rowId: 2, email: 'not-an-email' },
		{ rowId: 3, email: 'also.ok@example.com' },
	];

	test.each([
		['one by one', {}],
		['batch requests', { options: { batchRequests: true } }],
	])(
		'%s: a bad item goes to the error output with its input and the reason; the others to the main output',
		async (_, extra) => {
			const result = await runNode(qb.creds, { ...findByEmail, ...extra }, input, {
				errorOutput: true,
			});
			const main = result.output('QuickBooks Sync', 0).map((i) => i.json);
			const failed = result.output('QuickBooks Sync', 1).map((i) => i.json);
			expect(main.map((j) => [j.email, j.found])).toEqual([
				['ok@example.com', false],
				['also.ok@example.com', false],
			]);
			expect(failed).toHaveLength(1);
			expect(failed[0]).toMatchObject({ rowId: 2, email: 'not-an-email' });
			expect(String(failed[0].error)).toMatch(/^Item 1: field "email"/);
			expect(String(failed[0].message)).toMatch(/Fix "email"/);
		},
	);

	test('QuickBooks failing as a whole sends every item to the error output, each with QuickBooks’ reason', async () => {
		qb.emulator.injectFault({ action: 503, count: 1_000 });
		const result = await runNode(
			qb.creds,
			{ ...findByEmail, options: { batchRequests: true } },
			input.filter((i) => i.rowId !== 2),
			{ errorOutput: true },
		);
		qb.emulator.clearFaults();
		expect(result.output('QuickBooks Sync', 0)).toHaveLength(0);
		const failed = result.output('QuickBooks Sync', 1).map((i) => i.json);
		expect(failed.map((j) => j.rowId)).toEqual([1, 3]);
		for (const j of failed) expect(String(j.message)).toMatch(/HTTP 503/);
	}, 200_000);
});
