import { countQuery, likePattern, literal, selectQuery } from '../../nodes/shared/transport/query';
import { parseQuery } from '../../scripts/dev/emulator/qbo/query';

/** Deterministic pseudo-random generator so a failure can be replayed. */
function rng(seed: number) {
	return () => {
		seed = (seed * 1103515245 + 12345) & 0x7fffffff;
		return seed / 0x7fffffff;
	};
}

const ALPHABET = [
	"'",
	'\\',
	'%',
	'"',
	' ',
	'a',
	'Z',
	'0',
	'(',
	')',
	',',
	'=',
	'é',
	'ß',
	'中',
	'😀',
	'\u202e',
	'\n',
	'\t',
	"\\'",
	'AND',
	'OR',
	'--',
];

function randomString(next: () => number): string {
	const length = Math.floor(next() * 24);
	let out = '';
	for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
	return out;
}

describe('query builder', () => {
	test('no user value can leave its string literal (5,000 random strings)', () => {
		const next = rng(42);
		for (let i = 0; i < 5000; i++) {
			const value = randomString(next);
			const other = randomString(next);
			const sql = selectQuery({
				entity: 'Customer',
				where: [
					{ field: 'DisplayName', op: '=', value },
					{ field: 'CompanyName', op: 'IN', value: [other, value] },
				],
				includeInactive: true,
				maxResults: 10,
			});
			const parsed = parseQuery(sql);
			const expected = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, ' ');
			expect(parsed.entity).toBe('Customer');
			expect(parsed.where).toHaveLength(3);
			expect(parsed.where[0]).toEqual({ field: 'DisplayName', op: '=', values: [expected(value)] });
			expect(parsed.where[1]).toEqual({
				field: 'CompanyName',
				op: 'IN',
				values: [expected(other), expected(value)],
			});
			expect(parsed.where[2]).toEqual({ field: 'Active', op: 'IN', values: [true, false] });
			expect(parsed.maxResults).toBe(10);
		}
	});

	test('an apostrophe e-mail is quoted as QuickBooks expects', () => {
		expect(literal("o'brien@example.com")).toBe("'o\\'brien@example.com'");
		expect(
			selectQuery({
				entity: 'Customer',
				where: [{ field: 'PrimaryEmailAddr', op: '=', value: "o'brien@example.com" }],
			}),
		).toBe("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'o\\'brien@example.com'");
	});

	test('field and entity names cannot carry query text', () => {
		expect(() => selectQuery({ entity: 'Customer WHERE Id = 1', where: [] })).toThrow(
			/Invalid QuickBooks field name/,
		);
		expect(() =>
			selectQuery({ entity: 'Customer', where: [{ field: "Id = '1' OR", op: '=', value: 1 }] }),
		).toThrow(/Invalid QuickBooks field name/);
		expect(() => selectQuery({ entity: 'Customer', orderBy: 'Id; DROP' })).toThrow();
	});

	test('LIKE patterns drop the user’s % (QuickBooks cannot escape it)', () => {
		expect(likePattern('50% off', 'startsWith')).toBe('50 off%');
		expect(likePattern("Bob's", 'contains')).toBe("%Bob's%");
	});

	test('paging, ordering and count', () => {
		expect(
			selectQuery({
				entity: 'Invoice',
				orderBy: 'MetaData.LastUpdatedTime desc',
				startPosition: 1001,
				maxResults: 5000,
			}),
		).toBe(
			'SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime DESC STARTPOSITION 1001 MAXRESULTS 1000',
		);
		expect(
			countQuery({ entity: 'Customer', where: [{ field: 'Balance', op: '>', value: 0 }] }),
		).toBe("SELECT count(*) FROM Customer WHERE Balance > '0'");
		expect(() => literal(Number.NaN)).toThrow();
	});

	test('numbers are quoted: QuickBooks parses no bare integer as a value (qbo_api#37)', () => {
		const sql = selectQuery({
			entity: 'Invoice',
			where: [
				{ field: 'Balance', op: '=', value: 0 },
				{ field: 'Id', op: 'IN', value: [1, 22] },
				{ field: 'TotalAmt', op: '>', value: 12.5 },
			],
		});
		expect(sql).toBe(
			"SELECT * FROM Invoice WHERE Balance = '0' AND Id IN ('1', '22') AND TotalAmt > '12.5'",
		);
		expect(() => parseQuery('SELECT * FROM Invoice WHERE Balance = 0')).toThrow(/INTEGER/);
		expect(parseQuery(sql).where.map((c) => c.values)).toEqual([['0'], ['1', '22'], ['12.5']]);
	});
});
