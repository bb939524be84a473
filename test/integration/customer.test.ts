import { runNode, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';

// Every rule must hold whether or not QuickBooks refuses duplicate numbers (company preference).
describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();

	const customers = () => realm().all('Customer');

	const findOrCreate = (
		email: string,
		person: Record<string, string> = {},
		options: Record<string, unknown> = {},
	) =>
		runNode(qb.creds, { resource: 'customer', operation: 'findOrCreate', email, person, options }, [
			{},
		]);

	describe('Customer matching through the n8n engine', () => {
		test('upper-case and padded e-mail matches the existing customer', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Pat Doe', PrimaryEmailAddr: { Address: 'pat@example.com' } },
			]);
			const out = (await findOrCreate('  PAT@Example.COM ')).output('QuickBooks Sync');
			expect(out[0].json.DisplayName).toBe('Pat Doe');
			expect(out[0].json.sync).toMatchObject({ action: 'matched' });
			expect(customers()).toHaveLength(1);
		});

		test('a customer whose e-mail field holds several addresses is found by any of them, and not by a longer one', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{
					DisplayName: 'Acme Books',
					PrimaryEmailAddr: { Address: 'owner@acme.example, Billing@Acme.example' },
				},
				{ DisplayName: 'Bob Billing', PrimaryEmailAddr: { Address: 'bob.billing@acme.example' } },
			]);
			for (const email of ['billing@acme.example', 'OWNER@acme.example']) {
				const out = (await findOrCreate(email)).output('QuickBooks Sync');
				expect(out[0].json).toMatchObject({
					DisplayName: 'Acme Books',
					sync: { action: 'matched' },
				});
			}
			const other = (await findOrCreate('ing@acme.example', { name: 'Ing' })).output(
				'QuickBooks Sync',
			);
			expect(other[0].json.sync).toMatchObject({ action: 'created' });
			expect(customers()).toHaveLength(3);
		});

		test('a new customer keeps the e-mail as the CRM wrote it; later look-ups ignore case', async () => {
			const first = (
				await findOrCreate(' Jamie.Rivera@Example.com ', { name: 'Jamie Rivera' })
			).output('QuickBooks Sync');
			expect(first[0].json.PrimaryEmailAddr).toEqual({ Address: 'Jamie.Rivera@Example.com' });
			const again = (await findOrCreate('jamie.rivera@example.com')).output('QuickBooks Sync');
			expect(again[0].json.Id).toBe(first[0].json.Id);
		});

		test("apostrophe e-mail (o'brien@) is found, and created only once", async () => {
			const first = (await findOrCreate("o'brien@example.com", { name: "Sean O'Brien" })).output(
				'QuickBooks Sync',
			);
			expect(first[0].json.sync).toMatchObject({ action: 'created' });
			const second = (await findOrCreate("O'Brien@example.com")).output('QuickBooks Sync');
			expect(second[0].json.sync).toMatchObject({ action: 'matched' });
			expect(second[0].json.Id).toBe(first[0].json.Id);
			expect(customers()).toHaveLength(1);
		});

		test('first payments of one new e-mail with different names (or none) at the same moment end with one customer (22.7)', async () => {
			const email = 'sam.first@example.com';
			// Each run as on its own queue worker: nothing cached, both look up before either creates.
			await Promise.all(
				(
					[{ name: 'Sam First' }, { name: 'Samantha First' }, {}] as Array<Record<string, string>>
				).map((person) => findOrCreate(email, person)),
			);
			expect(
				customers().filter((c) => c.PrimaryEmailAddr?.Address === email && c.Active !== false),
			).toHaveLength(1);
		});

		test('name clash with a different e-mail creates "Name (e-mail)"', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Alex Kim', PrimaryEmailAddr: { Address: 'alex@one.example' } },
			]);
			const out = (await findOrCreate('alex@two.example', { name: 'Alex Kim' })).output(
				'QuickBooks Sync',
			);
			expect(out[0].json.DisplayName).toBe('Alex Kim (alex@two.example)');
			expect(out[0].json.sync).toMatchObject({ action: 'created' });
			expect(customers()).toHaveLength(2);
		});

		test('an inactive customer is reactivated by default, ignored on request', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{
					DisplayName: 'Old Client',
					Active: false,
					PrimaryEmailAddr: { Address: 'old@example.com' },
				},
			]);
			const ignored = (
				await findOrCreate('old@example.com', { name: 'Old Client New' }, { inactive: 'ignore' })
			).output('QuickBooks Sync');
			expect(ignored[0].json.sync).toMatchObject({ action: 'created' });
			qb.emulator.reset();
			clearCompanyCaches();
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{
					DisplayName: 'Old Client',
					Active: false,
					PrimaryEmailAddr: { Address: 'old@example.com' },
				},
			]);
			const out = (await findOrCreate('old@example.com')).output('QuickBooks Sync');
			expect(out[0].json).toMatchObject({
				DisplayName: 'Old Client',
				Active: true,
				sync: { action: 'matched', reactivated: true },
			});
			expect(customers()).toHaveLength(1);
		});

		test('three customers share an e-mail: oldest by default, newest on request, or a clear failure', async () => {
			const [a, b, c] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Shared A', PrimaryEmailAddr: { Address: 'shared@example.com' } },
				{ DisplayName: 'Shared B', PrimaryEmailAddr: { Address: 'shared@example.com' } },
				{ DisplayName: 'Shared C', PrimaryEmailAddr: { Address: 'shared@example.com' } },
			]);
			realm().update('Customer', {
				Id: b.Id,
				SyncToken: b.SyncToken,
				sparse: true,
				Notes: 'touched',
			});
			const record = realm().entities.get('Customer')!.get(b.Id)!;
			record.MetaData.LastUpdatedTime = new Date(Date.now() + 60_000).toISOString();
			expect((await findOrCreate('shared@example.com')).output('QuickBooks Sync')[0].json.Id).toBe(
				a.Id,
			);
			expect(
				(await findOrCreate('shared@example.com', {}, { duplicates: 'newest' })).output(
					'QuickBooks Sync',
				)[0].json.Id,
			).toBe(b.Id);
			const failed = await findOrCreate('shared@example.com', {}, { duplicates: 'fail' });
			expect(failed.error('QuickBooks Sync')?.message).toMatch(
				new RegExp(`ids ${a.Id}, ${b.Id}, ${c.Id}`),
			);
			expect(customers()).toHaveLength(3);
		});

		test('a malformed e-mail fails the item naming the field, or uses the fallback customer', async () => {
			const failed = await runNode(
				qb.creds,
				{
					resource: 'customer',
					operation: 'findOrCreate',
					email: '={{ $json.email }}',
					options: {},
				},
				[{ email: 'not-an-email' }, {}],
				{ continueOnFail: true },
			);
			const out = failed.output('QuickBooks Sync');
			expect(out).toHaveLength(2);
			expect(out[0].json.error).toBe(
				'Item 0: field "email" is not a valid e-mail address: "not-an-email"',
			);
			expect(out[1].json.error).toBe('Item 1: field "email" is missing');
			expect(customers()).toHaveLength(0);
			const [fallback] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Walk-in Customer' },
			]);
			const used = await runNode(
				qb.creds,
				{
					resource: 'customer',
					operation: 'findOrCreate',
					email: '={{ $json.email }}',
					options: { fallbackCustomerId: { __rl: true, mode: 'id', value: fallback.Id } },
				},
				[{}],
			);
			expect(used.output('QuickBooks Sync')[0].json).toMatchObject({
				Id: fallback.Id,
				sync: { action: 'fallback' },
			});
		});

		test('Find by Email outputs found:false without writing, Get Many pages through every customer', async () => {
			const miss = (
				await runNode(
					qb.creds,
					{
						resource: 'customer',
						operation: 'findByEmail',
						email: 'nobody@example.com',
						options: {},
					},
					[{}],
				)
			).output('QuickBooks Sync');
			expect(miss[0].json).toEqual({ found: false, email: 'nobody@example.com' });
			qb.emulator.seed(
				qb.emulator.defaultRealm,
				'Customer',
				Array.from({ length: 2345 }, (_, i) => ({
					DisplayName: `Bulk ${i}`,
					PrimaryEmailAddr: { Address: `bulk${i}@example.com` },
				})),
			);
			const all = (
				await runNode(
					qb.creds,
					{ resource: 'customer', operation: 'getMany', returnAll: true, filters: {} },
					[{}],
				)
			).output('QuickBooks Sync');
			expect(all).toHaveLength(2345);
			expect(new Set(all.map((i) => i.json.Id)).size).toBe(2345);
			const limited = (
				await runNode(
					qb.creds,
					{
						resource: 'customer',
						operation: 'getMany',
						returnAll: false,
						limit: 7,
						filters: { nameStartsWith: 'Bulk 1' },
					},
					[{}],
				)
			).output('QuickBooks Sync');
			expect(limited).toHaveLength(7);
			expect(limited.every((i) => String(i.json.DisplayName).startsWith('Bulk 1'))).toBe(true);
		});

		test('Get Many by e-mail finds customers holding the address among several, not longer look-alikes', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{
					DisplayName: 'Shared Inbox',
					PrimaryEmailAddr: { Address: 'ops@acme.example, Books@Acme.example' },
				},
				{ DisplayName: 'Look Alike', PrimaryEmailAddr: { Address: 'mybooks@acme.example' } },
			]);
			const getMany = (email: string) =>
				runNode(
					qb.creds,
					{ resource: 'customer', operation: 'getMany', returnAll: true, filters: { email } },
					[{}],
					{ continueOnFail: true },
				).then((r) => r.output('QuickBooks Sync').map((i) => i.json));
			expect((await getMany('books@acme.example')).map((c) => c.DisplayName)).toEqual([
				'Shared Inbox',
			]);
			expect((await getMany('not an e-mail'))[0].error).toBe(
				'Item 0: field "filters.email" is not a valid e-mail address: "not an e-mail"',
			);
		});

		test('Update is a sparse read-modify-write; nothing is written when nothing changed', async () => {
			const [c] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Up Date', PrimaryEmailAddr: { Address: 'up@example.com' } },
			]);
			const params = {
				resource: 'customer',
				operation: 'update',
				customerId: { __rl: true, mode: 'id', value: c.Id },
				updateFields: { phone: '+1 555 0100' },
			};
			const first = (await runNode(qb.creds, params, [{}])).output('QuickBooks Sync')[0].json;
			expect(first).toMatchObject({
				PrimaryPhone: { FreeFormNumber: '+1 555 0100' },
				DisplayName: 'Up Date',
				SyncToken: '1',
				sync: { action: 'updated' },
			});
			const second = (await runNode(qb.creds, params, [{}])).output('QuickBooks Sync')[0].json;
			expect(second).toMatchObject({ SyncToken: '1', sync: { action: 'unchanged' } });
		});
	});
});
