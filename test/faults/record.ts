/**
 * The fault matrix's figures: each row (one fault, one test) is merged into
 * bench/results/faults.json by its name, so rows run on their own keep the others' figures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import { dirname, join } from 'path';

export const FAULTS_FILE =
	process.env.FAULTS_RESULTS ?? join(__dirname, '..', '..', 'bench', 'results', 'faults.json');

export interface FaultRow {
	/** The fault, as the README's table names it. */
	fault: string;
	/** What was sent and how (e.g. "300 payments, durable template, 2 workers"). */
	load: string;
	events: number;
	lost: number;
	duplicated: number;
	/** From the end of the fault to the last event booked (s); null when nothing had to recover. */
	recoverySeconds: number | null;
	/** What the user sees or what else was measured. */
	notes: string;
	detail?: Record<string, unknown>;
}

export function recordFault(row: FaultRow): void {
	mkdirSync(dirname(FAULTS_FILE), { recursive: true });
	const file = existsSync(FAULTS_FILE)
		? JSON.parse(readFileSync(FAULTS_FILE, 'utf8'))
		: { rows: [] as Array<FaultRow & { measuredAt: string }> };
	file.machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, n8n ${process.env.N8N_VERSION ?? '?'}`;
	file.rows = [
		...file.rows.filter((r: FaultRow) => r.fault !== row.fault),
		{ ...row, measuredAt: new Date().toISOString() },
	];
	writeFileSync(FAULTS_FILE, JSON.stringify(file, null, 2) + '\n');
	console.log(`[fault] ${row.fault}: ${JSON.stringify({ ...row, detail: undefined })}`);
}
