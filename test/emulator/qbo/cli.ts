/* Runs the QuickBooks emulator as a process: `npm run emulator -- --port 8790 --persist state.json` */
import { DEFAULT_CLIENT, startQboEmulator } from './server';

const args = process.argv.slice(2);
const option = (name: string) => {
	const index = args.indexOf(`--${name}`);
	return index >= 0 ? args[index + 1] : undefined;
};

void (async () => {
	const emulator = await startQboEmulator({
		port: Number(option('port') ?? process.env.QBO_EMULATOR_PORT ?? 8790),
		realms: (option('realms') ?? '9130350000000001').split(','),
		persistFile: option('persist'),
		limits: args.includes('--limits'),
		accessTokenTtlSec: option('token-ttl') ? Number(option('token-ttl')) : undefined,
	});
	console.log(`QuickBooks emulator on ${emulator.url} (realms: ${[...emulator.companies.keys()].join(', ')}; client ${DEFAULT_CLIENT.clientId} / ${DEFAULT_CLIENT.clientSecret})`);
	const stop = async () => {
		await emulator.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
})();
