/**
 * Errors say whose fault: what QuickBooks said is a NodeApiError, bad input and local outcomes are
 * NodeOperationErrors, and every message of an item starts with `Item N: ` once (nodes/shared/errors.ts).
 */
import { readdirSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { CrmInputError, OutcomeError } from '../../nodes/shared/errors';
import { QboError, faultFromResponse } from '../../nodes/shared/quickbooks/errors';
import { fieldError, toNodeError } from '../../nodes/shared/transport/n8n';

const node = {
	id: '1',
	name: 'QuickBooks Sync',
	type: 'n8n-nodes-quickbooks-sync.quickBooksSync',
	typeVersion: 1,
	position: [0, 0] as [number, number],
	parameters: {},
};
const stale = {
	Fault: {
		Error: [
			{
				Message: 'Stale Object Error',
				Detail: 'Stale Object Error : You and Jane were working on this at the same time.',
				code: '5010',
				element: 'SyncToken',
			},
		],
		type: 'ValidationFault',
	},
};

describe('error classes', () => {
	test('a QuickBooks fault is an API error with code, element and intuit_tid', () => {
		const error = toNodeError(node, faultFromResponse(400, { intuit_tid: 'tid-1' }, stale, 0), 2);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toMatch(/^Item 2: The QuickBooks record was changed by someone else/);
		expect(error.description).toBe(
			'QuickBooks code 5010 · Stale Object Error : You and Jane were working on this at the same time. · field: SyncToken · HTTP 400 · intuit_tid: tid-1',
		);
	});

	test('no answer from QuickBooks is an operation error: QuickBooks said nothing', () => {
		const error = toNodeError(
			node,
			new QboError('Could not reach QuickBooks (ECONNRESET)', { kind: 'network' }),
			0,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Item 0: Could not reach QuickBooks (ECONNRESET)');
		expect(error.description).toMatch(/did not answer/);
	});

	test('bad input names the item and the field', () => {
		const error = toNodeError(node, new CrmInputError('payment.total_amount', 'is missing'), 4);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Item 4: field "payment.total_amount" is missing');
		expect(error.description).toMatch(/^Fix "payment.total_amount"/);
		expect(error.context.itemIndex).toBe(4);
	});

	test('a local outcome is an operation error that says what to do', () => {
		const error = toNodeError(
			node,
			new OutcomeError(
				'ambiguous',
				'Several QuickBooks customers have the e-mail a@b.co (ids 1, 2)',
				'Merge them in QuickBooks.',
			),
			1,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(
			'Item 1: Several QuickBooks customers have the e-mail a@b.co (ids 1, 2)',
		);
		expect(error.description).toBe('Merge them in QuickBooks.');
	});

	test('`Item N: ` once, on every class; none without an item (trigger, set-up)', () => {
		expect(toNodeError(node, fieldError(node, 3, 'email', 'is missing'), 3).message).toBe(
			'Item 3: field "email" is missing',
		);
		expect(
			toNodeError(node, new NodeOperationError(node, 'Reconnect the credential'), 3).message,
		).toBe('Item 3: Reconnect the credential');
		expect(toNodeError(node, new Error('plain'), 5).message).toBe('Item 5: plain');
		expect(
			toNodeError(
				node,
				new OutcomeError('notFound', 'No QuickBooks invoice has the number X', 'Check it.'),
			).message,
		).toBe('No QuickBooks invoice has the number X');
		expect(toNodeError(node, faultFromResponse(503, {}, '', 0)).message).toBe(
			'QuickBooks is unavailable (HTTP 503)',
		);
	});

	test('QboError is built only where QuickBooks answered (or did not answer at all)', () => {
		const root = resolve(__dirname, '../..');
		const files = (dir: string): string[] =>
			readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
				e.isDirectory()
					? files(`${dir}/${e.name}`)
					: e.name.endsWith('.ts')
						? [`${dir}/${e.name}`]
						: [],
			);
		const building = files('nodes').filter((f) =>
			readFileSync(join(root, f), 'utf8').includes('new QboError('),
		);
		expect(building.sort()).toEqual([
			'nodes/shared/quickbooks/errors.ts', // faultFromResponse: what QuickBooks sent
			'nodes/shared/transport/client.ts', // kind "network": the connection failed
		]);
	});
});
