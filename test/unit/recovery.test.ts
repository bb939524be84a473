/** The retry and replay decisions of nodes/shared/recovery.ts, one by one (their effects are tested through the client and the engine). */
import { OutcomeError } from '../../nodes/shared/errors';
import { HIGHLEVEL_RETRY_POLICY } from '../../scripts/dev/emulator/highlevel/delivery';
import { FaultCode, QboError } from '../../nodes/shared/quickbooks/errors';
import {
	HIGHLEVEL_REDELIVER_STATUS,
	STALE_REREADS,
	isNameTaken,
	isNumberTaken,
	isTransient,
	retryKindOf,
	throttleHoldMs,
	lookupSettledOneByOne,
	lostRace,
	overRefunded,
	receiptRedoneOneByOne,
	rereadAfterStale,
	settledInBatch,
} from '../../nodes/shared/recovery';

const fault = (code: string, httpStatus = 400) =>
	new QboError('x', { kind: 'fault', httpStatus, faults: [{ code, message: 'm' }] });

describe('recovery decisions', () => {
	test('R1: only throttling, server trouble and dropped connections are retried', () => {
		expect(isTransient(new QboError('x', { kind: 'throttled' }))).toBe(true);
		expect(isTransient(new QboError('x', { kind: 'server' }))).toBe(true);
		expect(isTransient(fault('6000', 500))).toBe(true);
		expect(isTransient(fault(FaultCode.StaleObject))).toBe(false);
		expect(isTransient(new OutcomeError('incomplete', 'x', 'y'))).toBe(false);
	});

	test('R1a, R1b: throttling has its own retry budget; server trouble and dropped connections the other', () => {
		expect(retryKindOf(new QboError('x', { kind: 'throttled', httpStatus: 429 }))).toBe(
			'throttled',
		);
		expect(retryKindOf(new QboError('x', { kind: 'network' }))).toBe('transient');
		expect(retryKindOf(fault('6000', 500))).toBe('transient');
		expect(retryKindOf(fault(FaultCode.StaleObject))).toBeUndefined();
		expect(retryKindOf(new Error('plain'))).toBeUndefined();
	});

	test('R1a: without Retry-After a throttled company holds a window; with it, the later of it and a doubling backoff', () => {
		expect(throttleHoldMs(1, undefined, 60_000)).toBe(60_000);
		expect(throttleHoldMs(5, undefined, 60_000)).toBe(60_000);
		expect([1, 2, 3, 7, 8].map((episode) => throttleHoldMs(episode, 0, 60_000))).toEqual([
			1_000, 2_000, 4_000, 60_000, 60_000,
		]);
		expect(throttleHoldMs(1, 9_000, 60_000)).toBe(9_000);
		expect(throttleHoldMs(1, 90_000, 60_000)).toBe(90_000);
	});

	// R2 is proven through n8n's own refresh in test/integration/auth.test.ts. R12 against HighLevel's
	// policy as the delivery emulator models it from HighLevel's docs (retries 429 only): a status
	// the trigger answers when it cannot take a delivery that HighLevel does not retry is a lost event.
	test("R12: the trigger's answer when it cannot take a delivery is one HighLevel redelivers; its refusals are not", () => {
		expect(HIGHLEVEL_RETRY_POLICY.retryOn(HIGHLEVEL_REDELIVER_STATUS)).toBe(true);
		expect([400, 401, 500, 503].map((s) => HIGHLEVEL_RETRY_POLICY.retryOn(s))).toEqual([
			false,
			false,
			false,
			false,
		]);
	});

	test('R4: one fresh read after a stale SyncToken, for 5010 only', () => {
		expect(STALE_REREADS).toBe(1);
		expect(rereadAfterStale(fault(FaultCode.StaleObject), 0)).toBe(true);
		expect(rereadAfterStale(fault(FaultCode.StaleObject), 1)).toBe(false);
		expect(rereadAfterStale(fault(FaultCode.BusinessRule), 0)).toBe(false);
	});

	test('R5–R7: name and number clashes are told apart', () => {
		expect([isNameTaken(fault('6240')), isNumberTaken(fault('6240'))]).toEqual([true, false]);
		expect([isNameTaken(fault('6140')), isNumberTaken(fault('6140'))]).toEqual([false, true]);
		expect(isNameTaken(new Error('6240'))).toBe(false);
	});

	test('R8: ours is voided only when an older document of the same CRM record exists', () => {
		expect(lostRace({ Id: '7' }, undefined)).toBe(false);
		expect(lostRace({ Id: '7' }, { Id: '7' })).toBe(false);
		expect(lostRace({ Id: '7' }, { Id: '5' })).toBe(true);
	});

	test('R10: what a batch cannot settle goes one by one', () => {
		expect(
			['none', 'active', 'inactive', 'ambiguous'].map((k) => lookupSettledOneByOne(k as never)),
		).toEqual([false, false, true, true]);
		expect(settledInBatch({ ok: true, record: { Id: '1' } })).toEqual({ Id: '1' });
		expect(settledInBatch({ ok: true })).toBeUndefined();
		expect(settledInBatch({ ok: false, error: fault('6240') })).toBeUndefined();
		expect(receiptRedoneOneByOne({ ok: false, error: fault('6140') })).toBe(true);
		expect(receiptRedoneOneByOne({ ok: false, error: fault('6000') })).toBe(false);
		expect(receiptRedoneOneByOne({ ok: true })).toBe(false);
	});

	test('R19: a refund receipt is deleted only when the refunds written before it leave it no room', () => {
		const refunds = [
			{ Id: '3', TotalAmt: 60 },
			{ Id: '4', TotalAmt: 30 },
			{ Id: '5', TotalAmt: 20 },
		];
		expect(['3', '4', '5', '9'].map((id) => overRefunded(refunds, id, 100))).toEqual([
			false,
			false,
			true,
			false,
		]);
		expect(overRefunded(refunds, '5', 110)).toBe(false);
	});
});
