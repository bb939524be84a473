/**
 * In-memory QuickBooks companies: entities, server-computed fields, business rules and the
 * change log behind CDC. Faults are thrown as `Fault` and rendered by the server in QBO's shape.
 */

export type Rec = Record<string, any>;

export class Fault extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly detail?: string,
		readonly element?: string,
		readonly type = 'ValidationFault',
	) {
		super(message);
	}
}

export const ENTITIES = [
	'CompanyInfo',
	'Preferences',
	'Account',
	'TaxCode',
	'TaxRate',
	'PaymentMethod',
	'Class',
	'Department',
	'Item',
	'Customer',
	'Vendor',
	'Employee',
	'Invoice',
	'SalesReceipt',
	'RefundReceipt',
	'Payment',
] as const;
export type EntityName = (typeof ENTITIES)[number];

const TXN_ENTITIES = new Set(['Invoice', 'SalesReceipt', 'RefundReceipt', 'Payment']);
const DELETABLE = new Set(['Invoice', 'SalesReceipt', 'RefundReceipt', 'Payment']);
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
/** Customer, Vendor and Employee share one DisplayName namespace (fault 6240). */
const NAME_ENTITIES = ['Customer', 'Vendor', 'Employee'];

/**
 * An e-mail field as QuickBooks Online stores it: one address, or several separated by commas,
 * at most 100 characters in all.
 * Sources: EmailAddress.Address "Max. length: 100 characters" (QBO) in Intuit's schema,
 * https://github.com/intuit/QuickBooks-V3-PHP-SDK/blob/master/src/XSD/IntuitBaseTypes.xsd ;
 * several addresses in one field: https://github.com/intuit/QuickBooks-V3-DotNET-SDK/issues/111
 * and https://github.com/intuit/QuickBooks-V3-PHP-SDK/issues/216 (invoices whose customer e-mail
 * holds several addresses). Which separators besides the comma QBO accepts: UNCERTAIN.
 */
export function validEmailList(value: string): boolean {
	if (value.length > 100) return false;
	const parts = value.split(',').map((p) => p.trim());
	return parts.length > 0 && parts.every((p) => EMAIL.test(p));
}

/** Behaviour the public record leaves open; tests choose it (see scripts/dev/emulator/README.md). */
export interface CompanyBehaviour {
	/**
	 * Whether applying (or voiding) a Payment gives the linked Invoice a new
	 * MetaData.LastUpdatedTime and a CDC entry. UNCERTAIN: Intuit does not document it; the
	 * pessimistic default (false) changes Balance and LinkedTxn without touching LastUpdatedTime.
	 * Settled by the live probe in test/live/probes.test.ts.
	 */
	paymentTouchesInvoice: boolean;
	/**
	 * How long a requestid is remembered, in ms (undefined: for ever). UNCERTAIN: Intuit documents
	 * replay (https://blogs.intuit.com/2015/04/06/15346/) but no retention.
	 */
	requestIdRetentionMs?: number;
}

export const DEFAULT_BEHAVIOUR: CompanyBehaviour = { paymentTouchesInvoice: false };

export function entityByPath(path: string): EntityName | undefined {
	return ENTITIES.find((e) => e.toLowerCase() === path.toLowerCase());
}

const round2 = (n: number) => Math.round((n + Number.EPSILON) * 100) / 100;

export interface ChangeEntry {
	entity: string;
	id: string;
	at: number;
	deleted: boolean;
}

export class Company {
	readonly entities = new Map<string, Map<string, Rec>>();
	readonly changes: ChangeEntry[] = [];
	readonly requestIds = new Map<string, { status: number; body: unknown; at: number }>();
	/** Every invoice e-mail sent (what a customer's inbox would hold), for tests that count them. */
	readonly mails: Array<{ invoiceId: string; to: string; at: string }> = [];
	behaviour: CompanyBehaviour = { ...DEFAULT_BEHAVIOUR };
	private nextId = 1;
	private docCounters = new Map<string, number>();

	constructor(
		readonly realmId: string,
		private readonly now: () => number,
		readonly name = `Emulated Company ${realmId}`,
	) {
		for (const e of ENTITIES) this.entities.set(e, new Map());
		this.seedDefaults();
	}

	private stamp(): string {
		return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, '+00:00');
	}

	private pending: Array<() => void> = [];

	/** Work that must see the record stored first (balances of linked records). */
	private afterPut(task: () => void): void {
		this.pending.push(task);
	}

	private put(entity: string, record: Rec, created: boolean): Rec {
		const time = this.stamp();
		record.domain = 'QBO';
		record.sparse = false;
		record.MetaData = created
			? { CreateTime: time, LastUpdatedTime: time }
			: { ...record.MetaData, LastUpdatedTime: time };
		this.entities.get(entity)!.set(record.Id, record);
		this.changes.push({ entity, id: record.Id, at: this.now(), deleted: false });
		const tasks = this.pending.splice(0);
		for (const task of tasks) task();
		return record;
	}

	private newId(): string {
		return String(this.nextId++);
	}

	private seedDefaults(): void {
		const time = this.stamp();
		this.entities.get('CompanyInfo')!.set(this.realmId, {
			Id: this.realmId,
			SyncToken: '0',
			CompanyName: this.name,
			LegalName: this.name,
			Country: 'US',
			Email: { Address: 'owner@example.com' },
			MetaData: { CreateTime: time, LastUpdatedTime: time },
		});
		this.entities.get('Preferences')!.set('1', {
			Id: '1',
			SyncToken: '0',
			SalesFormsPrefs: { CustomTxnNumbers: true, AllowDiscount: true },
			TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false },
			CurrencyPrefs: { HomeCurrency: { value: 'USD' }, MultiCurrencyEnabled: false },
			// Track classes and Track locations are off in a new company (Settings → Advanced →
			// Categories; Intuit's help "Turn on class tracking in QuickBooks Online" has the user
			// turn them on). The flags: Intuit's Preferences reference, AccountingInfoPrefs.
			AccountingInfoPrefs: {
				ClassTrackingPerTxn: false,
				ClassTrackingPerTxnLine: false,
				TrackDepartments: false,
			},
		});
		const accounts = [
			['Services', 'Income', 'ServiceFeeIncome'],
			['Sales of Product Income', 'Income', 'SalesOfProductIncome'],
			['Undeposited Funds', 'Other Current Asset', 'UndepositedFunds'],
			['Checking', 'Bank', 'Checking'],
			['Accounts Receivable (A/R)', 'Accounts Receivable', 'AccountsReceivable'],
		];
		for (const [Name, AccountType, AccountSubType] of accounts) {
			this.createRaw('Account', {
				Name,
				AccountType,
				AccountSubType,
				Active: true,
				CurrentBalance: 0,
			});
		}
		this.createRaw('TaxRate', { Name: 'Sales Tax', RateValue: 8.5, Active: true });
		this.entities.get('TaxCode')!.set('TAX', {
			Id: 'TAX',
			SyncToken: '0',
			Name: 'TAX',
			Taxable: true,
			Active: true,
			RateValue: 8.5,
		});
		this.entities.get('TaxCode')!.set('NON', {
			Id: 'NON',
			SyncToken: '0',
			Name: 'NON',
			Taxable: false,
			Active: true,
			RateValue: 0,
		});
		for (const Name of ['Cash', 'Check', 'Credit Card']) {
			this.createRaw('PaymentMethod', {
				Name,
				Type: Name === 'Credit Card' ? 'CREDIT_CARD' : 'NON_CREDIT_CARD',
				Active: true,
			});
		}
		this.createRaw('Item', {
			Name: 'Services',
			Type: 'Service',
			Active: true,
			IncomeAccountRef: { value: this.findBy('Account', 'Name', 'Services')!.Id, name: 'Services' },
		});
	}

	private createRaw(entity: string, fields: Rec): Rec {
		const record: Rec = { ...fields, Id: this.newId(), SyncToken: '0' };
		const time = this.stamp();
		record.MetaData = { CreateTime: time, LastUpdatedTime: time };
		this.entities.get(entity)!.set(record.Id, record);
		return record;
	}

	findBy(entity: string, field: string, value: string): Rec | undefined {
		for (const r of this.entities.get(entity)!.values()) {
			if (String(r[field]).toLowerCase() === value.toLowerCase()) return r;
		}
		return undefined;
	}

	all(entity: string): Rec[] {
		return [...(this.entities.get(entity)?.values() ?? [])];
	}

	get(entity: string, id: string): Rec {
		const record = this.entities.get(entity)?.get(String(id));
		if (!record || record.status === 'Deleted') {
			throw new Fault(
				400,
				'610',
				'Object Not Found',
				`Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`,
				undefined,
			);
		}
		return record;
	}

	private ref(
		entity: string,
		ref: Rec | undefined,
		element: string,
		required: boolean,
	): Rec | undefined {
		if (!ref?.value) {
			if (required)
				throw new Fault(
					400,
					'2020',
					'Required param missing, need to supply the required value for the API',
					`Required parameter ${element} is missing in the request`,
					element,
				);
			return undefined;
		}
		const record = this.entities.get(entity)!.get(String(ref.value));
		if (!record || record.status === 'Deleted') {
			throw new Fault(
				400,
				'610',
				'Object Not Found',
				`Invalid Reference Id : ${entity} ${ref.value} does not exist`,
				element,
			);
		}
		return record;
	}

	/**
	 * A customer or item a new or changed transaction references must be active. QuickBooks answers
	 * 610 "Object Not Found : Something you're trying to use has been made inactive. Check the fields
	 * with accounts, customers, items, vendors or employees." Sources: Intuit, "Top QuickBooks Online
	 * API errors and how to handle them" (610, and 2500 "Invalid Reference Id" with the same detail),
	 * https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-handle-them ;
	 * the full detail as integrators quote it: https://knowledgebase.curbwaste.com/quickbooks-online-error-codes ;
	 * https://help.denim.com/hc/en-us/articles/9403619795099-QuickBooks-Resolving-an-Invalid-Reference-ID-Error
	 * (records that reference an inactive customer fail to sync). Which of 610 / 2500 QBO picks for
	 * which reference, and the `element` it names: UNCERTAIN (610 and the reference's field here).
	 */
	private requireActive(record: Rec, element: string): void {
		if (record.Active !== false) return;
		throw new Fault(
			400,
			'610',
			'Object Not Found',
			`Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`,
			element,
		);
	}

	/**
	 * Merging customers as the QuickBooks UI does it (Edit → Merge contacts): the duplicate's
	 * transactions move to the customer kept and the duplicate becomes inactive, like a deleted
	 * customer. Source: Intuit, "Merge duplicate customers in QuickBooks Online",
	 * https://quickbooks.intuit.com/learn-support/en-global/help-article/manage-customers/merge-duplicate-customers-quickbooks-online/L6s6B3PQd_ROW_en .
	 * The API has no merge operation; whether QBO also renames the duplicate (e.g. "(deleted)") and
	 * gives the moved transactions new SyncTokens: UNCERTAIN (not modelled).
	 */
	mergeCustomers(duplicateId: string, keptId: string): void {
		const duplicate = this.get('Customer', duplicateId);
		const kept = this.get('Customer', keptId);
		for (const entity of ['Invoice', 'SalesReceipt', 'RefundReceipt', 'Payment']) {
			for (const txn of this.all(entity)) {
				if (txn.CustomerRef?.value === duplicate.Id)
					txn.CustomerRef = { value: kept.Id, name: kept.DisplayName };
			}
		}
		duplicate.Active = false;
		duplicate.MetaData = { ...duplicate.MetaData, LastUpdatedTime: this.stamp() };
		duplicate.SyncToken = String(Number(duplicate.SyncToken) + 1);
		this.changes.push({ entity: 'Customer', id: duplicate.Id, at: this.now(), deleted: false });
		this.refreshCustomerBalance(duplicate.Id);
		this.refreshCustomerBalance(kept.Id);
	}

	// ---- writes -------------------------------------------------------------------------------

	/** Per-request flags from the query string (include=allowduplicatedocnum). */
	private flags: { allowDuplicateDocNum?: boolean } = {};

	create(entity: EntityName, body: Rec, flags: { allowDuplicateDocNum?: boolean } = {}): Rec {
		if (body.Id) throw new Fault(400, '2020', 'Id must not be given on create', undefined, 'Id');
		const record: Rec = structuredClone(body);
		delete record.sparse;
		record.Id = this.newId();
		record.SyncToken = '0';
		this.flags = flags;
		try {
			this.validateAndCompute(entity, record, undefined);
		} finally {
			this.flags = {};
		}
		return this.put(entity, record, true);
	}

	update(entity: EntityName, body: Rec, flags: { allowDuplicateDocNum?: boolean } = {}): Rec {
		if (!body.Id)
			throw new Fault(
				400,
				'2020',
				'Required param missing, need to supply the required value for the API',
				'Required parameter Id is missing in the request',
				'Id',
			);
		const current = this.get(entity, body.Id);
		this.requireCurrent(current, body);
		const sparse = body.sparse === true || body.sparse === 'true';
		const next: Rec = sparse
			? { ...structuredClone(current), ...structuredClone(body) }
			: { ...structuredClone(body) };
		delete next.sparse;
		next.Id = current.Id;
		next.MetaData = current.MetaData;
		if (!sparse && TXN_ENTITIES.has(entity) && !('Line' in body)) next.Line = current.Line;
		next.SyncToken = String(Number(current.SyncToken) + 1);
		this.flags = flags;
		try {
			this.validateAndCompute(entity, next, current);
		} finally {
			this.flags = {};
		}
		return this.put(entity, next, false);
	}

	/** A write must carry the current SyncToken (fault 5010 otherwise). */
	private requireCurrent(current: Rec, body: Rec): void {
		if (body.SyncToken !== undefined && String(body.SyncToken) === String(current.SyncToken))
			return;
		throw new Fault(
			400,
			'5010',
			'Stale Object Error',
			`Stale Object Error : You and another user were working on the same thing. Please reload and try again. Current SyncToken ${current.SyncToken}`,
			'SyncToken',
		);
	}

	// QuickBooks refuses to void an invoice that a payment settles (fully or in part): the payment
	// must be voided, deleted or unapplied first. Source: production incident
	// https://github.com/LanternOps/breeze/issues/5180 (void refused while a Payment was applied;
	// fix https://github.com/LanternOps/breeze/pull/5187). The fault code and wording are
	// UNCERTAIN (6000 "business validation error" assumed); the live contract suite reports them.
	// Deleting: the same rule is assumed; that QBO also refuses the delete is UNCERTAIN (in the
	// QuickBooks UI deleting a paid invoice leaves the payment unapplied); the live suite reports it.
	private refuseIfPaid(invoice: Rec, operation: 'void' | 'delete'): void {
		const payments = this.paymentsFor(invoice.Id);
		if (!payments.length) return;
		throw new Fault(
			400,
			'6000',
			'A business validation error has occurred while processing your request',
			`Business Validation Error: This invoice has payments applied (${payments.map((p) => `Payment ${p.paymentId}`).join(', ')}); void, delete or unapply them first before the ${operation}`,
		);
	}

	voidTxn(entity: EntityName, body: Rec): Rec {
		if (!TXN_ENTITIES.has(entity))
			throw new Fault(400, '6000', 'Operation void is not supported', `${entity} cannot be voided`);
		const current = this.get(entity, body.Id);
		this.requireCurrent(current, body);
		if (entity === 'Invoice') this.refuseIfPaid(current, 'void');
		const next = structuredClone(current);
		if (entity === 'Payment') this.unapplyPayment(current);
		for (const line of next.Line ?? []) {
			if (line.Amount !== undefined) line.Amount = 0;
			if (line.SalesItemLineDetail) line.SalesItemLineDetail.Qty = 0;
		}
		next.TotalAmt = 0;
		next.Balance = 0;
		if (next.TxnTaxDetail) next.TxnTaxDetail.TotalTax = 0;
		next.PrivateNote = `Voided${current.PrivateNote ? ` - ${current.PrivateNote}` : ''}`;
		if (entity === 'Payment') next.UnappliedAmt = 0;
		next.SyncToken = String(Number(current.SyncToken) + 1);
		const saved = this.put(entity, next, false);
		if (entity === 'Invoice' || entity === 'Payment')
			this.refreshCustomerBalance(current.CustomerRef?.value);
		return saved;
	}

	delete(entity: EntityName, body: Rec): Rec {
		if (!DELETABLE.has(entity)) {
			throw new Fault(
				400,
				'6000',
				'Operation delete is not supported',
				`${entity} cannot be deleted; make it inactive instead`,
			);
		}
		const current = this.get(entity, body.Id);
		this.requireCurrent(current, body);
		if (entity === 'Invoice') this.refuseIfPaid(current, 'delete');
		if (entity === 'Payment') this.unapplyPayment(current);
		this.entities.get(entity)!.set(current.Id, {
			Id: current.Id,
			status: 'Deleted',
			domain: 'QBO',
			MetaData: { ...current.MetaData, LastUpdatedTime: this.stamp() },
		});
		this.changes.push({ entity, id: current.Id, at: this.now(), deleted: true });
		for (const task of this.pending.splice(0)) task();
		this.refreshCustomerBalance(current.CustomerRef?.value);
		return { Id: current.Id, status: 'Deleted', domain: 'QBO' };
	}

	sendInvoice(id: string, sendTo?: string): Rec {
		const current = this.get('Invoice', id);
		const address = sendTo ?? current.BillEmail?.Address;
		if (!address || !validEmailList(address)) {
			throw new Fault(
				400,
				'6000',
				'A business validation error has occurred while processing your request',
				'Business Validation Error: Please specify an email address to send the invoice to',
				'BillEmail',
			);
		}
		const next = structuredClone(current);
		this.mails.push({ invoiceId: String(id), to: address, at: this.stamp() });
		next.EmailStatus = 'EmailSent';
		next.BillEmail = { Address: address };
		next.DeliveryInfo = { DeliveryType: 'Email', DeliveryTime: this.stamp() };
		next.SyncToken = String(Number(current.SyncToken) + 1);
		return this.put('Invoice', next, false);
	}

	// ---- rules and computed fields ------------------------------------------------------------

	private validateAndCompute(entity: EntityName, record: Rec, current: Rec | undefined): void {
		switch (entity) {
			case 'Customer':
				return this.computeCustomer(record);
			case 'Vendor':
			case 'Employee':
				return this.computeNamed(entity, record);
			case 'Item':
				return this.computeItem(record);
			case 'Invoice':
			case 'SalesReceipt':
			case 'RefundReceipt':
				return this.computeSalesTxn(entity, record, current);
			case 'Payment':
				return this.computePayment(record, current);
			case 'Class':
			case 'Department':
				// A sub-class or sub-location names its parent (SubClass / SubDepartment, ParentRef) and
				// is known by Parent:Child (FullyQualifiedName; Intuit API reference, Class, Department).
				if (record.ParentRef?.value) {
					const parent = this.ref(entity, record.ParentRef, 'ParentRef', true)!;
					record.FullyQualifiedName = `${parent.FullyQualifiedName ?? parent.Name}:${record.Name}`;
				} else record.FullyQualifiedName = record.Name;
				return this.computeNamedList(record);
			case 'TaxCode':
				record.RateValue = Number(record.RateValue ?? 0);
				record.Taxable = record.Taxable ?? record.RateValue > 0;
			// falls through: a name is required as for accounts
			case 'Account':
			case 'PaymentMethod':
				return this.computeNamedList(record);
			default:
				throw new Fault(400, '6000', `Operation not supported for ${entity}`);
		}
	}

	/** A list record (account, payment method, tax code, class, location): a name is required. */
	private computeNamedList(record: Rec): void {
		this.requireName(record);
		record.Active = record.Active ?? true;
	}

	private requireName(record: Rec): void {
		if (!record.Name)
			throw new Fault(
				400,
				'2020',
				'Required param missing, need to supply the required value for the API',
				'Required parameter Name is missing in the request',
				'Name',
			);
	}

	/**
	 * DisplayName rules shared by Customer, Vendor and Employee.
	 * - Unique across the three (fault 6240 "Duplicate Name Exists Error"): Intuit's Customer API
	 *   reference (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer,
	 *   DisplayName: unique across Customer, Employee and Vendor objects) and
	 *   https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-handle-them
	 *   (6240: "Another customer is already using this name"). Compared without regard to case:
	 *   UNCERTAIN (assumed, like query comparisons).
	 * - Colon, tab and newline refused: same API reference (DisplayName
	 *   field notes, as DESIGN.md records them); Intuit's PHP SDK IPPCustomer business rules ("must not contain a colon");
	 *   https://docs.workato.com/en/connectors/quickbooks/quickbooks-troubleshooting-runtime.html.
	 *   The fault code for it (2050 here) is UNCERTAIN.
	 */
	private checkDisplayName(entity: string, record: Rec): void {
		const fromNames = [
			record.Title,
			record.GivenName,
			record.MiddleName,
			record.FamilyName,
			record.Suffix,
		]
			.filter(Boolean)
			.join(' ');
		record.DisplayName = String(record.DisplayName ?? '').trim() || fromNames || record.CompanyName;
		if (!record.DisplayName) {
			throw new Fault(
				400,
				'2020',
				'Required param missing, need to supply the required value for the API',
				'Required parameter DisplayName is missing in the request',
				'DisplayName',
			);
		}
		if (record.DisplayName.length > 500 || /[:\t\r\n]/.test(record.DisplayName)) {
			throw new Fault(
				400,
				'2050',
				'Invalid String',
				'DisplayName is longer than 500 characters or contains a colon, tab or newline',
				'DisplayName',
			);
		}
		const name = record.DisplayName.toLowerCase();
		for (const other of NAME_ENTITIES) {
			const clash = this.all(other).find(
				(c) =>
					!(other === entity && c.Id === record.Id) &&
					c.status !== 'Deleted' &&
					String(c.DisplayName).toLowerCase() === name,
			);
			if (clash) {
				throw new Fault(
					400,
					'6240',
					'Duplicate Name Exists Error',
					`The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name. Id=${clash.Id}`,
				);
			}
		}
		const email = record.PrimaryEmailAddr?.Address;
		if (email !== undefined && email !== '' && !validEmailList(String(email))) {
			throw new Fault(
				400,
				'6000',
				'A business validation error has occurred while processing your request',
				`Business Validation Error: Invalid email address format: ${email}`,
				'PrimaryEmailAddr',
			);
		}
		record.Active = record.Active ?? true;
	}

	/** Minimal Vendor and Employee: enough to take part in the DisplayName namespace. */
	private computeNamed(entity: string, record: Rec): void {
		this.checkDisplayName(entity, record);
		record.PrintOnCheckName = record.PrintOnCheckName ?? record.DisplayName;
	}

	private computeCustomer(record: Rec): void {
		this.checkDisplayName('Customer', record);
		record.FullyQualifiedName = record.DisplayName;
		record.Balance = this.customerBalance(record.Id);
		record.BalanceWithJobs = record.Balance;
		record.Job = false;
		record.CurrencyRef = record.CurrencyRef ?? { value: 'USD', name: 'United States Dollar' };
	}

	private computeItem(record: Rec): void {
		this.requireName(record);
		const clash = this.all('Item').find(
			(i) =>
				i.Id !== record.Id && String(i.Name).toLowerCase() === String(record.Name).toLowerCase(),
		);
		if (clash)
			throw new Fault(
				400,
				'6240',
				'Duplicate Name Exists Error',
				`The name supplied already exists. : Id=${clash.Id}`,
			);
		record.Type = record.Type ?? 'Service';
		if (['Service', 'NonInventory'].includes(record.Type))
			this.ref('Account', record.IncomeAccountRef, 'IncomeAccountRef', true);
		record.Active = record.Active ?? true;
		record.FullyQualifiedName = record.Name;
	}

	/**
	 * Invoice, SalesReceipt and RefundReceipt: lines, discount, tax and totals alike. RefundReceipt
	 * (Intuit API ref `refundreceipt`, https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt):
	 * "A RefundReceipt object must have a DepositToAccountRef" and at least one line; CustomerRef
	 * optional; TotalAmt computed like a sales receipt's; Balance 0 in every example; PaymentRefNum
	 * "Provide when DepositToAccountRef references an Account object where Account.AccountType=Bank",
	 * and the create example with a Bank account and none answers `PaymentRefNum: "To Print"`,
	 * `PrintStatus: "NeedToPrint"`. A refund receipt changes nothing else: not the receipt it refunds,
	 * not the customer's balance (which counts open invoices). The fault for a missing
	 * DepositToAccountRef is not documented: 2020 "Required param missing" (Intuit's error blog) with
	 * the element, UNCERTAIN (live contract).
	 */
	private computeSalesTxn(
		entity: 'Invoice' | 'SalesReceipt' | 'RefundReceipt',
		record: Rec,
		current: Rec | undefined,
	): void {
		const customer = this.ref('Customer', record.CustomerRef, 'CustomerRef', entity === 'Invoice');
		if (customer) this.requireActive(customer, 'CustomerRef');
		if (customer) record.CustomerRef = { value: customer.Id, name: customer.DisplayName };
		if (!Array.isArray(record.Line) || record.Line.length === 0) {
			throw new Fault(
				400,
				'2020',
				'Required param missing, need to supply the required value for the API',
				'Required parameter Line is missing in the request',
				'Line',
			);
		}
		this.checkDocNumber(entity, record, current);
		record.TxnDate = record.TxnDate ?? new Date(this.now()).toISOString().slice(0, 10);
		if (record.TxnDate && !/^\d{4}-\d{2}-\d{2}$/.test(record.TxnDate))
			throw new Fault(
				400,
				'2050',
				'Invalid Date',
				`TxnDate must be YYYY-MM-DD: ${record.TxnDate}`,
				'TxnDate',
			);
		if (entity === 'Invoice' && !record.DueDate) record.DueDate = record.TxnDate;
		const depositTo =
			record.DepositToAccountRef || entity === 'RefundReceipt'
				? this.ref(
						'Account',
						record.DepositToAccountRef,
						'DepositToAccountRef',
						entity === 'RefundReceipt',
					)
				: undefined;
		if (depositTo) record.DepositToAccountRef = { value: depositTo.Id, name: depositTo.Name };
		if (entity === 'RefundReceipt') {
			if (!record.PaymentRefNum && depositTo?.AccountType === 'Bank') {
				record.PaymentRefNum = 'To Print';
				record.PrintStatus = 'NeedToPrint';
			}
			record.PrintStatus = record.PrintStatus ?? 'NotSet';
		}
		if (record.PaymentMethodRef)
			this.ref('PaymentMethod', record.PaymentMethodRef, 'PaymentMethodRef', false);
		// Class and location refs must name records the company has, like every other reference
		// (610, see ref()). What QuickBooks does with one while tracking is off is UNCERTAIN (this
		// package never sends one then): kept as sent.
		if (record.ClassRef) this.ref('Class', record.ClassRef, 'ClassRef', false);
		if (record.DepartmentRef) this.ref('Department', record.DepartmentRef, 'DepartmentRef', false);
		if (record.BillEmail?.Address && !validEmailList(record.BillEmail.Address)) {
			throw new Fault(
				400,
				'6000',
				'A business validation error has occurred while processing your request',
				'Invalid email address format',
				'BillEmail',
			);
		}

		const salesLines: Rec[] = [];
		let discountLine: Rec | undefined;
		let lineNum = 1;
		for (const line of record.Line as Rec[]) {
			if (line.DetailType === 'SalesItemLineDetail') {
				const detail = (line.SalesItemLineDetail ??= {});
				const item =
					this.ref('Item', detail.ItemRef, 'Line.SalesItemLineDetail.ItemRef', false) ??
					this.findBy('Item', 'Name', 'Services');
				this.requireActive(item!, 'Line.SalesItemLineDetail.ItemRef');
				if (detail.ClassRef)
					this.ref('Class', detail.ClassRef, 'Line.SalesItemLineDetail.ClassRef', false);
				detail.ItemRef = { value: item!.Id, name: item!.Name };
				const qty = detail.Qty === undefined ? undefined : Number(detail.Qty);
				const price = detail.UnitPrice === undefined ? undefined : Number(detail.UnitPrice);
				if (line.Amount === undefined) {
					if (qty === undefined || price === undefined)
						throw new Fault(
							400,
							'2020',
							'Required param missing, need to supply the required value for the API',
							'Required parameter Line.Amount is missing in the request',
							'Line.Amount',
						);
					line.Amount = round2(qty * price);
				}
				line.Amount = round2(Number(line.Amount));
				if (
					qty !== undefined &&
					price !== undefined &&
					Math.abs(round2(qty * price) - line.Amount) > 0.005
				) {
					throw new Fault(
						400,
						'6070',
						'A business validation error has occurred while processing your request',
						`Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:${line.Amount}`,
						'Line.Amount',
					);
				}
				const taxCode = detail.TaxCodeRef?.value ?? 'NON';
				if (!this.entities.get('TaxCode')!.get(taxCode))
					throw new Fault(
						400,
						'610',
						'Object Not Found',
						`Invalid Reference Id : TaxCode ${taxCode}`,
						'TaxCodeRef',
					);
				detail.TaxCodeRef = { value: taxCode };
				line.Id = String(lineNum++);
				line.LineNum = Number(line.Id);
				salesLines.push(line);
			} else if (line.DetailType === 'DiscountLineDetail') {
				discountLine = line;
			} else if (
				line.DetailType !== 'SubTotalLineDetail' &&
				line.DetailType !== 'DescriptionOnly'
			) {
				throw new Fault(
					400,
					'2020',
					'Required param missing',
					`Unsupported line DetailType ${line.DetailType}`,
					'Line.DetailType',
				);
			}
		}
		const subtotal = round2(salesLines.reduce((s, l) => s + l.Amount, 0));
		let discount = 0;
		if (discountLine) {
			const d = (discountLine.DiscountLineDetail ??= {});
			if (d.PercentBased) {
				const pct = Number(d.DiscountPercent ?? 0);
				if (!(pct >= 0 && pct <= 100))
					throw new Fault(
						400,
						'2050',
						'Invalid Number',
						'DiscountPercent must be between 0 and 100',
						'DiscountPercent',
					);
				discount = round2((subtotal * pct) / 100);
			} else {
				discount = round2(Number(discountLine.Amount ?? 0));
			}
			if (discount < 0 || discount > subtotal + 0.001)
				throw new Fault(
					400,
					'6000',
					'A business validation error has occurred while processing your request',
					'Discount exceeds the subtotal',
					'DiscountLineDetail',
				);
			discountLine.Amount = discount;
		}
		const taxableBase = salesLines
			.filter(
				(l) => this.entities.get('TaxCode')!.get(l.SalesItemLineDetail.TaxCodeRef.value)?.Taxable,
			)
			.reduce((s, l) => s + l.Amount, 0);
		const applyAfterDiscount = record.ApplyTaxAfterDiscount !== false;
		const discountedTaxable =
			applyAfterDiscount && subtotal > 0 ? taxableBase * (1 - discount / subtotal) : taxableBase;
		let tax = 0;
		if (this.usingSalesTax()) {
			const supplied = record.TxnTaxDetail?.TotalTax;
			const rate = Number(
				this.entities.get('TaxCode')!.get(record.TxnTaxDetail?.TxnTaxCodeRef?.value ?? 'TAX')
					?.RateValue ?? 0,
			);
			tax =
				supplied !== undefined && supplied !== null
					? round2(Number(supplied))
					: round2((discountedTaxable * rate) / 100);
			record.TxnTaxDetail = { ...(record.TxnTaxDetail ?? {}), TotalTax: tax };
		} else {
			// Sales tax off (Preferences.TaxPrefs.UsingSalesTax false): TxnTaxDetail is ignored, no tax
			// is computed or taken. Source: Intuit's Invoice API reference, TxnTaxDetail field notes
			// (as DESIGN.md records them), https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice ;
			// TaxPrefs.UsingSalesTax in Intuit's schema (Finance.xsd, QuickBooks-V3-PHP-SDK).
			// Whether QBO echoes an empty TxnTaxDetail or none: UNCERTAIN.
			record.TxnTaxDetail = { TotalTax: 0 };
		}
		record.ApplyTaxAfterDiscount = applyAfterDiscount;
		record.Line = [
			...salesLines,
			{ Amount: subtotal, DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
			...(discountLine ? [discountLine] : []),
		];
		record.TotalAmt = round2(subtotal - discount + tax);
		record.HomeTotalAmt = record.TotalAmt;
		record.CurrencyRef = record.CurrencyRef ?? { value: 'USD', name: 'United States Dollar' };
		if (entity === 'Invoice') {
			const paid = this.paymentsFor(record.Id).reduce((s, p) => s + p.amount, 0);
			if (paid > record.TotalAmt + 0.001) {
				throw new Fault(
					400,
					'6000',
					'A business validation error has occurred while processing your request',
					`The invoice total ${record.TotalAmt} is lower than the payments applied to it (${round2(paid)})`,
					'TotalAmt',
				);
			}
			record.Balance = round2(record.TotalAmt - paid);
			record.LinkedTxn = this.paymentsFor(record.Id).map((p) => ({
				TxnId: p.paymentId,
				TxnType: 'Payment',
			}));
			record.EmailStatus = record.EmailStatus ?? 'NotSet';
			this.afterPut(() => this.refreshCustomerBalance(customer?.Id));
		} else {
			record.Balance = 0;
		}
	}

	customTxnNumbers(): boolean {
		return Boolean(this.entities.get('Preferences')!.get('1')?.SalesFormsPrefs?.CustomTxnNumbers);
	}

	/** Sets company preferences (admin switch); keys are Preferences sections, merged shallowly. */
	setPreferences(patch: Rec): Rec {
		const prefs = this.entities.get('Preferences')!.get('1')!;
		for (const [section, values] of Object.entries(patch))
			prefs[section] = { ...(prefs[section] ?? {}), ...values };
		prefs.SyncToken = String(Number(prefs.SyncToken) + 1);
		return prefs;
	}

	usingSalesTax(): boolean {
		return this.entities.get('Preferences')!.get('1')?.TaxPrefs?.UsingSalesTax !== false;
	}

	/**
	 * DocNumber as QuickBooks assigns and checks it.
	 * - Max 21 characters; absent with Custom transaction numbers OFF: QBO numbers the document
	 *   (next in sequence); absent with the preference ON: the number stays empty, unless the
	 *   client sends "AUTO_GENERATE". Source: DocNumber documentation in Intuit's schema,
	 *   https://github.com/intuit/QuickBooks-V3-PHP-SDK/blob/master/src/XSD/Finance.xsd (Transaction.DocNumber).
	 * - Duplicate refused with 6140 only when Preferences.SalesFormsPrefs.CustomTxnNumbers is on;
	 *   with it off the duplicate is stored; `include=allowduplicatedocnum` bypasses the check.
	 *   Sources: Intuit API reference, Invoice and SalesReceipt "DocNumber" notes
	 *   (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice);
	 *   the flag as clients send it: node-quickbooks `allowDuplicateDocNum` → `include=allowduplicatedocnum`
	 *   (https://github.com/mcohen01/node-quickbooks/blob/master/index.js, module.request).
	 *   Applies to Invoice and SalesReceipt (both documented). Payment has no DocNumber check here
	 *   (its number is PaymentRefNum, "Filter support not provided for Payment"): UNCERTAIN.
	 *   Whether the check spans entity types (an invoice number reused on a receipt) is UNCERTAIN:
	 *   modelled per type. Both are probed by the live suite.
	 */
	private checkDocNumber(entity: string, record: Rec, current: Rec | undefined): void {
		if (
			record.DocNumber === 'AUTO_GENERATE' ||
			record.DocNumber === undefined ||
			record.DocNumber === null ||
			record.DocNumber === ''
		) {
			if (record.DocNumber !== 'AUTO_GENERATE' && current?.DocNumber) {
				record.DocNumber = current.DocNumber;
				return;
			}
			if (record.DocNumber !== 'AUTO_GENERATE' && this.customTxnNumbers()) {
				delete record.DocNumber;
				return;
			}
			const n = (this.docCounters.get(entity) ?? 1000) + 1;
			this.docCounters.set(entity, n);
			record.DocNumber = String(n);
			return;
		}
		record.DocNumber = String(record.DocNumber);
		if (record.DocNumber.length > 21) {
			throw new Fault(
				400,
				'2050',
				'String length is either shorter or longer than supported by specification',
				`DocNumber is longer than 21 characters: ${record.DocNumber}`,
				'DocNumber',
			);
		}
		if (!this.customTxnNumbers() || this.flags.allowDuplicateDocNum) return;
		const clash = this.all(entity).find(
			(r) => r.Id !== record.Id && r.status !== 'Deleted' && r.DocNumber === record.DocNumber,
		);
		if (clash) {
			throw new Fault(
				400,
				'6140',
				'Duplicate Document Number Error',
				`Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${record.DocNumber} is assigned to TxnType=${entity} with TxnId=${clash.Id}`,
			);
		}
	}

	/** Amounts applied to an invoice by non-voided, non-deleted payments. */
	paymentsFor(invoiceId: string | undefined): Array<{ paymentId: string; amount: number }> {
		if (!invoiceId) return [];
		const out: Array<{ paymentId: string; amount: number }> = [];
		for (const payment of this.all('Payment')) {
			if (payment.status === 'Deleted' || String(payment.PrivateNote ?? '').startsWith('Voided'))
				continue;
			for (const line of payment.Line ?? []) {
				for (const link of line.LinkedTxn ?? []) {
					if (link.TxnType === 'Invoice' && String(link.TxnId) === String(invoiceId)) {
						out.push({ paymentId: payment.Id, amount: Number(line.Amount) });
					}
				}
			}
		}
		return out;
	}

	private computePayment(record: Rec, current: Rec | undefined): void {
		const customer = this.ref('Customer', record.CustomerRef, 'CustomerRef', true)!;
		this.requireActive(customer, 'CustomerRef');
		record.CustomerRef = { value: customer.Id, name: customer.DisplayName };
		if (record.TotalAmt === undefined)
			throw new Fault(
				400,
				'2020',
				'Required param missing, need to supply the required value for the API',
				'Required parameter TotalAmt is missing in the request',
				'TotalAmt',
			);
		record.TotalAmt = round2(Number(record.TotalAmt));
		record.TxnDate = record.TxnDate ?? new Date(this.now()).toISOString().slice(0, 10);
		let applied = 0;
		const touched = new Set<string>();
		for (const line of record.Line ?? []) {
			line.Amount = round2(Number(line.Amount));
			for (const link of line.LinkedTxn ?? []) {
				if (link.TxnType !== 'Invoice') continue;
				const invoice = this.get('Invoice', link.TxnId);
				if (invoice.CustomerRef?.value !== customer.Id)
					throw new Fault(
						400,
						'6000',
						'A business validation error has occurred while processing your request',
						'The invoice belongs to another customer',
						'LinkedTxn',
					);
				const others = this.paymentsFor(invoice.Id)
					.filter((p) => p.paymentId !== current?.Id)
					.reduce((s, p) => s + p.amount, 0);
				if (line.Amount > round2(invoice.TotalAmt - others) + 0.001) {
					throw new Fault(
						400,
						'6000',
						'A business validation error has occurred while processing your request',
						`The payment of ${line.Amount} exceeds the open balance ${round2(invoice.TotalAmt - others)} of invoice ${invoice.Id}`,
						'Line.Amount',
					);
				}
				touched.add(invoice.Id);
			}
			applied += line.Amount;
		}
		if (applied > record.TotalAmt + 0.001)
			throw new Fault(
				400,
				'6000',
				'A business validation error has occurred while processing your request',
				'Applied amounts exceed the payment total',
				'TotalAmt',
			);
		record.UnappliedAmt = round2(record.TotalAmt - applied);
		for (const id of current ? this.linkedInvoiceIds(current) : []) touched.add(id);
		this.afterPut(() => {
			for (const id of touched) this.refreshInvoiceBalance(id);
			this.refreshCustomerBalance(customer.Id);
		});
	}

	private linkedInvoiceIds(payment: Rec): string[] {
		return (payment.Line ?? []).flatMap((l: Rec) =>
			(l.LinkedTxn ?? [])
				.filter((t: Rec) => t.TxnType === 'Invoice')
				.map((t: Rec) => String(t.TxnId)),
		);
	}

	private unapplyPayment(payment: Rec): void {
		const ids = this.linkedInvoiceIds(payment);
		this.afterPut(() => {
			for (const id of ids) this.refreshInvoiceBalance(id);
			this.refreshCustomerBalance(payment.CustomerRef?.value);
		});
	}

	/** Balance changes caused by payments: a new SyncToken and LastUpdatedTime, as QBO does. */
	refreshInvoiceBalance(invoiceId: string): void {
		const invoice = this.entities.get('Invoice')!.get(invoiceId);
		if (!invoice || invoice.status === 'Deleted') return;
		const payments = this.paymentsFor(invoiceId);
		const balance = String(invoice.PrivateNote ?? '').startsWith('Voided')
			? 0
			: round2(invoice.TotalAmt - payments.reduce((s, p) => s + p.amount, 0));
		const links = payments.map((p) => ({ TxnId: p.paymentId, TxnType: 'Payment' }));
		if (
			balance === invoice.Balance &&
			JSON.stringify(links) === JSON.stringify(invoice.LinkedTxn ?? [])
		)
			return;
		const next = {
			...invoice,
			Balance: balance,
			LinkedTxn: links,
			SyncToken: String(Number(invoice.SyncToken) + 1),
		};
		if (this.behaviour.paymentTouchesInvoice) {
			this.put('Invoice', next, false);
			return;
		}
		// Pessimistic case (UNCERTAIN, see CompanyBehaviour): balance and links change, the invoice's
		// LastUpdatedTime does not and CDC does not list it. The SyncToken still moves.
		this.entities.get('Invoice')!.set(invoiceId, next);
	}

	customerBalance(customerId: string | undefined): number {
		if (!customerId) return 0;
		return round2(
			this.all('Invoice')
				.filter((i) => i.status !== 'Deleted' && i.CustomerRef?.value === customerId)
				.reduce((s, i) => s + Number(i.Balance ?? 0), 0),
		);
	}

	refreshCustomerBalance(customerId: string | undefined): void {
		if (!customerId) return;
		const customer = this.entities.get('Customer')!.get(customerId);
		if (!customer) return;
		const balance = this.customerBalance(customerId);
		if (customer.Balance === balance) return;
		// QBO changes the balance without a new SyncToken visible to CDC consumers as an edit.
		customer.Balance = balance;
		customer.BalanceWithJobs = balance;
	}

	// ---- reads: query and CDC -----------------------------------------------------------------

	/** Changes since `since` per entity, newest state of each object; deleted ones as stubs. */
	cdc(entities: string[], since: number): Record<string, Rec[]> {
		const out: Record<string, Rec[]> = {};
		for (const entity of entities) {
			const ids = new Set<string>();
			for (let i = this.changes.length - 1; i >= 0; i--) {
				const change = this.changes[i];
				if (change.at < since) break;
				if (change.entity === entity) ids.add(change.id);
			}
			out[entity] = [...ids]
				.map((id) => this.entities.get(entity)!.get(id)!)
				.filter(Boolean)
				.map((r) =>
					r.status === 'Deleted'
						? { domain: 'QBO', status: 'Deleted', Id: r.Id, MetaData: r.MetaData }
						: r,
				)
				// Grouped by type (one QueryResponse per entity) with deleted objects after the active ones.
				// Source: Intuit's CDC reference, https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
				// (deleted entities are returned with status "Deleted" and only their Id). The order of
				// objects within one group (oldest change first here) is UNCERTAIN.
				.sort(
					(a, b) =>
						Number(a.status === 'Deleted') - Number(b.status === 'Deleted') ||
						Date.parse(a.MetaData.LastUpdatedTime) - Date.parse(b.MetaData.LastUpdatedTime) ||
						Number(a.Id) - Number(b.Id),
				);
		}
		return out;
	}

	toJSON(): Rec {
		return {
			realmId: this.realmId,
			name: this.name,
			nextId: this.nextId,
			docCounters: [...this.docCounters],
			entities: Object.fromEntries([...this.entities].map(([k, v]) => [k, [...v.values()]])),
			changes: this.changes,
		};
	}

	static fromJSON(data: Rec, now: () => number): Company {
		const company = new Company(data.realmId, now, data.name);
		company.nextId = data.nextId;
		company.docCounters = new Map(data.docCounters);
		for (const [entity, records] of Object.entries(data.entities as Record<string, Rec[]>)) {
			company.entities.set(entity, new Map(records.map((r) => [String(r.Id), r])));
		}
		company.changes.splice(0, company.changes.length, ...data.changes);
		return company;
	}
}
