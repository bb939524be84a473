/**
 * Classes and locations (issue 24, point 4): when the QuickBooks company tracks them, the receipts,
 * invoices and refund receipts this sync writes carry the class and location the user's rules give
 * (always, by HighLevel location, by CRM product per line), and nothing is written when the company
 * cannot take them. Through n8n-core against the QuickBooks emulator, one by one and in batches.
 */
import { workflowRefund } from '../../scripts/dev/fixtures/highlevel';
import { invoiceEvent, orderCreate } from '../fixtures/highlevel';
import { useEmulatedQuickBooks } from '../helpers/engine';
import { createFromPayment, refundPayments, syncInvoices } from '../helpers/receipts';

const qb = useEmulatedQuickBooks();
const realm = () => qb.realm();

const receiptOf = (orderId: string) =>
	realm()
		.all('SalesReceipt')
		.find((r) => String(r.PrivateNote).includes(orderId));
const lineClasses = (document: Record<string, any> | undefined) =>
	((document?.Line as Array<Record<string, any>>) ?? [])
		.filter((line) => line.DetailType === 'SalesItemLineDetail')
		.map((line) => line.SalesItemLineDetail.ClassRef?.value);
const track = (prefs: Record<string, boolean>) =>
	qb.emulator.setPreferences({
		AccountingInfoPrefs: {
			ClassTrackingPerTxn: false,
			ClassTrackingPerTxnLine: false,
			TrackDepartments: false,
			...prefs,
		},
	});
const order = (id: string, locationId = 'loc_123', email = `${id}@example.com`) => ({
	...orderCreate({
		id,
		email,
		items: [
			{ name: 'Coaching Session', qty: 1, price: 120, productId: 'p-coach' },
			{ name: 'Workbook', qty: 2, price: 15 },
		],
	}),
	locationId,
});
const RULES = {
	tracking: {
		rule: [
			{ when: 'always', qboClass: 'Online Sales', qboLocation: 'Head Office' },
			{ when: 'location', equals: 'loc_east', qboClass: 'East', qboLocation: 'East Branch' },
		],
	},
};

let ids: Record<string, string>;
beforeEach(() => {
	const made = (
		entity: 'Class' | 'Department',
		Name: string,
		extra: Record<string, unknown> = {},
	) => String(realm().create(entity, { Name, ...extra }).Id);
	const regions = made('Class', 'Regions');
	ids = {
		online: made('Class', 'Online Sales'),
		east: made('Class', 'East', { SubClass: true, ParentRef: { value: regions } }),
		coaching: made('Class', 'Coaching'),
		head: made('Department', 'Head Office'),
		eastBranch: made('Department', 'East Branch'),
	};
});

describe.each([false, true])('batch requests %s', (batchRequests) => {
	test('classes per transaction and locations: an Always rule, and a HighLevel Location rule that wins over it', async () => {
		track({ ClassTrackingPerTxn: true, TrackDepartments: true });
		const out = (
			await createFromPayment(qb.creds, [order('o-west'), order('o-east', 'loc_east')], {
				...RULES,
				options: { batchRequests },
			})
		).output('QuickBooks Sync');
		expect(out.map((o) => o.json.sync)).toMatchObject([
			{
				action: 'created',
				routing: { class: 'always → Online Sales', location: 'always → Head Office' },
			},
			{
				action: 'created',
				routing: { class: 'HighLevel location loc_east → East' },
			},
		]);
		expect(receiptOf('o-west')).toMatchObject({
			ClassRef: { value: ids.online },
			DepartmentRef: { value: ids.head },
		});
		expect(receiptOf('o-east')).toMatchObject({
			ClassRef: { value: ids.east },
			DepartmentRef: { value: ids.eastBranch },
		});
		// Classes per transaction: none on the lines.
		expect(lineClasses(receiptOf('o-west'))).toEqual([undefined, undefined]);
	});

	test('classes per line: a CRM Product rule classes its lines, the other lines take the document’s class', async () => {
		track({ ClassTrackingPerTxnLine: true });
		const out = (
			await createFromPayment(qb.creds, [order('o-line')], {
				tracking: {
					rule: [
						{ when: 'always', qboClass: 'Regions:East' },
						{ when: 'product', equals: 'p-coach', qboClass: 'Coaching' },
					],
				},
				options: { batchRequests },
			})
		).output('QuickBooks Sync');
		expect(out[0].json.sync).toMatchObject({ action: 'created' });
		expect(lineClasses(receiptOf('o-line'))).toEqual([ids.coaching, ids.east]);
		expect(receiptOf('o-line')!.ClassRef).toBeUndefined();
	});

	test('nothing is written when the company cannot take them: tracking off, a class it lacks, a product class with classes per transaction', async () => {
		const customers = realm().all('Customer').length;
		const stopped = async (rules: Record<string, unknown>, id: string) => {
			const [item] = (
				await createFromPayment(qb.creds, [order(id)], {
					tracking: { rule: [rules] },
					options: { batchRequests },
				})
			).output('QuickBooks Sync');
			expect(receiptOf(id)).toBeUndefined();
			return `${String(item.json.error)} ${String(item.json.details ?? '')}`;
		};
		expect(await stopped({ when: 'always', qboClass: 'Online Sales' }, 'o-off')).toMatch(
			/Payment o-off was not written: the QuickBooks company does not track classes.*Turn on Track classes/,
		);
		expect(await stopped({ when: 'always', qboLocation: 'Head Office' }, 'o-off-2')).toMatch(
			/does not track locations/,
		);
		track({ ClassTrackingPerTxn: true, TrackDepartments: true });
		expect(await stopped({ when: 'always', qboClass: 'Retail' }, 'o-missing')).toMatch(
			/the QuickBooks class "Retail", which the company does not have/,
		);
		const head = realm().get('Department', ids.head);
		realm().update('Department', {
			Id: head.Id,
			SyncToken: head.SyncToken,
			Active: false,
			sparse: true,
		});
		expect(await stopped({ when: 'always', qboLocation: 'Head Office' }, 'o-inactive')).toMatch(
			/location "Head Office", which the company does not have \(or keeps inactive/,
		);
		expect(
			await stopped({ when: 'product', equals: 'p-coach', qboClass: 'Coaching' }, 'o-perTxn'),
		).toMatch(/assigns classes to the entire transaction/);
		// None of the stopped payments' buyers was created.
		expect(realm().all('Customer').length).toBe(customers);
	});
});

test('a rule with nothing to set is left out (a template’s empty Config); a HighLevel Location rule without its ID is named with the field', async () => {
	const [empty] = (
		await createFromPayment(qb.creds, [order('o-empty')], {
			tracking: { rule: [{ when: 'always', qboClass: '', qboLocation: '' }] },
		})
	).output('QuickBooks Sync');
	expect(empty.json.sync).toMatchObject({ action: 'created' });
	expect(receiptOf('o-empty')!.ClassRef).toBeUndefined();
	const [item] = (
		await createFromPayment(qb.creds, [order('o-bad')], {
			tracking: { rule: [{ when: 'location', equals: ' ', qboClass: 'East' }] },
		})
	).output('QuickBooks Sync');
	expect(String(item.json.error)).toMatch(/Classes and Locations.*rule 1 has no value to compare/);
	expect(receiptOf('o-bad')).toBeUndefined();
});

test('an invoice carries them; a refund receipt goes where the receipt it reverses went', async () => {
	track({ ClassTrackingPerTxn: true, TrackDepartments: true });
	const invoice = {
		...invoiceEvent('InvoiceSent', {
			number: 'INV-CLS-1',
			items: [{ name: 'Website Design', qty: 1, amount: 900 }],
		}),
	};
	const [synced] = (await syncInvoices(qb.creds, [invoice], RULES)).output('QuickBooks Sync');
	expect(synced.json.sync).toMatchObject({ action: 'created' });
	expect(
		realm()
			.all('Invoice')
			.find((i) => i.DocNumber === 'INV-CLS-1'),
	).toMatchObject({ ClassRef: { value: ids.online }, DepartmentRef: { value: ids.head } });

	await createFromPayment(qb.creds, [order('o-refunded', 'loc_east')], RULES);
	const refunded = await refundPayments(qb.creds, [
		workflowRefund({ refundId: 're_cls_1', transactionId: 'o-refunded', amount: 20 }),
	]);
	expect(refunded.output('QuickBooks Sync')[0].json.error).toBeUndefined();
	const [refund] = realm().all('RefundReceipt');
	expect(refund).toMatchObject({
		ClassRef: { value: ids.east },
		DepartmentRef: { value: ids.eastBranch },
		TotalAmt: 20,
	});
});
