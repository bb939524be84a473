/** The demo and the emulators under scripts/ run without the test suite: they never import from test/. */
import { readFileSync, readdirSync, statSync } from 'fs';
import { join, relative, resolve } from 'path';

const ROOT = resolve(__dirname, '../..');

function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
	});
}

test('no file under scripts/ imports from test/', () => {
	const offenders = tsFiles(join(ROOT, 'scripts')).flatMap((file) =>
		[...readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)]
			.map((m) => relative(ROOT, resolve(file, '..', m[1])))
			.filter((target) => target.startsWith('test/'))
			.map((target) => `${relative(ROOT, file)} → ${target}`),
	);
	expect(offenders).toEqual([]);
});
