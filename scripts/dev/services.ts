/**
 * PostgreSQL and Redis for n8n's queue mode: Debian's binaries (scripts/services-install.sh puts
 * their paths in QBSYNC_PG_BIN and QBSYNC_REDIS_SERVER), each server started by us on loopback with
 * its data in a folder we own, and stopped, restarted or killed on demand (the fault tests).
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'fs';
import { createConnection } from 'net';
import { dirname, join } from 'path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function required(name: string): string {
	const value = process.env[name];
	if (!value)
		throw new Error(
			`${name} is not set: run through a script that sources scripts/services-install.sh`,
		);
	return value;
}

/** PostgreSQL refuses to run as root: as root the server runs as Debian's `postgres` user. */
const asRoot = () => process.getuid?.() === 0;

function asServerUser(command: string, args: string[]): [string, string[]] {
	return asRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Lets the `postgres` user reach a data folder under root's cache (search permission only, no listing). */
function openPathFor(dir: string): void {
	if (!asRoot()) return;
	for (let d = dirname(dir); d !== '/'; d = dirname(d)) {
		const mode = statSync(d).mode;
		if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
	}
	execFileSync('chown', ['-R', 'postgres:postgres', dir]);
}

async function portOpen(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = createConnection({ host: '127.0.0.1', port });
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

async function waitFor(what: string, ready: () => Promise<boolean>, output: () => string) {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		if (await ready()) return;
		await sleep(200);
	}
	throw new Error(`${what} did not start in 60 s:\n${output()}`);
}

/** A server process we can stop (clean), kill (SIGKILL) and start again on the same port and data. */
export abstract class Service {
	protected child?: ChildProcess;
	protected output: string[] = [];

	constructor(
		readonly name: string,
		readonly port: number,
		readonly dir: string,
	) {}

	protected abstract command(): [string, string[]];
	protected abstract ready(): Promise<boolean>;

	async start(): Promise<void> {
		const [cmd, args] = this.command();
		this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		const collect = (chunk: Buffer) => {
			this.output.push(...chunk.toString().split('\n').filter(Boolean));
			if (this.output.length > 300) this.output.splice(0, this.output.length - 300);
		};
		this.child.stdout!.on('data', collect);
		this.child.stderr!.on('data', collect);
		await waitFor(
			this.name,
			() => this.ready(),
			() => this.output.join('\n'),
		);
	}

	running(): boolean {
		return (
			this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
		);
	}

	private async signal(signal: NodeJS.Signals): Promise<void> {
		if (!this.running()) return;
		const exited = new Promise((r) => this.child!.once('exit', r));
		try {
			process.kill(-this.child!.pid!, signal);
		} catch {
			this.child!.kill(signal);
		}
		await Promise.race([exited, sleep(30_000)]);
	}

	/** A clean shutdown (PostgreSQL: fast mode; Redis: writes its append-only file). */
	async stop(): Promise<void> {
		await this.signal(this.name === 'PostgreSQL' ? 'SIGINT' : 'SIGTERM');
		await this.signal('SIGKILL');
	}

	async kill(): Promise<void> {
		await this.signal('SIGKILL');
	}

	async restart(): Promise<void> {
		await this.stop();
		await this.start();
	}

	logs(): string {
		return this.output.join('\n');
	}
}

/** PostgreSQL with trust authentication for one role (`n8n`) on loopback only. */
export class Postgres extends Service {
	readonly user = 'n8n';
	readonly database = 'n8n';

	constructor(port: number, dir: string) {
		super('PostgreSQL', port, dir);
	}

	/** Creates the cluster once; the data survives restarts of the scripts. */
	init(): void {
		const bin = required('QBSYNC_PG_BIN');
		if (existsSync(join(this.dir, 'PG_VERSION'))) return;
		mkdirSync(this.dir, { recursive: true });
		openPathFor(this.dir);
		const [cmd, args] = asServerUser(join(bin, 'initdb'), [
			'-D',
			this.dir,
			'-U',
			this.user,
			'--auth=trust',
			'--encoding=UTF8',
			'--no-instructions',
		]);
		execFileSync(cmd, args, { stdio: 'pipe' });
	}

	protected command(): [string, string[]] {
		return asServerUser(join(required('QBSYNC_PG_BIN'), 'postgres'), [
			'-D',
			this.dir,
			'-p',
			String(this.port),
			'-k',
			this.dir,
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			'max_connections=200',
			// Local test data: a crash may lose the last commits, never corrupt the cluster.
			'-c',
			'synchronous_commit=off',
		]);
	}

	protected async ready(): Promise<boolean> {
		if (!(await portOpen(this.port))) return false;
		try {
			this.sql('select 1', 'postgres');
			return true;
		} catch {
			return false;
		}
	}

	/** Runs SQL as the n8n role; returns psql's unaligned output. */
	sql(statement: string, database = this.database): string {
		return execFileSync(
			join(required('QBSYNC_PG_BIN'), 'psql'),
			[
				'-h',
				'127.0.0.1',
				'-p',
				String(this.port),
				'-U',
				this.user,
				'-d',
				database,
				'-tAc',
				statement,
			],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
		).trim();
	}

	/** An empty database for n8n (dropped first when `fresh`). */
	ensureDatabase(fresh: boolean): void {
		if (fresh) this.sql(`drop database if exists ${this.database} with (force)`, 'postgres');
		const exists = this.sql(
			`select 1 from pg_database where datname = '${this.database}'`,
			'postgres',
		);
		if (!exists) this.sql(`create database ${this.database}`, 'postgres');
	}

	/** n8n's database settings for this server. */
	n8nEnv(): Record<string, string> {
		return {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.port),
			DB_POSTGRESDB_DATABASE: this.database,
			DB_POSTGRESDB_USER: this.user,
			DB_POSTGRESDB_PASSWORD: '',
		};
	}
}

/** Redis with an append-only file, so queued jobs survive a restart as they would in production. */
export class Redis extends Service {
	constructor(port: number, dir: string) {
		super('Redis', port, dir);
	}

	protected command(): [string, string[]] {
		mkdirSync(this.dir, { recursive: true });
		return [
			required('QBSYNC_REDIS_SERVER'),
			[
				'--port',
				String(this.port),
				'--bind',
				'127.0.0.1',
				'--dir',
				this.dir,
				'--appendonly',
				'yes',
				'--save',
				'',
				'--protected-mode',
				'yes',
			],
		];
	}

	protected async ready(): Promise<boolean> {
		return (
			(await portOpen(this.port)) && this.output.some((l) => /Ready to accept connections/.test(l))
		);
	}

	n8nEnv(): Record<string, string> {
		return {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.port),
		};
	}
}
