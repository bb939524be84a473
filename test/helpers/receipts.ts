/** Sales Receipt → Create From Payment run through n8n-core, and the receipt a payment made. */
import type { MemoryCredentialsHelper } from './engine';
import { runNode } from './engine';

/** HighLevel bodies in, one item each; `parameters` replace the node's (e.g. `options`). */
export const createFromPayment = async (
	creds: MemoryCredentialsHelper,
	bodies: unknown[],
	parameters: Record<string, unknown> = {},
) =>
	await runNode(
		creds,
		{
			resource: 'salesReceipt',
			operation: 'createFromPayment',
			source: 'highLevel',
			body: '={{ $json }}',
			options: {},
			...parameters,
		},
		bodies as Array<Record<string, unknown>>,
		{ continueOnFail: true },
	);

/** The receipt of a CRM transaction (its PaymentRefNum), if QuickBooks has one. */
export const receiptPaying = (
	realm: { all(entity: string): Array<Record<string, unknown>> },
	transactionId: string,
) => realm.all('SalesReceipt').find((receipt) => String(receipt.PaymentRefNum) === transactionId);
