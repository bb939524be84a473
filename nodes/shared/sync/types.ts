/** What the sync functions return: the outputs the operations turn into items. */
import type { QboRecord } from '../types';

/** How the customer of a document was found. */
export type MatchHow = 'matched' | 'created' | 'fallback' | 'given';

/** findCustomerByEmail / findOrCreateCustomer (./customers.ts). */
export interface CustomerMatch {
	customer: QboRecord;
	how: MatchHow;
	reactivated?: boolean;
	/** Served by the company cache (../sync/companyCache.ts), not asked of QuickBooks in this run. */
	cached?: boolean;
}

/** The `sync` field of an output item: what was done, and whether the totals agree with the CRM. */
export interface SyncSummary {
	action:
		| 'created'
		| 'updated'
		| 'unchanged'
		| 'paid'
		| 'sent'
		| 'voided'
		| 'deleted'
		| 'matched'
		| 'skipped';
	qboId?: string;
	docNumber?: string;
	/** Ids of our extra documents for this CRM record that this run voided (or deleted). */
	duplicatesVoided?: string[];
	crmTotal?: number;
	qboTotal?: number;
	totalsMatch?: boolean;
	customer?: { id: string; how: MatchHow; displayName?: string };
	/** Which rule chose what (receipts): deposit account, payment method, class, location. */
	routing?: { depositTo?: string; paymentMethod?: string; class?: string; location?: string };
	/**
	 * When QuickBooks calculated the sales tax ("Sales Tax": QuickBooks Calculates): the CRM's tax
	 * and QuickBooks' side by side; the totals then differ by what they differ by.
	 */
	tax?: { by: 'quickbooks'; crm?: number; quickbooks: number };
	reason?: string;
}

/** createReceiptFromPayment (./receipts.ts), createReceiptsInBatch (./receiptsBatch.ts). */
export interface ReceiptResult {
	receipt: QboRecord;
	alreadySynced: boolean;
	sync: SyncSummary;
}

/** syncInvoice (./invoices.ts). */
export interface InvoiceSyncResult {
	invoice?: QboRecord;
	payments: QboRecord[];
	/** Refund receipts of its payments deleted when the invoice was voided (their money goes back with the payments). */
	refundsDeleted?: QboRecord[];
	sync: SyncSummary;
}

/** findOwnDocument (./ownDocuments.ts): a CRM record's document, and other documents under its numbers. */
export interface Lookup {
	/** Our document (the oldest, if a race left several). */
	ours?: QboRecord;
	/** Our documents beyond the oldest that still count (a race whose clean-up failed once). */
	extra?: QboRecord[];
	/** Someone else's documents under our numbers. */
	others: QboRecord[];
	numbers: { base: string; alternate: string };
}

/** createOwnDocument (./ownDocuments.ts). */
export interface Created {
	record: QboRecord;
	/** False when a concurrent run's document was kept and ours was voided. */
	created: boolean;
}
