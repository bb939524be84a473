import { TriggerHarness, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';

// Every rule must hold whether or not QuickBooks refuses duplicate numbers (company preference),
// and whether or not applying a payment changes the invoice's LastUpdatedTime (undocumented).
describe.each(CUSTOM_TXN_NUMBERS.map((custom) => [custom, !custom]))(
	'Custom transaction numbers %s, payment touches invoice %s',
	(customTxnNumbers, paymentTouchesInvoice) => {
		const qb = useEmulatedQuickBooks({ customTxnNumbers, paymentTouchesInvoice });
		const realm = () => qb.realm();

		const customer = (n: string, extra: Record<string, unknown> = {}) => ({
			DisplayName: `Customer ${n}`,
			PrimaryEmailAddr: { Address: `c${n}@example.com` },
			...extra,
		});

		/** QuickBooks stamps records to the second: let the second of the seeding pass before activating. */
		const settle = () => new Promise((resolve) => setTimeout(resolve, 1100));

		function invoiceFor(customerId: string, amount: number) {
			const [inv] = qb.emulator.seed(qb.emulator.defaultRealm, 'Invoice', [
				{
					CustomerRef: { value: customerId },
					Line: [
						{
							DetailType: 'SalesItemLineDetail',
							Amount: amount,
							SalesItemLineDetail: { Qty: 1, UnitPrice: amount },
						},
					],
				},
			]);
			return inv;
		}
		function pay(inv: Record<string, any>, amount = inv.TotalAmt) {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Payment', [
				{
					CustomerRef: inv.CustomerRef,
					TotalAmt: amount,
					Line: [{ Amount: amount, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
				},
			]);
		}

		describe('QuickBooks Sync Trigger through n8n-core PollContext', () => {
			test('new customers arrive once each across polls; the first poll only starts the clock', async () => {
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('old')]);
				await settle();
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer'],
					start: 'now',
					options: {},
				});
				expect(await trigger.poll()).toEqual([]);
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('1'), customer('2')]);
				const first = await trigger.poll();
				expect(first.map((i) => i.email)).toEqual(['c1@example.com', 'c2@example.com']);
				expect(first[0]).toMatchObject({
					event: 'newCustomer',
					name: 'Customer 1',
					record: { DisplayName: 'Customer 1' },
				});
				expect(await trigger.poll()).toEqual([]);
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('3')]);
				expect((await trigger.poll()).map((i) => i.email)).toEqual(['c3@example.com']);
				const calls = qb.emulator.counts();
				expect(calls['GET cdc']).toBe(4);
				expect(calls.total).toBe(4);
			});

			test('1,500 customers created between two polls all arrive (CDC cap → paged queries)', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer'],
					start: 'now',
					options: {},
				});
				await trigger.poll();
				qb.emulator.seed(
					qb.emulator.defaultRealm,
					'Customer',
					Array.from({ length: 1500 }, (_, i) => customer(String(i))),
				);
				const items = await trigger.poll();
				expect(items).toHaveLength(1500);
				expect(new Set(items.map((i) => i.id)).size).toBe(1500);
				expect(await trigger.poll()).toEqual([]);
			});

			test.each([120_000, -120_000])(
				'QuickBooks clock skewed by %i ms loses and repeats nothing',
				async (offset) => {
					qb.emulator.setOptions({ clockOffsetMs: offset });
					const trigger = new TriggerHarness(qb.creds, {
						events: ['newCustomer', 'updatedCustomer'],
						start: 'now',
						options: {},
					});
					await trigger.poll();
					const seen: string[] = [];
					for (let round = 0; round < 4; round++) {
						qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer(`skew-${round}`)]);
						seen.push(...(await trigger.poll()).map((i) => `${i.event}:${i.email}`));
					}
					expect(seen).toEqual([0, 1, 2, 3].map((r) => `newCustomer:cskew-${r}@example.com`));
				},
			);

			test('updated customers fire per change; deleted or inactive ones never fire as new', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer', 'updatedCustomer'],
					start: 'now',
					options: {},
				});
				const [existing] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('e')]);
				(realm().entities.get('Customer')!.get(existing.Id) as any).MetaData.CreateTime =
					'2020-01-01T00:00:00+00:00';
				await trigger.poll();
				realm().update('Customer', {
					Id: existing.Id,
					SyncToken: existing.SyncToken,
					sparse: true,
					CompanyName: 'Renamed Ltd',
				});
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
					customer('gone', { Active: false }),
				]);
				const items = await trigger.poll();
				expect(items.map((i) => `${i.event}:${i.email}`)).toEqual([
					'updatedCustomer:ce@example.com',
				]);
				expect(items[0].companyName).toBe('Renamed Ltd');
			});

			test('deleted records are not emitted: a deleted payment leaves no paid invoice', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['invoicePaid', 'newPayment'],
					start: 'now',
					options: {},
				});
				const [c] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('p')]);
				await trigger.poll();
				const inv = invoiceFor(c.Id, 100);
				pay(inv);
				const payment = realm().all('Payment')[0];
				realm().delete('Payment', { Id: payment.Id, SyncToken: payment.SyncToken });
				expect(await trigger.poll()).toEqual([]);
			});

			test('an invoice sent in one poll and paid in a later one fires once, even if the payment leaves the invoice unchanged', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['invoicePaid'],
					firstInvoiceOnly: true,
					start: 'now',
					options: {},
				});
				const [c] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('late')]);
				await trigger.poll();
				const inv = invoiceFor(c.Id, 120);
				expect(await trigger.poll()).toEqual([]);
				// An hour later, far past the trigger's overlap window, the customer pays.
				qb.emulator.setOptions({ clockOffsetMs: 3600_000 });
				await trigger.poll();
				pay(inv);
				expect((await trigger.poll()).map((i) => [i.event, i.id, i.email])).toEqual([
					['invoicePaid', inv.Id, 'clate@example.com'],
				]);
				expect(await trigger.poll()).toEqual([]);
			});

			test('invoice paid in full, first invoice only: the second paid invoice of a customer emits nothing', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['invoicePaid'],
					firstInvoiceOnly: true,
					start: 'now',
					options: {},
				});
				const [c1, c2] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
					customer('f1'),
					customer('f2'),
				]);
				await trigger.poll();
				const a = invoiceFor(c1.Id, 250);
				pay(a, 100);
				expect(await trigger.poll()).toEqual([]);
				pay(a, 150);
				const firstPaid = await trigger.poll();
				expect(firstPaid.map((i) => [i.event, i.id, i.email])).toEqual([
					['invoicePaid', a.Id, 'cf1@example.com'],
				]);
				pay(invoiceFor(c1.Id, 80));
				expect(await trigger.poll()).toEqual([]);
				// Two invoices of one new customer paid within one poll: one event, for the earlier one.
				const b1 = invoiceFor(c2.Id, 10);
				const b2 = invoiceFor(c2.Id, 20);
				pay(b1);
				pay(b2);
				expect((await trigger.poll()).map((i) => i.id)).toEqual([b1.Id]);
			});

			test('a 429 or a 500 during a poll loses nothing: the next poll catches up', async () => {
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer'],
					start: 'now',
					options: {},
				});
				await trigger.poll();
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('r1')]);
				const cursor = trigger.state.state?.cursor;
				qb.emulator.injectFault({ path: 'cdc', count: 6, action: 500 });
				await expect(trigger.poll()).rejects.toThrow(/QuickBooks/);
				expect(trigger.state.state.cursor).toBe(cursor);
				qb.emulator.clearFaults();
				qb.emulator.injectFault({ path: 'cdc', count: 1, action: 429 });
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('r2')]);
				expect((await trigger.poll()).map((i) => i.email)).toEqual([
					'cr1@example.com',
					'cr2@example.com',
				]);
			});

			test('back-fill of 10,000 existing customers, 1,000 per poll, with bounded memory', async () => {
				qb.emulator.seed(
					qb.emulator.defaultRealm,
					'Customer',
					Array.from({ length: 10_000 }, (_, i) => customer(`b${i}`)),
				);
				await settle();
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer'],
					start: 'backfill',
					options: { backfillBatch: 1000 },
				});
				const ids = new Set<string>();
				let maxGrowth = 0;
				global.gc?.();
				const base = process.memoryUsage().heapUsed;
				for (let poll = 0; poll < 12; poll++) {
					const items = await trigger.poll();
					for (const i of items) ids.add(i.id);
					expect(items.length).toBeLessThanOrEqual(1000);
					maxGrowth = Math.max(maxGrowth, process.memoryUsage().heapUsed - base);
				}
				expect(ids.size).toBe(10_000);
				expect(trigger.state.state.backfill.done).toBe(true);
				expect(JSON.stringify(trigger.state).length).toBeLessThan(2000);
				console.log(
					`back-fill: 10,000 customers in 10 polls of 1,000; heap growth peak ${(maxGrowth / 1048576).toFixed(1)} MiB; static data ${JSON.stringify(trigger.state).length} bytes`,
				);
			});

			test('manual mode ("Fetch test event") returns one recent record and leaves the state alone', async () => {
				qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [customer('m1'), customer('m2')]);
				const trigger = new TriggerHarness(qb.creds, {
					events: ['newCustomer'],
					start: 'now',
					options: {},
				});
				const items = await trigger.poll('manual');
				expect(items).toHaveLength(1);
				expect(items[0].email).toMatch(/^cm[12]@example.com$/);
				expect(trigger.state.state).toBeUndefined();
			});
		});
	},
);
