import {
	NodeConnectionTypes,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import {
	isSigned,
	verifySecret,
	verifySignature,
	withoutCustomDataSecret,
	type SecretAuth,
} from '../shared/highlevel/auth';
import { MAX_BODY_DEPTH, nestsDeeperThan } from '../shared/highlevel/depth';
import { normalizeHighLevelBody, receipt } from '../shared/highlevel/events';
import type { AuthResult, EventKind, HighLevelEvent } from '../shared/highlevel/types';
import { rememberKey, type SeenState } from '../shared/highlevel/seen';
import { HIGHLEVEL_REDELIVER_STATUS } from '../shared/recovery';

const DRAIN_PATH = 'highlevel/drain';

const INVOICES_SYNCED_HELP =
	'Turn on only when another workflow (the invoice template) syncs HighLevel invoices to QuickBooks: a payment of an invoice is then skipped here, with the reason, because that workflow records it on the QuickBooks invoice. Off, every invoice payment is booked here as a sales receipt.';

/**
 * One URL for both kinds of HighLevel delivery:
 * - marketplace-app webhooks, signed: verified over the raw request bytes (Ed25519 X-GHL-Signature,
 *   legacy RSA X-WH-Signature behind an option);
 * - workflow "Custom Webhook" actions, unsigned: a secret header from the credential.
 * Unauthenticated → 401, no execution. Authenticated → 200 and one normalized event, on "Received"
 * when it is money received (or an invoice/contact event the user asked for), on "Skipped" with the
 * reason otherwise. HighLevel retries only on 429, so anything that went wrong on our side → 429
 * (recovery R12); a repeat of an emitted delivery → 200 without an execution (R13).
 */
// HighLevel has no API that registers these URLs (the user pastes the URL into a workflow action or
// the Marketplace app settings), so there is no webhook lifecycle to implement.
// eslint-disable-next-line @n8n/community-nodes/webhook-lifecycle-complete
export class HighLevelTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HighLevel Trigger',
		name: 'highLevelTrigger',
		icon: { light: 'file:highlevel.svg', dark: 'file:highlevel.dark.svg' },
		group: ['trigger'],
		// 2: Invoices Are Synced Too is off unless chosen (an invoice payment is never skipped by a
		// default the user did not pick); 1 keeps its old default for saved workflows.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{ $parameter["events"].join(", ") }}',
		description:
			'Starts a workflow on HighLevel payments, refunds, orders, invoices and contacts (workflow Custom Webhook or marketplace webhooks)',
		defaults: { name: 'HighLevel Trigger' },
		inputs: [],
		// A third output only when drain requests are taken, so other workflows keep their two.
		outputs: `={{ ["Received", "Skipped"].concat($parameter["drainRequests"] ? ["Drain Requested"] : []).map((displayName) => ({ type: "${NodeConnectionTypes.Main}", displayName })) }}`,
		credentials: [
			{
				name: 'highLevelWebhookApi',
				required: true,
				testedBy: 'secretIsStrong',
				displayOptions: { show: { workflowDeliveries: ['secret'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// "responseNode" lets the workflow answer after it stored the event (durable template).
				responseMode:
					'={{$parameter["responseMode"] === "responseNode" ? "responseNode" : "onReceived"}}',
				// Empty, so that n8n answers with the node's webhookResponse (its default would be the
				// literal text "firstEntryJson").
				responseData: '',
				path: 'highlevel',
			},
			{
				// The same URL + /drain, registered only when asked for (n8n skips an empty method).
				name: 'default',
				httpMethod: '={{$parameter["drainRequests"] ? "POST" : ""}}',
				responseMode: 'onReceived',
				responseData: '',
				path: DRAIN_PATH,
			},
		],
		properties: [
			{
				displayName:
					'Paste the Production URL above into HighLevel: a workflow’s <b>Custom Webhook</b> action (POST, Authorization = your secret) or your Marketplace app’s webhook URL. Deliveries that are not money received come out of <b>Skipped</b> with the reason.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Respond',
				name: 'responseMode',
				type: 'options',
				default: 'onReceived',
				options: [
					{
						name: 'Immediately',
						value: 'onReceived',
						description: 'HighLevel gets 200 as soon as the delivery is verified',
					},
					{
						name: 'Using ‘Respond to Webhook’ Node',
						value: 'responseNode',
						description:
							'The workflow answers, e.g. 200 once the event is stored and 429 (HighLevel retries) when storing failed',
					},
				],
				description:
					'When HighLevel hears back. Unauthenticated deliveries (401), repeats (200) and failures inside the trigger (429) are answered by the trigger either way.',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['payment', 'order'],
				options: [
					{
						name: 'Contact Events',
						value: 'contact',
						description: 'ContactCreate, ContactUpdate, … and workflow webhooks without a payment',
					},
					{
						name: 'Invoice Events',
						value: 'invoice',
						description:
							'InvoiceSent, InvoiceUpdate, InvoicePaid, InvoicePartiallyPaid, InvoiceVoid, InvoiceDelete',
					},
					{
						name: 'Order Paid',
						value: 'order',
						description:
							'OrderCreate / OrderStatusUpdate once the order is paid (a pending order is skipped)',
					},
					{
						name: 'Payment Received',
						value: 'payment',
						description: 'The workflow trigger “Payment Received” (failed payments are skipped)',
					},
					{
						name: 'Payment Refunded',
						value: 'refund',
						description:
							'The workflow trigger “Refund”, full or partial (failed refunds are skipped); for QuickBooks Sync’s Sales Receipt → Refund',
					},
				],
				description:
					'Deliveries of other kinds are answered 200 and come out of Skipped. Payment Refunded is off by default: a refund needs its own QuickBooks node (Sales Receipt → Refund), so a workflow built for payments never receives one.',
			},
			{
				displayName: 'Invoices Are Synced Too',
				name: 'invoicesSynced',
				type: 'boolean',
				default: true,
				description: INVOICES_SYNCED_HELP,
				displayOptions: { show: { events: ['payment', 'order'], '@version': [1] } },
			},
			{
				displayName: 'Invoices Are Synced Too',
				name: 'invoicesSynced',
				type: 'boolean',
				default: false,
				description: INVOICES_SYNCED_HELP,
				displayOptions: {
					show: { events: ['payment', 'order'], '@version': [{ _cnd: { gte: 2 } }] },
				},
			},
			{
				displayName: 'Workflow Deliveries (Unsigned)',
				name: 'workflowDeliveries',
				type: 'options',
				default: 'secret',
				options: [
					{
						name: 'Accept With the Secret Header',
						value: 'secret',
						description:
							'From a HighLevel workflow’s Custom Webhook action carrying the credential’s secret',
					},
					{
						name: 'Refuse',
						value: 'refuse',
						description: 'Only signed marketplace-app deliveries',
					},
				],
			},
			{
				displayName: 'Take Drain Requests',
				name: 'drainRequests',
				type: 'boolean',
				default: false,
				description:
					'Whether a POST to this URL + <code>/drain</code>, with the same secret, starts the <b>Drain Requested</b> output (e.g. a durable outbox’s drain on demand); a body <code>{"reconcile": true}</code> adds <code>reconcile: true</code> (the durable template then reconciles with HighLevel’s API first), and <code>"refunds": true</code> beside it adds <code>refunds: true</code> (that pass also looks for refunds of older payments). Nothing else of the request is passed on: its headers hold the secret.',
				displayOptions: { show: { workflowDeliveries: ['secret'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Accept Legacy RSA Signature',
						name: 'acceptRsa',
						type: 'boolean',
						default: true,
						description:
							'Whether a marketplace delivery signed only with the older X-WH-Signature (RSA-SHA256) is accepted; HighLevel is retiring it during 2026',
					},
					{
						displayName: 'Book Test-Mode Events',
						name: 'bookTestMode',
						type: 'boolean',
						default: false,
						description:
							'Whether HighLevel test-mode payments, orders and invoices (liveMode false) come out of Received. Off, they come out of Skipped with the reason; turn it on only for a sandbox QuickBooks company.',
					},
					{
						displayName: 'Drop Repeated Deliveries',
						name: 'deduplicate',
						type: 'boolean',
						default: true,
						description:
							'Whether a delivery whose business key (payment transaction ID, order ID, refund ID, invoice ID + status + amount paid) was emitted before is answered 200 without starting the workflow. The QuickBooks writes are idempotent on their own; this only saves executions. If an execution failed, retry it from n8n’s Executions list: sending the same payment again from HighLevel is dropped as a repeat while this is on. Not applied with Respond “Using ‘Respond to Webhook’ Node”: the workflow may answer 429, and HighLevel’s redelivery must then run.',
					},
					{
						displayName: 'Ed25519 Public Key',
						name: 'ed25519PublicKey',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '-----BEGIN PUBLIC KEY-----',
						description:
							'Leave empty for HighLevel’s published key (built in); set it when HighLevel announces a new one',
					},
					{
						displayName: 'RSA Public Key',
						name: 'rsaPublicKey',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
						placeholder: '-----BEGIN PUBLIC KEY-----',
						description: 'Leave empty for HighLevel’s published key for X-WH-Signature (built in)',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			/** Nothing to call: the secret is only compared with incoming deliveries. Checks it is guessable by no one. */
			async secretIsStrong(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = (credential.data ?? {}) as IDataObject;
				const type = String(data.authType ?? 'bearer');
				const secret = String(
					(type === 'header' ? data.apiKey : type === 'basic' ? data.password : data.token) ?? '',
				);
				if (secret.length < 16)
					return { status: 'Error', message: 'Use a random secret of at least 16 characters' };
				return {
					status: 'OK',
					message: 'Secret set: paste the same value into HighLevel’s Custom Webhook action',
				};
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const res = this.getResponseObject();
		const answer = (status: number, body: IDataObject): IWebhookResponseData => {
			res.status(status).json(body);
			return { noWebhookResponse: true };
		};
		const where = { workflowId: this.getWorkflow().id, node: this.getNode().name };
		try {
			const options = this.getNodeParameter('options', {}) as IDataObject;
			const raw = await rawBody(req);
			const parsed = parseBody(raw, req.body);
			// HighLevel never nests this deep; such a body would overflow n8n's recursive copies (answered
			// 429 then, and redelivered): refuse it for good, before anything reads it.
			if (nestsDeeperThan(parsed, MAX_BODY_DEPTH)) {
				this.logger.warn(
					`HighLevel Trigger refused a body nested deeper than ${MAX_BODY_DEPTH} levels (400)`,
					where,
				);
				return answer(400, {
					received: false,
					error: `body nested deeper than ${MAX_BODY_DEPTH} levels: not a HighLevel delivery`,
				});
			}
			const headers = req.headers as Record<string, string | string[] | undefined>;
			if (isDrainRequest(req)) {
				const auth = verifySecret(headers, await secretOf(this), parsed);
				if (!auth.ok) {
					this.logger.warn(
						`HighLevel Trigger refused a drain request (401): ${auth.reason}`,
						where,
					);
					return answer(401, { received: false, error: auth.reason ?? 'unauthenticated' });
				}
				const requestedAt = new Date().toISOString();
				// `{"reconcile": true}` asks for a reconcile pass before the drain (`"refunds": true` beside
				// it: with the refunds of older payments); nothing else of the body is passed on (a plain
				// Webhook action's Custom Data may hold the secret).
				const request = {
					drain: true,
					...(reconcileAsked(parsed) && { reconcile: true }),
					...(reconcileAsked(parsed) && flag(parsed, 'refunds') && { refunds: true }),
					requestedAt,
				};
				return {
					webhookResponse: { received: true, ...request },
					workflowData: [[], [], [{ json: request }]],
				};
			}
			let auth: AuthResult;
			if (isSigned(headers)) {
				auth = verifySignature(raw, headers, {
					ed25519Key: String(options.ed25519PublicKey ?? ''),
					rsaKey: String(options.rsaPublicKey ?? ''),
					acceptRsa: options.acceptRsa !== false,
				});
			} else if (this.getNodeParameter('workflowDeliveries', 'secret') === 'refuse') {
				auth = {
					ok: false,
					reason: 'unsigned delivery, and the trigger accepts only signed marketplace deliveries',
				};
			} else {
				auth = verifySecret(headers, await secretOf(this), parsed);
			}
			if (!auth.ok) {
				this.logger.warn(`HighLevel Trigger refused a delivery (401): ${auth.reason}`, where);
				return answer(401, { received: false, error: auth.reason ?? 'unauthenticated' });
			}

			const body = withoutCustomDataSecret(parsed);
			const event = normalizeHighLevelBody(body, {
				delivery: auth.via === 'secret' ? 'workflow' : 'marketplace',
				invoicesSynced: this.getNodeParameter('invoicesSynced', false) === true,
				kinds: this.getNodeParameter('events', []) as EventKind[],
				testMode: options.bookTestMode === true ? 'book' : 'skip',
			});

			// Not while listening for a test event: the user re-sends the same body on purpose. Not when
			// the workflow answers: it may answer 429 (not taken), and HighLevel's redelivery must run.
			if (
				!event.skipped &&
				options.deduplicate !== false &&
				this.getMode() !== 'manual' &&
				this.getNodeParameter('responseMode', 'onReceived') !== 'responseNode' &&
				hasId(event)
			) {
				const state = this.getWorkflowStaticData('node') as SeenState;
				if (!rememberKey(state, event.key, Date.now(), `${where.workflowId}/${where.node}`)) {
					this.logger.info(
						`HighLevel Trigger: ${event.event} ${event.key} was emitted before; answered 200 without a new execution`,
						where,
					);
					return answer(200, {
						received: true,
						duplicate: true,
						event: event.event,
						key: event.key,
					});
				}
			}
			if (event.skipped)
				this.logger.info(`HighLevel Trigger skipped ${event.event}: ${event.reason}`, where);
			const item = [{ json: event as unknown as IDataObject }];
			return {
				webhookResponse: receipt(event),
				workflowData: event.skipped ? [[], item] : [item, []],
			};
		} catch (error) {
			// Nothing the sender did wrong: HighLevel retries only on 429, so ask for a retry (recovery R12).
			this.logger.error(
				`HighLevel Trigger could not take a delivery, answered ${HIGHLEVEL_REDELIVER_STATUS} so HighLevel retries: ${(error as Error).message}`,
				where,
			);
			return answer(HIGHLEVEL_REDELIVER_STATUS, {
				received: false,
				retry: true,
				error: (error as Error).message,
			});
		}
	}
}

type RequestLike = { rawBody?: Buffer | string; readRawBody?: () => Promise<void>; body?: unknown };

const flag = (body: unknown, name: string): boolean =>
	!!body && typeof body === 'object' && (body as IDataObject)[name] === true;

const reconcileAsked = (body: unknown): boolean => flag(body, 'reconcile');

/** The drain webhook shares this node's webhook() with the delivery one; only its path tells them apart. */
function isDrainRequest(req: { path?: string; url?: string }): boolean {
	const path = String(req.path ?? req.url ?? '')
		.split('?')[0]
		.replace(/\/+$/, '');
	return path.endsWith(`/${DRAIN_PATH}`);
}

/** The exact bytes HighLevel signed: n8n keeps them on the request as `rawBody`. */
async function rawBody(req: RequestLike): Promise<Buffer> {
	if (req.rawBody === undefined && typeof req.readRawBody === 'function') await req.readRawBody();
	if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
	if (typeof req.rawBody === 'string') return Buffer.from(req.rawBody, 'utf8');
	// No raw bytes available (not seen in n8n 2.x): the parsed body is all there is.
	return Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body), 'utf8');
}

function parseBody(raw: Buffer, parsed: unknown): unknown {
	const text = raw.toString('utf8').trim();
	if (text) {
		try {
			return JSON.parse(text);
		} catch {
			// n8n may have parsed a form-encoded body already
		}
	}
	return parsed && typeof parsed === 'object' && Object.keys(parsed).length
		? parsed
		: text || undefined;
}

/** Only keys that name a record de-duplicate; a contact key also needs its webhookId or date. */
function hasId(event: HighLevelEvent): boolean {
	const id = event.key.split(':')[1];
	return !!id && (event.kind !== 'contact' || !event.key.endsWith(':'));
}

async function secretOf(context: IWebhookFunctions): Promise<SecretAuth | undefined> {
	// No credential chosen is the user's setup (401 with the reason); a credential that is chosen but
	// cannot be loaded right now is ours (the error reaches the 429 answer, HighLevel retries).
	if (!context.getNode().credentials?.highLevelWebhookApi) return undefined;
	const credential = (await context.getCredentials('highLevelWebhookApi')) as IDataObject;
	const type = String(credential.authType ?? 'bearer');
	if (type === 'header')
		return {
			type,
			name: String(credential.headerName ?? ''),
			value: String(credential.apiKey ?? ''),
		};
	if (type === 'basic')
		return {
			type,
			user: String(credential.user ?? ''),
			password: String(credential.password ?? ''),
		};
	return { type: 'bearer', token: String(credential.token ?? '') };
}
