/**
 * CRM payments and invoices in one neutral shape, whatever CRM sent them: HighLevel bodies are read
 * into it by ../highlevel/toCrm.ts, mapped fields by the Create from Payment operation. Amounts are
 * currency units.
 */
import type { Person } from './customerMatch';

export interface CrmLine {
	name: string;
	/** The CRM's product id, where it states one (Product Mapping matches it before the name). */
	productId?: string;
	description?: string;
	qty: number;
	unitPrice: number;
	/** Tax rate in percent applied to this line (sum of its taxes). */
	taxRate: number;
	/** The unit price already contains the tax. */
	taxInclusive: boolean;
}

export interface CrmDiscount {
	type: 'percentage' | 'fixed';
	value: number;
}

/** A sale as the CRM states it; amounts left undefined are the ones the CRM did not state. */
export interface CrmSale {
	lines: CrmLine[];
	discount?: CrmDiscount;
	discountAmount?: number;
	taxAmount?: number;
	shipping?: number;
	total: number;
	/** The CRM account the sale belongs to (HighLevel's location ID), where the body says it. */
	locationId?: string;
}

export interface CrmPayment extends CrmSale {
	transactionId: string;
	/** Where the CRM took the payment (HighLevel's OrderSource type: funnel, invoice, calendar, …). */
	source?: string;
	/** Who took it (HighLevel's paymentProviderType: stripe, …). */
	provider?: string;
	/** How it was paid (the kind of HighLevel's paymentMethod: card, …). */
	method?: string;
	person: Person;
	currency?: string;
	date?: string;
}

/**
 * A refund of an earlier CRM payment: this refund's amount alone (partial or full). Read from
 * HighLevel's workflow trigger "Refund" (../highlevel/toCrm.ts) or mapped fields.
 */
export interface CrmRefund {
	/** The CRM's refund id, or a key derived from the transaction, amount and time (`idDerived`). */
	refundId: string;
	idDerived: boolean;
	/** The refunded payment's transaction id: the receipt it reverses carries it in its marker. */
	transactionId: string;
	amount: number;
	currency?: string;
	/** YYYY-MM-DD. */
	date?: string;
	status?: string;
	/** Full or partial, as the CRM says (informational: the amount decides). */
	type?: string;
	source?: string;
	/** Set when the refunded payment paid a CRM invoice (recorded by Invoice → Sync). */
	invoiceId?: string;
	invoiceNumber?: string;
	/**
	 * HighLevel's record of all refunded on the payment so far (the transaction's `amountRefunded`),
	 * when it was read from HighLevel's API. The refunds booked for the payment never pass it.
	 */
	refundedTotal?: number;
	/** The refunded payment's date (YYYY-MM-DD), when known: its refunds are not older. */
	paidOn?: string;
	person: Person;
}

export type CrmInvoiceStatus = 'draft' | 'sent' | 'partially_paid' | 'paid' | 'void' | 'deleted';

export interface CrmInvoice extends CrmSale {
	id: string;
	number?: string;
	status: CrmInvoiceStatus;
	person: Person;
	currency?: string;
	issueDate?: string;
	dueDate?: string;
	memo?: string;
	amountPaid: number;
}
