/* Starts the demo stack and keeps it running; see scripts/start.sh. */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

import {
	LOCATION_ID,
	REALM_ID,
	TRIGGER_WEBHOOK_IDS,
	WEBHOOK_SECRET,
	startStack,
} from './dev/stack';

const cache =
	process.env.QBSYNC_CACHE ??
	join(process.env.HOME ?? '/tmp', '.cache', 'n8n-nodes-quickbooks-sync');
export const DEMO_FILE = join(cache, 'demo.json');

/** `npm run start:queue`: PostgreSQL, Redis, the main instance, two workers, a webhook process. */
const queue = process.env.QBSYNC_QUEUE === '1';

void (async () => {
	const userFolder = join(cache, queue ? 'demo-n8n-queue' : 'demo-n8n');
	rmSync(userFolder, { recursive: true, force: true });
	mkdirSync(userFolder, { recursive: true });
	console.log(
		queue
			? 'Starting PostgreSQL, Redis, the emulators and n8n in queue mode (main, 2 workers, webhook process; about 90 s)…'
			: 'Starting the QuickBooks and HighLevel emulators and n8n (about 40 s)…',
	);
	const stack = await startStack({
		queue: queue
			? {
					workers: 2,
					webhookProcess: true,
					webhookPort: Number(process.env.QBSYNC_WEBHOOK_PORT ?? 8794),
					dataDir: join(cache, 'queue-data'),
					pgPort: Number(process.env.QBSYNC_PG_PORT ?? 8792),
					redisPort: Number(process.env.QBSYNC_REDIS_PORT ?? 8793),
				}
			: undefined,
		n8nPort: Number(process.env.N8N_PORT ?? 5678),
		qboPort: Number(process.env.QBO_EMULATOR_PORT ?? 8790),
		highLevelPort: Number(process.env.HIGHLEVEL_EMULATOR_PORT ?? 8791),
		userFolder,
		keep: true,
		beforeN8n: ({ qbo }) => {
			qbo.seed(REALM_ID, 'Customer', [
				{
					DisplayName: 'Ada Lovelace',
					GivenName: 'Ada',
					FamilyName: 'Lovelace',
					PrimaryEmailAddr: { Address: 'ada@example.com' },
				},
				{
					DisplayName: 'Grace Hopper',
					GivenName: 'Grace',
					FamilyName: 'Hopper',
					PrimaryEmailAddr: { Address: 'grace@example.com' },
				},
			]);
		},
	});
	writeFileSync(
		DEMO_FILE,
		JSON.stringify(
			{
				n8nUrl: stack.n8n.url,
				qboUrl: stack.qbo.url,
				highLevelUrl: stack.highLevel.url,
				locationId: LOCATION_ID,
				realmId: REALM_ID,
				privateKeyPem: stack.sender.privateKeyPem,
				webhookSecret: WEBHOOK_SECRET,
				paymentUrl: stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment),
				durablePaymentUrl: stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable),
				drainUrl: `${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable)}/drain`,
				invoiceUrl: stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice),
			},
			null,
			2,
		),
	);
	const cluster = stack.queue
		? `
  Queue mode        PostgreSQL 127.0.0.1:${stack.queue.postgres.port} (data in ${stack.queue.postgres.dir})
                    Redis 127.0.0.1:${stack.queue.redis.port}; workers health ${stack.queue.workers.map((w) => `${w.url}/healthz`).join(', ')}
                    webhook process ${stack.queue.webhook?.url} takes the production webhooks below
`
		: '';
	console.log(`
  n8n editor        ${stack.n8n.url}   (log in: owner@example.com / Owner-Passw0rd!)${cluster}
  QuickBooks (emu)  ${stack.qbo.url}/admin/state?entity=SalesReceipt
  HighLevel (emu)   ${stack.highLevel.url}/admin/state

  The templates are imported, connected to the emulators and published.
  HighLevel Trigger URLs (Custom Webhook secret: Bearer ${WEBHOOK_SECRET}):
    payments (direct)   ${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.payment)}
    payments (durable)  ${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable)}
                        stored in the Data Table "QuickBooks Sync Outbox"; drained every minute,
                        or now: curl -X POST -H 'Authorization: Bearer ${WEBHOOK_SECRET}' \\
                          ${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.paymentDurable)}/drain
    invoices            ${stack.triggerUrl(TRIGGER_WEBHOOK_IDS.invoice)}
  Fire sample CRM events (payments and an invoice life cycle) from another terminal:

    npm run demo:events

  Ctrl-C stops n8n and the emulators.
`);
	const stop = async () => {
		await stack.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
})().catch((error) => {
	console.error(error);
	process.exit(1);
});
