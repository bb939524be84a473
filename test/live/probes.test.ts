/**
 * Probes that settle what Intuit does not document, against a real sandbox company. Each probe
 * prints one FINDING line and adds it to `.live-findings.json` (git-ignored); the emulator's
 * options and the fidelity table (scripts/dev/emulator/README.md) follow from them. Probes assert only
 * that QuickBooks answered; what it answered is the finding.
 *
 * Skips itself unless QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN and QBO_REALM_ID are set.
 * QBO_LIVE_REPLAY_SECONDS (default 60) sets how long the requestid retention probe waits.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';

import { fixtures, line, newCustomer, newInvoice, pay, type Fixtures } from './contract';
import { faultCode, faultText, sleep, unique, type Reply } from './http';
import { liveConfigured, sandboxEnv } from './sandbox';

const findings: Array<{ probe: string; finding: string; at: string }> = [];
function finding(probe: string, text: string): void {
	findings.push({ probe, finding: text, at: new Date().toISOString() });
	console.log(`FINDING [${probe}] ${text}`);
}
const brief = (r: Reply) => (r.status === 200 ? 'HTTP 200' : `HTTP ${r.status} ${faultText(r)}`);

const replaySeconds = Number(process.env.QBO_LIVE_REPLAY_SECONDS ?? 60);

(liveConfigured() ? describe : describe.skip)('QuickBooks probes on the Intuit sandbox', () => {
	let f: Fixtures;
	let prefs: Record<string, any>;
	beforeAll(async () => {
		f = await fixtures((await sandboxEnv())!);
		prefs = await f.http.preferences();
	});
	afterAll(() => {
		if (findings.length)
			writeFileSync(
				join(__dirname, '..', '..', '.live-findings.json'),
				`${JSON.stringify(findings, null, 2)}\n`,
			);
	});

	test('company preferences', () => {
		finding(
			'preferences',
			`CustomTxnNumbers=${prefs.SalesFormsPrefs?.CustomTxnNumbers} UsingSalesTax=${prefs.TaxPrefs?.UsingSalesTax} PartnerTaxEnabled=${prefs.TaxPrefs?.PartnerTaxEnabled} HomeCurrency=${prefs.CurrencyPrefs?.HomeCurrency?.value}`,
		);
	});

	test(
		`requestid retention: the same requestid replayed after ${replaySeconds} s`,
		async () => {
			const s = unique();
			const requestid = `probe-ret-${s}`;
			const first = await f.http.post('customer', { DisplayName: `Retention ${s}` }, { requestid });
			expect(first.status).toBe(200);
			await sleep(replaySeconds * 1000);
			const again = await f.http.post('customer', { DisplayName: `Retention ${s}` }, { requestid });
			const other = await f.http.post(
				'customer',
				{ DisplayName: `Retention other ${s}` },
				{ requestid },
			);
			finding(
				'requestid-retention',
				`after ${replaySeconds} s: ${again.body?.Customer?.Id === first.body.Customer.Id ? 'first response replayed' : `not replayed (${brief(again)})`}; same requestid with a different body: ${other.body?.Customer?.Id === first.body.Customer.Id ? 'first response replayed' : brief(other)}`,
			);
		},
		(replaySeconds + 60) * 1000,
	);

	test('requestid: is a fault replayed?', async () => {
		const s = unique();
		const existing = (await f.http.post('customer', { DisplayName: `Clash ${s}` })).body.Customer;
		const requestid = `probe-fault-${s}`;
		const failed = await f.http.post('customer', { DisplayName: `Clash ${s}` }, { requestid });
		expect(failed.status).toBe(400);
		await f.http.post('customer', {
			Id: existing.Id,
			SyncToken: existing.SyncToken,
			sparse: true,
			DisplayName: `Clash moved ${s}`,
		});
		const replay = await f.http.post('customer', { DisplayName: `Clash ${s}` }, { requestid });
		finding(
			'requestid-fault-replay',
			replay.status === 400
				? `the fault is replayed (${faultText(replay)})`
				: `the fault is not replayed: the retry was executed (${brief(replay)})`,
		);
	});

	test('requestid length limits (51 on an entity, 37 on /batch, bId of 11 with a requestid)', async () => {
		const s = unique();
		const long = await f.http.post(
			'customer',
			{ DisplayName: `Long id ${s}` },
			{ requestid: `p${s}`.padEnd(51, 'x') },
		);
		const batch37 = await f.http.post(
			'batch',
			{ BatchItemRequest: [{ bId: '1', Query: 'SELECT * FROM Item MAXRESULTS 1' }] },
			{ requestid: `b${s}`.padEnd(37, 'x') },
		);
		const bid11 = await f.http.post(
			'batch',
			{
				BatchItemRequest: [{ bId: 'b'.padEnd(11, 'x'), Query: 'SELECT * FROM Item MAXRESULTS 1' }],
			},
			{ requestid: `c${s}` },
		);
		finding(
			'requestid-length',
			`51 chars on create: ${brief(long)}; 37 on batch: ${brief(batch37)}; bId 11 chars with requestid: ${brief(bid11)}${bid11.body?.BatchItemResponse?.[0]?.Fault ? ` (item fault ${bid11.body.BatchItemResponse[0].Fault.Error[0].code})` : ''}`,
		);
	});

	test("does applying a Payment change the Invoice's LastUpdatedTime (and list it in CDC)?", async () => {
		const customer = await newCustomer(f);
		const invoice = (await newInvoice(f, customer.Id, 20)).body.Invoice;
		await sleep(3000);
		const clock = await f.http.query('SELECT * FROM Preferences');
		const since = clock.body.time;
		await sleep(1000);
		const payment = await pay(f, customer.Id, invoice.Id, 20);
		expect(payment.status).toBe(200);
		const after = (await f.http.get(`invoice/${invoice.Id}`)).body.Invoice;
		const cdc = await f.http.get('cdc', { entities: 'Invoice', changedSince: since });
		const listed = (cdc.body?.CDCResponse?.[0]?.QueryResponse?.[0]?.Invoice ?? []).some(
			(i: any) => i.Id === invoice.Id,
		);
		finding(
			'payment-touches-invoice',
			`LastUpdatedTime ${invoice.MetaData.LastUpdatedTime} -> ${after.MetaData.LastUpdatedTime} (${after.MetaData.LastUpdatedTime !== invoice.MetaData.LastUpdatedTime ? 'changed' : 'unchanged'}); SyncToken ${invoice.SyncToken} -> ${after.SyncToken}; Balance ${after.Balance}; in CDC since the payment: ${listed}`,
		);
	});

	test("DocNumber: duplicates within and across entity types, with the company's CustomTxnNumbers", async () => {
		const customer = await newCustomer(f);
		const number = `P${unique()}`;
		const inv1 = await newInvoice(f, customer.Id, 5, { DocNumber: number });
		const inv2 = await newInvoice(f, customer.Id, 5, { DocNumber: number });
		const receipt = await f.http.post('salesreceipt', {
			CustomerRef: { value: customer.Id },
			DocNumber: number,
			Line: [line(f, 5)],
		});
		const receipt2 = await f.http.post('salesreceipt', {
			CustomerRef: { value: customer.Id },
			DocNumber: number,
			Line: [line(f, 5)],
		});
		const invoice = (await newInvoice(f, customer.Id, 50)).body.Invoice;
		const payBody = {
			CustomerRef: { value: customer.Id },
			TotalAmt: 1,
			DocNumber: number,
			PaymentRefNum: number,
			Line: [{ Amount: 1, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
		};
		const pay1 = await f.http.post('payment', payBody);
		const pay2 = await f.http.post('payment', payBody);
		finding(
			'docnumber-duplicates',
			`CustomTxnNumbers=${prefs.SalesFormsPrefs?.CustomTxnNumbers}: invoice #1 ${brief(inv1)}, invoice #2 same number ${brief(inv2)}; sales receipt with that number ${brief(receipt)}, second receipt ${brief(receipt2)}; payment #1 with DocNumber/PaymentRefNum ${brief(pay1)}, payment #2 ${brief(pay2)}`,
		);
		expect(inv1.status).toBe(200);
	});

	test('void and delete of an invoice with a payment applied: the faults', async () => {
		const customer = await newCustomer(f);
		const invoice = (await newInvoice(f, customer.Id, 10)).body.Invoice;
		expect((await pay(f, customer.Id, invoice.Id, 3)).status).toBe(200);
		const current = (await f.http.get(`invoice/${invoice.Id}`)).body.Invoice;
		const voided = await f.http.post(
			'invoice',
			{ Id: current.Id, SyncToken: current.SyncToken },
			{ operation: 'void' },
		);
		const latest = (await f.http.get(`invoice/${invoice.Id}`)).body.Invoice;
		const deleted = await f.http.post(
			'invoice',
			{ Id: latest.Id, SyncToken: latest.SyncToken },
			{ operation: 'delete' },
		);
		finding('void-delete-paid-invoice', `void: ${brief(voided)}; delete: ${brief(deleted)}`);
	});

	test('invoice send without application/octet-stream', async () => {
		const s = unique();
		const customer = await newCustomer(f, {
			PrimaryEmailAddr: { Address: `probe.${s}@example.com` },
		});
		const invoice = (
			await newInvoice(f, customer.Id, 9, { BillEmail: { Address: `probe.${s}@example.com` } })
		).body.Invoice;
		const asJson = await f.http.call('POST', `invoice/${invoice.Id}/send`, {
			rawBody: '',
			headers: { 'Content-Type': 'application/json' },
		});
		const asJsonWithSendTo = await f.http.call('POST', `invoice/${invoice.Id}/send`, {
			rawBody: '{}',
			query: { sendTo: `probe.${s}@example.com` },
			headers: { 'Content-Type': 'application/json' },
		});
		finding(
			'send-content-type',
			`application/json, empty body: ${brief(asJson)}; application/json with sendTo and {}: ${brief(asJsonWithSendTo)}`,
		);
	});

	test('DisplayName with colon, tab, newline; e-mail with several addresses; query faults', async () => {
		const s = unique();
		const results: string[] = [];
		for (const [label, name] of [
			['colon', `Colon: ${s}`],
			['tab', `Tab\t${s}`],
			['newline', `New\nline ${s}`],
		]) {
			const reply = await f.http.post('customer', { DisplayName: name });
			results.push(
				`${label}: ${reply.status === 200 ? `accepted as ${JSON.stringify(reply.body.Customer.DisplayName)}` : brief(reply)}`,
			);
		}
		finding('displayname-characters', results.join('; '));
		const a = `a.${s}@example.com`;
		const b = `b.${s}@example.com`;
		const created = await f.http.post('customer', {
			DisplayName: `Multi ${s}`,
			PrimaryEmailAddr: { Address: `${a}, ${b}` },
		});
		const stored = created.body?.Customer?.PrimaryEmailAddr?.Address;
		const byFirst = await f.http.query(`SELECT * FROM Customer WHERE PrimaryEmailAddr = '${a}'`);
		const bySecondUpper = await f.http.query(
			`SELECT * FROM Customer WHERE PrimaryEmailAddr = '${b.toUpperCase()}'`,
		);
		const byLike = await f.http.query(
			`SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE '%${b}%'`,
		);
		const semicolon = await f.http.post('customer', {
			DisplayName: `Semi ${s}`,
			PrimaryEmailAddr: { Address: `c.${s}@example.com; d.${s}@example.com` },
		});
		const count = (r: Reply) =>
			r.status === 200 ? String(r.body.QueryResponse?.Customer?.length ?? 0) : brief(r);
		finding(
			'multi-address-email',
			`create: ${brief(created)} stored ${JSON.stringify(stored)}; = first address: ${count(byFirst)} found; = second address upper-case: ${count(bySecondUpper)}; LIKE %second%: ${count(byLike)}; semicolon-separated: ${brief(semicolon)}`,
		);
		const notes = await f.http.query("SELECT * FROM Customer WHERE Notes = 'x'");
		const idRange = await f.http.query("SELECT * FROM Customer WHERE Id > '1'");
		const idLike = await f.http.query("SELECT * FROM Customer WHERE Id LIKE '1%'");
		const bareNumber = await f.http.query('SELECT * FROM Invoice WHERE Balance = 0');
		const bareIn = await f.http.query('SELECT * FROM Customer WHERE Id IN (1, 2)');
		finding(
			'query-faults',
			`non-filterable Notes: ${brief(notes)}; Id >: ${brief(idRange)}; Id LIKE: ${brief(idLike)}; Balance = 0 (bare number): ${brief(bareNumber)}; Id IN (1, 2): ${brief(bareIn)}`,
		);
		expect(faultCode(notes)).toBeDefined();
	});
});

if (!liveConfigured()) {
	test.skip('QuickBooks probes on the Intuit sandbox (set QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN, QBO_REALM_ID)', () =>
		undefined);
}
