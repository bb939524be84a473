// The top-level domain is letters, or an internationalized one in its ASCII form (".xn--p1ai" is ".рф").
const EMAIL =
	/^[^\s@'"<>(),;:]+(?:'[^\s@'"<>(),;:]+)*@[^\s@'"<>(),;:]+\.(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)$/;

/** Trimmed, lower-cased e-mail, or undefined if it is missing or malformed. */
export function normalizeEmail(raw: unknown): string | undefined {
	if (typeof raw !== 'string') return undefined;
	const email = raw.trim().toLowerCase();
	return EMAIL.test(email) ? email : undefined;
}

export function describeEmailProblem(raw: unknown): string {
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
		return 'is missing';
	}
	return `is not a valid e-mail address: ${JSON.stringify(raw)}`;
}

/**
 * Every valid address in a QuickBooks e-mail field, normalized. QuickBooks lets PrimaryEmailAddr
 * hold several addresses separated by commas (100 characters in all); a customer matches any of them.
 */
export function emailsIn(raw: unknown): string[] {
	if (typeof raw !== 'string') return [];
	return [
		...new Set(
			raw
				.split(/[,;]/)
				.map(normalizeEmail)
				.filter((e): e is string => Boolean(e)),
		),
	];
}

/** The address as the CRM wrote it (trimmed, case kept), when it is a valid one. */
export function emailAsWritten(raw: unknown): string | undefined {
	return normalizeEmail(raw) ? String(raw).trim() : undefined;
}
