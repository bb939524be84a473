const EMAIL = /^[^\s@'"<>(),;:]+(?:'[^\s@'"<>(),;:]+)*@[^\s@'"<>(),;:]+\.[A-Za-z]{2,}$/;

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
