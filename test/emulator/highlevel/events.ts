/**
 * Posts HighLevel webhook bodies to a URL, signed the way HighLevel signs them: an Ed25519
 * signature of the raw body in X-GHL-Signature (base64), and a webhookId + timestamp in the body.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'crypto';

export interface SignedSender {
	publicKeyPem: string;
	privateKeyPem: string;
	post(url: string, body: Record<string, unknown>, options?: { webhookId?: string; timestamp?: string; badSignature?: boolean }): Promise<{ status: number; body: string }>;
}

/** A sender with a new key pair, or with the key of an earlier one (`privateKeyPem`). */
export function createEventSender(privateKeyPem?: string): SignedSender {
	const privateKey: KeyObject = privateKeyPem ? createPrivateKey(privateKeyPem) : generateKeyPairSync('ed25519').privateKey;
	const publicKey = createPublicKey(privateKey);
	return {
		publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
		privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
		async post(url, body, options = {}) {
			const payload = { ...body, webhookId: options.webhookId ?? randomUUID(), timestamp: options.timestamp ?? new Date().toISOString() };
			const raw = JSON.stringify(payload);
			const signature = options.badSignature ? Buffer.alloc(64, 7).toString('base64') : sign(null, Buffer.from(raw), privateKey).toString('base64');
			const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-GHL-Signature': signature }, body: raw });
			return { status: res.status, body: await res.text() };
		},
	};
}
