import { docNumberFor } from '../../nodes/shared/domain/docNumber';
import { orderCreate, paymentReceived } from '../fixtures/highlevel';
import { runNode, CUSTOM_TXN_NUMBERS, useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment } from '../helpers/receipts';

// Every rule must hold whether or not QuickBooks refuses duplicate numbers (company preference).
describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();

	const receipts = () => realm().all('SalesReceipt');

	const fromPayment = (bodies: unknown[], extra: Record<string, unknown> = {}) =>
		createFromPayment(qb.creds, bodies, extra);

	describe('Sales Receipt → Create from Payment through the n8n engine', () => {
		test('a HighLevel "Payment Received" body becomes one receipt with the CRM total; a repeat is alreadySynced', async () => {
			const body = paymentReceived({
				transactionId: 'ch_3PZx9aKbZQ1',
				items: [
					{ name: 'Consultation', qty: 2, price: 75 },
					{ name: 'Report', qty: 1, price: 49.99 },
				],
				discount: 20,
				tax: 10.4,
			});
			const first = (await fromPayment([body])).output('QuickBooks Sync');
			expect(first[0].json).toMatchObject({
				alreadySynced: false,
				TotalAmt: 190.39,
				sync: {
					action: 'created',
					crmTotal: 190.39,
					qboTotal: 190.39,
					totalsMatch: true,
					customer: { how: 'created' },
				},
			});
			const second = (await fromPayment([body])).output('QuickBooks Sync');
			expect(second[0].json).toMatchObject({
				alreadySynced: true,
				Id: first[0].json.Id,
				sync: { action: 'matched' },
			});
			expect(receipts()).toHaveLength(1);
			expect(realm().all('Customer')).toHaveLength(1);
			expect(
				realm()
					.all('Item')
					.map((i) => i.Name),
			).toEqual(expect.arrayContaining(['Consultation', 'Report']));
		});

		test('the same payment delivered twice in one burst gives one receipt', async () => {
			const body = paymentReceived({ transactionId: 'dup-in-burst' });
			const out = (await fromPayment([body, body])).output('QuickBooks Sync');
			expect(out.map((i) => i.json.alreadySynced)).toEqual([false, true]);
			expect(receipts()).toHaveLength(1);
		});

		test('concurrent first payments of one new e-mail end with one customer', async () => {
			const runs = await Promise.all(
				['t-1', 't-2', 't-3'].map((id) =>
					fromPayment([
						paymentReceived({
							transactionId: id,
							email: 'new.buyer@example.com',
							name: 'New Buyer',
						}),
					]),
				),
			);
			expect(runs.map((r) => r.output('QuickBooks Sync')[0].json.error)).toEqual([
				undefined,
				undefined,
				undefined,
			]);
			expect(realm().all('Customer')).toHaveLength(1);
			expect(receipts()).toHaveLength(3);
			expect(new Set(receipts().map((r) => r.CustomerRef.value)).size).toBe(1);
		});

		test('OrderCreate from a membership checkout with shipping and a percentage-free discount', async () => {
			const body = orderCreate({
				id: '6650f0c1d2e3f4a5b6c7d8e9',
				sourceType: 'membership',
				items: [
					{ name: 'Gold Plan', qty: 1, price: 99 },
					{ name: 'Starter Kit', qty: 2, price: 15.5 },
				],
				discount: 13,
				tax: 9.35,
				shipping: 7.5,
			});
			const out = (await fromPayment([body])).output('QuickBooks Sync');
			// 24 characters do not fit QuickBooks' 21: the id's end plus a hash of the whole id.
			expect(out[0].json).toMatchObject({
				DocNumber: docNumberFor('6650f0c1d2e3f4a5b6c7d8e9'),
				TotalAmt: 133.85,
				sync: { totalsMatch: true },
			});
			expect(out[0].json.DocNumber).toMatch(/^e3f4a5b6c7d8e9-[0-9a-z]{6}$/);
			expect(String(out[0].json.PrivateNote)).toContain(
				'CRM payment 6650f0c1d2e3f4a5b6c7d8e9 (membership)',
			);
			expect(receipts()[0].CustomerRef.name).toBe('Morgan Blake');
		});

		test('a bad body fails only its item, names the field, and writes nothing', async () => {
			const good = paymentReceived({ transactionId: 'good-1' });
			const noEmail = paymentReceived({ transactionId: 'bad-1', email: '' });
			(noEmail as any).email = '';
			const out = (await fromPayment([good, { hello: 'world' }, noEmail])).output(
				'QuickBooks Sync',
			);
			expect(out).toHaveLength(3);
			expect(out[0].json.sync).toMatchObject({ action: 'created' });
			expect(out[1].json.error).toBe(
				'Item 1: field "body" this is not a HighLevel payment ("payment" object) or order (OrderCreate) body',
			);
			expect(out[2].json.error).toBe('Item 2: field "email" is missing');
			expect(receipts()).toHaveLength(1);
			const notANumber = paymentReceived({ transactionId: 'bad-2' }) as any;
			notANumber.payment.total_amount = 'twelve';
			const bad = (await fromPayment([notANumber])).output('QuickBooks Sync');
			expect(bad[0].json.error).toBe(
				'Item 0: field "payment.total_amount" is not a number: "twelve"',
			);
			const noTotal = paymentReceived({ transactionId: 'bad-3' }) as any;
			delete noTotal.payment.total_amount;
			expect((await fromPayment([noTotal])).output('QuickBooks Sync')[0].json.error).toBe(
				'Item 0: field "payment.total_amount" is missing',
			);
			expect(receipts()).toHaveLength(1);
		});

		test('mapped fields, a default item, payment method and deposit account', async () => {
			const item = realm().all('Item')[0];
			const method = realm().findBy('PaymentMethod', 'Name', 'Credit Card')!;
			const bank = realm().findBy('Account', 'Name', 'Checking')!;
			const out = (
				await runNode(
					qb.creds,
					{
						resource: 'salesReceipt',
						operation: 'createFromPayment',
						source: 'fields',
						transactionId: 'manual-77',
						email: 'Field.Mapper@Example.com',
						customerName: 'Field Mapper',
						total: 107.5,
						paymentFields: { taxAmount: 7.5 },
						itemMode: 'default',
						defaultItemId: { __rl: true, mode: 'id', value: item.Id },
						paymentMethodId: { __rl: true, mode: 'id', value: method.Id },
						depositAccountId: { __rl: true, mode: 'id', value: bank.Id },
						options: { docNumberPrefix: 'GHL-' },
					},
					[{}],
				)
			).output('QuickBooks Sync');
			expect(out[0].json).toMatchObject({
				DocNumber: 'GHL-manual-77',
				TotalAmt: 107.5,
				PaymentMethodRef: { value: method.Id },
				DepositToAccountRef: { value: bank.Id },
			});
		});

		test('Get, Get Many and Void', async () => {
			const created = (await fromPayment([paymentReceived({ transactionId: 'to-void' })])).output(
				'QuickBooks Sync',
			)[0].json;
			const got = (
				await runNode(
					qb.creds,
					{ resource: 'salesReceipt', operation: 'get', salesReceiptId: created.Id },
					[{}],
				)
			).output('QuickBooks Sync');
			expect(got[0].json.Id).toBe(created.Id);
			const many = (
				await runNode(
					qb.creds,
					{
						resource: 'salesReceipt',
						operation: 'getMany',
						returnAll: true,
						filters: { docNumber: 'to-void' },
					},
					[{}],
				)
			).output('QuickBooks Sync');
			expect(many).toHaveLength(1);
			const voided = (
				await runNode(
					qb.creds,
					{ resource: 'salesReceipt', operation: 'void', salesReceiptId: created.Id },
					[{}],
				)
			).output('QuickBooks Sync');
			expect(voided[0].json).toMatchObject({ TotalAmt: 0, sync: { action: 'voided' } });
			const again = (
				await runNode(
					qb.creds,
					{ resource: 'salesReceipt', operation: 'void', salesReceiptId: created.Id },
					[{}],
				)
			).output('QuickBooks Sync');
			expect(again[0].json.sync).toMatchObject({ action: 'unchanged' });
		});

		test('batch requests: a burst of 45 payments (repeats, shared and existing e-mails, one bad body) in a handful of calls', async () => {
			qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
				{ DisplayName: 'Known Buyer', PrimaryEmailAddr: { Address: 'buyer0@example.com' } },
			]);
			const bodies: Array<Record<string, unknown>> = Array.from({ length: 40 }, (_, i) =>
				paymentReceived({
					transactionId: `burst-${i}`,
					email: `Buyer${i % 10}@Example.com`,
					name: `Buyer ${i % 10}`,
					items: [{ name: `Plan ${i % 3}`, qty: 1, price: 10 + i }],
					tax: 1,
				}),
			);
			bodies.push(
				bodies[3],
				bodies[7],
				{ nonsense: true },
				paymentReceived({ transactionId: 'burst-0' }),
				bodies[12],
			);
			const before = qb.emulator.log.length;
			const out = (await fromPayment(bodies, { options: { batchRequests: true } })).output(
				'QuickBooks Sync',
			);
			const calls = qb.emulator.log.length - before;
			expect(out).toHaveLength(45);
			expect(out[42].json.error).toMatch(/^Item 42: field "body"/);
			expect(out.filter((o) => o.json.alreadySynced === false)).toHaveLength(40);
			expect(out.filter((o) => o.json.alreadySynced === true).map((o) => o.json.DocNumber)).toEqual(
				['burst-3', 'burst-7', 'burst-0', 'burst-12'],
			);
			expect(
				out
					.slice(0, 40)
					.every((o, i) => o.json.TotalAmt === 11 + i && (o.json.sync as any).totalsMatch),
			).toBe(true);
			expect(receipts()).toHaveLength(40);
			expect(realm().all('Customer')).toHaveLength(10);
			expect(out[0].json.sync).toMatchObject({ customer: { how: 'matched' } });
			// Receipt look-up 1, customer queries 1, customer creates 1, item query 1, item create 1,
			// income account 1, receipt creates 2, preferences 1 (+ the race look-up with custom numbers off).
			expect(calls).toBe(customTxnNumbers ? 9 : 10);
			const again = (
				await fromPayment(bodies.slice(0, 40), { options: { batchRequests: true } })
			).output('QuickBooks Sync');
			expect(again.every((o) => o.json.alreadySynced === true)).toBe(true);
			expect(receipts()).toHaveLength(40);
		});
	});
});
