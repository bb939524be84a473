/**
 * What the transport puts on the wire for Intuit's documented limits: requestid ≤ 50 characters,
 * ≤ 36 on /batch with bIds ≤ 10 (https://blogs.intuit.com/2015/04/06/15346/), and invoice send as
 * application/octet-stream (Intuit's PHP SDK DataService::SendEmail).
 */
import {
	BATCH_ID_MAX,
	BATCH_REQUEST_ID_MAX,
	QboClient,
	REQUEST_ID_MAX,
	fitRequestId,
	requestIdFor,
	type HttpRequest,
	type Send,
} from '../../nodes/shared/transport/client';
import { getQboClient } from '../../nodes/shared/transport/n8n';

function recordingClient(answer: (request: HttpRequest) => unknown = () => ({})) {
	const sent: HttpRequest[] = [];
	const send: Send = async (request) => {
		sent.push(request);
		return { statusCode: 200, headers: {}, body: answer(request) };
	};
	const client = new QboClient({ baseUrl: 'https://qbo.test', realmId: '123' }, send, {
		now: Date.now,
		sleep: async () => undefined,
		random: () => 0.5,
	});
	return { client, sent };
}

describe('requestid within Intuit limits', () => {
	test('derived ids fit 50 characters, 36 for batch, and differ for different keys', () => {
		const long = 'crm-payment-'.padEnd(400, 'x');
		expect(requestIdFor('create:SalesReceipt', long).length).toBeLessThanOrEqual(REQUEST_ID_MAX);
		expect(requestIdFor('batch', long, BATCH_REQUEST_ID_MAX).length).toBeLessThanOrEqual(
			BATCH_REQUEST_ID_MAX,
		);
		expect(requestIdFor('batch', `${long}a`, BATCH_REQUEST_ID_MAX)).not.toBe(
			requestIdFor('batch', `${long}b`, BATCH_REQUEST_ID_MAX),
		);
		// Pinned: a requestid that changed between versions would let a replayed write through.
		expect(requestIdFor('create:Invoice', 'k1')).toBe(
			'qbs-35a399695a01779485d2a600b7ac27f917040ca5',
		);
		expect(requestIdFor('create:Invoice', 'k1')).not.toBe(requestIdFor('create:Customer', 'k1'));
		expect(requestIdFor('batch').length).toBeLessThanOrEqual(BATCH_REQUEST_ID_MAX);
	});

	test('a caller-given id longer than the limit is hashed, a short one kept', () => {
		expect(fitRequestId('short-id', 50)).toBe('short-id');
		const a = fitRequestId('y'.repeat(60), 50);
		const b = fitRequestId(`${'y'.repeat(59)}z`, 50);
		expect(a.length).toBeLessThanOrEqual(50);
		expect(a).not.toBe(b);
		expect(fitRequestId('y'.repeat(60), 36).length).toBeLessThanOrEqual(36);
	});

	test('batch calls carry a requestid of at most 36 characters and bIds of at most 10', async () => {
		const { client, sent } = recordingClient((request) => ({
			BatchItemResponse: (
				request.body as { BatchItemRequest: Array<{ bId: string }> }
			).BatchItemRequest.map((i) => ({ bId: i.bId, QueryResponse: {} })),
		}));
		const ops = Array.from({ length: 45 }, () => ({
			entity: 'Customer',
			operation: 'query' as const,
			payload: 'SELECT * FROM Customer',
		}));
		await client.batch(ops, 'a-caller-key-that-is-quite-long-'.repeat(4));
		await client.batch(ops.slice(0, 2));
		expect(sent).toHaveLength(3);
		for (const request of sent) {
			expect(String(request.qs.requestid).length).toBeLessThanOrEqual(BATCH_REQUEST_ID_MAX);
			for (const item of (request.body as { BatchItemRequest: Array<{ bId: string }> })
				.BatchItemRequest) {
				expect(item.bId.length).toBeLessThanOrEqual(BATCH_ID_MAX);
			}
		}
		expect(sent[0].qs.requestid).not.toBe(sent[1].qs.requestid);
	});

	test('entity writes carry a requestid of at most 50 characters, however long the caller key', async () => {
		const { client, sent } = recordingClient(() => ({ Customer: { Id: '1' } }));
		await client.create('Customer', { DisplayName: 'x' }, 'k'.repeat(500));
		await client.call('POST', 'customer', { body: {}, requestId: 'r'.repeat(80) });
		for (const request of sent)
			expect(String(request.qs.requestid).length).toBeLessThanOrEqual(REQUEST_ID_MAX);
	});
});

describe('void and delete: one requestid per document version (issue 22.9)', () => {
	test('the same version voided or deleted twice goes under one requestid; the next version under another', async () => {
		const { client, sent } = recordingClient(() => ({ SalesReceipt: { Id: '9' } }));
		const v0 = { Id: '9', SyncToken: '0' };
		await client.void('SalesReceipt', v0);
		await client.void('SalesReceipt', { ...v0 });
		await client.void('SalesReceipt', { Id: '9', SyncToken: '1' });
		await client.delete('RefundReceipt', v0);
		await client.delete('RefundReceipt', { ...v0 });
		const ids = sent.map((r) => r.qs.requestid);
		expect(ids[0]).toBe(ids[1]);
		expect(ids[2]).not.toBe(ids[0]);
		expect(ids[3]).toBe(ids[4]);
		expect(ids[3]).not.toBe(ids[0]);
	});
});

describe('invoice send', () => {
	test('the client asks for Content-Type application/octet-stream', async () => {
		const { client, sent } = recordingClient(() => ({
			Invoice: { Id: '7', EmailStatus: 'EmailSent' },
		}));
		await client.sendInvoice('7', 'ap@example.com');
		expect(sent[0]).toMatchObject({
			method: 'POST',
			url: 'https://qbo.test/v3/company/123/invoice/7/send',
			qs: { sendTo: 'ap@example.com' },
		});
		expect(sent[0].headers).toEqual({ 'Content-Type': 'application/octet-stream' });
	});

	test('n8n passes that content type on (and Accept: application/json)', async () => {
		const calls: Array<Record<string, any>> = [];
		const context = {
			getNode: () => ({ name: 'QuickBooks Sync' }),
			getCredentials: async () => ({
				environment: 'sandbox',
				oauthTokenData: { callbackQueryString: { realmId: '123' } },
			}),
			helpers: {
				httpRequestWithAuthentication: async (_type: string, options: Record<string, any>) => {
					calls.push(options);
					return { statusCode: 200, headers: {}, body: { Invoice: { Id: '7' } } };
				},
			},
		};
		const client = await getQboClient(context as never);
		await client.sendInvoice('7');
		await client.read('Invoice', '7');
		expect(calls[0].headers).toEqual({
			Accept: 'application/json',
			'Content-Type': 'application/octet-stream',
		});
		expect(calls[1].headers).toEqual({ Accept: 'application/json' });
	});
});
