/**
 * Looks for secret values in text, in the forms they leak in: as written, URL-encoded, inside
 * base64 (an `Authorization: Basic` header, a JSON or job blob encoded once more) and, for long
 * random tokens, a 16-character slice (a token cut short in a log line still leaks most of it).
 */

export interface Secret {
	/** What it is, for the report (never the value). */
	name: string;
	value: string;
	/** Random enough that a slice of it cannot occur by chance (tokens; not a readable phrase). */
	random?: boolean;
}

export interface Needle {
	secret: string;
	form: string;
	text: string;
}

export interface Leak {
	secret: string;
	form: string;
	/** Where it was found (a process, a table, a Redis key, …). */
	where: string;
	/** The text around it, with the needle itself masked. */
	context: string;
}

/**
 * The base64 text that stands for `value` wherever it sits in the encoded bytes: one form per
 * alignment (0, 1 or 2 bytes before it), without the edge characters that depend on its neighbours.
 */
export function base64Cores(value: string): string[] {
	const bytes = Buffer.from(value, 'utf8');
	const cores: string[] = [];
	for (let shift = 0; shift < 3; shift++) {
		const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
		const start = Math.ceil((shift * 4) / 3);
		const end = Math.floor(((shift + bytes.length) * 4) / 3);
		const core = encoded.slice(start, end);
		if (core.length >= 8) cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
	}
	return [...new Set(cores)];
}

/** Every form of every secret to look for. */
export function needles(secrets: Secret[]): Needle[] {
	const out = new Map<string, Needle>();
	const add = (secret: string, form: string, text: string) => {
		if (text.length >= 8 && !out.has(text)) out.set(text, { secret, form, text });
	};
	for (const { name, value, random } of secrets) {
		add(name, 'plain', value);
		add(name, 'url-encoded', encodeURIComponent(value));
		for (const core of base64Cores(value)) add(name, 'base64', core);
		if (random && value.length >= 24) add(name, 'slice', value.slice(4, 20));
	}
	return [...out.values()];
}

/** Searches `text` for every needle; `where` names the source in the report. */
export function findLeaks(text: string, where: string, list: Needle[]): Leak[] {
	const leaks: Leak[] = [];
	for (const needle of list) {
		const at = text.indexOf(needle.text);
		if (at < 0) continue;
		const context = text
			.slice(Math.max(0, at - 120), at + needle.text.length + 120)
			.split(needle.text)
			.join(`<${needle.secret}>`);
		leaks.push({ secret: needle.secret, form: needle.form, where, context });
	}
	return leaks;
}
