/**
 * Queue mode's shared look-ups (nodes/shared/sync/sharedLookups.ts) against the emulator: two n8n
 * processes are two company caches (the test clears this process's cache to be "the other worker")
 * sharing one look-up store. What a user would notice: a customer, product or preference one worker
 * found costs the next worker no QuickBooks call; a customer QuickBooks no longer accepts is
 * forgotten for every worker and the payment still books; a store that fails costs only the saving;
 * executions in flight at once in one process read the preferences and create a product once.
 */
import { QboClient } from '../../nodes/shared/transport/client';
import { createReceiptFromPayment, type ReceiptOptions } from '../../nodes/shared/sync/receipts';
import { DEFAULT_MATCH } from '../../nodes/shared/sync/customers';
import { clearCompanyCaches, setCompanyCacheClock } from '../../nodes/shared/sync/companyCache';
import type { CrmPayment } from '../../nodes/shared/domain/crm';
import type {
	BudgetStore,
	ShareEntry,
	LookupKind,
	LookupStore,
	Sharing,
} from '../../nodes/shared/quickbooks/types';
import { CUSTOM_TXN_NUMBERS, plainSend, useEmulatedQuickBooks } from '../helpers/engine';

/** The look-up table's contract in memory: newest row of a key within its age; forget by record id. */
class MemoryLookupStore implements LookupStore {
	rows: Array<{
		company: string;
		kind: LookupKind;
		key: string;
		recordId: string;
		value: string;
		at: number;
	}> = [];
	failing = false;
	reads = 0;

	async get(company: string, kind: LookupKind, key: string, maxAgeMs: number) {
		this.reads++;
		if (this.failing) throw new Error('connection terminated');
		const row = this.rows
			.filter((r) => r.company === company && r.kind === kind && r.key === key)
			.filter((r) => r.at >= Date.now() - maxAgeMs)
			.at(-1);
		return row && { value: row.value, storedAt: row.at };
	}

	async put(company: string, kind: LookupKind, key: string, recordId: string, value: string) {
		if (this.failing) throw new Error('connection terminated');
		this.rows.push({ company, kind, key, recordId, value, at: Date.now() });
	}

	async forget(company: string, kind: LookupKind, recordId: string) {
		this.rows = this.rows.filter(
			(r) => !(r.company === company && r.kind === kind && r.recordId === recordId),
		);
	}
}

/** Budget entries kept in memory (the shared budget itself is tested in test/unit/sharedBudget.test.ts). */
function memoryBudget(): BudgetStore {
	const entries = new Map<string, ShareEntry>();
	return {
		entries: async () => structuredClone([...entries.values()]),
		put: async (_company, entry) => void entries.set(entry.me, structuredClone(entry)),
	};
}

describe.each(CUSTOM_TXN_NUMBERS)('Custom transaction numbers %s', (customTxnNumbers) => {
	const qb = useEmulatedQuickBooks({ customTxnNumbers });
	let lookups: MemoryLookupStore;
	let storeErrors: unknown[];
	let sharing: Sharing;
	beforeEach(() => {
		lookups = new MemoryLookupStore();
		storeErrors = [];
		sharing = {
			store: memoryBudget(),
			lookups,
			me: 'worker',
			onStoreError: (e) => storeErrors.push(e),
		};
	});

	function client(): QboClient {
		const send = plainSend(qb.creds);
		return new QboClient(
			{ baseUrl: qb.emulator.url, realmId: qb.emulator.defaultRealm, sharing },
			send,
			{
				now: Date.now,
				sleep: async (ms) => await new Promise((r) => setTimeout(r, ms)),
				random: () => 0.5,
			},
		);
	}

	const OPTIONS: ReceiptOptions = { match: DEFAULT_MATCH, items: { mode: 'perLine' } };

	const payment = (n: number, email = 'repeat.buyer@example.com'): CrmPayment => ({
		transactionId: `shared-${n}`,
		person: { email, name: `Buyer ${email}` },
		lines: [
			{ name: 'Coaching Session', qty: 1, unitPrice: 50 + n, taxRate: 0, taxInclusive: false },
		],
		total: 50 + n,
	});

	/** The QuickBooks calls `run` makes, as "operation Entity". */
	const callsOf = async (run: () => Promise<unknown>): Promise<string[]> => {
		const before = qb.emulator.log.length;
		await run();
		return qb.emulator.log
			.slice(before)
			.filter((e) => e.endpoint !== 'token')
			.map((e) => `${e.operation} ${e.entity ?? e.queried ?? ''}`.trim());
	};

	test('what one worker found costs the next worker no QuickBooks call', async () => {
		const first = await callsOf(
			async () => await createReceiptFromPayment(client(), payment(1), OPTIONS),
		);
		expect(first).toContain('query Customer');
		expect(first).toContain('create/update Item');
		expect(first).toContain('read Preferences');

		clearCompanyCaches(); // the other worker: its own process cache, the same store
		const second = await callsOf(
			async () => await createReceiptFromPayment(client(), payment(2), OPTIONS),
		);
		expect(second).not.toContain('query Customer');
		expect(second).not.toContain('query Item');
		expect(second).not.toContain('read Preferences');
		expect(second.filter((c) => c === 'create/update SalesReceipt')).toHaveLength(1);
		const receipts = qb.realm().all('SalesReceipt');
		expect(new Set(receipts.map((r) => r.CustomerRef.value)).size).toBe(1);
		expect(storeErrors).toEqual([]);
	});

	test('a customer QuickBooks no longer accepts is forgotten by every worker, and the payment books', async () => {
		const [duplicate, kept] = qb.emulator.seed(qb.emulator.defaultRealm, 'Customer', [
			{ DisplayName: 'R. Buyer (old)', PrimaryEmailAddr: { Address: 'repeat.buyer@example.com' } },
			{ DisplayName: 'Repeat Buyer', PrimaryEmailAddr: { Address: 'repeat.buyer@example.com' } },
		]);
		// "Use Oldest": the duplicate is the match, stored for every worker.
		await createReceiptFromPayment(client(), payment(1), OPTIONS);
		qb.realm().mergeCustomers(duplicate.Id, kept.Id);
		const merged = kept;

		clearCompanyCaches();
		const result = await createReceiptFromPayment(client(), payment(2), OPTIONS);
		expect((result.receipt.CustomerRef as { value: string }).value).toBe(String(merged.Id));
		await new Promise((r) => setTimeout(r, 50)); // the forget runs beside the write
		expect(lookups.rows.filter((r) => r.kind === 'customer').map((r) => r.recordId)).toEqual([
			String(merged.Id),
		]);

		clearCompanyCaches(); // a third worker takes the new customer from the store
		const third = await callsOf(
			async () => await createReceiptFromPayment(client(), payment(3), OPTIONS),
		);
		expect(third).not.toContain('query Customer');
		expect(qb.realm().all('SalesReceipt').at(-1)!.CustomerRef.value).toBe(String(merged.Id));
	});

	test("another worker's find keeps its age: asked of QuickBooks again 15 minutes after it was read, not after this worker took it", async () => {
		await createReceiptFromPayment(client(), payment(1), OPTIONS);
		const row = lookups.rows.find((r) => r.kind === 'preferences')!;
		row.at = Date.now() - 14 * 60_000; // read by another worker 14 minutes ago
		clearCompanyCaches();
		let now = Date.now();
		setCompanyCacheClock(() => now);
		try {
			expect(
				await callsOf(async () => await createReceiptFromPayment(client(), payment(2), OPTIONS)),
			).not.toContain('read Preferences');
			now += 61_000; // 15 minutes after the other worker's read (the store's clock moves too)
			row.at -= 61_000;
			expect(
				await callsOf(async () => await createReceiptFromPayment(client(), payment(3), OPTIONS)),
			).toContain('read Preferences');
		} finally {
			setCompanyCacheClock(() => Date.now());
		}
	});

	test('a store that fails costs the saving only: the payment books and the error is reported', async () => {
		lookups.failing = true;
		const result = await createReceiptFromPayment(client(), payment(1), OPTIONS);
		expect(result.alreadySynced).toBe(false);
		expect(qb.realm().all('SalesReceipt')).toHaveLength(1);
		expect(storeErrors.length).toBeGreaterThan(0);
	});

	test('executions in flight at once read the preferences and create a product once', async () => {
		const calls = await callsOf(
			async () =>
				await Promise.all(
					Array.from({ length: 8 }, (_, n) =>
						createReceiptFromPayment(client(), payment(n, `first.${n}@example.com`), OPTIONS),
					),
				),
		);
		expect(qb.realm().all('SalesReceipt')).toHaveLength(8);
		expect(calls.filter((c) => c === 'create/update Item')).toHaveLength(1);
		expect(calls.filter((c) => c === 'read Preferences')).toHaveLength(1);
		expect(calls.filter((c) => c === 'query Account')).toHaveLength(1);
	});
});
