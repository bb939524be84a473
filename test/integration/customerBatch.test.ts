/**
 * Batch Requests on the visible e-mail matching (Find Customer by E-Mail, Find or Create) and on
 * Create From Payment with a Customer ID per item, through n8n-core against the emulator. Each
 * burst runs twice on the same starting state, one by one and in batch: the outputs must agree
 * item by item (ids and timestamps aside, as creates happen in another order), and the batch must
 * cost a fraction of the calls.
 */
import { paymentReceived } from '../fixtures/highlevel';
import { CUSTOM_TXN_NUMBERS, runNode, useEmulatedQuickBooks } from '../helpers/engine';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';

type Json = Record<string, any>;

/** What may differ between the two runs: ids and times (creates happen in another order). */
const VOLATILE = new Set(['Id', 'qboId', 'qboUrl', 'MetaData', 'SyncToken', 'value', 'id']);
function comparable(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(comparable);
	if (!value || typeof value !== 'object') return value;
	return Object.fromEntries(
		Object.entries(value as Json)
			.filter(([k]) => !VOLATILE.has(k))
			.map(([k, v]) => [k, comparable(v)]),
	);
}

/** The shape of an output item: its keys, recursively. */
function shape(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(shape);
	if (!value || typeof value !== 'object') return typeof value;
	return Object.fromEntries(
		Object.entries(value as Json)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([k, v]) => [k, shape(v)]),
	);
}

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	const realm = () => qb.realm();

	/** The company both runs start from: known, inactive, shared and clashing customers. */
	const seedCompany = () => {
		qb.emulator.reset();
		clearCompanyCaches();
		return qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'Known One', PrimaryEmailAddr: { Address: 'known1@example.com' } },
			{ DisplayName: 'Known Two', PrimaryEmailAddr: { Address: 'Known2@Example.com' } },
			{
				DisplayName: 'Acme Books',
				PrimaryEmailAddr: { Address: 'owner@acme.example, billing@acme.example' },
			},
			{
				DisplayName: 'Sleepy Client',
				Active: false,
				PrimaryEmailAddr: { Address: 'sleepy@example.com' },
			},
			{ DisplayName: 'Twin A', PrimaryEmailAddr: { Address: 'twins@example.com' } },
			{ DisplayName: 'Twin B', PrimaryEmailAddr: { Address: 'twins@example.com' } },
			{ DisplayName: 'Taken Name', PrimaryEmailAddr: { Address: 'someone.else@example.com' } },
		]);
	};

	/** 34 items: new e-mails (some repeated, in other cases), known, inactive, shared, a name clash, a bad e-mail. */
	const people: Json[] = [
		...Array.from({ length: 24 }, (_, i) => ({
			email: `new${i % 20}@example.com`,
			name: `New Person ${i % 20}`,
		})),
		{ email: 'NEW3@example.com', name: 'Someone Else Entirely' },
		{ email: 'known1@example.com', name: 'Known One' },
		{ email: ' KNOWN2@example.com ', name: 'K2' },
		{ email: 'billing@acme.example', name: 'Acme' },
		{ email: 'sleepy@example.com', name: 'Sleepy' },
		{ email: 'Sleepy@Example.com', name: 'Sleepy again' },
		{ email: 'twins@example.com', name: 'Twin' },
		{ email: 'clash@example.com', name: 'Taken Name' },
		{ email: 'not-an-email', name: 'Broken' },
		{ email: 'known1@example.com', name: 'Known One again' },
	];

	const runBoth = async (
		parameters: (batch: boolean) => Json,
		input: Json[],
	): Promise<{ oneByOne: Json[]; batch: Json[]; calls: { oneByOne: number; batch: number } }> => {
		const outputs: Json[][] = [];
		const calls: number[] = [];
		for (const batch of [false, true]) {
			seedCompany();
			const before = qb.emulator.log.length;
			const run = await runNode(qb.creds, parameters(batch), input, { continueOnFail: true });
			calls.push(qb.emulator.log.slice(before).filter((e) => e.endpoint !== 'token').length);
			outputs.push(run.output('QuickBooks Sync').map((o) => o.json as Json));
		}
		return {
			oneByOne: outputs[0],
			batch: outputs[1],
			calls: { oneByOne: calls[0], batch: calls[1] },
		};
	};

	const expectSameOutputs = (oneByOne: Json[], batch: Json[]) => {
		expect(batch).toHaveLength(oneByOne.length);
		batch.forEach((item, i) => {
			expect({ i, shape: shape(item) }).toEqual({ i, shape: shape(oneByOne[i]) });
			expect({ i, item: comparable(item) }).toEqual({ i, item: comparable(oneByOne[i]) });
		});
	};

	test('Find or Create: 34 items, one by one and in batch, give the same items; the batch costs a handful of calls', async () => {
		const { oneByOne, batch, calls } = await runBoth(
			(batchRequests) => ({
				resource: 'customer',
				operation: 'findOrCreate',
				email: '={{ $json.email }}',
				person: { name: '={{ $json.name }}' },
				options: { batchRequests },
			}),
			people,
		);
		expectSameOutputs(oneByOne, batch);
		expect(batch.slice(0, 20).map((o) => o.sync.action)).toEqual(Array(20).fill('created'));
		expect(batch.slice(20, 25).map((o) => o.sync.action)).toEqual(Array(5).fill('matched'));
		expect(batch[24]).toMatchObject({ DisplayName: 'New Person 3' });
		expect(batch[25]).toMatchObject({ DisplayName: 'Known One', sync: { action: 'matched' } });
		expect(batch[26]).toMatchObject({ DisplayName: 'Known Two' });
		expect(batch[27]).toMatchObject({ DisplayName: 'Acme Books' });
		expect(batch[28]).toMatchObject({
			DisplayName: 'Sleepy Client',
			Active: true,
			sync: { reactivated: true },
		});
		expect(batch[29]).toMatchObject({ DisplayName: 'Sleepy Client', sync: { reactivated: false } });
		expect(batch[30]).toMatchObject({ DisplayName: 'Twin A' });
		expect(batch[31]).toMatchObject({
			DisplayName: 'Taken Name (clash@example.com)',
			sync: { action: 'created' },
		});
		expect(batch[32].error).toMatch(/^Item 32: field "email"/);
		expect(batch[33]).toMatchObject({ DisplayName: 'Known One' });
		// 28 distinct e-mails: one look-up batch and one create batch; the inactive customer (query,
		// reactivation) and the name clash (query, create refused, query, create) one by one.
		expect(calls.batch).toBe(8);
		// One by one: 20 new (query, create), 6 known or shared (query), reactivation and clash as above.
		expect(calls.oneByOne).toBe(50);
		expect(realm().all('Customer')).toHaveLength(7 + 21);
	});

	test('Find Customer by E-Mail: the same items in batch, found or not, with the reactivation and the bad e-mail', async () => {
		const { oneByOne, batch, calls } = await runBoth(
			(batchRequests) => ({
				resource: 'customer',
				operation: 'findByEmail',
				email: '={{ $json.email }}',
				options: { batchRequests },
			}),
			people,
		);
		expectSameOutputs(oneByOne, batch);
		expect(batch[0]).toEqual({ found: false, email: 'new0@example.com' });
		expect(batch[26]).toMatchObject({
			found: true,
			email: 'known2@example.com',
			DisplayName: 'Known Two',
		});
		expect(batch[28]).toMatchObject({ found: true, sync: { reactivated: true } });
		expect(batch[32].error).toMatch(/^Item 32: field "email"/);
		// 28 distinct e-mails in one look-up batch; the inactive customer one by one (query, update).
		expect(calls.batch).toBe(3);
		// One by one: a query per item except the repeats of found customers ("not found" is never cached).
		expect(calls.oneByOne).toBe(32);
	});

	test('with "Fail the Item" for several customers, only the item with the shared e-mail fails', async () => {
		const { oneByOne, batch } = await runBoth(
			(batchRequests) => ({
				resource: 'customer',
				operation: 'findByEmail',
				email: '={{ $json.email }}',
				options: { batchRequests, duplicates: 'fail' },
			}),
			[
				{ email: 'known1@example.com' },
				{ email: 'twins@example.com' },
				{ email: 'nobody@example.com' },
			],
		);
		expectSameOutputs(oneByOne, batch);
		expect(batch[1].error).toMatch(
			/^Item 1: Several QuickBooks customers have the e-mail twins@example.com/,
		);
		expect(batch[0]).toMatchObject({ found: true });
		expect(batch[2]).toMatchObject({ found: false });
	});

	test('Create From Payment in batch takes a Customer ID per item; the receipts agree with the one-by-one run', async () => {
		const bodies = people
			.filter((p) => p.email !== 'not-an-email')
			.map((p, i) => ({
				...paymentReceived({
					transactionId: `pay-${i}`,
					email: p.email,
					name: p.name,
					items: [{ name: `Plan ${i % 3}`, qty: 1, price: 20 + i }],
				}),
				// Every fourth payment comes with the customer an earlier node chose.
				customerId: i % 4 === 1 ? 'KNOWN' : '',
			}));
		const run = async (batchRequests: boolean) => {
			const seeded = seedCompany();
			const known = seeded[0].Id;
			const input = bodies.map((b) => ({ ...b, customerId: b.customerId && known }));
			const before = qb.emulator.log.length;
			const out = await runNode(
				qb.creds,
				{
					resource: 'salesReceipt',
					operation: 'createFromPayment',
					source: 'highLevel',
					body: '={{ $json }}',
					options: { batchRequests, customerId: '={{ $json.customerId }}' },
				},
				input,
				{ continueOnFail: true },
			);
			const calls = qb.emulator.log.slice(before).filter((e) => e.endpoint !== 'token').length;
			return { out: out.output('QuickBooks Sync').map((o) => o.json as Json), calls, known };
		};
		const oneByOne = await run(false);
		const batch = await run(true);
		expectSameOutputs(oneByOne.out, batch.out);
		expect(batch.out.every((o) => !o.error)).toBe(true);
		const given = batch.out.filter((_, i) => i % 4 === 1);
		expect(
			given.every((o) => o.CustomerRef.value === batch.known && o.sync.customer.how === 'given'),
		).toBe(true);
		expect(batch.out[0].sync.customer).toMatchObject({ how: 'created' });
		expect(realm().all('SalesReceipt')).toHaveLength(bodies.length);
		// Receipt numbers 1; customers: look-ups 1, creates 1, reactivation 2, name clash 4; items:
		// query 1, creates 1, income account 1; receipts 2 (33 > 30); preferences 1; race look-up (off) 1.
		expect(batch.calls).toBe(customTxnNumbers ? 15 : 16);
		expect(oneByOne.calls).toBeGreaterThan(70);
	});

	test("Create From Payment in batch keeps each item's own settings: two prefixes, two batches, each receipt numbered with its own", async () => {
		seedCompany();
		const input = Array.from({ length: 6 }, (_, i) => ({
			...paymentReceived({
				transactionId: `pfx-${i}`,
				email: `prefix.${i}@example.com`,
				name: `Prefix Person ${i}`,
				items: [{ name: 'Plan 0', qty: 1, price: 30 + i }],
			}),
			prefix: i % 2 ? 'WEB-' : 'POS-',
		}));
		const before = qb.emulator.log.length;
		const out = await runNode(
			qb.creds,
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				options: { batchRequests: true, docNumberPrefix: '={{ $json.prefix }}' },
			},
			input,
		);
		const receipts = out.output('QuickBooks Sync').map((o) => o.json as Json);
		expect(receipts.map((r) => String(r.DocNumber).slice(0, 4))).toEqual(
			input.map((i) => i.prefix),
		);
		expect(receipts.map((r) => r.TotalAmt)).toEqual(input.map((_, i) => 30 + i));
		// Two groups of three, each in batch calls of its own: never one batch of all six.
		const batchSizes = qb.emulator.log
			.slice(before)
			.filter((e) => e.endpoint === 'batch')
			.map((e) => (e as { batchItems?: number }).batchItems);
		expect(batchSizes.filter((n) => n === 3).length).toBeGreaterThanOrEqual(2);
		expect(batchSizes.every((n) => (n ?? 0) <= 3)).toBe(true);
	});
});
