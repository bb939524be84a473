/**
 * Who sent a HighLevel delivery. Pure functions over the raw request bytes and headers (node's
 * built-in crypto only), so the trigger node stays thin and these are unit-tested on their own.
 *
 * - Marketplace-app webhooks are signed: `X-GHL-Signature` = base64 Ed25519 signature of the raw
 *   body; until HighLevel retires it (announced for 2026), also `X-WH-Signature` = base64
 *   RSA-SHA256 signature of the same bytes.
 * - Workflow "Custom Webhook" actions are unsigned; the user gives them a secret header
 *   (Bearer / API key header / Basic), which is compared in constant time.
 */
import { createHash, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'crypto';

import type { AuthResult } from './types';

/**
 * HighLevel's Ed25519 webhook key, as published in its Webhook Integration Guide, section
 * "Security: Verifying Webhook Authenticity"
 * (https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide). UNCERTAIN: that
 * section could not be read from here; this text is the one quoted identically, citing that page,
 * by several independent public integrations (scripts/dev/fixtures/highlevel/SOURCES.md).
 * Overridable in the trigger's options (a rotation, or a correction).
 */
export const HIGHLEVEL_ED25519_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----`;

/**
 * HighLevel's RSA key (4096-bit) for the legacy `X-WH-Signature`, verbatim from
 * GoHighLevel/highlevel-api-docs docs/oauth/WebhookAuthentication.md and the "GHL Public Key"
 * block of the Webhook Integration Guide.
 */
export const HIGHLEVEL_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----`;

export type Headers = Record<string, string | string[] | undefined>;

export interface SignatureOptions {
	ed25519Key?: string;
	rsaKey?: string;
	/** Accept the legacy RSA `X-WH-Signature` when no `X-GHL-Signature` came. */
	acceptRsa: boolean;
}

export type SecretAuth =
	| { type: 'bearer'; token: string }
	| { type: 'header'; name: string; value: string }
	| { type: 'basic'; user: string; password: string };

export function header(headers: Headers, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	const first = Array.isArray(value) ? value[0] : value;
	return typeof first === 'string' && first.trim() ? first.trim() : undefined;
}

/** Keys pasted with literal "\n", quotes or without the PEM frame still load. */
export function publicKey(text: string): KeyObject {
	const body = text
		.replace(/\\+n/g, '\n')
		.replace(/["'\\]/g, '')
		.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '')
		.replace(/\s+/g, '');
	return createPublicKey(`-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`);
}

export function isSigned(headers: Headers): boolean {
	return !!(header(headers, 'x-ghl-signature') || header(headers, 'x-wh-signature'));
}

/** Checks a marketplace delivery's signature over the exact bytes received. */
export function verifySignature(
	raw: Buffer,
	headers: Headers,
	options: SignatureOptions,
): AuthResult {
	const ghl = header(headers, 'x-ghl-signature');
	if (ghl) {
		try {
			const ok = verify(
				null,
				raw,
				publicKey(options.ed25519Key?.trim() || HIGHLEVEL_ED25519_PUBLIC_KEY),
				Buffer.from(ghl, 'base64'),
			);
			return ok
				? { ok, via: 'X-GHL-Signature' }
				: { ok, reason: 'X-GHL-Signature does not match the body (Ed25519, HighLevel public key)' };
		} catch (error) {
			return {
				ok: false,
				reason: `X-GHL-Signature could not be checked: ${(error as Error).message}`,
			};
		}
	}
	const wh = header(headers, 'x-wh-signature');
	if (wh) {
		if (!options.acceptRsa)
			return {
				ok: false,
				reason: 'only the legacy X-WH-Signature came and "Accept Legacy RSA Signature" is off',
			};
		try {
			const ok = verify(
				'sha256',
				raw,
				publicKey(options.rsaKey?.trim() || HIGHLEVEL_RSA_PUBLIC_KEY),
				Buffer.from(wh, 'base64'),
			);
			return ok
				? { ok, via: 'X-WH-Signature' }
				: {
						ok,
						reason: 'X-WH-Signature does not match the body (RSA-SHA256, HighLevel public key)',
					};
		} catch (error) {
			return {
				ok: false,
				reason: `X-WH-Signature could not be checked: ${(error as Error).message}`,
			};
		}
	}
	return { ok: false, reason: 'no X-GHL-Signature' };
}

/** Equal strings in time that depends on neither their content nor their lengths. */
export function sameSecret(given: string, expected: string): boolean {
	const a = createHash('sha256').update(given, 'utf8').digest();
	const b = createHash('sha256').update(expected, 'utf8').digest();
	return timingSafeEqual(a, b) && expected.length > 0;
}

/**
 * HighLevel's plain *Webhook* workflow action sends no headers of ours, only the Custom Data the
 * user adds, under `customData` in the body. A Custom Data entry with this key carries the secret.
 */
export const CUSTOM_DATA_SECRET_KEY = 'secret';

function secretValue(auth: SecretAuth): string {
	return auth.type === 'bearer' ? auth.token : auth.type === 'header' ? auth.value : auth.password;
}

/** The secret a plain Webhook action put in its Custom Data, if any. */
export function customDataSecret(body: unknown): string | undefined {
	const data = (body as { customData?: Record<string, unknown> } | undefined)?.customData;
	const value = data && typeof data === 'object' ? data[CUSTOM_DATA_SECRET_KEY] : undefined;
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** The body without the Custom Data secret, so that it never reaches execution data. */
export function withoutCustomDataSecret<T>(body: T): T {
	const data = (body as { customData?: Record<string, unknown> } | undefined)?.customData;
	if (!data || typeof data !== 'object' || !(CUSTOM_DATA_SECRET_KEY in data)) return body;
	const rest = { ...data };
	delete rest[CUSTOM_DATA_SECRET_KEY];
	return { ...(body as object), customData: rest } as T;
}

/**
 * Checks an unsigned workflow delivery: the secret header of a *Custom Webhook* action, or, for the
 * plain *Webhook* action (which cannot send headers), the same secret in its Custom Data.
 */
export function verifySecret(
	headers: Headers,
	auth: SecretAuth | undefined,
	body?: unknown,
): AuthResult {
	if (!auth)
		return {
			ok: false,
			reason:
				'unsigned delivery, and no HighLevel Webhook Secret credential is chosen on the trigger',
		};
	const inCustomData = customDataSecret(body);
	if (inCustomData !== undefined) {
		return sameSecret(inCustomData, secretValue(auth))
			? { ok: true, via: 'secret' }
			: { ok: false, reason: `wrong secret in Custom Data "${CUSTOM_DATA_SECRET_KEY}"` };
	}
	if (auth.type === 'header') {
		const name = auth.name.trim() || 'X-API-Key';
		const given = header(headers, name);
		if (!given) return { ok: false, reason: `unsigned delivery without the ${name} header` };
		return sameSecret(given, auth.value)
			? { ok: true, via: 'secret' }
			: { ok: false, reason: `wrong ${name} header` };
	}
	const authorization = header(headers, 'authorization');
	if (!authorization)
		return { ok: false, reason: 'unsigned delivery without an Authorization header' };
	if (auth.type === 'bearer') {
		const match = /^Bearer\s+(.+)$/i.exec(authorization);
		if (!match) return { ok: false, reason: 'Authorization header is not "Bearer <secret>"' };
		return sameSecret(match[1].trim(), auth.token)
			? { ok: true, via: 'secret' }
			: { ok: false, reason: 'wrong Bearer secret' };
	}
	const match = /^Basic\s+(.+)$/i.exec(authorization);
	if (!match) return { ok: false, reason: 'Authorization header is not "Basic <user:password>"' };
	const expected = Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64');
	return sameSecret(match[1].trim(), expected)
		? { ok: true, via: 'secret' }
		: { ok: false, reason: 'wrong Basic user or password' };
}
