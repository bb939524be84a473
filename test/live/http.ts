/**
 * A bare QuickBooks Online v3 client for the contract suite: plain fetch, no code of the package,
 * so the checks say what QuickBooks (or the emulator) does, not what our transport makes of it.
 */

export interface ContractEnv {
	/** Shown in test names: "emulator (custom numbers on)", "Intuit sandbox". */
	label: string;
	/** API base without a trailing slash, e.g. https://sandbox-quickbooks.api.intuit.com */
	baseUrl: string;
	realmId: string;
	/** A valid access token (refreshed by the caller when needed). */
	token: () => Promise<string>;
}

export interface Reply {
	status: number;
	body: any;
	text: string;
	tid: string | null;
}

export interface CallOptions {
	body?: unknown;
	/** Sent as is (with the given Content-Type), instead of JSON. */
	rawBody?: string;
	query?: Record<string, string>;
	headers?: Record<string, string>;
}

export class QboHttp {
	constructor(readonly env: ContractEnv) {}

	async call(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<Reply> {
		const url = new URL(
			`${this.env.baseUrl}/v3/company/${encodeURIComponent(this.env.realmId)}/${path}`,
		);
		url.searchParams.set('minorversion', '75');
		for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
		const headers: Record<string, string> = {
			Authorization: `Bearer ${await this.env.token()}`,
			Accept: 'application/json',
			...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
			...options.headers,
		};
		// Intuit throttles sandbox companies harder than production (100 requests per minute per app,
		// as Intuit staff quote it in https://github.com/ej2/python-quickbooks/issues/83): wait on 429.
		let res: Response;
		for (let attempt = 1; ; attempt++) {
			res = await fetch(url, {
				method,
				headers,
				body:
					options.rawBody ??
					(options.body !== undefined ? JSON.stringify(options.body) : undefined),
			});
			if (res.status !== 429 || attempt >= 4) break;
			await res.text();
			await sleep(Math.max(Number(res.headers.get('retry-after') ?? 0) * 1000, 15_000));
		}
		const text = await res.text();
		let body: any = text;
		try {
			body = JSON.parse(text);
		} catch {
			// XML or empty: keep the text
		}
		return { status: res.status, body, text, tid: res.headers.get('intuit_tid') };
	}

	get(path: string, query?: Record<string, string>) {
		return this.call('GET', path, { query });
	}

	post(path: string, body: unknown, query?: Record<string, string>) {
		return this.call('POST', path, { body, query });
	}

	query(text: string) {
		return this.call('GET', 'query', { query: { query: text } });
	}

	async preferences(): Promise<Record<string, any>> {
		const reply = await this.get('preferences');
		if (reply.status !== 200)
			throw new Error(`GET /preferences answered ${reply.status}: ${reply.text.slice(0, 300)}`);
		return reply.body.Preferences;
	}
}

/** The first fault's code (upper- or lower-case shape), if any. */
export function faultCode(reply: Reply): string | undefined {
	return reply.body?.Fault?.Error?.[0]?.code ?? reply.body?.fault?.error?.[0]?.code;
}

export function faultText(reply: Reply): string {
	const error = reply.body?.Fault?.Error?.[0] ?? reply.body?.fault?.error?.[0];
	return error
		? `${error.code} ${error.Message ?? error.message}: ${error.Detail ?? error.detail}`
		: reply.text.slice(0, 300);
}

/** Short unique suffix for names and numbers (DocNumber ≤ 21 characters). */
export function unique(): string {
	return `${Date.now().toString(36).slice(-6)}${Math.random().toString(36).slice(2, 6)}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
