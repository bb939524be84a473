/**
 * Record pickers (From List / By ID / By URL) and the links to QuickBooks on list entries and
 * outputs, through n8n-core: list searches run in a LoadOptionsContext, operations in WorkflowExecute.
 */
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';

import { LoadOptionsContext } from 'n8n-core';
import {
	NodeHelpers,
	Workflow,
	type INode,
	type INodeListSearchResult,
	type ILoadOptionsFunctions,
} from 'n8n-workflow';

import { QuickBooksSync } from '../../nodes/QuickBooksSync/QuickBooksSync.node';
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import {
	CREDENTIAL_ID,
	TestNodeTypes,
	additionalDataFor,
	runNode,
	useEmulatedQuickBooks,
} from '../helpers/engine';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();
const SANDBOX_APP = 'https://app.sandbox.qbo.intuit.com';

// The emulator is a custom environment; its links point at the sandbox web app as a real sandbox's would.
beforeEach(() => {
	qb.creds.data = { ...qb.creds.data, customAppUrl: SANDBOX_APP };
});

type Method = (
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
) => Promise<INodeListSearchResult>;

async function listSearch(
	method: string,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const node: INode = {
		id: 'qbo',
		name: 'QuickBooks Sync',
		type: 'n8n-nodes-quickbooks-sync.quickBooksSync',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { quickBooksSyncOAuth2Api: { id: CREDENTIAL_ID, name: 'QuickBooks (emulator)' } },
	};
	const workflow = new Workflow({
		id: 'wf-ls',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: new TestNodeTypes(),
	});
	const context = new LoadOptionsContext(
		workflow,
		node,
		additionalDataFor(qb.creds),
		'parameters.customerId',
	);
	const methods = new QuickBooksSync().methods.listSearch as unknown as Record<string, Method>;
	return await methods[method].call(context, filter, paginationToken);
}

const seed = (
	entity: Parameters<typeof qb.emulator.seed>[1],
	records: Array<Record<string, unknown>>,
) => qb.emulator.seed(qb.emulator.defaultRealm, entity, records);
const run = async (
	parameters: Record<string, unknown>,
	input: Array<Record<string, unknown>> = [{}],
) =>
	(await runNode(qb.creds, parameters, input, { continueOnFail: true }))
		.output('QuickBooks Sync')
		.map((i) => i.json as Record<string, any>);
const rl = (mode: 'list' | 'id' | 'url', value: string) => ({ __rl: true, mode, value });

describe('From List: searchable, paginated, each entry links to QuickBooks', () => {
	test('customers: name with e-mail, filtered by the typed text, each with its customerdetail link', async () => {
		const [alice, bob] = seed('Customer', [
			{ DisplayName: 'Alice Moreau', PrimaryEmailAddr: { Address: 'alice@example.com' } },
			{ DisplayName: 'Bob Stone' },
		]);
		const all = await listSearch('searchCustomers');
		expect(all.results).toEqual(
			expect.arrayContaining([
				{
					name: 'Alice Moreau (alice@example.com)',
					value: alice.Id,
					url: `${SANDBOX_APP}/app/customerdetail?nameId=${alice.Id}`,
				},
				{
					name: 'Bob Stone',
					value: bob.Id,
					url: `${SANDBOX_APP}/app/customerdetail?nameId=${bob.Id}`,
				},
			]),
		);
		const filtered = await listSearch('searchCustomers', 'lice');
		expect(filtered.results.map((r) => r.value)).toEqual([alice.Id]);
	});

	test('pages of 100: a token while more may follow, none on the last page', async () => {
		seed(
			'Customer',
			Array.from({ length: 105 }, (_, i) => ({
				DisplayName: `Paged ${String(i).padStart(3, '0')}`,
			})),
		);
		const first = await listSearch('searchCustomers', 'Paged');
		expect(first.results).toHaveLength(100);
		expect(first.paginationToken).toBe('101');
		const second = await listSearch('searchCustomers', 'Paged', first.paginationToken as string);
		expect(second.results.map((r) => r.name)).toEqual([
			'Paged 100',
			'Paged 101',
			'Paged 102',
			'Paged 103',
			'Paged 104',
		]);
		expect(second.paginationToken).toBeUndefined();
	});

	test('invoices and sales receipts: number, customer, total and date; invoice and salesreceipt links', async () => {
		const [customer] = seed('Customer', [{ DisplayName: 'Dana Cole' }]);
		const line = [{ DetailType: 'SalesItemLineDetail', Amount: 80, SalesItemLineDetail: {} }];
		const [invoice] = seed('Invoice', [
			{
				DocNumber: 'INV-77',
				TxnDate: '2026-03-01',
				CustomerRef: { value: customer.Id, name: 'Dana Cole' },
				Line: line,
			},
		]);
		const [receipt] = seed('SalesReceipt', [
			{
				DocNumber: 'SR-9',
				TxnDate: '2026-03-02',
				CustomerRef: { value: customer.Id, name: 'Dana Cole' },
				Line: line,
			},
		]);
		const invoices = await listSearch('searchInvoices', 'INV-7');
		expect(invoices.results).toEqual([
			{
				name: expect.stringMatching(/^#INV-77 · Dana Cole · 80 · 2026-03-01$/),
				value: invoice.Id,
				url: `${SANDBOX_APP}/app/invoice?txnId=${invoice.Id}`,
			},
		]);
		const receipts = await listSearch('searchSalesReceipts');
		expect(receipts.results).toEqual([
			{
				name: expect.stringContaining('#SR-9'),
				value: receipt.Id,
				url: `${SANDBOX_APP}/app/salesreceipt?txnId=${receipt.Id}`,
			},
		]);
	});

	test('items, accounts, payment methods, tax codes: items and payment methods link to their list, accounts to their register, tax codes nowhere', async () => {
		const items = await listSearch('searchItems');
		expect(items.results.length).toBeGreaterThan(0);
		for (const r of items.results) expect(r.url).toBe(`${SANDBOX_APP}/app/items`);
		const deposit = await listSearch('searchDepositAccounts');
		expect(deposit.results.length).toBeGreaterThan(0);
		for (const r of deposit.results)
			expect(r.url).toBe(`${SANDBOX_APP}/app/register?accountId=${r.value}`);
		const income = await listSearch('searchIncomeAccounts', 'Services');
		expect(income.results.map((r) => r.name)).toContain('Services');
		const methods = await listSearch('searchPaymentMethods');
		expect(methods.results.map((r) => r.url)).toEqual(
			methods.results.map(() => `${SANDBOX_APP}/app/paymentmethods`),
		);
		const taxCodes = await listSearch('searchTaxCodes');
		expect(taxCodes.results.map((r) => r.value)).toEqual(expect.arrayContaining(['TAX', 'NON']));
		for (const r of taxCodes.results) expect(r.url).toBeUndefined();
	});

	test('a custom environment without an app address: entries without links', async () => {
		const { customAppUrl: _unused, ...rest } = qb.creds.data;
		qb.creds.data = rest;
		seed('Customer', [{ DisplayName: 'No Link' }]);
		const { results } = await listSearch('searchCustomers', 'No Link');
		expect(results).toHaveLength(1);
		expect(results[0].url).toBeUndefined();
	});
});

describe('By ID and By URL', () => {
	test('customer: list, ID and link modes read the same customer; the output links to it', async () => {
		const [c] = seed('Customer', [{ DisplayName: 'Evan Park' }]);
		const link = `${SANDBOX_APP}/app/customerdetail?nameId=${c.Id}`;
		for (const value of [
			rl('list', c.Id),
			rl('id', c.Id),
			rl('url', link),
			rl('url', `https://qbo.intuit.com/app/customerdetail?nameId=${c.Id}&tab=details`),
		]) {
			const [out] = await run({ resource: 'customer', operation: 'get', customerId: value });
			expect(out).toMatchObject({ Id: c.Id, DisplayName: 'Evan Park', qboUrl: link });
		}
	});

	test('invoice: picked by link (Find Invoice By: QuickBooks Invoice); send, void and record payment take it too', async () => {
		const [customer] = seed('Customer', [
			{ DisplayName: 'Fay Lin', PrimaryEmailAddr: { Address: 'fay@example.com' } },
		]);
		const [inv] = seed('Invoice', [
			{
				DocNumber: 'INV-5',
				CustomerRef: { value: customer.Id },
				Line: [{ DetailType: 'SalesItemLineDetail', Amount: 100, SalesItemLineDetail: {} }],
			},
		]);
		const link = `${SANDBOX_APP}/app/invoice?txnId=${inv.Id}`;
		const [got] = await run({
			resource: 'invoice',
			operation: 'get',
			invoiceBy: 'id',
			invoiceId: rl('url', link),
		});
		expect(got).toMatchObject({ Id: inv.Id, DocNumber: 'INV-5', qboUrl: link });
		const [paid] = await run({
			resource: 'invoice',
			operation: 'recordPayment',
			invoiceBy: 'id',
			invoiceId: rl('id', inv.Id),
			amountPaid: 40,
		});
		expect(paid).toMatchObject({ Id: inv.Id, qboUrl: link, sync: { action: 'paid' } });
		expect(paid.payments[0].qboUrl).toBe(
			`${SANDBOX_APP}/app/recvpayment?txnId=${paid.payments[0].Id}`,
		);
	});

	test('sales receipt: get and void by link', async () => {
		const created = (
			await run(
				{
					resource: 'salesReceipt',
					operation: 'createFromPayment',
					source: 'highLevel',
					body: '={{ $json }}',
					options: {},
				},
				[paymentReceived({ transactionId: 'loc-sr-1' })],
			)
		)[0];
		const link = `${SANDBOX_APP}/app/salesreceipt?txnId=${created.Id}`;
		expect(created.qboUrl).toBe(link);
		const [got] = await run({
			resource: 'salesReceipt',
			operation: 'get',
			salesReceiptId: rl('url', link),
		});
		expect(got).toMatchObject({ Id: created.Id, qboUrl: link });
		const [voided] = await run({
			resource: 'salesReceipt',
			operation: 'void',
			salesReceiptId: rl('url', link),
		});
		expect(voided).toMatchObject({ Id: created.Id, qboUrl: link, sync: { action: 'voided' } });
	});

	test('receipt settings by link: customer, deposit account (register link), default item (uncertain itemId link)', async () => {
		const [customer] = seed('Customer', [{ DisplayName: 'Gil Ortega' }]);
		const bank = realm()
			.all('Account')
			.find((a) => a.AccountType === 'Bank')!;
		const [item] = seed('Item', [
			{
				Name: 'Flat Fee',
				Type: 'Service',
				IncomeAccountRef: {
					value: realm()
						.all('Account')
						.find((a) => a.AccountType === 'Income')!.Id,
				},
			},
		]);
		const [out] = await run(
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json }}',
				itemMode: 'default',
				defaultItemId: rl('url', `${SANDBOX_APP}/app/items?itemId=${item.Id}`),
				depositAccountId: rl('url', `${SANDBOX_APP}/app/register?accountId=${bank.Id}`),
				options: {
					customerId: rl('url', `${SANDBOX_APP}/app/customerdetail?nameId=${customer.Id}`),
				},
			},
			[paymentReceived({ transactionId: 'loc-sr-2' })],
		);
		expect(out.error).toBeUndefined();
		expect(out.CustomerRef.value).toBe(customer.Id);
		expect(out.DepositToAccountRef.value).toBe(bank.Id);
		expect(
			out.Line.filter((l: any) => l.SalesItemLineDetail).every(
				(l: any) => l.SalesItemLineDetail.ItemRef.value === item.Id,
			),
		).toBe(true);
	});

	test('Get Many filters by a picked customer', async () => {
		const [a, b] = seed('Customer', [{ DisplayName: 'Filter A' }, { DisplayName: 'Filter B' }]);
		const line = [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: {} }];
		seed('Invoice', [
			{ CustomerRef: { value: a.Id }, Line: line },
			{ CustomerRef: { value: b.Id }, Line: line },
		]);
		const out = await run({
			resource: 'invoice',
			operation: 'getMany',
			returnAll: true,
			filters: { customerId: rl('url', `${SANDBOX_APP}/app/customerdetail?nameId=${b.Id}`) },
		});
		expect(out.map((i) => i.CustomerRef.value)).toEqual([b.Id]);
		expect(out[0].qboUrl).toBe(`${SANDBOX_APP}/app/invoice?txnId=${out[0].Id}`);
	});
});

describe('Bad values name the field and fail only their item', () => {
	test('typed into the node: n8n refuses to start the workflow and says which picker and why', async () => {
		const [c] = seed('Customer', [{ DisplayName: 'Hana Ito' }]);
		await expect(
			run({
				resource: 'customer',
				operation: 'get',
				customerId: rl('url', `${SANDBOX_APP}/app/invoice?txnId=${c.Id}`),
			}),
		).rejects.toThrow(
			/Customer: not a link to a QuickBooks customer \(e\.g\. https:\/\/app\.qbo\.intuit\.com\/app\/customerdetail\?nameId=123\)/,
		);
		await expect(
			run({
				resource: 'salesReceipt',
				operation: 'get',
				salesReceiptId: rl('url', 'https://example.com/app/salesreceipt?txnId=1'),
			}),
		).rejects.toThrow(/Sales Receipt: not a link to a QuickBooks sales receipt/);
		await expect(
			run({ resource: 'invoice', operation: 'get', invoiceBy: 'id', invoiceId: rl('id', '12 3') }),
		).rejects.toThrow(/Invoice: not a valid QuickBooks ID/);
	});

	test('from an expression: the item fails with the field named (link to another kind, foreign link, bad ID, empty)', async () => {
		const [c] = seed('Customer', [{ DisplayName: 'Hana Ito' }]);
		const [wrongKind] = await run(
			{ resource: 'customer', operation: 'get', customerId: rl('url', '={{ $json.v }}') },
			[{ v: `${SANDBOX_APP}/app/invoice?txnId=${c.Id}` }],
		);
		expect(wrongKind.error).toMatch(
			/field "Customer" is not a link to a QuickBooks customer \(expected e\.g\. https:\/\/app\.qbo\.intuit\.com\/app\/customerdetail\?nameId=123\)/,
		);
		const [foreign] = await run(
			{ resource: 'salesReceipt', operation: 'get', salesReceiptId: rl('url', '={{ $json.v }}') },
			[{ v: 'https://example.com/app/salesreceipt?txnId=1' }],
		);
		expect(foreign.error).toMatch(
			/field "Sales Receipt" is not a link to a QuickBooks sales receipt/,
		);
		const [badId] = await run(
			{
				resource: 'invoice',
				operation: 'get',
				invoiceBy: 'id',
				invoiceId: rl('id', '={{ $json.v }}'),
			},
			[{ v: '12 3' }],
		);
		expect(badId.error).toMatch(/field "Invoice" is not a QuickBooks ID/);
		const [option] = await run(
			{
				resource: 'customer',
				operation: 'findOrCreate',
				email: '={{ $json.email }}',
				options: { fallbackCustomerId: rl('url', '={{ $json.v }}') },
			},
			[{ v: 'https://app.qbo.intuit.com/app/customers' }],
		);
		expect(option.error).toMatch(
			/field "Fallback Customer" is not a link to a QuickBooks customer/,
		);
		const [empty] = await run({
			resource: 'invoice',
			operation: 'get',
			invoiceBy: 'id',
			invoiceId: rl('list', ''),
		});
		expect(empty.error).toMatch(/field "Invoice" is missing/);
	});

	test('one bad item among good ones', async () => {
		const [c] = seed('Customer', [{ DisplayName: 'Ivy Ng' }]);
		const out = await run(
			{ resource: 'customer', operation: 'get', customerId: rl('url', '={{ $json.link }}') },
			[{ link: `${SANDBOX_APP}/app/customerdetail?nameId=${c.Id}` }, { link: 'not a link' }],
		);
		expect(out[0]).toMatchObject({ Id: c.Id });
		expect(out[1].error).toMatch(/Item 1: field "Customer" is not a link/);
	});
});

describe('Workflows saved before the pickers (plain strings)', () => {
	test('a plain ID, a plain link, an expression; Find Invoice By = ID with the id where the picker once was', async () => {
		const [c] = seed('Customer', [{ DisplayName: 'Jo Marsh' }]);
		const [inv] = seed('Invoice', [
			{
				CustomerRef: { value: c.Id },
				Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }],
			},
		]);
		expect(
			(await run({ resource: 'customer', operation: 'get', customerId: c.Id }))[0],
		).toMatchObject({ Id: c.Id });
		expect(
			(
				await run({
					resource: 'customer',
					operation: 'get',
					customerId: `${SANDBOX_APP}/app/customerdetail?nameId=${c.Id}`,
				})
			)[0],
		).toMatchObject({ Id: c.Id });
		expect(
			(await run({ resource: 'invoice', operation: 'get', invoiceBy: 'id', invoiceId: inv.Id }))[0],
		).toMatchObject({ Id: inv.Id, qboUrl: `${SANDBOX_APP}/app/invoice?txnId=${inv.Id}` });
		// The picker once shared the name "invoiceRef" with the invoice number; n8n drops a hidden
		// parameter, so such a workflow says which field to fill rather than guess.
		const [old] = await run({
			resource: 'invoice',
			operation: 'get',
			invoiceBy: 'id',
			invoiceRef: inv.Id,
		});
		expect(old.error).toBe('Item 0: field "Invoice" is missing');
	});

	test('the payment template: options.customerId as a plain expression string', async () => {
		const [c] = seed('Customer', [
			{ DisplayName: 'Kai Burns', PrimaryEmailAddr: { Address: 'kai@example.com' } },
		]);
		const [out] = await run(
			{
				resource: 'salesReceipt',
				operation: 'createFromPayment',
				source: 'highLevel',
				body: '={{ $json.payment }}',
				itemMode: 'perLine',
				options: { customerId: '={{ $json.Id }}' },
			},
			[
				{
					Id: c.Id,
					payment: paymentReceived({
						transactionId: 'loc-tpl-1',
						email: 'someone.else@example.com',
					}),
				},
			],
		);
		expect(out.error).toBeUndefined();
		expect(out.CustomerRef.value).toBe(c.Id);
	});
});

describe('Outputs link to the document they wrote', () => {
	test('customer create and find-or-create; invoice sync with its payments', async () => {
		const [created] = await run({
			resource: 'customer',
			operation: 'create',
			displayName: 'Lee Chan',
			email: 'lee@example.com',
			person: {},
		});
		expect(created.qboUrl).toBe(`${SANDBOX_APP}/app/customerdetail?nameId=${created.Id}`);
		const [found] = await run({
			resource: 'customer',
			operation: 'findOrCreate',
			email: 'lee@example.com',
			person: {},
			options: {},
		});
		expect(found.qboUrl).toBe(created.qboUrl);
		const [synced] = await run(
			{ resource: 'invoice', operation: 'sync', body: '={{ $json }}', key: 'number', options: {} },
			[invoiceEvent('InvoicePaid', { number: 'INV-LNK-1', email: 'lee@example.com' })],
		);
		expect(synced.error).toBeUndefined();
		expect(synced.qboUrl).toBe(`${SANDBOX_APP}/app/invoice?txnId=${synced.Id}`);
		expect(synced.payments.length).toBeGreaterThan(0);
		for (const p of synced.payments)
			expect(p.qboUrl).toBe(`${SANDBOX_APP}/app/recvpayment?txnId=${p.Id}`);
	});

	test('an invoice deleted in QuickBooks (CRM delete, "Delete in QuickBooks") has no link', async () => {
		const params = {
			resource: 'invoice',
			operation: 'sync',
			body: '={{ $json }}',
			key: 'number',
			options: { onDelete: 'delete' },
		};
		const [sent] = await run(params, [
			invoiceEvent('InvoiceSent', {
				id: '6650aa00bb11cc22dd33ee99',
				number: 'INV-LNK-DEL',
				email: 'del@example.com',
			}),
		]);
		expect(sent.qboUrl).toBe(`${SANDBOX_APP}/app/invoice?txnId=${sent.Id}`);
		const [deleted] = await run(params, [
			invoiceEvent('InvoiceDelete', {
				id: '6650aa00bb11cc22dd33ee99',
				number: 'INV-LNK-DEL',
				email: 'del@example.com',
			}),
		]);
		expect(deleted.sync.action).toBe('deleted');
		expect(deleted).not.toHaveProperty('qboUrl');
	});

	test('production and sandbox credentials link to their own web app; a custom one without an app address has no link', async () => {
		const { customAppUrl: _unused, ...rest } = qb.creds.data;
		qb.creds.data = rest;
		const [c] = seed('Customer', [{ DisplayName: 'Mo Diaz' }]);
		const [out] = await run({ resource: 'customer', operation: 'get', customerId: rl('id', c.Id) });
		expect(out.Id).toBe(c.Id);
		expect(out).not.toHaveProperty('qboUrl');
	});
});

describe('The templates still load', () => {
	const dir = join(__dirname, '../../workflows');
	const nodes = readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.flatMap((f) =>
			(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: INode[] }).nodes.map((node) => ({
				file: f,
				node,
			})),
		)
		.filter(({ node }) => node.type === 'n8n-nodes-quickbooks-sync.quickBooksSync');

	test.each(nodes.map(({ file, node }) => [file, node.name, node] as const))(
		'%s › %s: n8n finds no issues and keeps every value',
		(_file, _name, node) => {
			const description = new QuickBooksSync().description;
			const resolved = NodeHelpers.getNodeParameters(
				description.properties,
				node.parameters,
				true,
				false,
				node,
				description,
			);
			expect(
				NodeHelpers.getNodeParametersIssues(
					description.properties,
					{ ...node, parameters: resolved! },
					description,
				),
			).toBeNull();
			expect(resolved).toEqual(expect.objectContaining(node.parameters));
		},
	);
});
