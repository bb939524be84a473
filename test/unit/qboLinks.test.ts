import {
	QBO_APP_HOSTS,
	acceptsUrl,
	exampleUrl,
	idFromUrl,
	isQboId,
	looksLikeUrl,
	recordUrl,
	urlPattern,
} from '../../nodes/shared/domain/qboLinks';
import { APP_BASE_URLS, appBaseUrl } from '../../nodes/shared/transport/environment';

const PROD = QBO_APP_HOSTS.production;
const SANDBOX = QBO_APP_HOSTS.sandbox;

describe('recordUrl: the link that opens a record in QuickBooks', () => {
	test.each([
		[PROD, 'customer', '58', 'https://app.qbo.intuit.com/app/customerdetail?nameId=58'],
		[PROD, 'invoice', '130', 'https://app.qbo.intuit.com/app/invoice?txnId=130'],
		[PROD, 'salesReceipt', '47', 'https://app.qbo.intuit.com/app/salesreceipt?txnId=47'],
		[PROD, 'refundReceipt', '400', 'https://app.qbo.intuit.com/app/refundreceipt?txnId=400'],
		[PROD, 'payment', '128', 'https://app.qbo.intuit.com/app/recvpayment?txnId=128'],
		[PROD, 'account', '35', 'https://app.qbo.intuit.com/app/register?accountId=35'],
		[SANDBOX, 'customer', '58', 'https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId=58'],
		[SANDBOX, 'invoice', '130', 'https://app.sandbox.qbo.intuit.com/app/invoice?txnId=130'],
		[SANDBOX, 'salesReceipt', '47', 'https://app.sandbox.qbo.intuit.com/app/salesreceipt?txnId=47'],
		[SANDBOX, 'payment', '128', 'https://app.sandbox.qbo.intuit.com/app/recvpayment?txnId=128'],
	] as const)('%s %s %s', (host, entity, id, expected) => {
		expect(recordUrl(host, entity, id)).toBe(expected);
	});

	test('items and payment methods open their list (no per-record address is known); tax codes have none', () => {
		expect(recordUrl(PROD, 'item', '11')).toBe('https://app.qbo.intuit.com/app/items');
		expect(recordUrl(PROD, 'paymentMethod', '3')).toBe(
			'https://app.qbo.intuit.com/app/paymentmethods',
		);
		expect(recordUrl(PROD, 'taxCode', 'TAX')).toBeUndefined();
	});

	test('no host (custom environment) or no id: no link; a numeric id and a trailing slash are fine; ids are encoded', () => {
		expect(recordUrl(undefined, 'customer', '58')).toBeUndefined();
		expect(recordUrl(PROD, 'customer', '')).toBeUndefined();
		expect(recordUrl(PROD, 'customer', '  ')).toBeUndefined();
		expect(recordUrl(PROD, 'customer', undefined)).toBeUndefined();
		expect(recordUrl(`${PROD}/`, 'invoice', 7)).toBe(
			'https://app.qbo.intuit.com/app/invoice?txnId=7',
		);
		expect(recordUrl(PROD, 'customer', '5&x=1')).toBe(
			'https://app.qbo.intuit.com/app/customerdetail?nameId=5%26x%3D1',
		);
	});
});

describe('idFromUrl: the id in a pasted QuickBooks link', () => {
	test.each([
		['customer', 'https://app.qbo.intuit.com/app/customerdetail?nameId=58', '58'],
		['customer', 'https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId=58', '58'],
		['customer', 'https://qbo.intuit.com/app/customerdetail?nameId=58&tab=transactions', '58'],
		['invoice', 'https://app.qbo.intuit.com/app/invoice?txnId=130', '130'],
		['invoice', 'https://c9.qbo.intuit.com/app/invoice?txnId=130#top', '130'],
		['invoice', 'https://sandbox.qbo.intuit.com/app/invoice?foo=1&txnId=130', '130'],
		['salesReceipt', 'https://app.qbo.intuit.com/app/salesreceipt?txnId=47', '47'],
		['salesReceipt', '  HTTPS://APP.QBO.INTUIT.COM/app/salesreceipt?txnId=47  ', '47'],
		['payment', 'https://app.qbo.intuit.com/app/recvpayment?txnId=128', '128'],
		['account', 'https://app.qbo.intuit.com/app/register?accountId=35', '35'],
		['item', 'https://app.qbo.intuit.com/app/items?itemId=11', '11'],
	] as const)('%s ← %s', (entity, url, id) => {
		expect(idFromUrl(entity, url)).toBe(id);
	});

	test.each([
		[
			'customer',
			'https://app.qbo.intuit.com/app/invoice?txnId=130',
			'a link to another kind of record',
		],
		[
			'invoice',
			'https://app.qbo.intuit.com/app/salesreceipt?txnId=47',
			'a receipt is not an invoice',
		],
		['invoice', 'https://app.qbo.intuit.com/app/invoices', 'a list without an id'],
		['invoice', 'https://evil.example.com/app/invoice?txnId=130', 'not QuickBooks'],
		['invoice', 'https://qbo.intuit.com.example.com/app/invoice?txnId=130', 'a look-alike host'],
		['invoice', 'https://app.qbo.intuit.com/app/invoice?txnId=', 'an empty id'],
		['invoice', 'https://app.qbo.intuit.com/app/invoice?txnId=13 0', 'an id with a space'],
		['customer', '58', 'a bare id'],
		['taxCode', 'https://app.qbo.intuit.com/app/salestax', 'tax codes have no page'],
		[
			'paymentMethod',
			'https://app.qbo.intuit.com/app/paymentmethods',
			'payment methods have no page',
		],
	] as const)('%s ✗ %s (%s)', (entity, url, _why) => {
		expect(idFromUrl(entity, url)).toBeUndefined();
	});

	test('non-strings are not links', () => {
		expect(idFromUrl('customer', undefined)).toBeUndefined();
		expect(idFromUrl('customer', 58)).toBeUndefined();
	});

	test('every link this module builds reads back to its id; the By URL pattern has exactly one group', () => {
		for (const entity of ['customer', 'invoice', 'salesReceipt', 'payment', 'account'] as const) {
			for (const host of [PROD, SANDBOX])
				expect(idFromUrl(entity, recordUrl(host, entity, '4021'))).toBe('4021');
			expect(new RegExp(urlPattern(entity)!).exec(exampleUrl(entity)!)).toHaveLength(2);
			expect(acceptsUrl(entity)).toBe(true);
		}
		expect(acceptsUrl('taxCode')).toBe(false);
		expect(urlPattern('paymentMethod')).toBeUndefined();
	});
});

describe('small predicates', () => {
	test('isQboId and looksLikeUrl', () => {
		expect(isQboId('58')).toBe(true);
		expect(isQboId(' TAX ')).toBe(true);
		expect(isQboId(58)).toBe(true);
		expect(isQboId('5 8')).toBe(false);
		expect(isQboId('https://x')).toBe(false);
		expect(looksLikeUrl(' https://app.qbo.intuit.com/app/invoice?txnId=1')).toBe(true);
		expect(looksLikeUrl('58')).toBe(false);
	});
});

describe('appBaseUrl: the web app per credential environment', () => {
	test('production, sandbox, default, custom with and without an app address', () => {
		expect(appBaseUrl({ environment: 'production' })).toBe(APP_BASE_URLS.production);
		expect(appBaseUrl({ environment: 'sandbox' })).toBe('https://app.sandbox.qbo.intuit.com');
		expect(appBaseUrl({})).toBe('https://app.qbo.intuit.com');
		expect(
			appBaseUrl({ environment: 'custom', customBaseUrl: 'http://127.0.0.1:8790' }),
		).toBeUndefined();
		expect(
			appBaseUrl({ environment: 'custom', customAppUrl: 'https://app.sandbox.qbo.intuit.com/ ' }),
		).toBe('https://app.sandbox.qbo.intuit.com');
	});
});
