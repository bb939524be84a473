import { base64Cores, findLeaks, needles } from '../helpers/secrets';

describe('secret scan (test/helpers/secrets.ts, used by test/e2e/secrets.e2e.test.ts)', () => {
	const secret = { name: 'client secret', value: 'emulator-client-secret' };
	const token = {
		name: 'access token',
		value: 'eyJq3V9xZ2lmYXJ0aGluZ3NzZWNyZXRvbmU',
		random: true,
	};
	const list = needles([secret, token]);

	test('finds a secret inside base64 at any offset (a Basic header, a blob encoded again)', () => {
		for (const prefix of ['', 'a', 'ab', 'abc', 'emulator-client-id:']) {
			const encoded = Buffer.from(`${prefix}${secret.value}:tail`).toString('base64');
			expect(findLeaks(`Authorization: Basic ${encoded}`, 'log', list)).toEqual([
				expect.objectContaining({ secret: 'client secret', form: 'base64' }),
			]);
		}
		// One form per alignment (no + or / here, so the URL-safe forms are the same).
		expect(base64Cores(secret.value)).toHaveLength(3);
	});

	test('finds plain, URL-encoded and cut-short tokens, and masks them in the context', () => {
		const [leak] = findLeaks(`refresh failed for ${token.value.slice(0, 22)}…`, 'worker', list);
		expect([leak.form, leak.where]).toEqual(['slice', 'worker']);
		expect(leak.context).toContain('<access token>');
		expect(leak.context).not.toContain(token.value.slice(4, 20));
		expect(findLeaks(`client_secret=${secret.value}`, 'x', list)[0].form).toBe('plain');
	});

	test('is quiet on text without the secrets (the client id, other tokens)', () => {
		const text = `emulator-client-id eyJ${'A'.repeat(40)} ${Buffer.from('emulator-client-id:x').toString('base64')}`;
		expect(findLeaks(text, 'x', list)).toEqual([]);
	});
});
