/**
 * The QuickBooks contract: one set of checks, run by test/emulator/conformance.test.ts against the
 * emulator (under each company preference) and by test/live/contract.test.ts against a real Intuit
 * sandbox company. A check that passes on the emulator and fails on the sandbox is a place where the
 * emulator does not follow QuickBooks. Each check names its source in scripts/dev/emulator/README.md.
 *
 * Checks read the company's preferences first and expect what that preference implies, so they hold
 * for any sandbox company. They only create records (unique names), apart from the invoices they void
 * or delete themselves.
 */
import { QboHttp, faultCode, faultText, unique, type ContractEnv, type Reply } from './http';

export interface Fixtures {
	http: QboHttp;
	itemId: string;
	/** A tax code id for untaxed lines ("NON" in US companies). */
	nonTaxCode?: string;
}

export async function fixtures(env: ContractEnv): Promise<Fixtures> {
	const http = new QboHttp(env);
	let items = (await http.query("SELECT * FROM Item WHERE Name = 'Services'")).body?.QueryResponse
		?.Item;
	if (!items?.length)
		items = (await http.query('SELECT * FROM Item MAXRESULTS 50')).body?.QueryResponse?.Item ?? [];
	const item = items.find((i: any) => ['Service', 'NonInventory'].includes(i.Type)) ?? items[0];
	if (!item) throw new Error('The company has no item to put on a line');
	const codes = (await http.query('SELECT * FROM TaxCode')).body?.QueryResponse?.TaxCode ?? [];
	const non = codes.find((c: any) => c.Id === 'NON' || c.Name === 'NON');
	return { http, itemId: item.Id, nonTaxCode: non?.Id };
}

export function line(f: Fixtures, amount: number, taxCode?: string) {
	const code = taxCode ?? f.nonTaxCode;
	return {
		DetailType: 'SalesItemLineDetail',
		Amount: amount,
		SalesItemLineDetail: {
			ItemRef: { value: f.itemId },
			Qty: 1,
			UnitPrice: amount,
			...(code ? { TaxCodeRef: { value: code } } : {}),
		},
	};
}

export async function newCustomer(f: Fixtures, extra: Record<string, unknown> = {}): Promise<any> {
	const reply = await f.http.post('customer', { DisplayName: `Contract ${unique()}`, ...extra });
	if (reply.status !== 200) throw new Error(`customer create: ${faultText(reply)}`);
	return reply.body.Customer;
}

export async function newInvoice(
	f: Fixtures,
	customerId: string,
	amount: number,
	extra: Record<string, unknown> = {},
	query?: Record<string, string>,
): Promise<Reply> {
	return await f.http.post(
		'invoice',
		{ CustomerRef: { value: customerId }, Line: [line(f, amount)], ...extra },
		query,
	);
}

export async function pay(
	f: Fixtures,
	customerId: string,
	invoiceId: string,
	amount: number,
): Promise<Reply> {
	return await f.http.post('payment', {
		CustomerRef: { value: customerId },
		TotalAmt: amount,
		Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
	});
}

const ok = (reply: Reply, what: string) => {
	if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status} ${faultText(reply)}`);
	return reply;
};

/** Defines the contract's jest tests. `getEnv` is called in beforeAll (undefined: skip). */
export function defineContract(
	title: string,
	getEnv: () => Promise<ContractEnv | undefined>,
): void {
	describe(title, () => {
		let f: Fixtures | undefined;
		let prefs: Record<string, any> = {};
		beforeAll(async () => {
			const env = await getEnv();
			if (!env) return;
			f = await fixtures(env);
			prefs = await f.http.preferences();
		});
		const check = (name: string, run: (f: Fixtures) => Promise<void>) =>
			test(name, async () => {
				if (!f) return;
				await run(f);
			});
		const customNumbers = () => prefs.SalesFormsPrefs?.CustomTxnNumbers === true;
		const usingSalesTax = () => prefs.TaxPrefs?.UsingSalesTax !== false;

		check(
			'GET /preferences answers {Preferences, time}; "select * from Preferences" lists it',
			async (f) => {
				const direct = ok(await f.http.get('preferences'), 'GET preferences');
				expect(direct.body.Preferences).toEqual(
					expect.objectContaining({
						SalesFormsPrefs: expect.any(Object),
						TaxPrefs: expect.any(Object),
					}),
				);
				expect(direct.body.time).toEqual(expect.any(String));
				const queried = ok(await f.http.query('select * from Preferences'), 'query Preferences');
				expect(queried.body.QueryResponse.Preferences).toHaveLength(1);
			},
		);

		for (const entity of ['Invoice', 'SalesReceipt'] as const) {
			check(
				`${entity}: a duplicate DocNumber is refused (6140) only with custom transaction numbers on; include=allowduplicatedocnum stores it`,
				async (f) => {
					const customer = await newCustomer(f);
					const number = `K${unique()}`;
					const body = {
						CustomerRef: { value: customer.Id },
						DocNumber: number,
						Line: [line(f, 10)],
					};
					const path = entity.toLowerCase();
					ok(await f.http.post(path, body), `first ${entity}`);
					const second = await f.http.post(path, body);
					if (customNumbers()) {
						expect([second.status, faultCode(second)]).toEqual([400, '6140']);
					} else {
						expect(second.status).toBe(200);
						expect(second.body[entity].DocNumber).toBe(number);
					}
					const bypass = await f.http.post(path, body, { include: 'allowduplicatedocnum' });
					expect(bypass.status).toBe(200);
					expect(bypass.body[entity].DocNumber).toBe(number);
				},
			);
		}

		check(
			'DocNumber left out: QuickBooks numbers the document only with custom transaction numbers off',
			async (f) => {
				const customer = await newCustomer(f);
				const reply = ok(await newInvoice(f, customer.Id, 5), 'invoice without DocNumber');
				if (customNumbers()) expect(reply.body.Invoice.DocNumber ?? '').toBe('');
				else expect(reply.body.Invoice.DocNumber).toMatch(/\S/);
				const auto = ok(
					await newInvoice(f, customer.Id, 5, { DocNumber: 'AUTO_GENERATE' }),
					'invoice AUTO_GENERATE',
				);
				expect(auto.body.Invoice.DocNumber).toMatch(/\S/);
				expect(auto.body.Invoice.DocNumber).not.toBe('AUTO_GENERATE');
			},
		);

		check(
			'an invoice with a payment applied cannot be voided (business-rule fault); once the payment is voided it can',
			async (f) => {
				const customer = await newCustomer(f);
				const invoice = ok(await newInvoice(f, customer.Id, 10), 'invoice').body.Invoice;
				const payment = ok(await pay(f, customer.Id, invoice.Id, 4), 'payment').body.Payment;
				const current = ok(await f.http.get(`invoice/${invoice.Id}`), 'read invoice').body.Invoice;
				expect(current.Balance).toBe(6);
				const refused = await f.http.post(
					'invoice',
					{ Id: current.Id, SyncToken: current.SyncToken },
					{ operation: 'void' },
				);
				expect(refused.status).toBe(400);
				expect(faultCode(refused)).toBe('6000');
				ok(
					await f.http.post(
						'payment',
						{ Id: payment.Id, SyncToken: payment.SyncToken, sparse: true },
						{ operation: 'update', include: 'void' },
					),
					'void payment',
				);
				const again = ok(await f.http.get(`invoice/${invoice.Id}`), 'read invoice').body.Invoice;
				const voided = ok(
					await f.http.post(
						'invoice',
						{ Id: again.Id, SyncToken: again.SyncToken },
						{ operation: 'void' },
					),
					'void invoice',
				);
				expect(voided.body.Invoice.TotalAmt).toBe(0);
			},
		);

		check(
			'PrimaryEmailAddr holds several comma-separated addresses (≤ 100 characters); queries ignore case',
			async (f) => {
				const s = unique();
				const several = `a.${s}@example.com, b.${s}@example.com`;
				const created = ok(
					await f.http.post('customer', {
						DisplayName: `Multi ${s}`,
						PrimaryEmailAddr: { Address: several },
					}),
					'customer with two addresses',
				);
				expect(created.body.Customer.PrimaryEmailAddr.Address.replace(/\s/g, '')).toBe(
					several.replace(/\s/g, ''),
				);
				const byName = ok(
					await f.http.query(
						`SELECT * FROM Customer WHERE DisplayName = 'MULTI ${s.toUpperCase()}'`,
					),
					'query upper-case',
				);
				expect(byName.body.QueryResponse.Customer?.map((c: any) => c.Id)).toEqual([
					created.body.Customer.Id,
				]);
				const tooLong = await f.http.post('customer', {
					DisplayName: `Long ${s}`,
					PrimaryEmailAddr: { Address: `${'x'.repeat(90)}@example.com` },
				});
				expect(tooLong.status).toBe(400);
			},
		);

		check(
			'query: a field not documented as filterable is refused (4001); Id takes only = and IN',
			async (f) => {
				const notes = await f.http.query("SELECT * FROM Customer WHERE Notes = 'x'");
				expect([notes.status, faultCode(notes)]).toEqual([400, '4001']);
				const vendorEmail = await f.http.query(
					"SELECT * FROM Vendor WHERE PrimaryEmailAddr = 'x@example.com'",
				);
				expect([vendorEmail.status, faultCode(vendorEmail)]).toEqual([400, '4001']);
				const idRange = await f.http.query("SELECT * FROM Customer WHERE Id > '1'");
				expect(idRange.status).toBe(400);
				expect(
					ok(await f.http.query("SELECT * FROM Customer WHERE Id IN ('1', '2')"), 'Id IN').status,
				).toBe(200);
			},
		);

		check(
			'DisplayName is unique across customers, vendors and employees (6240); colon, tab and newline are refused',
			async (f) => {
				const s = unique();
				ok(await f.http.post('vendor', { DisplayName: `Vendor ${s}` }), 'vendor');
				expect(faultCode(await f.http.post('customer', { DisplayName: `Vendor ${s}` }))).toBe(
					'6240',
				);
				ok(
					await f.http.post('employee', {
						GivenName: 'Emp',
						FamilyName: s,
						DisplayName: `Employee ${s}`,
					}),
					'employee',
				);
				expect(faultCode(await f.http.post('customer', { DisplayName: `Employee ${s}` }))).toBe(
					'6240',
				);
				for (const bad of [`Colon: ${s}`, `Tab\t${s}`, `New\nline ${s}`]) {
					const reply = await f.http.post('customer', { DisplayName: bad });
					expect([JSON.stringify(bad), reply.status]).toEqual([JSON.stringify(bad), 400]);
				}
			},
		);

		check(
			'a sales receipt echoes its customer and items by name; one naming an inactive customer is refused (610 or 2500) and stores nothing',
			async (f) => {
				const customer = await newCustomer(f);
				const receipt = ok(
					await f.http.post('salesreceipt', {
						CustomerRef: { value: customer.Id },
						Line: [line(f, 10)],
					}),
					'receipt',
				).body.SalesReceipt;
				expect(receipt.CustomerRef).toEqual({ value: customer.Id, name: customer.DisplayName });
				expect(typeof receipt.Line[0].SalesItemLineDetail.ItemRef.name).toBe('string');
				ok(
					await f.http.post('customer', {
						Id: customer.Id,
						SyncToken: customer.SyncToken,
						Active: false,
						sparse: true,
					}),
					'deactivate',
				);
				const refused = await f.http.post('salesreceipt', {
					CustomerRef: { value: customer.Id },
					Line: [line(f, 11)],
				});
				expect(refused.status).toBe(400);
				expect(['610', '2500']).toContain(faultCode(refused));
				const stored = await f.http.query(
					`SELECT * FROM SalesReceipt WHERE CustomerRef = '${customer.Id}'`,
				);
				expect(stored.body?.QueryResponse?.SalesReceipt ?? []).toHaveLength(1);
			},
		);

		check(
			'RefundReceipt: refused without DepositToAccountRef (2020) and nothing stored; with one it totals like its lines, Balance 0, leaves the receipt it refunds and the customer balance alone, and can be deleted',
			async (f) => {
				const customer = await newCustomer(f);
				const accounts =
					(await f.http.query("SELECT * FROM Account WHERE AccountType = 'Bank'")).body
						?.QueryResponse?.Account ?? [];
				const account =
					accounts[0] ??
					(await f.http.query("SELECT * FROM Account WHERE AccountType = 'Other Current Asset'"))
						.body?.QueryResponse?.Account?.[0];
				if (!account) throw new Error('The company has no Bank or Other Current Asset account');
				const receipt = ok(
					await f.http.post('salesreceipt', {
						CustomerRef: { value: customer.Id },
						Line: [line(f, 25)],
					}),
					'receipt',
				).body.SalesReceipt;
				const before = ok(await f.http.get(`customer/${customer.Id}`), 'customer').body.Customer;
				const refused = await f.http.post('refundreceipt', {
					CustomerRef: { value: customer.Id },
					Line: [line(f, 10)],
				});
				expect([refused.status, faultCode(refused)]).toEqual([400, '2020']);
				const none = await f.http.query(
					`SELECT * FROM RefundReceipt WHERE CustomerRef = '${customer.Id}'`,
				);
				expect(none.body?.QueryResponse?.RefundReceipt ?? []).toHaveLength(0);
				const refund = ok(
					await f.http.post('refundreceipt', {
						CustomerRef: { value: customer.Id },
						DepositToAccountRef: { value: account.Id },
						Line: [line(f, 10)],
						PaymentRefNum: `R${unique()}`.slice(0, 21),
					}),
					'refund receipt',
				).body.RefundReceipt;
				expect(refund).toMatchObject({
					TotalAmt: 10,
					Balance: 0,
					CustomerRef: { value: customer.Id },
					DepositToAccountRef: { value: account.Id },
				});
				const after = ok(await f.http.get(`customer/${customer.Id}`), 'customer').body.Customer;
				expect(after.Balance).toBe(before.Balance);
				const same = ok(await f.http.get(`salesreceipt/${receipt.Id}`), 'receipt').body
					.SalesReceipt;
				expect([same.TotalAmt, same.SyncToken]).toEqual([receipt.TotalAmt, receipt.SyncToken]);
				const deleted = ok(
					await f.http.post(
						'refundreceipt',
						{ Id: refund.Id, SyncToken: refund.SyncToken },
						{ operation: 'delete' },
					),
					'delete refund receipt',
				);
				expect(deleted.body.RefundReceipt.status).toBe('Deleted');
			},
		);

		check('UsingSalesTax off: TxnTaxDetail is ignored, no tax is taken', async (f) => {
			if (usingSalesTax()) return; // nothing to check in a company that uses sales tax
			const customer = await newCustomer(f);
			const reply = ok(
				await f.http.post('invoice', {
					CustomerRef: { value: customer.Id },
					Line: [line(f, 100)],
					TxnTaxDetail: { TotalTax: 7 },
				}),
				'invoice with TotalTax',
			);
			expect(reply.body.Invoice.TotalAmt).toBe(100);
			expect(reply.body.Invoice.TxnTaxDetail?.TotalTax ?? 0).toBe(0);
		});

		check('requestid: a repeated create answers the first response and writes once', async (f) => {
			const s = unique();
			const requestid = `contract-${s}`;
			const first = ok(
				await f.http.post('customer', { DisplayName: `Replay ${s}` }, { requestid }),
				'first',
			);
			const again = ok(
				await f.http.post('customer', { DisplayName: `Replay ${s}` }, { requestid }),
				'replay',
			);
			expect(again.body.Customer.Id).toBe(first.body.Customer.Id);
			const found = ok(
				await f.http.query(`SELECT * FROM Customer WHERE DisplayName = 'Replay ${s}'`),
				'query',
			);
			expect(found.body.QueryResponse.Customer).toHaveLength(1);
		});

		check(
			'POST /invoice/{id}/send works with Content-Type application/octet-stream, not with JSON',
			async (f) => {
				const s = unique();
				const customer = await newCustomer(f, {
					PrimaryEmailAddr: { Address: `send.${s}@example.com` },
				});
				const invoice = ok(
					await newInvoice(f, customer.Id, 12, { BillEmail: { Address: `send.${s}@example.com` } }),
					'invoice',
				).body.Invoice;
				const asJson = await f.http.call('POST', `invoice/${invoice.Id}/send`, {
					rawBody: '',
					headers: { 'Content-Type': 'application/json' },
				});
				expect(asJson.status).toBeGreaterThanOrEqual(400);
				const sent = await f.http.call('POST', `invoice/${invoice.Id}/send`, {
					rawBody: '',
					headers: { 'Content-Type': 'application/octet-stream' },
				});
				expect(sent.status).toBe(200);
				expect(sent.body.Invoice.EmailStatus).toBe('EmailSent');
			},
		);

		check(
			'batch: items are independent; a faulty item does not stop the others (HTTP 200, per-item Fault)',
			async (f) => {
				const s = unique();
				const reply = ok(
					await f.http.post('batch', {
						BatchItemRequest: [
							{ bId: 'a', operation: 'create', Customer: { DisplayName: `Batch ${s}` } },
							{ bId: 'b', operation: 'create', Customer: { DisplayName: `Batch ${s}` } },
							{ bId: 'c', operation: 'create', Customer: { DisplayName: `Batch ${s} two` } },
						],
					}),
					'batch',
				);
				const byId = Object.fromEntries(reply.body.BatchItemResponse.map((i: any) => [i.bId, i]));
				// Which of the two same-name items wins is not fixed; exactly one does.
				expect([byId.a.Customer, byId.b.Customer].filter(Boolean)).toHaveLength(1);
				expect(
					[byId.a.Fault, byId.b.Fault].filter(Boolean).map((x: any) => x.Error[0].code),
				).toEqual(['6240']);
				expect(byId.c.Customer.DisplayName).toBe(`Batch ${s} two`);
			},
		);

		check(
			'CDC: one group per entity type, deleted objects (status "Deleted") after the active ones',
			async (f) => {
				const clock = ok(await f.http.query('SELECT * FROM Preferences'), 'server time');
				const since = new Date(Date.parse(clock.body.time) - 2000).toISOString();
				const customer = await newCustomer(f);
				const kept = ok(await newInvoice(f, customer.Id, 3), 'invoice').body.Invoice;
				const gone = ok(await newInvoice(f, customer.Id, 4), 'invoice').body.Invoice;
				ok(
					await f.http.post(
						'invoice',
						{ Id: gone.Id, SyncToken: gone.SyncToken },
						{ operation: 'delete' },
					),
					'delete invoice',
				);
				const cdc = ok(
					await f.http.get('cdc', { entities: 'Customer,Invoice', changedSince: since }),
					'cdc',
				);
				const groups = cdc.body.CDCResponse[0].QueryResponse as any[];
				const customers = groups.find((g) => g.Customer)?.Customer ?? [];
				const invoices = groups.find((g) => g.Invoice)?.Invoice ?? [];
				expect(customers.map((c: any) => c.Id)).toContain(customer.Id);
				expect(invoices.map((i: any) => i.Id)).toEqual(expect.arrayContaining([kept.Id, gone.Id]));
				expect(invoices.find((i: any) => i.Id === gone.Id).status).toBe('Deleted');
				const firstDeleted = invoices.findIndex((i: any) => i.status === 'Deleted');
				const lastActive = invoices.map((i: any) => i.status !== 'Deleted').lastIndexOf(true);
				expect(lastActive).toBeLessThan(firstDeleted);
			},
		);
	});
}
