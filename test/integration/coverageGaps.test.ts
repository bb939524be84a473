/**
 * Operations and trigger events the test map (test/README.md) showed without a test of their own:
 * Customer Create and Get, Item Find or Create, and the trigger's New Invoice and New Sales Receipt.
 */
import { runNode, TriggerHarness, useEmulatedQuickBooks } from '../helpers/engine';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();
const run = async (params: Record<string, unknown>) =>
	(await runNode(qb.creds, params, [{}], { continueOnFail: true })).output('QuickBooks Sync')[0]
		.json as Record<string, any>;

describe('Customer Create and Get', () => {
	test('Create writes the customer as given, a taken name is QuickBooks fault 6240; Get reads it back', async () => {
		const created = await run({
			resource: 'customer',
			operation: 'create',
			displayName: 'Nova Labs',
			email: 'Billing@Nova.example',
			person: { companyName: 'Nova Labs Ltd', phone: '+1 555 0142' },
		});
		expect(created).toMatchObject({
			DisplayName: 'Nova Labs',
			PrimaryEmailAddr: { Address: 'Billing@Nova.example' },
			CompanyName: 'Nova Labs Ltd',
			PrimaryPhone: { FreeFormNumber: '+1 555 0142' },
		});
		const clash = await run({
			resource: 'customer',
			operation: 'create',
			displayName: 'Nova Labs',
			email: 'other@nova.example',
		});
		expect(clash.error).toMatch(/^Item 0: /);
		expect(clash.details).toMatch(/QuickBooks code 6240/);
		expect(realm().all('Customer')).toHaveLength(1);
		const bad = await run({
			resource: 'customer',
			operation: 'create',
			displayName: 'X',
			email: 'no-at-sign',
		});
		expect(bad.error).toBe('Item 0: field "email" is not a valid e-mail address: "no-at-sign"');
		const got = await run({
			resource: 'customer',
			operation: 'get',
			customerId: { __rl: true, mode: 'id', value: created.Id },
		});
		expect(got).toMatchObject({ Id: created.Id, DisplayName: 'Nova Labs' });
	});
});

describe('Item Find or Create', () => {
	test('the first call creates a service item on the default income account, the next finds it (any case)', async () => {
		const first = await run({
			resource: 'item',
			operation: 'findOrCreate',
			name: 'Onboarding Call',
		});
		expect(first).toMatchObject({
			Name: 'Onboarding Call',
			Type: 'Service',
			sync: { action: 'created' },
		});
		const again = await run({
			resource: 'item',
			operation: 'findOrCreate',
			name: 'onboarding call',
		});
		expect(again).toMatchObject({ Id: first.Id, sync: { action: 'matched' } });
		expect(
			realm()
				.all('Item')
				.filter((i) => i.Name === 'Onboarding Call'),
		).toHaveLength(1);
		expect((await run({ resource: 'item', operation: 'findOrCreate', name: '  ' })).error).toBe(
			'Item 0: field "name" is missing',
		);
	});
});

describe('Trigger: New Invoice and New Sales Receipt', () => {
	test('each new document fires once with its customer; voided ones never fire', async () => {
		const [c] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'Doc Buyer', PrimaryEmailAddr: { Address: 'doc.buyer@example.com' } },
		]);
		const trigger = new TriggerHarness(qb.creds, {
			events: ['newInvoice', 'newSalesReceipt'],
			start: 'now',
			options: {},
		});
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect(await trigger.poll()).toEqual([]);
		const line = [
			{
				DetailType: 'SalesItemLineDetail',
				Amount: 40,
				SalesItemLineDetail: { Qty: 1, UnitPrice: 40 },
			},
		];
		const [inv] = qb.emulator.seed(qb.emulator.defaultRealm, 'Invoice', [
			{ CustomerRef: { value: c.Id }, Line: line },
		]);
		const [receipt] = qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [
			{ CustomerRef: { value: c.Id }, Line: line },
		]);
		const [voided] = qb.emulator.seed(qb.emulator.defaultRealm, 'SalesReceipt', [
			{ CustomerRef: { value: c.Id }, Line: line },
		]);
		realm().voidTxn('SalesReceipt', { Id: voided.Id, SyncToken: voided.SyncToken });
		const events = await trigger.poll();
		expect(events.map((e) => [e.event, e.id, e.email, e.total])).toEqual(
			expect.arrayContaining([
				['newInvoice', inv.Id, 'doc.buyer@example.com', 40],
				['newSalesReceipt', receipt.Id, 'doc.buyer@example.com', 40],
			]),
		);
		expect(events).toHaveLength(2);
		expect(await trigger.poll()).toEqual([]);
	});
});
