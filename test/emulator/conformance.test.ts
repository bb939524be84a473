/**
 * Clients nobody here wrote, pointed at the emulator: Intuit's own `intuit-oauth` and the
 * community `node-quickbooks`. If they cannot tell the emulator from QuickBooks, neither can we.
 */
import OAuthClient from 'intuit-oauth';
import QuickBooks from 'node-quickbooks';
import { promisify } from 'util';

import {
	DEFAULT_CLIENT,
	startQboEmulator,
	type QboEmulator,
} from '../../scripts/dev/emulator/qbo/server';

let emulator: QboEmulator;
beforeAll(async () => {
	emulator = await startQboEmulator({ realms: ['9130350000000777'] });
});
afterAll(async () => await emulator.stop());

function oauthClient() {
	const client = new OAuthClient({
		clientId: DEFAULT_CLIENT.clientId,
		clientSecret: DEFAULT_CLIENT.clientSecret,
		environment: 'sandbox',
		redirectUri: 'http://localhost:5678/callback',
	});
	client.setAuthorizeURLs({
		authorizeEndpoint: `${emulator.url}/connect/oauth2`,
		tokenEndpoint: `${emulator.url}/oauth2/v1/tokens/bearer`,
		revokeEndpoint: `${emulator.url}/v2/oauth2/tokens/revoke`,
		userInfoEndpoint: `${emulator.url}/v1/openid_connect/userinfo`,
	});
	return client;
}

/** Follows the authorize redirect as a browser would, returning the callback URL. */
async function authorize(client: any): Promise<string> {
	const url = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'csrf-123' });
	const res = await fetch(url, { redirect: 'manual' });
	expect(res.status).toBe(302);
	return res.headers.get('location')!;
}

describe('intuit-oauth against the emulator', () => {
	test('authorize URL → callback → createToken → refresh (rotation) → revoke', async () => {
		const client = oauthClient();
		const callback = await authorize(client);
		expect(callback).toMatch(
			/^http:\/\/localhost:5678\/callback\?code=AB[0-9a-f]+&state=csrf-123&realmId=9130350000000777$/,
		);

		const created = await client.createToken(callback);
		const first = created.getJson();
		expect(first).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
		expect(client.getToken().realmId).toBe('9130350000000777');
		expect(client.isAccessTokenValid()).toBe(true);

		const info = await client.makeApiCall({
			url: `${emulator.url}/v3/company/9130350000000777/companyinfo/9130350000000777?minorversion=75`,
		});
		expect(info.json.CompanyInfo.CompanyName).toContain('9130350000000777');

		const refreshed = (await client.refresh()).getJson();
		expect(refreshed.refresh_token).not.toBe(first.refresh_token);
		// The spent refresh token now fails as Intuit's does.
		await expect(client.refreshUsingToken(first.refresh_token)).rejects.toMatchObject({
			error: 'invalid_grant',
		});

		await client.revoke({ refresh_token: refreshed.refresh_token } as never);
		await expect(client.refreshUsingToken(refreshed.refresh_token)).rejects.toMatchObject({
			error: 'invalid_grant',
		});
	});

	test('a wrong client secret is refused at the token endpoint', async () => {
		const client = new OAuthClient({
			clientId: DEFAULT_CLIENT.clientId,
			clientSecret: 'wrong',
			environment: 'sandbox',
			redirectUri: 'http://localhost:5678/callback',
		});
		client.setAuthorizeURLs({
			authorizeEndpoint: `${emulator.url}/connect/oauth2`,
			tokenEndpoint: `${emulator.url}/oauth2/v1/tokens/bearer`,
			revokeEndpoint: `${emulator.url}/v2/oauth2/tokens/revoke`,
			userInfoEndpoint: '',
		});
		const callback = await authorize(oauthClient());
		await expect(client.createToken(callback)).rejects.toBeDefined();
	});
});

describe('node-quickbooks against the emulator', () => {
	let qbo: any;
	const call = <T = any>(method: string, ...args: unknown[]): Promise<T> =>
		promisify(qbo[method].bind(qbo))(...args) as Promise<T>;

	beforeAll(() => {
		(QuickBooks as any).V3_ENDPOINT_BASE_URL = `${emulator.url}/v3/company/`;
		const tokens = emulator.issueTokens('9130350000000777');
		qbo = new QuickBooks(
			DEFAULT_CLIENT.clientId,
			DEFAULT_CLIENT.clientSecret,
			tokens.access_token,
			false,
			'9130350000000777',
			true,
			false,
			75 as never,
			'2.0',
			tokens.refresh_token,
		);
	});

	test('customers: create, read, update, find (with an apostrophe)', async () => {
		const created = await call('createCustomer', {
			DisplayName: "Dana O'Hara",
			PrimaryEmailAddr: { Address: "dana.o'hara@example.com" },
		});
		expect(created.Id).toBeTruthy();
		const read = await call('getCustomer', created.Id);
		expect(read.DisplayName).toBe("Dana O'Hara");
		const updated = await call('updateCustomer', {
			Id: created.Id,
			SyncToken: read.SyncToken,
			sparse: true,
			CompanyName: 'OH Ltd',
		});
		expect(updated).toMatchObject({ CompanyName: 'OH Ltd', SyncToken: '1' });
		const found = await call('findCustomers', [
			{ field: 'DisplayName', value: "Dana O'Hara", operator: '=' },
		]);
		expect(found.QueryResponse.Customer.map((c: any) => c.Id)).toEqual([created.Id]);
		const stale = call('updateCustomer', {
			Id: created.Id,
			SyncToken: '0',
			sparse: true,
			CompanyName: 'Old',
		});
		await expect(stale).rejects.toMatchObject({
			response: {
				status: 400,
				data: { Fault: { Error: [expect.objectContaining({ code: '5010' })] } },
			},
		});
	});

	test('items, invoices (void), sales receipts, payments; fetchAll paging', async () => {
		const accounts = await call('findAccounts', { AccountType: 'Income' });
		const item = await call('createItem', {
			Name: 'Conformance Widget',
			Type: 'Service',
			IncomeAccountRef: { value: accounts.QueryResponse.Account[0].Id },
		});
		const customer = await call('createCustomer', { DisplayName: 'Conformance Buyer' });
		const line = {
			DetailType: 'SalesItemLineDetail',
			Amount: 120,
			SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 2, UnitPrice: 60 },
		};
		const invoice = await call('createInvoice', {
			CustomerRef: { value: customer.Id },
			Line: [line],
		});
		expect(invoice).toMatchObject({ TotalAmt: 120, Balance: 120 });
		const payment = await call('createPayment', {
			CustomerRef: { value: customer.Id },
			TotalAmt: 20,
			Line: [{ Amount: 20, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
		});
		expect(payment.UnappliedAmt).toBe(0);
		expect((await call('getInvoice', invoice.Id)).Balance).toBe(100);
		const receipt = await call('createSalesReceipt', {
			CustomerRef: { value: customer.Id },
			Line: [line],
		});
		expect(receipt).toMatchObject({ TotalAmt: 120, Balance: 0 });
		expect((await call('getSalesReceipt', receipt.Id)).Id).toBe(receipt.Id);
		const invoice2 = await call('createInvoice', {
			CustomerRef: { value: customer.Id },
			Line: [line],
		});
		const voided = await call('voidInvoice', invoice2.Id);
		expect(voided.Invoice ?? voided).toMatchObject({ TotalAmt: 0 });
		emulator.seed(
			'9130350000000777',
			'Customer',
			Array.from({ length: 1234 }, (_, i) => ({ DisplayName: `Paged ${i}` })),
		);
		const all = await call('findCustomers', { fetchAll: true });
		expect(all.QueryResponse.Customer.length).toBeGreaterThanOrEqual(1236);
	});

	test('batch and change data capture', async () => {
		// node-quickbooks sends changedSince to the second: let the earlier tests' second pass.
		await new Promise((resolve) => setTimeout(resolve, 1100));
		const since = new Date();
		const batch = await call('batch', [
			{ bId: '1', operation: 'create', Customer: { DisplayName: 'Batch One' } },
			{ bId: '2', operation: 'create', Customer: { DisplayName: 'Batch One' } },
		]);
		expect(batch.BatchItemResponse[0].Customer.DisplayName).toBe('Batch One');
		expect(batch.BatchItemResponse[1].Fault.Error[0].code).toBe('6240');
		const cdc = await call('changeDataCapture', ['Customer', 'Invoice'], since);
		const customers = cdc.CDCResponse[0].QueryResponse[0].Customer;
		expect(customers.map((c: any) => c.DisplayName)).toEqual(['Batch One']);
	});
});

/**
 * The contract test/live runs against a real Intuit sandbox, run here against the emulator under
 * every combination of the two company preferences that change behaviour. Same checks, same
 * expectations: where the sandbox disagrees, the emulator is wrong.
 */
import { defineContract } from '../live/contract';

for (const custom of [true, false]) {
	for (const tax of [true, false]) {
		const realm = `91303500000${custom ? 1 : 0}${tax ? 1 : 0}99`;
		let contractEmulator: QboEmulator;
		beforeAll(async () => {
			contractEmulator = await startQboEmulator({
				realms: [realm],
				preferences: {
					SalesFormsPrefs: { CustomTxnNumbers: custom },
					TaxPrefs: { UsingSalesTax: tax },
				},
			});
		});
		afterAll(async () => await contractEmulator.stop());
		defineContract(
			`QuickBooks contract on the emulator (custom numbers ${custom ? 'on' : 'off'}, sales tax ${tax ? 'on' : 'off'})`,
			async () => {
				const tokens = contractEmulator.issueTokens(realm);
				return {
					label: 'emulator',
					baseUrl: contractEmulator.url,
					realmId: realm,
					token: async () => tokens.access_token,
				};
			},
		);
	}
}
