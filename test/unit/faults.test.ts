import { NodeApiError } from 'n8n-workflow';

import {
	extractFaults,
	faultFromResponse,
	networkErrorCode,
	QboError,
} from '../../nodes/shared/quickbooks/errors';
import { isReconnectError } from '../../nodes/shared/recovery';
import { toNodeError } from '../../nodes/shared/transport/n8n';

const node = {
	id: '1',
	name: 'QuickBooks Sync',
	type: 'n8n-nodes-quickbooks-sync.quickBooksSync',
	typeVersion: 1,
	position: [0, 0] as [number, number],
	parameters: {},
};

// Bodies in the shapes QuickBooks sends them.
const duplicateName = {
	Fault: {
		Error: [
			{
				Message: 'Duplicate Name Exists Error',
				Detail:
					'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
				code: '6240',
			},
		],
		type: 'ValidationFault',
	},
	time: '2026-11-22T07:00:00.000-08:00',
};
const lowerCase401 = {
	warnings: null,
	intuitObject: null,
	fault: {
		error: [
			{
				message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
				detail: 'Token expired: eyJ...',
				code: '3200',
				element: null,
			},
		],
		type: 'AUTHENTICATION',
	},
	batchItemResponse: [],
	time: 1763800000000,
};
const throttleXml =
	'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2026-11-22T07:00:00.000-08:00"><Fault type="SERVICE"><Error code="3001" element=""><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>';
const stale = {
	Fault: {
		Error: [
			{
				Message: 'Stale Object Error',
				Detail: 'Stale Object Error : You and Jane were working on this at the same time.',
				code: '5010',
				element: 'SyncToken',
			},
		],
		type: 'ValidationFault',
	},
};

describe('QuickBooks faults', () => {
	test('upper-case Fault.Error[] with code, detail and intuit_tid', () => {
		const error = faultFromResponse(400, { intuit_tid: '1-abc' }, duplicateName, 0);
		expect(error.kind).toBe('fault');
		expect(error.code).toBe('6240');
		expect(error.intuitTid).toBe('1-abc');
		expect(error.message).toMatch(/^The name is already used by another QuickBooks customer/);
	});

	test('lower-case fault.error[] of a 401', () => {
		const [fault] = extractFaults(lowerCase401);
		expect(fault).toMatchObject({ code: '3200', detail: 'Token expired: eyJ...' });
		expect(faultFromResponse(401, {}, lowerCase401, 0).message).toMatch(
			/rejected the access token/,
		);
	});

	test('XML throttle body is a retryable throttle with Retry-After', () => {
		const error = faultFromResponse(429, { 'Retry-After': '7', intuit_tid: 't' }, throttleXml, 0);
		expect(error.kind).toBe('throttled');
		expect(error.code).toBe('3001');
		expect(error.retryAfterMs).toBe(7000);
		expect(error.detail).toBe('The request limit was reached.');
	});

	test('a 503 without a body is a server error; element survives', () => {
		expect(faultFromResponse(503, {}, '', 0).kind).toBe('server');
		expect(faultFromResponse(400, {}, stale, 0).element).toBe('SyncToken');
	});

	test('NodeApiError carries the sentence first, then code, detail, element, status, intuit_tid', () => {
		const error = toNodeError(
			node,
			faultFromResponse(400, { intuit_tid: 'tid-9' }, stale, 0),
			3,
		) as NodeApiError;
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toMatch(/^Item 3: The QuickBooks record was changed by someone else/);
		expect(error.description).toContain('QuickBooks code 5010');
		expect(error.description).toContain('field: SyncToken');
		expect(error.description).toContain('HTTP 400');
		expect(error.description).toContain('intuit_tid: tid-9');
		expect(error.context.itemIndex).toBe(3);
	});

	test('network codes are found through cause chains; invalid_grant means reconnect', () => {
		expect(networkErrorCode({ message: 'x', cause: { code: 'ECONNRESET' } })).toBe('ECONNRESET');
		expect(networkErrorCode(new Error('socket hang up'))).toBe('ECONNRESET');
		expect(networkErrorCode({ code: 'ENOTFOUND' })).toBeUndefined();
		expect(
			isReconnectError({ message: 'wrapped', cause: { body: { error: 'invalid_grant' } } }),
		).toBe(true);
		expect(isReconnectError(new QboError('x', { kind: 'fault' }))).toBe(false);
	});
});
