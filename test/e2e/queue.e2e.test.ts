/**
 * n8n's queue mode (issue 13): PostgreSQL, Redis, the main instance, a webhook process and TWO
 * workers, each running executions at once. What correctness may rest on here is QuickBooks' own
 * keys (document numbers, requestids, the markers the package writes) and the outbox rows in
 * PostgreSQL (claimed by version), never a process's memory or workflow static data.
 *
 * - 1,000 payments, 20 % of them repeated deliveries sent AT THE SAME MOMENT as their original,
 *   to the direct template (one execution per delivery, spread over both workers) and to the
 *   durable template (drains started on both workers at once) → no duplicate receipt or
 *   customer, nothing lost;
 * - invoice life cycles whose events arrive together, in shuffled order → one invoice each,
 *   paid once;
 * - the polling triggers run once per poll (in the main instance), not once per worker.
 *
 * QUEUE_PAYMENTS sets the number of deliveries (default 1,000).
 */

import { createMarketplaceSender } from '../../scripts/dev/emulator/highlevel/delivery';
import { marketplaceInvoice } from '../../scripts/dev/fixtures/highlevel';
import { REALM_ID, TRIGGER_WEBHOOK_IDS, dataTableRows } from '../../scripts/dev/stack';
import { BUDGET_TABLE } from '../../nodes/shared/transport/budgetTable';
import { LOOKUP_TABLE } from '../../nodes/shared/transport/lookupTable';
import { failureReasons, round2, runningExecutions } from '../helpers/paymentRun';
import {
	DIRECT_HOOK,
	DIRECT_ID,
	DIRECT_REALM,
	countBy,
	deliver,
	duplicateCustomers,
	settle,
	sleep,
	startPaymentQueue,
	tally,
	type QueueRun,
} from '../helpers/queueRun';

jest.setTimeout(40 * 60_000);

const PAYMENTS = Number(process.env.QUEUE_PAYMENTS ?? 1000);

let run: QueueRun;

beforeAll(async () => {
	// Repeats reach the workers here (the trigger's own memory would drop them): the test is about
	// what the books survive when they race across workers.
	run = await startPaymentQueue('qq', PAYMENTS, { dropRepeats: false });
}, 600_000);

afterAll(async () => {
	await run?.stack.stop();
});

/** Payment executions per worker, and how many repeated payments ran on both workers. */
function workerSpread(executionsByTxn: Map<string, string[]>) {
	const perWorker: Record<string, number> = {};
	let pairsSplit = 0;
	let pairs = 0;
	for (const ids of executionsByTxn.values()) {
		const workers = ids.map((id) => run.ranOn.get(id) ?? '?');
		for (const w of workers) perWorker[w] = (perWorker[w] ?? 0) + 1;
		if (ids.length > 1) {
			pairs++;
			if (new Set(workers).size > 1) pairsSplit++;
		}
	}
	return { perWorker, pairs, pairsSplit };
}

/** The direct workflow's executions by CRM transaction id, read from n8n's database. */
function directExecutionsByTransaction(): Map<string, string[]> {
	const out = new Map<string, string[]>();
	const rows = run.stack
		.queue!.postgres.sql(
			`select e.id, substring(d.data from 'ch_qq_[0-9]{5}') from execution_entity e join execution_data d on d."executionId" = e.id where e."workflowId" = '${DIRECT_ID}'`,
		)
		.split('\n')
		.filter(Boolean);
	for (const row of rows) {
		const [id, txn] = row.split('|');
		if (txn) out.set(txn, [...(out.get(txn) ?? []), id]);
	}
	return out;
}

test(`${PAYMENTS} payments (20 % repeats sent at the same moment) on two workers: direct and durable templates book each payment once, no customer twice, nothing lost`, async () => {
	const { stack, plan } = run;
	const t0 = Date.now();
	const cdcBefore = stack.qbo.log.filter(
		(e) => e.endpoint === 'cdc' && e.realmId === REALM_ID,
	).length;
	let sending = true;
	// Drains on both workers at once, every 15 s while the deliveries arrive (and the schedule's).
	const drains = (async () => {
		while (sending) {
			await Promise.all([stack.drain(), stack.drain()]).catch(() => undefined);
			await sleep(15_000);
		}
	})();
	const [directStatuses, durableStatuses] = await Promise.all([
		deliver(stack.triggerUrl(DIRECT_HOOK), plan.deliveries),
		deliver(stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable), plan.deliveries),
	]);
	sending = false;
	await drains;
	const deliveredMs = Date.now() - t0;

	const { timedOut } = await settle(run, 25 * 60_000);
	const settledMs = Date.now() - t0;

	const direct = tally(stack, DIRECT_REALM, plan);
	const durable = tally(stack, REALM_ID, plan);
	const rows = await stack.outbox.rows();
	const spread = workerSpread(directExecutionsByTransaction());
	const minutes = settledMs / 60_000;
	const cdcPolls =
		stack.qbo.log.filter((e) => e.endpoint === 'cdc' && e.realmId === REALM_ID).length - cdcBefore;
	const figures = {
		deliveries: plan.deliveries.length,
		distinctPayments: plan.totals.size,
		deliveredSeconds: Math.round(deliveredMs / 1000),
		settledSeconds: Math.round(settledMs / 1000),
		timedOut,
		direct: {
			...direct,
			answers: countBy(directStatuses),
			calls: stack.qbo.log.filter((e) => e.realmId === DIRECT_REALM && e.at >= t0).length,
			throttled: stack.qbo.log.filter(
				(e) => e.realmId === DIRECT_REALM && e.at >= t0 && e.status === 429,
			).length,
			duplicateCustomers: duplicateCustomers(stack, DIRECT_REALM).length,
			...spread,
		},
		durable: {
			...durable,
			answers: countBy(durableStatuses),
			rows: rows.length,
			rowsDone: rows.filter((r) => r.status === 'done').length,
			calls: stack.qbo.log.filter(
				(e) => e.realmId === REALM_ID && e.at >= t0 && e.endpoint !== 'cdc',
			).length,
			duplicateCustomers: duplicateCustomers(stack, REALM_ID).length,
			// Failed drains (a row they held is taken again after its lease): why.
			failedExecutions: await failureReasons(stack.n8n, 'qbsyncTplDurable', t0),
		},
		// The budget the workers share per company (a row per process and company in its Data Table).
		budgets: (
			await dataTableRows<{ company: string; version: number }>(stack.n8n, BUDGET_TABLE)
		).map((r) => ({ company: r.company.replace(/^.*\/company\//, ''), writes: r.version })),
		// What the workers found in QuickBooks and stored for each other, by kind.
		sharedLookups: countBy(
			(await dataTableRows<{ kind: string }>(stack.n8n, LOOKUP_TABLE)).map((r) => r.kind),
		),
		// Two polling templates (contacts, review requests), one CDC call per poll each.
		cdcPolls,
		pollsExpectedAtMost: 2 * (Math.ceil(minutes) + 1),
	};
	console.log(`[queue] ${JSON.stringify(figures, null, 2)}`);

	expect(timedOut).toBe(false);
	expect(directStatuses.every((s) => s === 200)).toBe(true);
	expect(durableStatuses.every((s) => s === 200)).toBe(true);
	expect(direct).toEqual({ booked: plan.totals.size, lost: 0, duplicates: 0, wrongTotal: 0 });
	expect(durable).toEqual({ booked: plan.totals.size, lost: 0, duplicates: 0, wrongTotal: 0 });
	expect(figures.direct.duplicateCustomers).toBe(0);
	expect(figures.durable.duplicateCustomers).toBe(0);
	// One budget per company across the workers, shared through the Data Table, and
	// QuickBooks' limits were met without its 429s (each worker pacing alone got 33 to 193 here).
	expect([...new Set(figures.budgets.map((t) => t.company))].sort()).toEqual(
		[REALM_ID, DIRECT_REALM].sort(),
	);
	// Look-ups shared through n8n's API: every customer and the item one worker found, the others read.
	expect(figures.sharedLookups).toMatchObject({
		customer: expect.any(Number),
		item: expect.any(Number),
		preferences: expect.any(Number),
	});
	expect(figures.sharedLookups.customer).toBeGreaterThanOrEqual(plan.existing.length / 2);
	expect(figures.direct.throttled).toBeLessThanOrEqual(2);
	expect(stack.qbo.log.filter((e) => e.at >= t0 && e.status === 429).length).toBeLessThanOrEqual(4);
	// Every stored delivery was claimed and finished once (repeats are rows of their own).
	expect([rows.length, figures.durable.rowsDone]).toEqual([
		plan.deliveries.length,
		plan.deliveries.length,
	]);
	// Both workers took payments, and repeated deliveries really ran on different workers at once.
	expect(Object.keys(spread.perWorker).sort()).toEqual(['worker 1', 'worker 2']);
	expect(spread.pairsSplit).toBeGreaterThan(0);
	// The pollers run in the main instance only: not once per worker.
	expect(cdcPolls).toBeLessThanOrEqual(figures.pollsExpectedAtMost);
	expect(cdcPolls).toBeGreaterThanOrEqual(2 * Math.floor(minutes) - 2);
});

test('invoice life cycles whose events arrive together in shuffled order land on both workers: one invoice each, paid in full once (part-paid and paid at once included)', async () => {
	const { stack, ranOn } = run;
	const sender = createMarketplaceSender({
		privateKeyPem: stack.sender.privateKeyPem,
		retry: { intervalMs: 200 },
	});
	const url = stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice);
	const items = [
		{ name: 'Consulting', qty: 3, amount: 150, taxes: [{ name: 'Sales Tax', rate: 8.5 }] },
		{ name: 'Travel', qty: 1, amount: 80 },
	];
	const invoices = Array.from({ length: 6 }, (_, i) => ({
		id: `6650e2e00000000000${String(9000 + i).padStart(6, '0')}`,
		invoiceNumber: `INV-Q-${String(i).padStart(3, '0')}`,
		email: `queue.invoice.${i}@example.com`,
		issueDate: '2026-11-25',
	}));
	const events = invoices.flatMap((inv, i) => {
		const sent = marketplaceInvoice('InvoiceSent', { ...inv, items });
		const paid = marketplaceInvoice('InvoicePaid', { ...inv, items });
		// Part-paid and paid at once (22.8): whichever lands second pays only what is still due.
		const partial = marketplaceInvoice('InvoicePartiallyPaid', { ...inv, items });
		const list = [sent, partial, paid, marketplaceInvoice('InvoiceSent', { ...inv, items }), paid];
		// Every other life cycle: its events in reverse, the payment before the invoice.
		return i % 2 ? list.reverse() : list;
	});
	const answers = await Promise.all(events.map((e) => sender.send(url, e)));
	expect(answers.map((a) => a.attempts[a.attempts.length - 1].status)).toEqual(
		events.map(() => 200),
	);

	const company = () => stack.qbo.company(REALM_ID);
	const live = (n: string) =>
		company()
			.all('Invoice')
			.filter((i) => i.DocNumber === n && i.status !== 'Deleted');
	// 48 events at once once took over 5 minutes on two workers under load (cause not investigated).
	const deadline = Date.now() + 12 * 60_000;
	while (Date.now() < deadline) {
		const running = await runningExecutions(stack.n8n, 'qbsyncTplInvoice');
		if (running === 0 && invoices.every((inv) => live(inv.invoiceNumber)[0]?.Balance === 0)) break;
		await sleep(1_000);
	}
	const state = invoices.map((inv) => {
		const found = live(inv.invoiceNumber);
		const payments = found.flatMap((i) => company().paymentsFor(i.Id));
		return {
			invoice: inv.invoiceNumber,
			invoices: found.length,
			balance: found[0]?.Balance,
			payments: payments.length,
			paid: round2(payments.reduce((n, p) => n + p.amount, 0)),
			total: found[0]?.TotalAmt,
		};
	});
	const ran = stack
		.queue!.postgres.sql(`select id from execution_entity where "workflowId" = 'qbsyncTplInvoice'`)
		.split('\n')
		.filter(Boolean)
		.map((id) => ranOn.get(id) ?? '?');
	console.log(
		`[queue] invoices: ${JSON.stringify({ perWorker: countBy(ran), state: state.slice(0, 3) })}`,
	);
	for (const s of state)
		expect({ ...s, total: undefined }).toEqual({
			...s,
			invoices: 1,
			balance: 0,
			// The part payment and the rest, or the whole at once when the paid event came first.
			payments: s.payments === 2 ? 2 : 1,
			paid: s.total,
			total: undefined,
		});
	expect(new Set(ran)).toEqual(new Set(['worker 1', 'worker 2']));
});
