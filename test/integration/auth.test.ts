import { startQboEmulator, type QboEmulator } from '../../scripts/dev/emulator/qbo/server';
import { MemoryCredentialsHelper, emulatorCredential, runNode } from '../helpers/engine';

let emulator: QboEmulator;
beforeAll(async () => {
	emulator = await startQboEmulator();
});
afterAll(async () => await emulator.stop());

const getMany = (creds: MemoryCredentialsHelper) =>
	runNode(creds, { resource: 'item', operation: 'getMany', returnAll: true, filters: {} }, [{}], {
		continueOnFail: true,
	});

describe('OAuth2 through n8n', () => {
	test('an expired access token is refreshed by n8n, the rotated refresh token is stored, the old one is dead', async () => {
		const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
		const oldRefresh = (creds.data.oauthTokenData as any).refresh_token;
		emulator.expireAccessTokens();
		const out = (await getMany(creds)).output('QuickBooks Sync');
		expect(out[0].json.Name).toBe('Services');
		expect(creds.updates).toBe(1);
		const newTokens = creds.data.oauthTokenData as any;
		expect(newTokens.refresh_token).not.toBe(oldRefresh);
		expect(newTokens.callbackQueryString.realmId).toBe(emulator.defaultRealm);

		// A second credential still holding the spent refresh token must reconnect.
		const stale = new MemoryCredentialsHelper(emulatorCredential(emulator));
		(stale.data.oauthTokenData as any).refresh_token = oldRefresh;
		emulator.expireAccessTokens();
		const failed = (await getMany(stale)).output('QuickBooks Sync');
		expect(failed[0].json.error).toMatch(/reconnect/i);
	});

	test('a revoked grant: every item fails with invalid_grant and what to do, and the run asks the token endpoint once', async () => {
		const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
		emulator.revokeTokens();
		const refreshes = () =>
			emulator.log.filter((e) => e.operation === 'token:refresh_token').length;
		const before = refreshes();
		const out = (
			await runNode(
				creds,
				{ resource: 'item', operation: 'getMany', returnAll: true, filters: {} },
				[{}, {}, {}],
				{ continueOnFail: true },
			)
		).output('QuickBooks Sync');
		expect(out.map((o) => o.json.error)).toEqual(
			[0, 1, 2].map(() =>
				expect.stringMatching(
					/^Item \d: QuickBooks refused the credential's refresh token \(invalid_grant\): reconnect the QuickBooks Sync credential in n8n/,
				),
			),
		);
		expect(out.map((o) => String(o.json.error).match(/Item \d/g)?.length)).toEqual([1, 1, 1]);
		expect(refreshes() - before).toBe(1);
		expect(creds.updates).toBe(0);
	});

	test("a 401 on n8n's repeat after the refresh (the token it took had expired too) goes once more and succeeds; a 401 that stays is bounded", async () => {
		const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
		const apiCalls = () => emulator.log.filter((e) => e.endpoint === 'query').length;
		emulator.injectFault({ path: 'query', count: 2, action: 401 });
		let before = apiCalls();
		const out = (await getMany(creds)).output('QuickBooks Sync');
		expect(out[0].json.Name).toBe('Services');
		expect(apiCalls() - before).toBe(3);

		emulator.injectFault({ path: 'query', count: 100, action: 401 });
		before = apiCalls();
		const failed = await getMany(creds).finally(() => emulator.clearFaults());
		// n8n words a 401 as its own "Authorization failed"; QuickBooks' fault is in the details.
		expect(failed.output('QuickBooks Sync')[0].json.error).toMatch(/Authorization failed/);
		// Two rounds of n8n's refresh-and-repeat at most (this n8n-core repeats without a second
		// refresh when the token it just stored is refused), then the fault stands.
		expect(apiCalls() - before).toBeGreaterThanOrEqual(3);
		expect(apiCalls() - before).toBeLessThanOrEqual(4);
	});

	test('a credential without a realm id tells the user to reconnect', async () => {
		const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
		delete (creds.data.oauthTokenData as any).callbackQueryString;
		const run = await runNode(
			creds,
			{ resource: 'item', operation: 'getMany', returnAll: true, filters: {} },
			[{}],
		);
		expect(run.error('QuickBooks Sync')?.message).toMatch(/no company \(realm\) id: reconnect/);
	});

	test('a 503 and a dropped connection are retried and the run succeeds', async () => {
		const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
		emulator.injectFault({ path: 'query', count: 1, action: 503 });
		emulator.injectFault({ path: 'query', count: 1, action: 'reset' });
		const before = emulator.log.length;
		const out = (await getMany(creds)).output('QuickBooks Sync');
		expect(out[0].json.Name).toBe('Services');
		expect(emulator.log.length - before).toBe(3);
	});
});
