/**
 * A real n8n (the pinned release, on Node 22) with this package installed the way n8n loads
 * community packages: extracted from `npm pack` into <user folder>/.n8n/nodes/node_modules.
 * Used by the end-to-end suite and by `npm start`.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

export const REPO = resolve(__dirname, '../..');

export interface N8nOptions {
	port?: number;
	userFolder?: string;
	/** Keep the user folder after stop (npm start). */
	keep?: boolean;
	log?: (line: string) => void;
	/** Extra environment for the n8n process and its CLI (e.g. the benchmark's NODE_OPTIONS). */
	env?: Record<string, string>;
	/**
	 * What this process is in queue mode: the main instance (`n8n start`, the default), a worker
	 * (`n8n worker`, health server on `port`) or a webhook process (`n8n webhook`).
	 */
	role?: 'main' | 'worker' | 'webhook';
	/** A worker's `--concurrency` (n8n's default: 10). */
	concurrency?: number;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolvePort, reject) => {
		const server = createServer();
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolvePort(port));
		});
		server.on('error', reject);
	});
}

export function n8nBin(): string {
	const bin = process.env.N8N_BIN;
	if (!bin || !existsSync(bin))
		throw new Error(
			'N8N_BIN is not set: run through scripts/test.sh or scripts/start.sh, which install the pinned n8n',
		);
	return bin;
}

/** Packs the built package and extracts it where n8n looks for community packages. */
export function installPackage(userFolder: string): string {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const target = join(nodesDir, 'node_modules', 'n8n-nodes-quickbooks-sync');
	rmSync(target, { recursive: true, force: true });
	mkdirSync(target, { recursive: true });
	const packDir = mkdtempSync(join(tmpdir(), 'qbsync-pack-'));
	const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
		cwd: REPO,
		encoding: 'utf8',
	})
		.trim()
		.split('\n')
		.pop()!;
	execFileSync('tar', ['-xzf', join(packDir, tarball), '-C', target, '--strip-components=1']);
	rmSync(packDir, { recursive: true, force: true });
	const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify(
			{ name: 'installed-nodes', private: true, dependencies: { [pkg.name]: pkg.version } },
			null,
			2,
		),
	);
	return target;
}

export class N8n {
	readonly url: string;
	private child?: ChildProcess;
	private output: string[] = [];
	cookie = '';

	constructor(
		readonly port: number,
		readonly userFolder: string,
		private readonly options: N8nOptions,
	) {
		this.url = `http://127.0.0.1:${port}`;
	}

	env(): NodeJS.ProcessEnv {
		// Jest sets NODE_ENV=test and JEST_* variables; n8n must not see them.
		const inherited = Object.fromEntries(
			Object.entries(process.env).filter(([k]) => k !== 'NODE_ENV' && !k.startsWith('JEST_')),
		);
		return {
			...inherited,
			NODE_ENV: 'production',
			N8N_USER_FOLDER: this.userFolder,
			N8N_PORT: String(this.port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_WEBHOOK_URL: `${this.url}/`,
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			N8N_EDITOR_BASE_URL: `${this.url}/`,
			N8N_ENCRYPTION_KEY: 'qbsync-local-demo-encryption-key',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL ?? 'warn',
			DB_SQLITE_POOL_SIZE: '2',
			EXECUTIONS_DATA_PRUNE: 'false',
			...this.options.env,
		};
	}

	cli(args: string[]): string {
		return execFileSync(n8nBin(), args, {
			env: this.env(),
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
			timeout: 180_000,
		});
	}

	/** Every credential imported, as imported: `reimportCredentials` changes some and imports them again. */
	private readonly imported = new Map<
		string,
		{ id: string; type: string; data: Record<string, unknown> }
	>();

	importCredentials(credentials: unknown[]): void {
		for (const c of credentials as Array<{
			id: string;
			type: string;
			data: Record<string, unknown>;
		}>)
			this.imported.set(c.id, c);
		const file = join(this.userFolder, 'credentials.import.json');
		writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
		try {
			this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			// Plain-text secrets: n8n keeps them encrypted once imported.
			rmSync(file, { force: true });
		}
	}

	/** Imports again, with `data` added, every credential of `type` imported so far. */
	reimportCredentials(type: string, data: Record<string, unknown>): void {
		const changed = [...this.imported.values()]
			.filter((c) => c.type === type)
			.map((c) => ({ ...c, data: { ...c.data, ...data } }));
		if (changed.length > 0) this.importCredentials(changed);
	}

	importWorkflow(workflow: Record<string, unknown>): void {
		const file = join(this.userFolder, `workflow-${workflow.id}.json`);
		writeFileSync(file, JSON.stringify(workflow));
		this.cli(['import:workflow', `--input=${file}`]);
	}

	publishWorkflow(id: string): void {
		this.cli(['publish:workflow', `--id=${id}`]);
	}

	get role(): 'main' | 'worker' | 'webhook' {
		return this.options.role ?? 'main';
	}

	private args(): string[] {
		if (this.role === 'main') return ['start'];
		if (this.role === 'webhook') return ['webhook'];
		return [
			'worker',
			...(this.options.concurrency ? [`--concurrency=${this.options.concurrency}`] : []),
		];
	}

	private roleEnv(): Record<string, string> {
		if (this.role !== 'worker') return {};
		return {
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(this.port),
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		};
	}

	async start(): Promise<void> {
		this.child = spawn(n8nBin(), this.args(), {
			env: { ...this.env(), ...this.roleEnv() },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		const collect = (chunk: Buffer) => {
			for (const line of chunk.toString().split('\n').filter(Boolean)) {
				this.output.push(line);
				if (this.output.length > 500) this.output.shift();
				this.options.log?.(line);
			}
		};
		this.child.stdout!.on('data', collect);
		this.child.stderr!.on('data', collect);
		const deadline = Date.now() + 180_000;
		while (Date.now() < deadline) {
			if (this.child.exitCode !== null)
				throw new Error(
					`n8n ${this.role} exited (${this.child.exitCode}):\n${this.output.join('\n')}`,
				);
			try {
				const res = await fetch(
					`${this.url}/healthz${this.role === 'webhook' ? '' : '/readiness'}`,
				);
				if (res.ok) return;
			} catch {
				// not up yet
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		throw new Error(`n8n ${this.role} did not become ready in 180 s:\n${this.output.join('\n')}`);
	}

	/** The running process's id (a fault test reads its memory). */
	get pid(): number | undefined {
		return this.alive() ? this.child!.pid : undefined;
	}

	/** Whether the process runs (a fault test's supervisor restarts those that do not). */
	alive(): boolean {
		return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
	}

	/** SIGKILL, no shutdown: what a crashed or OOM-killed worker looks like. */
	async kill(): Promise<void> {
		if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
		const exited = new Promise((r) => this.child!.once('exit', r));
		try {
			process.kill(-this.child.pid!, 'SIGKILL');
		} catch {
			this.child.kill('SIGKILL');
		}
		await exited;
	}

	logs(): string {
		return this.output.join('\n');
	}

	/** Creates the owner account (fresh instance) and keeps its session cookie. */
	async setupOwner(
		email = 'owner@example.com',
		password = 'Owner-Passw0rd!',
	): Promise<{ email: string; password: string }> {
		const res = await fetch(`${this.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ email, firstName: 'Demo', lastName: 'Owner', password }),
		});
		if (!res.ok && res.status !== 400)
			throw new Error(`owner setup failed: ${res.status} ${await res.text()}`);
		const login = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: email, email, password }),
		});
		if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
		this.cookie = (login.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
		return { email, password };
	}

	async rest<T = any>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await fetch(`${this.url}/rest${path}`, {
			method,
			headers: {
				'Content-Type': 'application/json',
				Cookie: this.cookie,
				'browser-id': 'qbsync-e2e',
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			// A test must not wait for ever on an n8n that stopped answering (fault tests).
			signal: AbortSignal.timeout(120_000),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
		const json = JSON.parse(text);
		return (json.data ?? json) as T;
	}

	async stop(): Promise<void> {
		if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
			const exited = new Promise((r) => this.child!.once('exit', r));
			try {
				process.kill(-this.child.pid!, 'SIGTERM');
			} catch {
				this.child.kill('SIGTERM');
			}
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
			clearTimeout(timer);
			if (this.child.exitCode === null) {
				try {
					process.kill(-this.child.pid!, 'SIGKILL');
				} catch {
					// already gone
				}
			}
		}
		if (!this.options.keep) rmSync(this.userFolder, { recursive: true, force: true });
	}
}

export async function createN8n(options: N8nOptions = {}): Promise<N8n> {
	const userFolder = options.userFolder ?? mkdtempSync(join(tmpdir(), 'qbsync-n8n-'));
	mkdirSync(userFolder, { recursive: true });
	installPackage(userFolder);
	// n8n's task broker listens on 5679 unless told: two n8n processes on one machine (a test beside
	// `npm start`, or two test runs) would collide there, and the second exits with code 1.
	const brokerPort = String(await freePort());
	return new N8n(options.port ?? (await freePort()), userFolder, {
		...options,
		env: { N8N_RUNNERS_BROKER_PORT: brokerPort, ...options.env },
	});
}
