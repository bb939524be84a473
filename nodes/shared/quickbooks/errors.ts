/**
 * QuickBooks faults as plain data. The transport throws `QboError` only for what QuickBooks said (a
 * Fault body, an HTTP error status) or for a connection that got no answer (kind "network"); the
 * n8n glue shows the first as a NodeApiError, the second as a NodeOperationError (see ../transport/n8n.ts and
 * ../errors.ts for the other two error classes). Kept free of n8n types so it is unit-testable.
 */

export interface QboFaultDetail {
	code: string;
	message: string;
	detail?: string;
	element?: string;
}

export type QboErrorKind =
	| 'fault' // QuickBooks answered with a Fault body or a 4xx status
	| 'throttled' // 429 / fault 3001
	| 'server' // 5xx without a usable fault
	| 'network'; // reset, refused, timeout: no answer at all

export class QboError extends Error {
	readonly kind: QboErrorKind;
	readonly httpStatus?: number;
	readonly code?: string;
	readonly detail?: string;
	readonly element?: string;
	readonly intuitTid?: string;
	readonly faults: QboFaultDetail[];
	readonly retryAfterMs?: number;

	constructor(
		message: string,
		init: {
			kind: QboErrorKind;
			httpStatus?: number;
			faults?: QboFaultDetail[];
			intuitTid?: string;
			retryAfterMs?: number;
			cause?: unknown;
		},
	) {
		super(message);
		this.name = 'QboError';
		this.kind = init.kind;
		this.httpStatus = init.httpStatus;
		this.faults = init.faults ?? [];
		this.code = this.faults[0]?.code;
		this.detail = this.faults[0]?.detail;
		this.element = this.faults[0]?.element;
		this.intuitTid = init.intuitTid;
		this.retryAfterMs = init.retryAfterMs;
		if (init.cause !== undefined) (this as { cause?: unknown }).cause = init.cause;
	}

	hasCode(...codes: string[]): boolean {
		return this.faults.some((f) => codes.includes(f.code));
	}
}

/** QBO fault codes this package reacts to. */
export const FaultCode = {
	NotFound: '610',
	RequiredParam: '2020',
	Throttled: '3001',
	AuthFailed: '3200',
	QueryParse: '4000',
	StaleObject: '5010',
	BusinessRule: '6000',
	DuplicateDocNumber: '6140',
	DuplicateName: '6240',
} as const;

const HUMAN_BY_CODE: Record<string, string> = {
	[FaultCode.NotFound]: 'QuickBooks could not find the record',
	[FaultCode.RequiredParam]: 'QuickBooks is missing a required field',
	[FaultCode.Throttled]: 'QuickBooks is throttling requests (rate limit reached)',
	[FaultCode.AuthFailed]: 'QuickBooks rejected the access token',
	[FaultCode.QueryParse]: 'QuickBooks could not parse the query',
	[FaultCode.StaleObject]: 'The QuickBooks record was changed by someone else',
	[FaultCode.BusinessRule]: 'QuickBooks refused the change (business rule)',
	[FaultCode.DuplicateDocNumber]: 'A QuickBooks transaction with this number already exists',
	[FaultCode.DuplicateName]:
		'The name is already used by another QuickBooks customer, vendor or employee',
};

type Headers = Record<string, string | string[] | undefined>;

export function headerValue(headers: Headers | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
	}
	return undefined;
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
	if (!value) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function str(value: unknown): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	return String(value);
}

/** Reads every fault shape QuickBooks sends: `Fault.Error[]`, lower-case `fault.error[]`, XML. */
export function extractFaults(body: unknown): QboFaultDetail[] {
	if (typeof body === 'string') {
		const trimmed = body.trim();
		if (trimmed.startsWith('{')) {
			try {
				return extractFaults(JSON.parse(trimmed));
			} catch {
				return [];
			}
		}
		return extractXmlFaults(trimmed);
	}
	if (!body || typeof body !== 'object') return [];
	const record = body as Record<string, unknown>;
	const fault = (record.Fault ?? record.fault) as Record<string, unknown> | undefined;
	if (!fault || typeof fault !== 'object') return [];
	const errors = (fault.Error ?? fault.error) as unknown;
	if (!Array.isArray(errors)) return [];
	return errors.map((raw: Record<string, unknown>) => ({
		code: str(raw.code ?? raw.Code) ?? 'unknown',
		message: str(raw.Message ?? raw.message) ?? 'Unknown QuickBooks error',
		detail: str(raw.Detail ?? raw.detail),
		element: str(raw.element ?? raw.Element),
	}));
}

function xmlText(xml: string, tag: string): string | undefined {
	const match = new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'i').exec(xml);
	return match ? decodeXml(match[1].trim()) : undefined;
}

function decodeXml(text: string): string {
	return text
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&amp;/g, '&');
}

function extractXmlFaults(xml: string): QboFaultDetail[] {
	if (!/<Fault[\s>]/i.test(xml)) return [];
	const faults: QboFaultDetail[] = [];
	const errorRe = /<Error([^>]*)>([\s\S]*?)<\/Error>/gi;
	let match: RegExpExecArray | null;
	while ((match = errorRe.exec(xml)) !== null) {
		const attrs = match[1];
		const inner = match[2];
		faults.push({
			code: /code="([^"]*)"/i.exec(attrs)?.[1] ?? 'unknown',
			message: xmlText(inner, 'Message') ?? 'Unknown QuickBooks error',
			detail: xmlText(inner, 'Detail'),
			element: /element="([^"]*)"/i.exec(attrs)?.[1] || undefined,
		});
	}
	return faults;
}

export function humanMessage(faults: QboFaultDetail[], httpStatus?: number): string {
	const first = faults[0];
	if (first) {
		const lead = HUMAN_BY_CODE[first.code] ?? `QuickBooks error ${first.code}`;
		const reason = first.detail && first.detail !== first.message ? first.detail : first.message;
		return `${lead}: ${reason}`;
	}
	if (httpStatus === 429) return HUMAN_BY_CODE[FaultCode.Throttled];
	if (httpStatus && httpStatus >= 500) return `QuickBooks is unavailable (HTTP ${httpStatus})`;
	return `QuickBooks answered HTTP ${httpStatus ?? '?'}`;
}

/** Turns a non-2xx response, or a 2xx one that carries a Fault, into a QboError. */
export function faultFromResponse(
	status: number,
	headers: Headers | undefined,
	body: unknown,
	nowMs: number,
): QboError {
	const faults = extractFaults(body);
	const throttled = status === 429 || faults.some((f) => f.code === FaultCode.Throttled);
	const kind: QboErrorKind = throttled
		? 'throttled'
		: faults.length === 0 && status >= 500
			? 'server'
			: 'fault';
	return new QboError(humanMessage(faults, status), {
		kind,
		httpStatus: status,
		faults,
		intuitTid: headerValue(headers, 'intuit_tid'),
		retryAfterMs: parseRetryAfter(headerValue(headers, 'retry-after'), nowMs),
	});
}

const NETWORK_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'UND_ERR_SOCKET',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Finds a socket-level error code anywhere in an error's cause chain. */
export function networkErrorCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		// n8n's NodeApiError keeps a socket error's code as httpCode (and drops the cause).
		for (const code of [
			(current as { code?: unknown }).code,
			(current as { httpCode?: unknown }).httpCode,
		]) {
			if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
		}
		if (/socket hang up/i.test(String((current as { message?: unknown }).message))) {
			return 'ECONNRESET';
		}
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}
