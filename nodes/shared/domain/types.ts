/**
 * The domain's data types that more than one module (or layer) reads: what the pure functions
 * decide and return. The neutral CRM model itself lives in ./crm.ts.
 */
import type { QboRecord } from '../types';

/** chooseCustomer (./customerMatch.ts): which customer an e-mail belongs to. */
export type Choice =
	| { kind: 'none' }
	| { kind: 'active'; customer: QboRecord }
	| { kind: 'inactive'; customer: QboRecord }
	| { kind: 'ambiguous'; ids: string[] };

/** planSale (./salesDocument.ts): a CRM sale laid out as QuickBooks lines. */
export interface SalePlan {
	lines: QboRecord[];
	totalTax: number;
	subtotal: number;
	discount: number;
	crmTotal: number;
	qboTotal: number;
	totalsMatch: boolean;
}

/** ownership (./docNumber.ts): the documents under our numbers, split by their marker. */
export interface Ownership {
	/** Documents carrying this CRM record's marker, oldest first. */
	ours: QboRecord[];
	/** Documents under the same numbers that this package did not create for this CRM record. */
	others: QboRecord[];
}

/** The QuickBooks Sync Trigger's events. */
export type TriggerEvent =
	| 'newCustomer'
	| 'updatedCustomer'
	| 'newInvoice'
	| 'invoicePaid'
	| 'newPayment'
	| 'newSalesReceipt';

/** The QuickBooks Sync Trigger's state between polls (./pollEvents.ts). */
export interface PollState {
	/** QuickBooks time (ms) up to which changes have been read. */
	cursor?: number;
	/** Event keys emitted inside the overlap window → LastUpdatedTime (ms). */
	seen?: Record<string, number>;
	/** When the trigger was first activated (QuickBooks time, ms). */
	activatedAt?: number;
	backfill?: { nextStart: number; emitted: number; done: boolean };
}

/** A change that may become a trigger event (./pollEvents.ts candidates). */
export interface Candidate {
	event: TriggerEvent;
	record: QboRecord;
}
