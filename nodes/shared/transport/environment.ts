import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

export const CREDENTIAL_TYPE = 'quickBooksSyncOAuth2Api';

export const API_BASE_URLS = {
	production: 'https://quickbooks.api.intuit.com',
	sandbox: 'https://sandbox-quickbooks.api.intuit.com',
} as const;

export function apiBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	const environment = (credentials.environment as string) ?? 'production';
	if (environment === 'custom') {
		const custom = String(credentials.customBaseUrl ?? '').trim();
		if (!custom)
			throw new Error('The credential uses a custom environment but has no API Base URL');
		return custom.replace(/\/+$/, '');
	}
	return environment === 'sandbox' ? API_BASE_URLS.sandbox : API_BASE_URLS.production;
}

/** Intuit puts the company id on the OAuth callback; n8n stores the callback's query string. */
export function realmIdOf(credentials: ICredentialDataDecryptedObject): string | undefined {
	const tokenData = credentials.oauthTokenData as
		| { callbackQueryString?: { realmId?: unknown } }
		| undefined;
	const realmId = tokenData?.callbackQueryString?.realmId;
	return typeof realmId === 'string' && realmId.trim() ? realmId.trim() : undefined;
}

/** The QuickBooks web app per environment, for links that open a record (see domain/qboLinks). */
export const APP_BASE_URLS = {
	production: 'https://app.qbo.intuit.com',
	sandbox: 'https://app.sandbox.qbo.intuit.com',
} as const;

/**
 * Where links to records point. A custom environment (an emulator or a proxy) has no web app of
 * its own: links are left out unless the credential carries `customAppUrl`.
 */
export function appBaseUrl(credentials: ICredentialDataDecryptedObject): string | undefined {
	const environment = (credentials.environment as string) ?? 'production';
	if (environment === 'custom') {
		const custom = String(credentials.customAppUrl ?? '').trim();
		return custom ? custom.replace(/\/+$/, '') : undefined;
	}
	return environment === 'sandbox' ? APP_BASE_URLS.sandbox : APP_BASE_URLS.production;
}
