/**
 * Payments through n8n in queue mode: the stack (PostgreSQL, Redis, main, workers, webhook
 * process), the direct template on a QuickBooks company of its own and the durable one on the
 * stack's, deliveries with a payment's repeats sent together, and the counts that say whether
 * anything was lost or booked twice. Used by test/e2e/queue.e2e.test.ts and the fault matrix.
 */
import { appendFileSync } from 'fs';

import {
	createWorkflowSender,
	type RetryPolicy,
} from '../../scripts/dev/emulator/highlevel/delivery';
import {
	REALM_ID,
	WEBHOOK_SECRET,
	loadTemplates,
	packageCredential,
	startStack,
	type Stack,
	type StackOptions,
} from '../../scripts/dev/stack';
import {
	planPayments,
	receiptsByTransaction,
	rewired,
	round2,
	runningExecutions,
	type Plan,
	type PlannedDelivery,
} from './paymentRun';

export const DIRECT_REALM = '9130350000000201';
export const DIRECT_ID = 'qbsyncQueueDirect';
export const DIRECT_HOOK = 'qbsync-queue-direct';
const DIRECT_CREDENTIAL = { id: 'qbsyncQueueQboDirect', name: `QuickBooks Sync (${DIRECT_REALM})` };
/** QuickBooks' per-realm limits (DESIGN.md "Limits per realm"), with a short latency. */
export const LIMITS = {
	limits: true,
	perMinute: 500,
	perSecond: 10,
	concurrent: 10,
	batchPerMinute: 40,
	latencyMs: [20, 60] as [number, number],
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface QueueRun {
	stack: Stack;
	plan: Plan;
	/** Execution id → the worker that ran it, from the workers' "Worker started execution" lines. */
	ranOn: Map<string, string>;
}

export async function startPaymentQueue(
	tag: string,
	payments: number,
	options: StackOptions & {
		/**
		 * false: the direct template's trigger lets repeats through (Drop Repeated Deliveries off), so
		 * repeats sent at the same moment run on different workers at once — the races the books must
		 * survive where the trigger cannot see them (several webhook processes).
		 */
		dropRepeats?: boolean;
	} = {},
): Promise<QueueRun> {
	const plan = planPayments(tag, payments, undefined, { existing: 0.5, new: 0.3, repeat: 0.2 });
	const direct = structuredClone(
		loadTemplates().find((t) => t.file === 'crm-payment-to-sales-receipt.json')!,
	);
	if (options.dropRepeats === false)
		for (const node of direct.workflow.nodes)
			if (String(node.type).endsWith('.highLevelTrigger'))
				node.parameters.options = { ...node.parameters.options, deduplicate: false };
	const ranOn = new Map<string, string>();
	const stack = await startStack({
		queue: { workers: 2, webhookProcess: true },
		templates: (file) => file !== 'crm-payment-to-sales-receipt.json',
		...options,
		extraWorkflows: [
			{
				workflow: rewired(direct.workflow, DIRECT_ID, DIRECT_HOOK, {
					quickBooksSyncOAuth2Api: DIRECT_CREDENTIAL,
				}),
			},
			...(options.extraWorkflows ?? []),
		],
		log: (line) => {
			const m = /^\[(worker \d)\].*Worker started execution (\d+)/.exec(line);
			if (m) ranOn.set(m[2], m[1]);
			// Every n8n process's output in one file, to read after a run (QBSYNC_STACK_LOG=path).
			if (process.env.QBSYNC_STACK_LOG) appendFileSync(process.env.QBSYNC_STACK_LOG, `${line}\n`);
			options.log?.(line);
		},
		beforeN8n: async (s) => {
			for (const realm of [REALM_ID, DIRECT_REALM]) s.qbo.seed(realm, 'Customer', plan.existing);
			await options.beforeN8n?.(s);
		},
		beforeN8nStart: async (s) => {
			s.n8n.importCredentials([
				packageCredential(s.qbo, DIRECT_CREDENTIAL.id, DIRECT_CREDENTIAL.name, DIRECT_REALM),
			]);
			await options.beforeN8nStart?.(s);
		},
	});
	stack.qbo.setOptions(LIMITS);
	return { stack, plan, ranOn };
}

/**
 * Sends the deliveries as HighLevel's workflow Custom Webhook action does, 10 payments in flight,
 * each payment's deliveries (original and repeats) at the same moment. `retry` replaces the
 * action's policy (none documented) where a test models HighLevel redelivering 429 answers.
 */
export async function deliver(
	url: string,
	deliveries: PlannedDelivery[],
	options: { retry?: Partial<RetryPolicy>; onSent?: (sent: number) => void } = {},
): Promise<Array<number | null>> {
	const sender = createWorkflowSender({
		action: 'customWebhook',
		auth: { type: 'bearer', token: WEBHOOK_SECRET },
		retry: options.retry,
	});
	const groups = new Map<string, PlannedDelivery[]>();
	for (const d of deliveries)
		groups.set(d.transactionId, [...(groups.get(d.transactionId) ?? []), d]);
	const queue = [...groups.values()];
	const statuses: Array<number | null> = [];
	const worker = async () => {
		for (let group = queue.shift(); group; group = queue.shift()) {
			const sent = await Promise.all(group.map((d) => sender.send(url, d.body)));
			for (const s of sent) statuses.push(s.attempts[s.attempts.length - 1].status);
			options.onSent?.(statuses.length);
		}
	};
	await Promise.all(Array.from({ length: 10 }, worker));
	return statuses;
}

/** Active customers sharing one e-mail in a realm (each is a duplicate the sync made). */
export function duplicateCustomers(stack: Stack, realm: string): string[] {
	const byEmail = new Map<string, number>();
	for (const c of stack.qbo.company(realm).all('Customer')) {
		const email = String(c.PrimaryEmailAddr?.Address ?? '').toLowerCase();
		if (email && c.Active !== false) byEmail.set(email, (byEmail.get(email) ?? 0) + 1);
	}
	return [...byEmail].filter(([, n]) => n > 1).map(([e]) => e);
}

/** Receipts per planned payment in a realm: booked, lost (neither booked nor held), twice. */
export function tally(stack: Stack, realm: string, plan: Plan, held: Set<string> = new Set()) {
	const byTxn = receiptsByTransaction(stack.qbo, realm, plan.totals);
	let duplicates = 0;
	let wrongTotal = 0;
	for (const [id, list] of byTxn) {
		if (list.length > 1) duplicates++;
		if (list.some((r) => round2(Number(r.TotalAmt)) !== plan.totals.get(id))) wrongTotal++;
	}
	const lost = [...plan.totals.keys()].filter((id) => !byTxn.has(id) && !held.has(id)).length;
	return { booked: byTxn.size, lost, duplicates, wrongTotal };
}

/** Durable rows not done (pending, processing or dead): held for a retry, so not lost. */
export async function heldByOutbox(stack: Stack): Promise<Set<string>> {
	const rows = await stack.outbox.rows();
	return new Set(
		rows.filter((r) => r.status !== 'done').map((r) => r.key.replace(/^payment:/, '')),
	);
}

/**
 * Waits until nothing is in flight: every durable row done and no direct execution running (two
 * checks 3 s apart), starting a drain while rows wait; or the timeout. Returns when it settled.
 */
export async function settle(run: QueueRun, timeoutMs: number): Promise<{ timedOut: boolean }> {
	const { stack } = run;
	let idle = 0;
	const deadline = Date.now() + timeoutMs;
	while (idle < 2) {
		if (Date.now() > deadline) return { timedOut: true };
		try {
			const rows = await stack.outbox.rows();
			const waiting = rows.filter((r) => r.status !== 'done').length;
			// Started in the last 3 minutes: older ones are stuck (counted by stuckExecutions).
			const running = await runningExecutions(stack.n8n, DIRECT_ID, new Date(Date.now() - 180_000));
			idle = waiting === 0 && running === 0 ? idle + 1 : 0;
			if (waiting > 0) await stack.drain().catch(() => undefined);
		} catch {
			// n8n restarting (fault tests): ask again
			idle = 0;
		}
		await sleep(3_000);
	}
	return { timedOut: false };
}

/** Direct executions that never finished (their worker or database connection died under them). */
export async function stuckExecutions(run: QueueRun): Promise<number> {
	return await runningExecutions(run.stack.n8n, DIRECT_ID);
}

/** The moment (ms) the last receipt of the plan was created in a realm. */
export function lastBookedAt(run: QueueRun, realm: string): number {
	let last = 0;
	for (const list of receiptsByTransaction(run.stack.qbo, realm, run.plan.totals).values())
		for (const r of list) last = Math.max(last, Date.parse(r.MetaData?.CreateTime ?? '') || 0);
	return last;
}

export function countBy<T extends string | number | null>(list: T[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const v of list) out[String(v)] = (out[String(v)] ?? 0) + 1;
	return out;
}
