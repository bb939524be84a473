/**
 * The package's own nodes against a QuickBooks company: the QuickBooks Sync node run by n8n-core
 * (test/helpers/engine.ts) with this package's credential, client, pacing and recovery — what a
 * user's workflow runs, not a bare HTTP client. Receipt from a payment, its refund, an invoice's
 * life cycle, a number a bookkeeper already used, a race of one payment's deliveries. Everything it
 * writes is deleted or voided afterwards (customers, which QuickBooks never deletes, made inactive).
 *
 * Run on the Intuit sandbox by `npm run test:live` (./nodes.test.ts) and on the emulator under both
 * number settings by the normal suite (test/emulator/nodes.live.test.ts), so the suite itself is
 * known to work before anyone spends a sandbox on it.
 */
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import { workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { packageCredentialData } from '../../scripts/dev/stack';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';
import { MemoryCredentialsHelper, runNode } from '../helpers/engine';
import { QboHttp, faultText, unique, type ContractEnv } from './http';

type Out = Record<string, any>;

/** What the suite wrote, by entity, for the clean-up. */
class Written {
	readonly ids = new Map<string, Set<string>>();
	add(entity: string, id: unknown): void {
		if (id === undefined || id === null || id === '') return;
		if (!this.ids.has(entity)) this.ids.set(entity, new Set());
		this.ids.get(entity)!.add(String(id));
	}
}

export function defineNodeSuite(
	title: string,
	getEnv: () => Promise<ContractEnv | undefined>,
): void {
	describe(title, () => {
		let env: ContractEnv | undefined;
		let http: QboHttp;
		let creds: MemoryCredentialsHelper;
		const written = new Written();
		const run = unique();

		beforeAll(async () => {
			env = await getEnv();
			if (!env) return;
			http = new QboHttp(env);
			// The credential as n8n holds it once connected; the suite's own token (refreshed by the
			// caller), so Intuit's rotated refresh token is never spent by n8n here.
			const tokens = { access_token: await env.token(), expires_in: 3600 };
			creds = new MemoryCredentialsHelper(packageCredentialData(env.baseUrl, tokens, env.realmId));
			clearCompanyCaches();
		});

		afterAll(async () => {
			if (env) await cleanUp(http, written);
		});

		/** Runs the node; what it wrote (`entity`, its customer and payments) is cleaned up afterwards. */
		const node = async (
			entity: string,
			parameters: Record<string, unknown>,
			items: unknown[],
		): Promise<Out[]> => {
			const result = await runNode(creds, parameters, items as Array<Record<string, unknown>>, {
				continueOnFail: true,
			});
			const outs = result.output('QuickBooks Sync').map((o) => o.json as Out);
			for (const out of outs.filter((o) => !o.error)) {
				written.add(entity, out.Id);
				written.add('Customer', out.CustomerRef?.value);
				for (const paid of out.payments ?? []) written.add('Payment', paid.Id);
			}
			return outs;
		};
		const receiptFrom = async (body: unknown) =>
			(
				await node(
					'SalesReceipt',
					{
						resource: 'salesReceipt',
						operation: 'createFromPayment',
						source: 'highLevel',
						body: '={{ $json }}',
						options: {},
					},
					[body],
				)
			)[0];
		const check = (name: string, body: () => Promise<void>) =>
			test(name, async () => {
				if (!env) return;
				await body();
			});

		const payment = (n: number) =>
			paymentReceived({
				transactionId: `lv${run}${n}`,
				email: `live.${run}.${n}@example.com`,
				name: `Live ${run} ${n}`,
				items: [{ name: 'Consultation', qty: 1, price: 80 }],
			});

		check('a HighLevel payment becomes one receipt; delivered again, the same one', async () => {
			const first = await receiptFrom(payment(1));
			expect(first.error).toBeUndefined();
			expect(first).toMatchObject({ alreadySynced: false, TotalAmt: 80 });
			const again = await receiptFrom(payment(1));
			expect(again).toMatchObject({ alreadySynced: true, Id: first.Id });
		});

		check('its refund becomes one refund receipt; delivered again, the same one', async () => {
			const paid = await receiptFrom(payment(2));
			expect(paid.error).toBeUndefined();
			const body = workflowRefund({
				refundId: `re${run}2`,
				transactionId: `lv${run}2`,
				amount: 30,
				type: 'partial',
				email: `live.${run}.2@example.com`,
			});
			const refund = (): Promise<Out[]> =>
				node(
					'RefundReceipt',
					{
						resource: 'salesReceipt',
						operation: 'refund',
						source: 'highLevel',
						body: '={{ $json }}',
						options: {},
					},
					[body],
				);
			const [first] = await refund();
			expect(first.error).toBeUndefined();
			expect(first).toMatchObject({ alreadySynced: false, TotalAmt: 30 });
			const [again] = await refund();
			expect(again).toMatchObject({ alreadySynced: true, Id: first.Id });
		});

		check(
			'an invoice sent, part-paid, paid and voided follows the CRM with equal totals',
			async () => {
				const crm = {
					id: `${Date.now().toString(16)}${run}`.slice(0, 24).padEnd(24, '0'),
					number: `LV-${run}`.slice(0, 21),
					email: `live.${run}.inv@example.com`,
					items: [{ name: 'Retainer', qty: 1, amount: 200 }],
				};
				const sync = async (event: Parameters<typeof invoiceEvent>[0], extra = {}) =>
					(
						await node(
							'Invoice',
							{
								resource: 'invoice',
								operation: 'sync',
								body: '={{ $json }}',
								key: 'number',
								options: {},
							},
							[invoiceEvent(event, { ...crm, ...extra })],
						)
					)[0];
				const sent = await sync('InvoiceSent');
				expect(sent.error).toBeUndefined();
				expect(sent).toMatchObject({
					TotalAmt: 200,
					sync: { action: 'created', totalsMatch: true },
				});
				const partial = await sync('InvoicePartiallyPaid', { amountPaid: 50 });
				expect(partial).toMatchObject({ Balance: 150, sync: { action: 'paid' } });
				const paid = await sync('InvoicePaid');
				expect(paid.Balance).toBe(0);
				const voided = await sync('InvoiceVoid');
				expect(voided.error).toBeUndefined();
				expect(voided.sync.action).toBe('voided');
			},
		);

		check(
			'a receipt number a bookkeeper already used stops the item; nothing is written',
			async () => {
				const body = payment(4);
				const docNumber = `lv${run}4`;
				const customer = await http.post('customer', { DisplayName: `Walk-in ${run}` });
				written.add('Customer', customer.body?.Customer?.Id);
				const theirs = await http.post('salesreceipt', {
					DocNumber: docNumber,
					CustomerRef: { value: customer.body.Customer.Id },
					Line: [await anyLine(http, 10)],
				});
				expect(theirs.status).toBe(200);
				written.add('SalesReceipt', theirs.body.SalesReceipt.Id);
				const before = await countReceipts(http, docNumber);
				const out = await receiptFrom(body);
				expect(out.error).toMatch(/not created by this sync/);
				expect(await countReceipts(http, docNumber)).toBe(before);
			},
		);

		check('four deliveries of one payment at once leave one live receipt', async () => {
			const body = payment(5);
			const outs = await Promise.all([1, 2, 3, 4].map(() => receiptFrom(body)));
			expect(outs.map((o) => o.error)).toEqual([undefined, undefined, undefined, undefined]);
			expect(new Set(outs.map((o) => o.Id)).size).toBe(1);
			const live = await http.query(`SELECT * FROM SalesReceipt WHERE DocNumber = 'lv${run}5'`);
			const kept = (live.body?.QueryResponse?.SalesReceipt ?? []).filter(
				(r: Out) => Number(r.TotalAmt) !== 0,
			);
			expect(kept.map((r: Out) => r.Id)).toEqual([outs[0].Id]);
		});
	});
}

async function anyLine(http: QboHttp, amount: number): Promise<Out> {
	const items =
		(await http.query('SELECT * FROM Item MAXRESULTS 20')).body?.QueryResponse?.Item ?? [];
	const item = items.find((i: Out) => ['Service', 'NonInventory'].includes(i.Type)) ?? items[0];
	return {
		DetailType: 'SalesItemLineDetail',
		Amount: amount,
		SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: amount },
	};
}

async function countReceipts(http: QboHttp, docNumber: string): Promise<number> {
	const reply = await http.query(`SELECT * FROM SalesReceipt WHERE DocNumber LIKE '${docNumber}%'`);
	return (reply.body?.QueryResponse?.SalesReceipt ?? []).length;
}

/**
 * Deletes what the suite wrote: refunds and payments first (an invoice with a payment applied
 * cannot be deleted), then invoices and receipts; customers made inactive. A failure is reported,
 * not thrown: the suite's verdict stands.
 */
async function cleanUp(http: QboHttp, written: Written): Promise<void> {
	const problems: string[] = [];
	for (const entity of ['RefundReceipt', 'Payment', 'Invoice', 'SalesReceipt']) {
		for (const id of written.ids.get(entity) ?? []) {
			const current = await http.get(`${entity.toLowerCase()}/${id}`);
			const record = current.body?.[entity];
			if (!record) continue; // deleted already
			const reply = await http.post(
				entity.toLowerCase(),
				{ Id: id, SyncToken: record.SyncToken },
				{ operation: 'delete' },
			);
			if (reply.status !== 200) problems.push(`${entity} ${id}: ${faultText(reply)}`);
		}
	}
	for (const id of written.ids.get('Customer') ?? []) {
		const current = await http.get(`customer/${id}`);
		const record = current.body?.Customer;
		if (!record || record.Active === false) continue;
		const reply = await http.post('customer', {
			Id: id,
			SyncToken: record.SyncToken,
			Active: false,
			sparse: true,
		});
		if (reply.status !== 200) problems.push(`Customer ${id}: ${faultText(reply)}`);
	}
	if (problems.length) console.warn(`Live suite clean-up left: ${problems.join('; ')}`);
}
