/**
 * Access to a real Intuit sandbox company for the live suite. Needs QBO_CLIENT_ID,
 * QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN and QBO_REALM_ID; refreshes through Intuit's own
 * `intuit-oauth`. Intuit rotates the refresh token, so the newest one is kept in `.live-token.json`
 * (git-ignored, next to package.json) and preferred over the environment variable next time.
 */
import OAuthClient from 'intuit-oauth';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

import type { ContractEnv } from './http';

export const SANDBOX_BASE_URL = 'https://sandbox-quickbooks.api.intuit.com';
export const TOKEN_FILE = join(__dirname, '..', '..', '.live-token.json');
const VARS = ['QBO_CLIENT_ID', 'QBO_CLIENT_SECRET', 'QBO_REFRESH_TOKEN', 'QBO_REALM_ID'] as const;

interface Stored {
	realmId: string;
	refreshToken: string;
	accessToken?: string;
	accessExpiresAt?: number;
	savedAt: string;
}

export function liveConfigured(): boolean {
	return VARS.every((name) => Boolean(process.env[name]?.trim()));
}

export const SKIP_NOTICE = `Live QuickBooks suite skipped: set ${VARS.join(', ')} to run it against an Intuit sandbox company.`;

function readStored(realmId: string): Stored | undefined {
	if (!existsSync(TOKEN_FILE)) return undefined;
	try {
		const stored = JSON.parse(readFileSync(TOKEN_FILE, 'utf8')) as Stored;
		return stored.realmId === realmId ? stored : undefined;
	} catch {
		return undefined;
	}
}

function save(stored: Stored): void {
	writeFileSync(TOKEN_FILE, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
}

let pending: Promise<ContractEnv> | undefined;

/** The sandbox as a contract environment, or undefined when the variables are not set. */
export async function sandboxEnv(): Promise<ContractEnv | undefined> {
	if (!liveConfigured()) return undefined;
	pending ??= connect();
	return await pending;
}

async function connect(): Promise<ContractEnv> {
	const realmId = process.env.QBO_REALM_ID!.trim();
	const client = new OAuthClient({
		clientId: process.env.QBO_CLIENT_ID!.trim(),
		clientSecret: process.env.QBO_CLIENT_SECRET!.trim(),
		environment: 'sandbox',
		redirectUri: 'http://localhost/callback',
	});
	// Only to dry-run this suite against the emulator (QBO_BASE_URL and QBO_TOKEN_URL pointing at it).
	if (process.env.QBO_TOKEN_URL) {
		const base = 'https://appcenter.intuit.com';
		client.setAuthorizeURLs({
			authorizeEndpoint: `${base}/connect/oauth2`,
			tokenEndpoint: process.env.QBO_TOKEN_URL,
			revokeEndpoint: `${base}/revoke`,
			userInfoEndpoint: `${base}/userinfo`,
		});
	}
	let stored = readStored(realmId);

	const refresh = async (): Promise<Stored> => {
		const candidates = [
			...new Set(
				[stored?.refreshToken, process.env.QBO_REFRESH_TOKEN!.trim()].filter(Boolean) as string[],
			),
		];
		let lastError: unknown;
		for (const refreshToken of candidates) {
			try {
				const response = await client.refreshUsingToken(refreshToken);
				const json = response.getJson();
				const next: Stored = {
					realmId,
					refreshToken: json.refresh_token,
					accessToken: json.access_token,
					accessExpiresAt: Date.now() + (Number(json.expires_in) - 120) * 1000,
					savedAt: new Date().toISOString(),
				};
				save(next);
				return next;
			} catch (error) {
				lastError = error;
			}
		}
		const detail =
			(lastError as { error?: string; authResponse?: { json?: unknown } })?.error ??
			String(lastError);
		throw new Error(
			`Intuit refused every refresh token (${detail}): connect the app to the sandbox again and set QBO_REFRESH_TOKEN, then delete ${TOKEN_FILE}`,
		);
	};

	if (!stored?.accessToken || (stored.accessExpiresAt ?? 0) < Date.now()) stored = await refresh();
	return {
		label: 'Intuit sandbox',
		baseUrl: (process.env.QBO_BASE_URL ?? SANDBOX_BASE_URL).replace(/\/+$/, ''),
		realmId,
		token: async () => {
			if ((stored!.accessExpiresAt ?? 0) < Date.now()) stored = await refresh();
			return stored!.accessToken!;
		},
	};
}
