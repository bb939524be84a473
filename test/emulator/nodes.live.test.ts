/**
 * The live suite of the package's own nodes (test/live/nodes.ts) on the emulator, under both
 * settings of Custom transaction numbers: the suite itself must pass before a sandbox is spent on
 * it, and its clean-up must leave nothing live behind.
 */
import { defineNodeSuite } from '../live/nodes';
import { startQboEmulator, type QboEmulator } from '../../scripts/dev/emulator/qbo/server';

for (const custom of [true, false]) {
	const realm = `91303500000${custom ? 1 : 0}0088`;
	let emulator: QboEmulator;
	beforeAll(async () => {
		emulator = await startQboEmulator({
			realms: [realm],
			preferences: { SalesFormsPrefs: { CustomTxnNumbers: custom } },
		});
	});
	afterAll(async () => {
		// The clean-up ran (the suite's afterAll): nothing the suite wrote is still live.
		const company = emulator.company(realm);
		const live = (entity: string) =>
			company.all(entity).filter((r) => r.status !== 'Deleted' && Number(r.TotalAmt ?? 0) !== 0);
		expect(['SalesReceipt', 'RefundReceipt', 'Invoice', 'Payment'].flatMap(live)).toEqual([]);
		expect(company.all('Customer').filter((c) => c.Active !== false)).toEqual([]);
		await emulator.stop();
	});
	defineNodeSuite(
		`The package's nodes on the emulator (custom numbers ${custom ? 'on' : 'off'})`,
		async () => {
			const tokens = emulator.issueTokens(realm);
			return {
				label: 'emulator',
				baseUrl: emulator.url,
				realmId: realm,
				token: async () => tokens.access_token,
			};
		},
	);
}
