/**
 * For the real-path benchmark only: a `--require` preload for the real n8n process that sends
 * the hosts n8n's built-in QuickBooks credential hard-codes (API, sandbox API, token endpoint) to
 * the emulator, with the same socket-level rerouting the in-process benchmarks use
 * (`intuitHostShim.ts`). n8n runs plain JavaScript, so both files are transpiled into a
 * temporary folder and n8n is started with NODE_OPTIONS="--require <folder>/preload.js".
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import ts from 'typescript';

export const TARGET_ENV = 'QBSYNC_BENCH_INTUIT_TARGET';
export const TOKEN_HOST = 'oauth.platform.intuit.com';

/** Writes the preload into `dir`; returns the environment that makes n8n load it. */
export function intuitHostPreload(dir: string, emulatorUrl: string): Record<string, string> {
	mkdirSync(dir, { recursive: true });
	const shim = ts.transpileModule(readFileSync(join(__dirname, 'intuitHostShim.ts'), 'utf8'), {
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
		},
	}).outputText;
	writeFileSync(join(dir, 'intuitHostShim.js'), shim);
	const preload = join(dir, 'preload.js');
	writeFileSync(
		preload,
		[
			'// Benchmark only: Intuit hosts → the QuickBooks emulator (see test/bench/intuitHostPreload.ts).',
			`const target = process.env.${TARGET_ENV};`,
			`if (target) require('./intuitHostShim.js').routeIntuitHostsTo(target, [${JSON.stringify(TOKEN_HOST)}]);`,
			'',
		].join('\n'),
	);
	const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
	return { NODE_OPTIONS: `${inherited}--require ${preload}`, [TARGET_ENV]: emulatorUrl };
}
