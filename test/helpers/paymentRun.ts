/**
 * Payments delivered to a real n8n and counted in the QuickBooks emulator: the plan (existing and
 * new customers, repeated deliveries), workflow copies per realm, and what n8n's REST API and the
 * emulator say afterwards. Shared by the real-path benchmark and the queue-mode tests.
 */
import { crmMarkersIn } from '../../nodes/shared/domain/docNumber';
import type { QboEmulator } from '../../scripts/dev/emulator/qbo/server';
import { workflowPayment } from '../../scripts/dev/fixtures/highlevel';
import type { N8n } from '../../scripts/dev/n8n';
import {
	TEMPLATE_IDS,
	loadTemplates,
	type ReconcileSummary,
	type Stack,
} from '../../scripts/dev/stack';
import { until } from './until';

/** The benchmark's mix: 60 % by customers QuickBooks already has, 30 % new, 10 % repeats. */
export const SHARE = { existing: 0.6, new: 0.3, repeat: 0.1 };

export interface PlannedDelivery {
	index: number;
	kind: 'existing' | 'new' | 'repeat';
	transactionId: string;
	total: number;
	body: Record<string, any>;
}

export interface Plan {
	deliveries: PlannedDelivery[];
	/** CRM transaction id → CRM total, one entry per distinct payment. */
	totals: Map<string, number>;
	/** Customers every realm holds before n8n starts. */
	existing: Array<Record<string, unknown>>;
}

export function prng(seed: number): () => number {
	// mulberry32: the same plan on every run.
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export const round2 = (n: number) => Math.round(n * 100) / 100;

/** The deliveries of one run; `poolSize` caps the existing customers to those already seeded. */
export function planPayments(tag: string, n: number, poolSize?: number, share = SHARE): Plan {
	const random = prng(tag.charCodeAt(1));
	const repeats = Math.round(n * share.repeat);
	const fresh = Math.round(n * share.new);
	const kinds: PlannedDelivery['kind'][] = [
		...Array<'repeat'>(repeats).fill('repeat'),
		...Array<'new'>(fresh).fill('new'),
		...Array<'existing'>(n - repeats - fresh).fill('existing'),
	];
	for (let i = kinds.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[kinds[i], kinds[j]] = [kinds[j], kinds[i]];
	}
	// A repeat needs an earlier payment: the first delivery is never one.
	const first = kinds.findIndex((k) => k !== 'repeat');
	[kinds[0], kinds[first]] = [kinds[first], kinds[0]];

	const existingCount = Math.min(
		poolSize ?? Number.POSITIVE_INFINITY,
		Math.max(1, Math.ceil(kinds.filter((k) => k === 'existing').length / 2)),
	);
	const existing = Array.from({ length: existingCount }, (_, j) => ({
		DisplayName: `Existing Customer ${j}`,
		GivenName: 'Existing',
		FamilyName: `Customer ${j}`,
		PrimaryEmailAddr: { Address: `existing${j}@bench.example.com` },
	}));
	const deliveries: PlannedDelivery[] = [];
	const totals = new Map<string, number>();
	kinds.forEach((kind, index) => {
		if (kind === 'repeat') {
			const earlier = deliveries.filter((d) => d.kind !== 'repeat');
			const original = earlier[Math.floor(random() * earlier.length)];
			deliveries.push({ ...original, index, kind });
			return;
		}
		const transactionId = `ch_${tag}_${String(index).padStart(5, '0')}`;
		const customer = kind === 'existing' ? Math.floor(random() * existingCount) : undefined;
		const subTotal = round2(20 + ((index * 7919) % 48000) / 100);
		const discount = index % 5 === 0 ? round2(subTotal * 0.1) : 0;
		const tax = index % 3 === 0 ? round2((subTotal - discount) * 0.085) : 0;
		const body = workflowPayment({
			transactionId,
			contactId: `bench${tag}${String(index).padStart(15, '0')}`,
			firstName: customer === undefined ? 'New' : 'Existing',
			lastName: customer === undefined ? `Buyer ${tag} ${index}` : `Customer ${customer}`,
			email:
				customer === undefined
					? `new.${tag}.${index}@bench.example.com`
					: `existing${customer}@bench.example.com`,
			subTotal,
			discount,
			tax,
			createdOn: new Date(Date.UTC(2026, 10, 1 + (index % 28), 12)).toISOString(),
		});
		const total = body.payment.total_amount as number;
		totals.set(transactionId, total);
		deliveries.push({ index, kind, transactionId, total, body });
	});
	return { deliveries, totals, existing };
}

/** A copy of a workflow with its own id, webhook ids and credentials. */
export function rewired(
	workflow: Record<string, any>,
	id: string,
	webhookId: string,
	credentials: Record<string, { id: string; name: string }>,
): Record<string, any> {
	const copy = structuredClone(workflow);
	copy.id = id;
	copy.name = `${copy.name} [bench ${id}]`;
	for (const node of copy.nodes) {
		if (node.webhookId) node.webhookId = webhookId;
		for (const type of Object.keys(node.credentials ?? {}))
			if (credentials[type]) node.credentials[type] = credentials[type];
	}
	return copy;
}

/** A template with the id the stack gives it and the named nodes disabled (import it as an extra workflow). */
export function templateWithout(file: string, disabled: string[]): Record<string, any> {
	const copy = structuredClone(loadTemplates().find((t) => t.file === file)!.workflow);
	copy.id = TEMPLATE_IDS[file];
	for (const name of disabled) copy.nodes.find((n: any) => n.name === name).disabled = true;
	return copy;
}

/** The summary of the first reconcile pass committed at or after `askedAt` (ISO), once there is one. */
export async function passCommitted(
	stack: Stack,
	askedAt: string,
	ms = 120_000,
): Promise<ReconcileSummary> {
	return await until(
		'the reconcile pass to commit its window',
		async () => {
			const [row] = await stack.reconcileWindow();
			const last = row?.lastPass ? (JSON.parse(row.lastPass) as ReconcileSummary) : undefined;
			return last && last.at >= askedAt ? last : undefined;
		},
		ms,
		{ everyMs: 250, context: () => stack.n8n.logs().slice(-3000) },
	);
}

/**
 * Executions of a workflow not finished yet; with `startedAfter`, only those started since (an
 * execution whose worker or database connection died stays "running" or "new" for ever).
 */
export async function runningExecutions(
	n8n: N8n,
	workflowId: string,
	startedAfter?: Date,
): Promise<number> {
	const filter = encodeURIComponent(
		JSON.stringify({
			workflowId,
			status: ['new', 'running', 'waiting'],
			...(startedAfter && { startedAfter: startedAfter.toISOString() }),
		}),
	);
	const page = await n8n.rest('GET', `/executions?filter=${filter}&limit=1`);
	return Number(page.count ?? page.results?.length ?? 0);
}

/** Failed executions since `since` (the calibration's own failures are not the run's). */
export const failedFilter = (workflowId: string, since: number) =>
	encodeURIComponent(
		JSON.stringify({
			workflowId,
			status: ['error', 'crashed'],
			startedAfter: new Date(since).toISOString(),
		}),
	);

export async function failedExecutions(
	n8n: N8n,
	workflowId: string,
	since: number,
): Promise<number> {
	const filter = failedFilter(workflowId, since);
	const page = await n8n.rest('GET', `/executions?filter=${filter}&limit=1`);
	return Number(page.count ?? page.results?.length ?? 0);
}

/** n8n's execution data is in the `flatted` format: objects and strings by index into one array. */
export function unflatten(text: string): any {
	const input = JSON.parse(text) as unknown[];
	const revived = new Map<number, unknown>();
	const revive = (index: number): unknown => {
		if (revived.has(index)) return revived.get(index);
		const value = input[index];
		if (typeof value !== 'object' || value === null) {
			revived.set(index, value);
			return value;
		}
		const out: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
		revived.set(index, out);
		for (const [k, v] of Object.entries(value))
			(out as Record<string, unknown>)[k] = typeof v === 'string' ? revive(Number(v)) : v;
		return out;
	};
	return revive(0);
}

/** Why executions failed: "<node>: <message>" → count, over at most `sample` failed executions. */
export async function failureReasons(
	n8n: N8n,
	workflowId: string,
	since: number,
	sample = 100,
): Promise<Record<string, number>> {
	const filter = failedFilter(workflowId, since);
	const page = await n8n.rest('GET', `/executions?filter=${filter}&limit=${sample}`);
	const reasons: Record<string, number> = {};
	for (const { id } of (page.results ?? []) as Array<{ id: string }>) {
		try {
			const execution = await n8n.rest('GET', `/executions/${id}`);
			const data = typeof execution.data === 'string' ? unflatten(execution.data) : execution.data;
			const error = data?.resultData?.error;
			const node = error?.node?.name ?? data?.resultData?.lastNodeExecuted ?? '?';
			const message = String(error?.message ?? 'no error recorded')
				.replace(/\d{3,}/g, 'N')
				.slice(0, 160);
			const key = `${node}: ${message}`;
			reasons[key] = (reasons[key] ?? 0) + 1;
		} catch (e) {
			reasons[`(execution ${id} unreadable: ${String(e).slice(0, 80)})`] = 1;
		}
	}
	return reasons;
}

/** Live (not voided, not deleted) receipts of a realm that belong to the plan, by CRM transaction. */
export function receiptsByTransaction(
	qbo: QboEmulator,
	realm: string,
	totals: Map<string, number>,
): Map<string, Array<Record<string, any>>> {
	const byTxn = new Map<string, Array<Record<string, any>>>();
	for (const r of qbo.company(realm).all('SalesReceipt')) {
		if (r.status === 'Deleted') continue;
		if (Number(r.TotalAmt) === 0 && /^Voided/.test(String(r.PrivateNote ?? ''))) continue;
		const ids = crmMarkersIn(r.PrivateNote)
			.filter((m) => m.kind === 'payment')
			.map((m) => m.id);
		const id = ids.find((i) => totals.has(i)) ?? String(r.DocNumber ?? '');
		if (totals.has(id)) byTxn.set(id, [...(byTxn.get(id) ?? []), r]);
	}
	return byTxn;
}

/**
 * Submits the history import form as a browser does (multipart, fields in the form's order), then
 * follows n8n's form flow: the POST answers with the execution's waiting URL; its status suffix says
 * when the execution reached its ending page, which GET renders. The ending page's text.
 */
export async function importForm(
	stack: Stack,
	from: string,
	to: string,
	ms = 120_000,
): Promise<string> {
	const form = new FormData();
	form.append('field-0', from);
	form.append('field-1', to);
	const res = await fetch(`${stack.n8n.url}/form/quickbooks-sync-import`, {
		method: 'POST',
		body: form,
	});
	const text = await res.text();
	if (!res.ok)
		throw new Error(
			`import form: ${res.status} ${text.slice(0, 300)}\n${stack.n8n.logs().slice(-3000)}`,
		);
	const waiting = new URL((JSON.parse(text) as { formWaitingUrl: string }).formWaitingUrl);
	const status = `${waiting.origin}${waiting.pathname}/n8n-execution-status${waiting.search}`;
	await until(
		'the import to reach its ending page',
		async () => ['form-waiting', 'waiting', 'success'].includes(await (await fetch(status)).text()),
		ms,
		{ everyMs: 250, context: () => stack.n8n.logs().slice(-3000) },
	);
	const page = await (await fetch(waiting)).text();
	return page
		.replace(/<[^>]+>/g, ' ')
		.replace(/\s+/g, ' ')
		.replace(/&#x27;|&#39;/g, "'")
		.trim();
}
