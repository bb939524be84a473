/**
 * The emulator's refresh tokens as Intuit's "Validity of Refresh Token" article describes them: the
 * same value back for about a day, then a new one that spends the old; every value gone on revoke.
 * Sources: that article as quoted in intuit/QuickBooks-V3-PHP-SDK issue #324; Intuit staff in
 * intuit/oauth-jsclient issue #77 ("Refresh token not found" for a value that is not the latest);
 * revocation: Intuit's OAuth 2.0 revoke endpoint (developer.intuit.com, "Revoke access").
 * UNCERTAIN: whether an old value keeps working for a moment after rotation (refused here at once).
 */
import {
	DEFAULT_CLIENT,
	startQboEmulator,
	type QboEmulator,
} from '../../scripts/dev/emulator/qbo/server';

let emulator: QboEmulator;
beforeAll(async () => {
	emulator = await startQboEmulator({ realms: ['9130350000000001'], quiet: true });
});
afterAll(async () => await emulator.stop());

async function refresh(refreshToken: string) {
	const res = await fetch(`${emulator.url}/oauth2/v1/tokens/bearer`, {
		method: 'POST',
		headers: {
			Authorization: `Basic ${Buffer.from(`${DEFAULT_CLIENT.clientId}:${DEFAULT_CLIENT.clientSecret}`).toString('base64')}`,
			'Content-Type': 'application/x-www-form-urlencoded',
		},
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
	});
	return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const refusedRefreshes = () =>
	emulator.log.filter((e) => e.operation === 'token:refresh_token' && e.status === 400).length;

describe('QuickBooks emulator: refresh token rotation and revocation', () => {
	test("'daily': the same refresh token value comes back within 24 hours, so two refreshes at once both succeed", async () => {
		emulator.setOptions({ refreshTokenRotation: 'daily' });
		const first = emulator.issueTokens();
		const [a, b] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
		expect([a.status, b.status]).toEqual([200, 200]);
		expect([a.body.refresh_token, b.body.refresh_token]).toEqual([
			first.refresh_token,
			first.refresh_token,
		]);
		expect(a.body.access_token).not.toBe(b.body.access_token);
	});

	test("'daily': after 24 hours a new value is returned and the old one is refused", async () => {
		const first = emulator.issueTokens();
		emulator.setOptions({ clockOffsetMs: 25 * 3_600_000 });
		try {
			const rotated = await refresh(first.refresh_token);
			expect(rotated.status).toBe(200);
			expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
			const before = refusedRefreshes();
			expect(await refresh(first.refresh_token)).toEqual({
				status: 400,
				body: { error: 'invalid_grant' },
			});
			// The token endpoint's log keeps the answer, not a blanket 200.
			expect(refusedRefreshes()).toBe(before + 1);
		} finally {
			emulator.setOptions({ clockOffsetMs: 0 });
		}
	});

	test("'everyRefresh' (default, pessimistic): every refresh rotates; of two at once with one value, one is refused", async () => {
		emulator.setOptions({ refreshTokenRotation: 'everyRefresh' });
		const first = emulator.issueTokens();
		const answers = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
		expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
	});

	test('revokeTokens (the user disconnected the app): refreshes and API calls are refused until new tokens are issued', async () => {
		const tokens = emulator.issueTokens();
		emulator.revokeTokens();
		expect((await refresh(tokens.refresh_token)).body).toEqual({ error: 'invalid_grant' });
		const api = await fetch(
			`${emulator.url}/v3/company/${emulator.defaultRealm}/companyinfo/${emulator.defaultRealm}`,
			{ headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' } },
		);
		expect(api.status).toBe(401);
		const again = emulator.issueTokens();
		expect((await refresh(again.refresh_token)).status).toBe(200);
	});
});
