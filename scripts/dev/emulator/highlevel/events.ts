/**
 * LEGACY sender kept for the current e2e suite: signs compact `JSON.stringify` output with Ed25519
 * (X-GHL-Signature) and adds webhookId + timestamp to EVERY body, workflow bodies included, which
 * HighLevel does not do. New tests use `createMarketplaceSender` (signed, non-compact bytes, 429-only
 * retries) and `createWorkflowSender` (unsigned) from ./delivery, re-exported here.
 */
import {
	createPrivateKey,
	createPublicKey,
	generateKeyPairSync,
	randomUUID,
	sign,
	type KeyObject,
} from 'crypto';

export interface SignedSender {
	publicKeyPem: string;
	privateKeyPem: string;
	post(
		url: string,
		body: Record<string, unknown>,
		options?: { webhookId?: string; timestamp?: string; badSignature?: boolean },
	): Promise<{ status: number; body: string }>;
}

/** A sender with a new key pair, or with the key of an earlier one (`privateKeyPem`). */
export function createEventSender(privateKeyPem?: string): SignedSender {
	const privateKey: KeyObject = privateKeyPem
		? createPrivateKey(privateKeyPem)
		: generateKeyPairSync('ed25519').privateKey;
	const publicKey = createPublicKey(privateKey);
	return {
		publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		async post(url, body, options = {}) {
			const payload = {
				...body,
				webhookId: options.webhookId ?? randomUUID(),
				timestamp: options.timestamp ?? new Date().toISOString(),
			};
			const raw = JSON.stringify(payload);
			const signature = options.badSignature
				? Buffer.alloc(64, 7).toString('base64')
				: sign(null, Buffer.from(raw), privateKey).toString('base64');
			const res = await fetch(url, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'X-GHL-Signature': signature },
				body: raw,
			});
			return { status: res.status, body: await res.text() };
		},
	};
}

export * from './delivery';
