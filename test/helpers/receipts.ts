/** Sales Receipt → Create From Payment and Invoice → Sync run through n8n-core, and the receipt a payment made. */
import type { MemoryCredentialsHelper } from './engine';
import { runNode } from './engine';

/** An operation run on HighLevel bodies, one item each; `parameters` replace the node's (e.g. `options`). */
const operation =
	(base: Record<string, unknown>) =>
	async (
		creds: MemoryCredentialsHelper,
		bodies: unknown[],
		parameters: Record<string, unknown> = {},
	) =>
		await runNode(
			creds,
			{ body: '={{ $json }}', options: {}, ...base, ...parameters },
			bodies as Array<Record<string, unknown>>,
			{ continueOnFail: true },
		);

export const createFromPayment = operation({
	resource: 'salesReceipt',
	operation: 'createFromPayment',
	source: 'highLevel',
});

/** Sales Receipt → Refund of HighLevel refund bodies or events. */
export const refundPayments = operation({
	resource: 'salesReceipt',
	operation: 'refund',
	source: 'highLevel',
});

/** Invoice → Sync, keyed by invoice number. */
export const syncInvoices = operation({ resource: 'invoice', operation: 'sync', key: 'number' });

/** The receipt of a CRM transaction (its PaymentRefNum), if QuickBooks has one. */
export const receiptPaying = (
	realm: { all(entity: string): Array<Record<string, unknown>> },
	transactionId: string,
) => realm.all('SalesReceipt').find((receipt) => String(receipt.PaymentRefNum) === transactionId);
