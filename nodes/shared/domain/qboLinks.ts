/**
 * Links into the QuickBooks Online web app: build one for a record, and read a record's id back
 * out of a link a user pasted. Pure functions, no n8n types.
 *
 * URL shapes and where they come from (public code that builds the same links):
 * - customer        `/app/customerdetail?nameId=58`
 * - invoice         `/app/invoice?txnId=130`
 * - payment         `/app/recvpayment?txnId=128`
 * - account         `/app/register?accountId=123` (an account's register)
 *     all four: LedgerSync/ledger_sync-quickbooks_online, lib/ledger_sync/quickbooks_online/dashboard_url_helper.rb
 *     (and its adaptor spec: `https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId=123`, `…/register?accountId=123`).
 * - sales receipt   `/app/salesreceipt?txnId=47`: several public integrations build it the same way
 *     (e.g. `https://app.sandbox.qbo.intuit.com/app/salesreceipt?txnId=…` beside `/app/recvpayment?txnId=…`).
 * - refund receipt  `/app/refundreceipt?txnId=400`: public integrations build it beside the sales
 *     receipt's (code search `/app/refundreceipt?txnId=`; one documents it as the "deep_link" example).
 * - hosts: production `https://app.qbo.intuit.com`, sandbox `https://app.sandbox.qbo.intuit.com`
 *     (same sources); older links use `qbo.intuit.com`, `c9.qbo.intuit.com`, `sandbox.qbo.intuit.com`,
 *     so a pasted link is accepted from any `*.qbo.intuit.com` host.
 * UNCERTAIN (no public source found; covered by the live contract suite, not by evidence):
 * - items: QuickBooks opens an item in a panel over the Products and Services list (`/app/items`);
 *     no per-item address was found, so an item's link is that list and a pasted item link must
 *     carry `itemId=<id>` (a guess).
 * - payment methods: link to the list `/app/paymentmethods`; tax codes: no link.
 * - links carry no company id: QuickBooks opens them in the company the browser is signed in to.
 */

export type QboLinkEntity =
	| 'customer'
	| 'invoice'
	| 'salesReceipt'
	| 'refundReceipt'
	| 'payment'
	| 'item'
	| 'account'
	| 'paymentMethod'
	| 'taxCode';

export const QBO_APP_HOSTS = {
	production: 'https://app.qbo.intuit.com',
	sandbox: 'https://app.sandbox.qbo.intuit.com',
} as const;

type Shape = { path: string; param?: string; uncertain?: boolean };

/** Where each kind of record lives in the web app; `param` carries the record's id. */
const SHAPES: Record<QboLinkEntity, Shape | undefined> = {
	customer: { path: 'customerdetail', param: 'nameId' },
	invoice: { path: 'invoice', param: 'txnId' },
	salesReceipt: { path: 'salesreceipt', param: 'txnId' },
	refundReceipt: { path: 'refundreceipt', param: 'txnId' },
	payment: { path: 'recvpayment', param: 'txnId' },
	account: { path: 'register', param: 'accountId' },
	item: { path: 'items', param: 'itemId', uncertain: true },
	paymentMethod: { path: 'paymentmethods', uncertain: true },
	taxCode: undefined,
};

const QBO_ID = /^[0-9A-Za-z]+$/;

/**
 * The web-app link of one record, or undefined when there is no app host (custom environment
 * without one) or no id. Items and payment methods get their list page (see UNCERTAIN above).
 */
export function recordUrl(
	appBaseUrl: string | undefined,
	entity: QboLinkEntity,
	id: unknown,
): string | undefined {
	const shape = SHAPES[entity];
	const value = id === undefined || id === null ? '' : String(id).trim();
	if (!appBaseUrl || !shape || !value) return undefined;
	const base = `${appBaseUrl.replace(/\/+$/, '')}/app/${shape.path}`;
	if (entity === 'item' || entity === 'paymentMethod') return base;
	return `${base}?${shape.param}=${encodeURIComponent(value)}`;
}

/** Whether pasting a link is supported for this kind of record. */
export function acceptsUrl(entity: QboLinkEntity): boolean {
	return Boolean(SHAPES[entity]?.param);
}

/**
 * A regular expression (as source text) that matches a link to this kind of record and captures
 * its id in group 1: any `*.qbo.intuit.com` host, the record's page, the id parameter anywhere in
 * the query string. Undefined where no link shape exists.
 */
export function urlPattern(entity: QboLinkEntity): string | undefined {
	const shape = SHAPES[entity];
	if (!shape?.param) return undefined;
	return `^https?://(?:[A-Za-z0-9-]+\\.)*qbo\\.intuit\\.com/app/${shape.path}/?\\?(?:[^#]*&)?${shape.param}=([0-9A-Za-z]+)(?:[&#].*)?$`;
}

/** An example link for placeholders and messages. */
export function exampleUrl(entity: QboLinkEntity): string | undefined {
	const shape = SHAPES[entity];
	return shape?.param
		? `${QBO_APP_HOSTS.production}/app/${shape.path}?${shape.param}=123`
		: undefined;
}

/** The record id in a pasted link, or undefined when the link is not a link to this kind of record. */
export function idFromUrl(entity: QboLinkEntity, url: unknown): string | undefined {
	const pattern = urlPattern(entity);
	if (!pattern || typeof url !== 'string') return undefined;
	const match = new RegExp(pattern, 'i').exec(url.trim());
	return match ? match[1] : undefined;
}

/** Whether a value is a QuickBooks id (what the By ID mode accepts). */
export function isQboId(value: unknown): boolean {
	return typeof value === 'string'
		? QBO_ID.test(value.trim())
		: typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Whether a value looks like a web link (so a plain-text parameter holding one is read as a link). */
export function looksLikeUrl(value: unknown): boolean {
	return typeof value === 'string' && /^https?:\/\//i.test(value.trim());
}
