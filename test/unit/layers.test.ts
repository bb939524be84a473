/**
 * The layers of nodes/** hold: every import statement (type-only ones too) is checked against the
 * table below. Lower layers never import upper ones:
 *
 *   leaf (shared/types.ts, shared/errors.ts)
 *     ← domain (pure QuickBooks/CRM logic)            ← highlevel (HighLevel bodies → domain model)
 *     ← QuickBooks' word (quickbooks/: faults, wire types) ← recovery.ts ← transport (client, retry, query, …)
 *     ← sync (domain + transport)                     ← n8n glue (transport/n8n.ts)
 *     ← the nodes (QuickBooksSync, QuickBooksSyncTrigger, HighLevelTrigger), which never import each other.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');

type Layer =
	| 'leaf'
	| 'domain'
	| 'highlevel'
	| 'transportBase'
	| 'recovery'
	| 'transport'
	| 'sync'
	| 'glue'
	| 'node'
	| 'credential'
	| 'other';

/** The layer of a repository path (forward slashes, with extension). */
function layerOf(path: string): Layer {
	if (path === 'nodes/shared/types.ts' || path === 'nodes/shared/errors.ts') return 'leaf';
	if (path === 'nodes/shared/recovery.ts') return 'recovery';
	if (path === 'nodes/shared/transport/n8n.ts') return 'glue';
	if (path.startsWith('nodes/shared/quickbooks/')) return 'transportBase';
	if (path.startsWith('nodes/shared/domain/')) return 'domain';
	if (path.startsWith('nodes/shared/highlevel/')) return 'highlevel';
	if (path.startsWith('nodes/shared/transport/')) return 'transport';
	if (path.startsWith('nodes/shared/sync/')) return 'sync';
	if (path.startsWith('nodes/shared/')) return 'other';
	if (path.startsWith('nodes/')) return 'node';
	if (path.startsWith('credentials/')) return 'credential';
	return 'other';
}

/** What each layer may import from nodes/** (besides its own layer). */
const MAY_IMPORT: Record<Layer, Layer[]> = {
	leaf: [],
	domain: ['leaf'],
	highlevel: ['leaf', 'domain'],
	transportBase: ['leaf'],
	recovery: ['leaf', 'transportBase'],
	transport: ['leaf', 'transportBase', 'recovery'],
	sync: ['leaf', 'domain', 'transportBase', 'recovery', 'transport'],
	glue: ['leaf', 'transportBase', 'recovery', 'transport'],
	node: ['leaf', 'domain', 'highlevel', 'transportBase', 'recovery', 'transport', 'sync', 'glue'],
	credential: [],
	other: [],
};

/** Layers that stay free of n8n: no import of n8n-workflow at all (transport may import its types only). */
const NO_N8N: Layer[] = ['leaf', 'domain', 'highlevel', 'transportBase', 'recovery', 'sync'];
const N8N_TYPES_ONLY: Layer[] = ['transport'];

/**
 * Imports the table forbids but that stay until the operations under nodes/QuickBooksSync/actions/
 * import from the new place. Each must still exist (a stale entry fails too).
 */
const COMPAT_EXCEPTIONS: Array<{ from: string; to: string; why: string }> = [];

interface Import {
	from: string;
	specifier: string;
	/** Repository path of a relative import, with extension; undefined for packages. */
	to?: string;
	typeOnly: boolean;
}

function resolveImport(from: string, specifier: string): string | undefined {
	if (!specifier.startsWith('.')) return undefined;
	const base = relative(ROOT, resolve(ROOT, dirname(from), specifier))
		.split('\\')
		.join('/');
	for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
		try {
			if (statSync(join(ROOT, candidate)).isFile()) return candidate;
		} catch {
			// try the next form
		}
	}
	return `${base}.ts`;
}

/** Every module a file imports: import and export declarations, require() and import(). */
export function importsOf(path: string, source: string): Import[] {
	const file = ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, true);
	const found: Import[] = [];
	const add = (specifier: string, typeOnly: boolean) =>
		found.push({ from: path, specifier, to: resolveImport(path, specifier), typeOnly });
	const visit = (node: ts.Node) => {
		if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
			const clause = node.importClause;
			const allTypes =
				!!clause &&
				(clause.isTypeOnly ||
					(!clause.name &&
						!!clause.namedBindings &&
						ts.isNamedImports(clause.namedBindings) &&
						clause.namedBindings.elements.length > 0 &&
						clause.namedBindings.elements.every((e) => e.isTypeOnly)));
			add(node.moduleSpecifier.text, allTypes);
		} else if (
			ts.isExportDeclaration(node) &&
			node.moduleSpecifier &&
			ts.isStringLiteral(node.moduleSpecifier)
		) {
			add(node.moduleSpecifier.text, node.isTypeOnly);
		} else if (
			ts.isImportEqualsDeclaration(node) &&
			ts.isExternalModuleReference(node.moduleReference) &&
			ts.isStringLiteral(node.moduleReference.expression)
		) {
			add(node.moduleReference.expression.text, node.isTypeOnly);
		} else if (
			ts.isCallExpression(node) &&
			(node.expression.kind === ts.SyntaxKind.ImportKeyword ||
				(ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
			node.arguments.length === 1 &&
			ts.isStringLiteral(node.arguments[0])
		) {
			add(node.arguments[0].text, false);
		}
		ts.forEachChild(node, visit);
	};
	visit(file);
	return found;
}

/** Node directory of a path under nodes/ (QuickBooksSync, …), or undefined for nodes/shared. */
function nodeDir(path: string): string | undefined {
	const dir = path.split('/')[1];
	return path.startsWith('nodes/') && dir !== 'shared' ? dir : undefined;
}

/** Why an import breaks the layers, or undefined when it is allowed. */
export function violation(imp: Import): string | undefined {
	const fromLayer = layerOf(imp.from);
	if (imp.to === undefined) {
		const n8n = imp.specifier === 'n8n-workflow' || imp.specifier.startsWith('n8n-workflow/');
		if (n8n && NO_N8N.includes(fromLayer)) return `${fromLayer} must not import n8n-workflow`;
		if (n8n && N8N_TYPES_ONLY.includes(fromLayer) && !imp.typeOnly)
			return `${fromLayer} may import only types from n8n-workflow`;
		return undefined;
	}
	if (!imp.to.startsWith('nodes/') && !imp.to.startsWith('credentials/'))
		return `nodes import nothing outside nodes/ (${imp.to})`;
	const toLayer = layerOf(imp.to);
	if (fromLayer === 'node' && toLayer === 'node') {
		return nodeDir(imp.from) === nodeDir(imp.to)
			? undefined
			: `node ${nodeDir(imp.from)} must not import node ${nodeDir(imp.to)}`;
	}
	if (toLayer === fromLayer && fromLayer !== 'other') return undefined;
	if (MAY_IMPORT[fromLayer].includes(toLayer)) return undefined;
	return `${fromLayer} must not import ${toLayer}`;
}

function sourceFiles(dir: string): string[] {
	return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
		const path = `${dir}/${entry.name}`;
		if (entry.isDirectory()) return sourceFiles(path);
		return entry.name.endsWith('.ts') ? [path] : [];
	});
}

const files = [...sourceFiles('nodes'), ...sourceFiles('credentials')];
const imports = files.flatMap((path) => importsOf(path, readFileSync(join(ROOT, path), 'utf8')));
const isException = (imp: Import) =>
	COMPAT_EXCEPTIONS.some((e) => e.from === imp.from && e.to === imp.to);

describe('layers', () => {
	test('every import of nodes/** and credentials/** keeps to the layer table', () => {
		const broken = imports
			.filter((imp) => !isException(imp))
			.map((imp) => ({ imp, why: violation(imp) }))
			.filter((v) => v.why)
			.map((v) => `${v.imp.from} imports '${v.imp.specifier}': ${v.why}`);
		expect(broken).toEqual([]);
	});

	test('each compatibility exception is still needed (delete it once the operations import from the new place)', () => {
		for (const exception of COMPAT_EXCEPTIONS) {
			const imp = imports.find((i) => i.from === exception.from && i.to === exception.to);
			expect({ exception: exception.from, found: !!imp }).toEqual({
				exception: exception.from,
				found: true,
			});
			expect(violation(imp!)).toBeDefined();
		}
	});

	test('every file has a layer and the scanner sees the imports', () => {
		expect(files.filter((f) => layerOf(f) === 'other')).toEqual([]);
		expect(imports.length).toBeGreaterThan(100);
		expect(
			imports.some(
				(i) =>
					i.from === 'nodes/shared/sync/receiptsBatch.ts' && i.to === 'nodes/shared/recovery.ts',
			),
		).toBe(true);
	});

	test('upward and sideways imports are caught', () => {
		const check = (from: string, source: string) => importsOf(from, source).map(violation);
		expect(
			check('nodes/shared/domain/x.ts', "import type { QboClient } from '../transport/client';"),
		).toEqual(['domain must not import transport']);
		expect(check('nodes/shared/domain/x.ts', "export { a } from '../highlevel/toCrm';")).toEqual([
			'domain must not import highlevel',
		]);
		expect(check('nodes/shared/domain/x.ts', "import type { INode } from 'n8n-workflow';")).toEqual(
			['domain must not import n8n-workflow'],
		);
		expect(
			check(
				'nodes/shared/sync/x.ts',
				"import { router } from '../../QuickBooksSync/actions/router';",
			),
		).toEqual(['sync must not import node']);
		expect(
			check('nodes/shared/sync/x.ts', "import { toNodeError } from '../transport/n8n';"),
		).toEqual(['sync must not import glue']);
		expect(
			check('nodes/shared/transport/client.ts', "import { round2 } from '../domain/money';"),
		).toEqual(['transport must not import domain']);
		expect(
			check('nodes/shared/transport/client.ts', "import { sleep } from 'n8n-workflow';"),
		).toEqual(['transport may import only types from n8n-workflow']);
		expect(
			check('nodes/shared/recovery.ts', "import { QboClient } from './transport/client';"),
		).toEqual(['recovery must not import transport']);
		expect(check('nodes/shared/highlevel/x.ts', "const q = require('../sync/items');")).toEqual([
			'highlevel must not import sync',
		]);
		expect(
			check('nodes/shared/types.ts', "import type { Person } from './domain/customerMatch';"),
		).toEqual(['leaf must not import domain']);
		expect(
			check(
				'nodes/QuickBooksSyncTrigger/poll.ts',
				"import { router } from '../QuickBooksSync/actions/router';",
			),
		).toEqual(['node QuickBooksSyncTrigger must not import node QuickBooksSync']);
		expect(
			check(
				'nodes/QuickBooksSync/actions/x.ts',
				"import { syncInvoice } from '../../shared/sync/invoices';",
			),
		).toEqual([undefined]);
	});
});
