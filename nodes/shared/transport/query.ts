/**
 * A small builder for the QuickBooks query language. Every value goes through `literal`, so no
 * user data can end a string early or add a condition.
 */

export type Scalar = string | number | boolean | Date;
export type Operator = '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';

export interface Condition {
	field: string;
	op: Operator;
	value: Scalar | Scalar[];
}

export interface QuerySpec {
	entity: string;
	where?: Condition[];
	/** Include inactive records (QBO returns active ones only by default). */
	includeInactive?: boolean;
	orderBy?: string;
	startPosition?: number;
	maxResults?: number;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;
export const MAX_PAGE_SIZE = 1000;

function identifier(name: string): string {
	if (!IDENTIFIER.test(name)) throw new Error(`Invalid QuickBooks field name: ${name}`);
	return name;
}

/** Quotes a string for a QBO query: backslash and quote are escaped; control characters dropped. */
export function quote(value: string): string {
	const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
	return `'${cleaned.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function literal(value: Scalar): string {
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new Error(`Invalid number in QuickBooks query: ${value}`);
		// Quoted: QuickBooks' query parser takes no bare integer as a value
		// (https://github.com/minimul/qbo_api/issues/37); Intuit's examples quote amounts (`Balance > '0.0'`).
		return quote(String(value));
	}
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (value instanceof Date) return quote(value.toISOString());
	return quote(value);
}

/** QBO's LIKE knows only `%` and cannot escape it, so a user's `%` is removed from the pattern. */
export function likePattern(text: string, mode: 'startsWith' | 'contains' | 'endsWith'): string {
	const safe = text.replace(/%/g, '');
	if (mode === 'startsWith') return `${safe}%`;
	if (mode === 'endsWith') return `%${safe}`;
	return `%${safe}%`;
}

function condition(c: Condition): string {
	const field = identifier(c.field);
	if (c.op === 'IN') {
		const values = Array.isArray(c.value) ? c.value : [c.value];
		if (values.length === 0) throw new Error(`IN needs at least one value for ${field}`);
		return `${field} IN (${values.map(literal).join(', ')})`;
	}
	if (Array.isArray(c.value)) throw new Error(`Operator ${c.op} takes one value for ${field}`);
	return `${field} ${c.op} ${literal(c.value)}`;
}

function whereClause(spec: QuerySpec): string {
	const conditions = (spec.where ?? []).map(condition);
	if (spec.includeInactive && !(spec.where ?? []).some((c) => c.field === 'Active')) {
		conditions.push('Active IN (true, false)');
	}
	return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
}

export function selectQuery(spec: QuerySpec): string {
	let sql = `SELECT * FROM ${identifier(spec.entity)}${whereClause(spec)}`;
	if (spec.orderBy) {
		const [field, direction] = spec.orderBy.trim().split(/\s+/);
		const dir = (direction ?? 'ASC').toUpperCase();
		if (dir !== 'ASC' && dir !== 'DESC') throw new Error(`Invalid sort direction: ${direction}`);
		sql += ` ORDERBY ${identifier(field)} ${dir}`;
	}
	if (spec.startPosition !== undefined)
		sql += ` STARTPOSITION ${Math.max(1, Math.floor(spec.startPosition))}`;
	if (spec.maxResults !== undefined) {
		sql += ` MAXRESULTS ${Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(spec.maxResults)))}`;
	}
	return sql;
}

export function countQuery(spec: Pick<QuerySpec, 'entity' | 'where' | 'includeInactive'>): string {
	return `SELECT count(*) FROM ${identifier(spec.entity)}${whereClause(spec)}`;
}
