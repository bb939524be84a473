/*
 * Sends sample HighLevel deliveries to the running demo (npm start) and shows the result: workflow
 * "Payment Received" bodies the way HighLevel's Custom Webhook action posts them (unsigned, Bearer
 * secret), and signed marketplace bodies (orders, invoices without `type`, as HighLevel documents).
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import {
	createMarketplaceSender,
	createWorkflowSender,
	type Delivery,
} from './dev/emulator/highlevel/delivery';
import {
	apiTransactionFor,
	marketplaceInvoice,
	orderStatusUpdate,
	workflowPayment,
} from './dev/fixtures/highlevel';

const cache =
	process.env.QBSYNC_CACHE ??
	join(process.env.HOME ?? '/tmp', '.cache', 'n8n-nodes-quickbooks-sync');

void (async () => {
	const demo = JSON.parse(readFileSync(join(cache, 'demo.json'), 'utf8'));
	// Marketplace deliveries signed with the demo's emulator key (the trigger is given its public key);
	// workflow deliveries as HighLevel's Custom Webhook action sends them, with the Bearer secret.
	const signed = createMarketplaceSender({
		privateKeyPem: demo.privateKeyPem,
		retry: { intervalMs: 1000 },
	});
	const unsigned = createWorkflowSender({
		action: 'customWebhook',
		auth: { type: 'bearer', token: demo.webhookSecret },
	});
	const answer = (d: Delivery) => ({
		status: d.attempts[d.attempts.length - 1].status ?? 0,
		body: d.attempts[d.attempts.length - 1].responseBody,
	});
	// HighLevel records a payment before it sends the webhook: the emulator holds its transaction, so
	// the durable template's reconcile pass (HighLevel Payments node) finds it too.
	const record = async (body: Record<string, unknown>) => {
		if (!demo.highLevelUrl) return;
		await fetch(`${demo.highLevelUrl}/admin/seed`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({
				transactions: [apiTransactionFor(body, demo.locationId ?? 'loc_demo_123')],
			}),
		});
	};
	const workflow = async (url: string, body: Record<string, unknown>) => {
		await record(body);
		return answer(await unsigned.send(url, body));
	};
	const sender = {
		post: async (url: string, body: Record<string, unknown>) =>
			answer(await signed.send(url, body)),
	};
	const stamp = Date.now().toString(36);
	const invoiceId = `${stamp}`.padStart(24, '0').slice(-24);
	const items = [{ name: 'Website', qty: 1, amount: 1200, taxes: [{ name: 'Tax', rate: 8 }] }];
	const steps: Array<[string, () => Promise<{ status: number; body: string }>]> = [
		[
			'payment (order form)',
			() =>
				workflow(
					demo.paymentUrl,
					workflowPayment({
						transactionId: `demo_${stamp}_1`,
						email: 'ada@example.com',
						firstName: 'Ada',
						lastName: 'Lovelace',
						subTotal: 150,
						tax: 12.75,
					}),
				),
		],
		[
			'payment failed (skipped)',
			() =>
				workflow(
					demo.paymentUrl,
					workflowPayment({
						transactionId: `demo_${stamp}_2`,
						email: 'ada@example.com',
						status: 'failed',
					}),
				),
		],
		[
			'order paid (calendar)',
			() =>
				sender.post(
					demo.paymentUrl,
					orderStatusUpdate({
						email: 'new.client@example.com',
						source: { type: 'calendar' },
						items: [{ name: 'Strategy Session', qty: 1, amount: 250 }],
					}),
				),
		],
		[
			'invoice sent',
			() =>
				sender.post(
					demo.invoiceUrl,
					marketplaceInvoice('InvoiceSent', {
						id: invoiceId,
						invoiceNumber: `INV-${stamp}`,
						email: 'grace@example.com',
						issueDate: new Date().toISOString().slice(0, 10),
						items,
						discount: { type: 'percentage', value: 5 },
					}),
				),
		],
		[
			'invoice partially paid',
			() =>
				sender.post(
					demo.invoiceUrl,
					marketplaceInvoice('InvoicePartiallyPaid', {
						id: invoiceId,
						invoiceNumber: `INV-${stamp}`,
						email: 'grace@example.com',
						issueDate: new Date().toISOString().slice(0, 10),
						items,
						discount: { type: 'percentage', value: 5 },
						amountPaid: 500,
					}),
				),
		],
	];
	for (const [label, send] of steps) {
		const answer = await send();
		console.log(`${label.padEnd(26)} → HTTP ${answer.status} ${answer.body}`);
		await new Promise((r) => setTimeout(r, 1500));
	}
	await new Promise((r) => setTimeout(r, 2000));
	const state = async (entity: string): Promise<any[]> =>
		(
			(await (
				await fetch(`${demo.qboUrl}/admin/state?entity=${entity}&realmId=${demo.realmId}`)
			).json()) as any
		)[entity];
	console.log('\nQuickBooks (emulator) now holds:');
	for (const r of await state('SalesReceipt'))
		console.log(`  sales receipt ${r.DocNumber}  ${r.CustomerRef.name}  total ${r.TotalAmt}`);
	for (const i of await state('Invoice'))
		console.log(
			`  invoice ${i.DocNumber}  ${i.CustomerRef.name}  total ${i.TotalAmt}  balance ${i.Balance}`,
		);
	console.log(
		'\nThe trigger templates (customers → contacts, review requests) poll once a minute.',
	);
})().catch((error) => {
	console.error(error.message);
	process.exit(1);
});
