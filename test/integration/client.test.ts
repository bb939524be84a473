/**
 * The transport against the emulator with a plain HTTP sender (no n8n): count, paging, CDC with
 * QuickBooks' clock, batch chunking with per-item faults mapped back to their items.
 */
import { QboClient } from '../../nodes/shared/transport/client';
import { plainSend, useEmulatedQuickBooks } from '../helpers/engine';

const qb = useEmulatedQuickBooks();

function client(): QboClient {
	const send = plainSend(qb.creds);
	return new QboClient({ baseUrl: qb.emulator.url, realmId: qb.emulator.defaultRealm }, send, {
		now: Date.now,
		sleep: async () => undefined,
		random: () => 0.5,
	});
}

test('count and paging agree with what QuickBooks holds', async () => {
	qb.emulator.seed(
		qb.emulator.defaultRealm,
		'Customer',
		Array.from({ length: 2100 }, (_, i) => ({ DisplayName: `Paged ${i}`, Active: i % 10 !== 0 })),
	);
	const c = client();
	expect(await c.count({ entity: 'Customer' })).toBe(1890);
	expect(await c.count({ entity: 'Customer', includeInactive: true })).toBe(2100);
	const all = await c.queryAll({ entity: 'Customer', includeInactive: true, orderBy: 'Id ASC' });
	expect(new Set(all.map((r) => r.Id)).size).toBe(2100);
	expect(c.stats.requests).toBe(2 + 3);
	expect(await c.queryAll({ entity: 'Customer' }, { limit: 1234 })).toHaveLength(1234);
});

test('CDC returns changes and deletions since a time, with QuickBooks’ clock', async () => {
	qb.emulator.setOptions({ clockOffsetMs: 90_000 });
	const c = client();
	const since = new Date(Date.now() + 89_000);
	const [customer] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
		{ DisplayName: 'Changed' },
	]);
	const [invoice] = qb.emulator.seed(qb.emulator.defaultRealm, 'Invoice', [
		{
			CustomerRef: { value: customer.Id },
			Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }],
		},
	]);
	qb.realm().delete('Invoice', { Id: invoice.Id, SyncToken: invoice.SyncToken });
	const { changes, serverTime } = await c.cdc(['Customer', 'Invoice'], since);
	expect(changes.Customer.map((r) => r.Id)).toEqual([customer.Id]);
	expect(changes.Invoice).toEqual([expect.objectContaining({ Id: invoice.Id, status: 'Deleted' })]);
	expect(serverTime! - Date.now()).toBeGreaterThan(85_000);
});

test('batch: 65 operations in 3 calls, each fault returned to its own item', async () => {
	const c = client();
	const ops = Array.from({ length: 65 }, (_, i) => ({
		entity: 'Customer',
		operation: 'create' as const,
		payload: { DisplayName: i === 40 ? 'Batch 3' : `Batch ${i}` },
	}));
	const results = await c.batch(ops);
	expect(c.stats.requests).toBe(3);
	expect(results).toHaveLength(65);
	expect(results.filter((r) => !r.ok)).toHaveLength(1);
	expect(results[40]).toMatchObject({ ok: false, error: { code: '6240' } });
	expect(results[41]).toMatchObject({ ok: true, record: { DisplayName: 'Batch 41' } });
});
