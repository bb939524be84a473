import { startQboEmulator, type QboEmulator } from '../emulator/qbo/server';
import { MemoryCredentialsHelper, emulatorCredential, runNode } from '../helpers/engine';

let emulator: QboEmulator;
beforeAll(async () => {
	emulator = await startQboEmulator({ quiet: true });
});
afterAll(async () => await emulator.stop());

test('find or create runs through n8n-core', async () => {
	const creds = new MemoryCredentialsHelper(emulatorCredential(emulator));
	const result = await runNode(creds, { resource: 'customer', operation: 'findOrCreate', email: 'a@example.com', person: { name: 'Ann Lee' } }, [{}]);
	console.log(JSON.stringify(result.run.data.resultData.error ?? null), JSON.stringify(result.output('QuickBooks Sync')).slice(0, 500));
	expect(result.output('QuickBooks Sync')[0].json.DisplayName).toBe('Ann Lee');
});
