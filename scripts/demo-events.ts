/* Sends signed sample HighLevel events to the running demo (npm start) and shows the result. */
import { readFileSync } from 'fs';
import { join } from 'path';

import { createEventSender } from '../test/emulator/highlevel/events';
import { invoiceEvent, orderCreate, paymentReceived } from '../test/fixtures/highlevel';

const cache = process.env.QBSYNC_CACHE ?? join(process.env.HOME ?? '/tmp', '.cache', 'n8n-nodes-quickbooks-sync');

void (async () => {
	const demo = JSON.parse(readFileSync(join(cache, 'demo.json'), 'utf8'));
	const sender = createEventSender(demo.privateKeyPem);
	const payment = `${demo.n8nUrl}/webhook/highlevel-payment`;
	const invoice = `${demo.n8nUrl}/webhook/highlevel-invoice`;
	const stamp = Date.now().toString(36);
	const steps: Array<[string, string, Record<string, unknown>]> = [
		['payment (order form)', payment, paymentReceived({ transactionId: `demo_${stamp}_1`, email: 'ada@example.com', name: 'Ada Lovelace', items: [{ name: 'Consultation', qty: 1, price: 150 }], tax: 12.75 })],
		['payment (calendar booking)', payment, orderCreate({ id: `demo${stamp}order2`, sourceType: 'calendar', email: 'new.client@example.com', items: [{ name: 'Strategy Session', qty: 1, price: 250 }] })],
		['invoice sent', invoice, invoiceEvent('InvoiceSent', { id: `demo${stamp}inv`, number: `INV-${stamp}`, email: 'grace@example.com', items: [{ name: 'Website', qty: 1, amount: 1200, taxes: [{ name: 'Tax', rate: 8 }] }], discount: { type: 'percentage', value: 5 } })],
		['invoice partially paid', invoice, invoiceEvent('InvoicePartiallyPaid', { id: `demo${stamp}inv`, number: `INV-${stamp}`, email: 'grace@example.com', items: [{ name: 'Website', qty: 1, amount: 1200, taxes: [{ name: 'Tax', rate: 8 }] }], discount: { type: 'percentage', value: 5 }, amountPaid: 500 })],
	];
	for (const [label, url, body] of steps) {
		const answer = await sender.post(url, body);
		console.log(`${label.padEnd(26)} → HTTP ${answer.status} ${answer.body}`);
		await new Promise((r) => setTimeout(r, 1500));
	}
	await new Promise((r) => setTimeout(r, 2000));
	const state = async (entity: string): Promise<any[]> => ((await (await fetch(`${demo.qboUrl}/admin/state?entity=${entity}&realmId=${demo.realmId}`)).json()) as any)[entity];
	console.log('\nQuickBooks (emulator) now holds:');
	for (const r of await state('SalesReceipt')) console.log(`  sales receipt ${r.DocNumber}  ${r.CustomerRef.name}  total ${r.TotalAmt}`);
	for (const i of await state('Invoice')) console.log(`  invoice ${i.DocNumber}  ${i.CustomerRef.name}  total ${i.TotalAmt}  balance ${i.Balance}`);
	console.log('\nThe trigger templates (customers → contacts, review requests) poll once a minute.');
})().catch((error) => {
	console.error(error.message);
	process.exit(1);
});
