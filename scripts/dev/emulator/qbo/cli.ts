/*
 * Runs the QuickBooks emulator as a process: `npm run emulator -- --port 8790 --persist state.json`
 * Company preferences and undocumented behaviour (scripts/dev/emulator/README.md):
 *   --custom-numbers on|off   Preferences.SalesFormsPrefs.CustomTxnNumbers (default on)
 *   --sales-tax on|off        Preferences.TaxPrefs.UsingSalesTax (default on)
 *   --profile NAME            a company profile (./profiles.ts: us-ast, us-no-sales-tax, us-classes, …)
 *   --payment-touches-invoice a payment gives the invoice a new LastUpdatedTime (default: it does not)
 *   --requestid-retention-ms N  how long a requestid is remembered (default: for ever)
 * At run time: POST /admin/preferences {"realmId"?, "patch": {...}} and POST /admin/options {...}.
 */
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
		preferences:
			option('custom-numbers') || option('sales-tax')
				? {
						...(option('custom-numbers')
							? { SalesFormsPrefs: { CustomTxnNumbers: option('custom-numbers') !== 'off' } }
							: {}),
						...(option('sales-tax')
							? { TaxPrefs: { UsingSalesTax: option('sales-tax') !== 'off' } }
							: {}),
					}
				: undefined,
		profile: option('profile'),
		paymentTouchesInvoice: args.includes('--payment-touches-invoice'),
		requestIdRetentionMs: option('requestid-retention-ms')
			? Number(option('requestid-retention-ms'))
			: undefined,
	});
	console.log(
		`QuickBooks emulator on ${emulator.url} (realms: ${[...emulator.companies.keys()].join(', ')}; client ${DEFAULT_CLIENT.clientId} / ${DEFAULT_CLIENT.clientSecret})`,
	);
	const stop = async () => {
		await emulator.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
})();
