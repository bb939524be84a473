/** What the HighLevel modules return: the trigger's normalized event and a delivery's authentication. */
import type { CrmInvoice, CrmLine, CrmPayment, CrmRefund } from '../domain/crm';

/** normalizeHighLevelBody (./events.ts): one normalized event from any HighLevel delivery. */
export type EventKind = 'payment' | 'order' | 'refund' | 'invoice' | 'contact' | 'other';
/** How the event reached n8n: a workflow action, a marketplace webhook, or read from HighLevel's API (./fromApi.ts). */
export type Delivery = 'workflow' | 'marketplace' | 'api';

export interface HighLevelEvent {
	/** Marks the normalized event, so that the QuickBooks nodes take `record` rather than read `body` again. */
	format: 'highlevel-event/1';
	kind: EventKind;
	/** HighLevel's event name: PaymentReceived, PaymentRefunded (workflow), OrderCreate, InvoicePaid, ContactCreate, … */
	event: string;
	delivery: Delivery;
	/** Business key the trigger de-duplicates on (payment transaction id, order id, refund id, invoice id + status + amount paid). */
	key: string;
	/** Not money received (or not one of the trigger's events): answered 200, not a receipt. */
	skipped: boolean;
	reason?: string;
	ids: {
		/** The payment's transaction id; for a refund, the transaction that was refunded. */
		transactionId?: string;
		/** HighLevel's refund id (workflow trigger "Refund", custom value "Refund ID"), or a key derived from documented fields. */
		refundId?: string;
		orderId?: string;
		invoiceId?: string;
		invoiceNumber?: string;
		contactId?: string;
		locationId?: string;
		webhookId?: string;
	};
	contact: {
		id?: string;
		email?: string;
		name?: string;
		firstName?: string;
		lastName?: string;
		phone?: string;
		companyName?: string;
	};
	/** HighLevel's own status word (payment_status, order status, invoice status). */
	status?: string;
	/** Where the payment came from (funnel, subscription, calendar, invoice, …). */
	source?: string;
	currency?: string;
	/** YYYY-MM-DD: payment.created_on, order createdAt, invoice issueDate. */
	date?: string;
	amounts: {
		subtotal?: number;
		discount?: number;
		tax?: number;
		shipping?: number;
		total?: number;
		amountPaid?: number;
		amountDue?: number;
		/** A refund's amount: this refund alone, in currency units (partial or full). */
		refunded?: number;
	};
	/** Set on refund events (kind "refund"): what was refunded, read by Sales Receipt → Refund. */
	refund?: {
		/** HighLevel's refund id, or a key derived from the transaction, amount and time (`idDerived`). */
		id?: string;
		idDerived: boolean;
		transactionId?: string;
		amount?: number;
		/** HighLevel's refund type (the trigger's filter "Type": Full or Partial), as sent. */
		type?: string;
		/** All refunded on the transaction so far (its `amountRefunded`), when read from HighLevel's API. */
		refundedTotal?: number;
	};
	lines: CrmLine[];
	/** Whether HighLevel stated the line items (workflow payment bodies carry none). */
	linesKnown: boolean;
	linesHint?: string;
	/** The body could not be read as a payment/invoice: the QuickBooks node will fail with this. */
	problem?: string;
	/**
	 * The payment (payment and order events), refund or invoice in the CRM model, read once from
	 * `body` (./toCrm.ts); absent when `body` cannot be read as one (`problem` says why).
	 */
	record?: CrmPayment | CrmRefund | CrmInvoice;
	/** HighLevel's body, exactly as parsed from the request (for `delivery` "api": the API's record). */
	body: Record<string, any>;
}

/** verifySignature / verifySecret (./auth.ts). */
export interface AuthResult {
	ok: boolean;
	/** How the delivery proved itself, or why it did not. */
	via?: 'X-GHL-Signature' | 'X-WH-Signature' | 'secret';
	reason?: string;
}
