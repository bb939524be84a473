import { createHmac } from 'crypto';
import { mkdtempSync, existsSync } from 'fs';
import http from 'http';
import { tmpdir } from 'os';
import { join } from 'path';

import { startQboEmulator, type QboEmulator } from './qbo/server';

let emulator: QboEmulator;
let token: string;
const realm = '9130350000000001';

async function api(method: string, path: string, body?: unknown, options: { token?: string; realmId?: string } = {}) {
	const url = path.startsWith('/') ? `${emulator.url}${path}` : `${emulator.url}/v3/company/${options.realmId ?? realm}/${path}`;
	const res = await fetch(url, {
		method,
		headers: { Authorization: `Bearer ${options.token ?? token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = text;
	}
	return { status: res.status, body: json, tid: res.headers.get('intuit_tid') };
}
const query = (q: string) => api('GET', `query?query=${encodeURIComponent(q)}`);
const itemPath = () => `item/${emulator.company(realm).all('Item')[0].Id}`;
const code = (r: { body: any }) => r.body?.Fault?.Error?.[0]?.code;

beforeAll(async () => {
	emulator = await startQboEmulator({ realms: [realm, '4620816365000000002'] });
});
afterAll(async () => await emulator.stop());
beforeEach(() => {
	emulator.reset();
	emulator.setOptions({ limits: false, latencyMs: undefined });
	token = emulator.issueTokens(realm).access_token;
});

describe('QuickBooks emulator: entities and server-computed fields', () => {
	test('invoice lines, SubTotal, percent discount, tax from the tax code, TotalAmt, Balance; payment lowers the balance', async () => {
		const customer = (await api('POST', 'customer', { DisplayName: 'Acme', PrimaryEmailAddr: { Address: 'ap@acme.example' } })).body.Customer;
		const inv = await api('POST', 'invoice', {
			CustomerRef: { value: customer.Id },
			Line: [
				{ DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { Qty: 3, UnitPrice: 19.99, TaxCodeRef: { value: 'TAX' } } },
				{ DetailType: 'SalesItemLineDetail', Amount: 40, SalesItemLineDetail: { TaxCodeRef: { value: 'NON' } } },
				{ DetailType: 'DiscountLineDetail', DiscountLineDetail: { PercentBased: true, DiscountPercent: 10 } },
			],
		});
		expect(inv.status).toBe(200);
		expect(inv.tid).toBeTruthy();
		const invoice = inv.body.Invoice;
		expect(invoice.Line.map((l: any) => [l.DetailType, l.Amount])).toEqual([
			['SalesItemLineDetail', 59.97], ['SalesItemLineDetail', 40], ['SubTotalLineDetail', 99.97], ['DiscountLineDetail', 10],
		]);
		// 8.5 % on the taxable 59.97 after its 10 % share of the discount: 4.59
		expect(invoice.TxnTaxDetail.TotalTax).toBe(4.59);
		expect(invoice.TotalAmt).toBe(94.56);
		expect(invoice.Balance).toBe(94.56);
		const pay = await api('POST', 'payment', { CustomerRef: { value: customer.Id }, TotalAmt: 50, Line: [{ Amount: 50, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] });
		expect(pay.status).toBe(200);
		const after = (await api('GET', `invoice/${invoice.Id}`)).body.Invoice;
		expect(after.Balance).toBe(44.56);
		expect(after.SyncToken).toBe('1');
		expect((await api('GET', `customer/${customer.Id}`)).body.Customer.Balance).toBe(44.56);
		expect(code(await api('POST', 'payment', { CustomerRef: { value: customer.Id }, TotalAmt: 50, Line: [{ Amount: 50, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] }))).toBe('6000');
		const voidPay = await api('POST', 'payment?operation=update&include=void', { Id: pay.body.Payment.Id, SyncToken: pay.body.Payment.SyncToken, sparse: true });
		expect(voidPay.body.Payment.TotalAmt).toBe(0);
		expect((await api('GET', `invoice/${invoice.Id}`)).body.Invoice.Balance).toBe(94.56);
	});

	test('client-given TotalTax overrides; amount discount; ApplyTaxAfterDiscount false', async () => {
		const c = (await api('POST', 'customer', { DisplayName: 'Tax Co' })).body.Customer;
		const r = (await api('POST', 'salesreceipt', {
			CustomerRef: { value: c.Id },
			ApplyTaxAfterDiscount: false,
			TxnTaxDetail: { TotalTax: 3.33 },
			Line: [{ DetailType: 'SalesItemLineDetail', Amount: 100, SalesItemLineDetail: { TaxCodeRef: { value: 'TAX' } } }, { DetailType: 'DiscountLineDetail', Amount: 12.5, DiscountLineDetail: { PercentBased: false } }],
		})).body.SalesReceipt;
		expect(r).toMatchObject({ TotalAmt: 90.83, Balance: 0, TxnTaxDetail: { TotalTax: 3.33 } });
	});

	test('business rules: 6240, 6140, 2020, 610, e-mail format, 5010, 6070', async () => {
		await api('POST', 'customer', { DisplayName: 'Same Name' });
		expect(code(await api('POST', 'customer', { DisplayName: 'same name' }))).toBe('6240');
		expect(code(await api('POST', 'customer', {}))).toBe('2020');
		expect(code(await api('POST', 'customer', { DisplayName: 'Bad Mail', PrimaryEmailAddr: { Address: 'nope' } }))).toBe('6000');
		const c = (await api('POST', 'customer', { DisplayName: 'Doc' })).body.Customer;
		const line = [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: {} }];
		expect((await api('POST', 'invoice', { CustomerRef: { value: c.Id }, DocNumber: 'A-1', Line: line })).status).toBe(200);
		const dup = await api('POST', 'invoice', { CustomerRef: { value: c.Id }, DocNumber: 'A-1', Line: line });
		expect([dup.status, code(dup)]).toEqual([400, '6140']);
		expect(code(await api('POST', 'invoice', { CustomerRef: { value: '999' }, Line: line }))).toBe('610');
		expect(code(await api('POST', 'invoice', { CustomerRef: { value: c.Id }, DocNumber: 'X'.repeat(22), Line: line }))).toBe('2050');
		expect(code(await api('POST', 'invoice', { CustomerRef: { value: c.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: { Qty: 2, UnitPrice: 4 } }] }))).toBe('6070');
		expect(code(await api('POST', 'customer', { Id: c.Id, SyncToken: '7', DisplayName: 'Doc 2' }))).toBe('5010');
		expect(code(await api('GET', 'invoice/424242'))).toBe('610');
		expect(code(await api('POST', 'customer?operation=delete', { Id: c.Id, SyncToken: c.SyncToken }))).toBe('6000');
	});

	test('sparse and full update; void and delete', async () => {
		const c = (await api('POST', 'customer', { DisplayName: 'Up', GivenName: 'U', Notes: 'keep' })).body.Customer;
		const sparse = (await api('POST', 'customer', { Id: c.Id, SyncToken: '0', sparse: true, FamilyName: 'P' })).body.Customer;
		expect(sparse).toMatchObject({ GivenName: 'U', FamilyName: 'P', Notes: 'keep', SyncToken: '1' });
		const full = (await api('POST', 'customer', { Id: c.Id, SyncToken: '1', DisplayName: 'Up' })).body.Customer;
		expect(full.Notes).toBeUndefined();
		const inv = (await api('POST', 'invoice', { CustomerRef: { value: c.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }] })).body.Invoice;
		const voided = (await api('POST', 'invoice?operation=void', { Id: inv.Id, SyncToken: inv.SyncToken })).body.Invoice;
		expect(voided).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' });
		const r = (await api('POST', 'salesreceipt', { CustomerRef: { value: c.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }] })).body.SalesReceipt;
		expect((await api('POST', 'salesreceipt?operation=void', { Id: r.Id, SyncToken: r.SyncToken })).body.SalesReceipt.TotalAmt).toBe(0);
		const r2 = (await api('POST', 'salesreceipt', { CustomerRef: { value: c.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }] })).body.SalesReceipt;
		expect((await api('POST', 'salesreceipt?operation=delete', { Id: r2.Id, SyncToken: r2.SyncToken })).body.SalesReceipt.status).toBe('Deleted');
		expect(code(await api('GET', `salesreceipt/${r2.Id}`))).toBe('610');
	});
});

describe('QuickBooks emulator: query language', () => {
	beforeEach(async () => {
		emulator.seed(realm, 'Customer', [
			{ DisplayName: "O'Neil", PrimaryEmailAddr: { Address: "o'neil@example.com" } },
			{ DisplayName: 'Zed', Active: false },
			...Array.from({ length: 1200 }, (_, i) => ({ DisplayName: `P ${String(i).padStart(4, '0')}` })),
		]);
	});

	test('escapes, IN, LIKE, comparisons, ORDERBY, paging, count, active-only', async () => {
		expect((await query("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'O\\'NEIL@example.com'")).body.QueryResponse.Customer[0].DisplayName).toBe("O'Neil");
		expect((await query("select * from Customer where DisplayName IN ('Zed', 'P 0001')")).body.QueryResponse.Customer.map((c: any) => c.DisplayName)).toEqual(['P 0001']);
		expect((await query("SELECT * FROM Customer WHERE DisplayName = 'Zed' AND Active IN (true, false)")).body.QueryResponse.Customer).toHaveLength(1);
		expect((await query("SELECT count(*) FROM Customer WHERE DisplayName LIKE 'P 00%'")).body.QueryResponse.totalCount).toBe(100);
		const page = (await query("SELECT * FROM Customer WHERE DisplayName LIKE 'P%' ORDERBY DisplayName DESC STARTPOSITION 3 MAXRESULTS 2")).body.QueryResponse;
		expect(page.Customer.map((c: any) => c.DisplayName)).toEqual(['P 1197', 'P 1196']);
		expect(page).toMatchObject({ startPosition: 3, maxResults: 2 });
		expect((await query('SELECT * FROM Customer')).body.QueryResponse.Customer).toHaveLength(100);
		expect((await query("SELECT * FROM Customer WHERE Id IN ('1200', '1201')")).body.QueryResponse.Customer.length).toBeGreaterThan(0);
		expect((await query("SELECT * FROM Customer WHERE DisplayName = 'nobody'")).body).toMatchObject({ QueryResponse: {} });
	});

	test('parse errors are fault 4000', async () => {
		for (const q of ['SELECT * FROM Customer MAXRESULTS 1001', "SELECT * FROM Customer WHERE DisplayName = 'a' OR Id = '1'", "SELECT * FROM Customer WHERE DisplayName = 'open", 'SELEKT * FROM Customer', 'SELECT * FROM Nothing']) {
			const r = await query(q);
			expect([q, r.status, code(r)]).toEqual([q, 400, '4000']);
		}
	});
});

describe('QuickBooks emulator: CDC, batch, requestid', () => {
	test('CDC: changes since, deleted objects, 30-day limit, 1000-object cap', async () => {
		const since = new Date(Date.now() - 1000).toISOString();
		const c = (await api('POST', 'customer', { DisplayName: 'Changed' })).body.Customer;
		const inv = (await api('POST', 'invoice', { CustomerRef: { value: c.Id }, Line: [{ DetailType: 'SalesItemLineDetail', Amount: 5, SalesItemLineDetail: {} }] })).body.Invoice;
		await api('POST', 'invoice?operation=delete', { Id: inv.Id, SyncToken: inv.SyncToken });
		const cdc = (await api('GET', `cdc?entities=Customer,Invoice&changedSince=${encodeURIComponent(since)}`)).body.CDCResponse[0].QueryResponse;
		expect(cdc[0].Customer.map((x: any) => x.DisplayName)).toEqual(['Changed']);
		expect(cdc[1].Invoice).toEqual([expect.objectContaining({ Id: inv.Id, status: 'Deleted' })]);
		const old = new Date(Date.now() - 31 * 24 * 3600_000).toISOString();
		expect((await api('GET', `cdc?entities=Customer&changedSince=${old}`)).status).toBe(400);
		emulator.seed(realm, 'Customer', Array.from({ length: 1100 }, (_, i) => ({ DisplayName: `Cap ${i}` })));
		const capped = (await api('GET', `cdc?entities=Customer&changedSince=${encodeURIComponent(since)}`)).body.CDCResponse[0].QueryResponse[0].Customer;
		expect(capped).toHaveLength(1000);
	});

	test('batch: 30 items at most, per-item faults, queries inside', async () => {
		const items = [
			{ bId: 'a', operation: 'create', Customer: { DisplayName: 'Batch A' } },
			{ bId: 'b', operation: 'create', Customer: { DisplayName: 'Batch A' } },
			{ bId: 'q', Query: "SELECT * FROM Customer WHERE DisplayName = 'Batch A'" },
		];
		const r = (await api('POST', 'batch', { BatchItemRequest: items })).body.BatchItemResponse;
		expect(r[0].Customer.DisplayName).toBe('Batch A');
		expect(r[1].Fault.Error[0].code).toBe('6240');
		expect(r[2].QueryResponse.Customer).toHaveLength(1);
		const tooMany = Array.from({ length: 31 }, (_, i) => ({ bId: String(i), Query: 'SELECT * FROM Item' }));
		expect(code(await api('POST', 'batch', { BatchItemRequest: tooMany }))).toBe('6000');
	});

	test('requestid: a repeated create returns the first answer and writes once', async () => {
		const first = await api('POST', 'customer?requestid=abc-1', { DisplayName: 'Once' });
		const again = await api('POST', 'customer?requestid=abc-1', { DisplayName: 'Once' });
		expect(again.body.Customer.Id).toBe(first.body.Customer.Id);
		expect(emulator.company(realm).all('Customer').filter((c) => c.DisplayName === 'Once')).toHaveLength(1);
	});
});

describe('QuickBooks emulator: auth, limits, latency, faults, log, realms', () => {
	test('401 fault 3200 in the lower-case shape after expiry; tokens are per realm', async () => {
		const other = emulator.issueTokens('4620816365000000002').access_token;
		expect((await api('GET', 'companyinfo/4620816365000000002', undefined, { token: other, realmId: '4620816365000000002' })).status).toBe(200);
		expect((await api('GET', `companyinfo/${realm}`, undefined, { token: other })).status).toBe(403);
		emulator.expireAccessTokens();
		const r = await api('GET', `companyinfo/${realm}`);
		expect(r.status).toBe(401);
		expect(r.body.fault.error[0].code).toBe('3200');
	});

	test('500 requests per minute, then 429 with fault 3001 in XML', async () => {
		emulator.setOptions({ limits: true, perMinute: 20 });
		const statuses: number[] = [];
		for (let i = 0; i < 22; i++) statuses.push((await api('GET', itemPath())).status);
		expect(statuses.filter((s) => s === 200)).toHaveLength(20);
		const limited = await api('GET', itemPath());
		expect(limited.status).toBe(429);
		expect(String(limited.body)).toContain('<Error code="3001"');
		emulator.setOptions({ perMinute: 500 });
	});

	test('10 concurrent requests per realm with latency on; the 11th is throttled', async () => {
		emulator.setOptions({ limits: true, latencyMs: 150 });
		const results = await Promise.all(Array.from({ length: 11 }, () => api('GET', itemPath())));
		expect(results.map((r) => r.status).sort()).toEqual([...Array(10).fill(200), 429]);
	});

	test('fault injection (503, reset, hang) and the request log counts', async () => {
		emulator.injectFault({ path: 'item', count: 1, action: 503 });
		expect((await api('GET', itemPath())).status).toBe(503);
		emulator.injectFault({ path: 'item', count: 1, action: 'reset' });
		await expect(api('GET', itemPath())).rejects.toThrow();
		emulator.injectFault({ path: 'item', count: 1, action: 'hang' });
		await expect(fetch(`${emulator.url}/v3/company/${realm}/${itemPath()}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(300) })).rejects.toThrow();
		expect((await api('GET', itemPath())).status).toBe(200);
		expect(emulator.counts({ realmId: realm })).toMatchObject({ total: 4, 'GET read Item': 4 });
		const viaHttp: any = await (await fetch(`${emulator.url}/admin/log?realmId=${realm}`)).json();
		expect(viaHttp.counts.total).toBe(4);
	});

	test('webhooks: legacy and CloudEvents, signed with the verifier token', async () => {
		const received: Array<{ body: string; signature: string }> = [];
		const sink = http.createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				received.push({ body, signature: String(req.headers['intuit-signature']) });
				res.end();
			});
		});
		await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
		const url = `http://127.0.0.1:${(sink.address() as any).port}/`;
		emulator.setOptions({ webhook: { url, verifierToken: 'verifier-123' } });
		await api('POST', 'customer', { DisplayName: 'Hooked' });
		emulator.setOptions({ webhook: { url, verifierToken: 'verifier-123', format: 'cloudevents' } });
		await api('POST', 'customer', { DisplayName: 'Hooked 2' });
		await new Promise((r) => setTimeout(r, 200));
		emulator.setOptions({ webhook: undefined });
		sink.close();
		expect(received).toHaveLength(2);
		for (const r of received) expect(r.signature).toBe(createHmac('sha256', 'verifier-123').update(r.body).digest('base64'));
		expect(JSON.parse(received[0].body).eventNotifications[0]).toMatchObject({ realmId: realm, dataChangeEvent: { entities: [{ name: 'Customer', operation: 'Create' }] } });
		expect(JSON.parse(received[1].body)[0]).toMatchObject({ type: 'qbo.customer.created.v1', intuitaccountid: realm });
	});

	test('state persists to a JSON file and loads back', async () => {
		const file = join(mkdtempSync(join(tmpdir(), 'qbo-')), 'state.json');
		const a = await startQboEmulator({ realms: ['1'], persistFile: file });
		a.seed('1', 'Customer', [{ DisplayName: 'Persisted' }]);
		await a.stop();
		expect(existsSync(file)).toBe(true);
		const b = await startQboEmulator({ realms: ['1'], persistFile: file });
		expect(b.company('1').all('Customer').map((c) => c.DisplayName)).toContain('Persisted');
		await b.stop();
	});
});
