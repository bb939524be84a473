/**
 * Currencies (issue 24, point 5, the part that keeps the books right): a payment or invoice the CRM
 * states in another currency than the company's home one is never booked as the home currency.
 * Through n8n-core against the QuickBooks emulator, whose company preferences switch multicurrency.
 */
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';
import { invoiceEvent, paymentReceived } from '../fixtures/highlevel';
import { useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, receiptPaying, syncInvoices } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();

/** Multicurrency on or off, as the company's preferences say (Preferences.CurrencyPrefs). */
function multiCurrency(on: boolean) {
	qb.emulator.setPreferences({
		CurrencyPrefs: { HomeCurrency: { value: 'USD' }, MultiCurrencyEnabled: on },
	});
	clearCompanyCaches();
}

const receive = (bodies: unknown[], batchRequests: boolean) =>
	createFromPayment(qb.creds, bodies, { options: { batchRequests } });

const receiptOf = (id: string) => receiptPaying(realm(), id);

describe.each([false, true])('batch requests %s', (batch) => {
	test('multicurrency off: a payment in EUR stops with what to do, nothing written for it; one in USD is booked', async () => {
		multiCurrency(false);
		const out = (
			await receive(
				[
					paymentReceived({
						transactionId: 't-eur',
						currency: 'EUR',
						email: 'euro.buyer@example.com',
					}),
					paymentReceived({ transactionId: 't-usd', currency: 'usd' }),
				],
				batch,
			)
		).output('QuickBooks Sync');
		expect(String(out[0].json.error)).toContain(
			'Payment t-eur is in EUR, the QuickBooks company keeps its books in USD and multicurrency is off: it would be booked as USD, so nothing was written',
		);
		expect(receiptOf('t-eur')).toBeUndefined();
		expect(
			realm()
				.all('Customer')
				.some(
					(c) => (c.PrimaryEmailAddr as { Address?: string })?.Address === 'euro.buyer@example.com',
				),
		).toBe(false);
		expect(out[1].json.sync).toMatchObject({ action: 'created', totalsMatch: true });
	});

	test('multicurrency on: the home currency is named on the receipt; another currency stops (no customer in it, no exchange rate: QuickBooks would take 1)', async () => {
		multiCurrency(true);
		const out = (
			await receive(
				[
					paymentReceived({ transactionId: 't-usd-mc', currency: 'USD' }),
					paymentReceived({ transactionId: 't-cad', currency: 'CAD' }),
				],
				batch,
			)
		).output('QuickBooks Sync');
		expect(out[0].json.sync).toMatchObject({ action: 'created' });
		expect(receiptOf('t-usd-mc')?.CurrencyRef).toMatchObject({ value: 'USD' });
		expect(String(out[1].json.error)).toContain(
			"Payment t-cad is in CAD, not the company's home currency USD: this version does not book foreign-currency documents",
		);
		expect(receiptOf('t-cad')).toBeUndefined();
	});
});

test('an invoice in EUR with multicurrency off stops before its customer is made; in USD it is synced', async () => {
	multiCurrency(false);
	const sync = (body: unknown) => syncInvoices(qb.creds, [body]);
	const eur = (
		await sync(
			invoiceEvent('InvoiceSent', {
				number: 'INV-EUR',
				currency: 'EUR',
				email: 'eu.client@example.com',
			}),
		)
	).output('QuickBooks Sync')[0].json;
	expect(String(eur.error)).toContain('CRM invoice INV-EUR is in EUR');
	expect(realm().all('Invoice')).toHaveLength(0);
	expect(realm().all('Customer')).toHaveLength(0);
	const usd = (
		await sync(invoiceEvent('InvoiceSent', { number: 'INV-USD', currency: 'USD' }))
	).output('QuickBooks Sync')[0].json;
	expect(usd.sync).toMatchObject({ action: 'created' });
});
