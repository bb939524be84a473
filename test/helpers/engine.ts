/**
 * Runs workflows through n8n-core's real execution engine (WorkflowExecute) with this package's
 * nodes and credential. The only stand-in is the credential store: an in-memory helper that
 * keeps the decrypted credential and receives n8n's token updates after an OAuth2 refresh.
 */
import type { Send } from '../../nodes/shared/transport/client';
import { ExecutionLifecycleHooks, PollContext, WebhookContext, WorkflowExecute } from 'n8n-core';
import { TriggersAndPollers } from 'n8n-core/dist/execution-engine/triggers-and-pollers';
import {
	ICredentialsHelper,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IExecuteData,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IWorkflowExecuteAdditionalData,
	type IConnections,
	type IHttpRequestOptions,
} from 'n8n-workflow';

import { QuickBooksSyncOAuth2Api } from '../../credentials/QuickBooksSyncOAuth2Api.credentials';
import { QuickBooksSync } from '../../nodes/QuickBooksSync/QuickBooksSync.node';
import { QuickBooksSyncTrigger } from '../../nodes/QuickBooksSyncTrigger/QuickBooksSyncTrigger.node';
import { HighLevelTrigger } from '../../nodes/HighLevelTrigger/HighLevelTrigger.node';
import { clearCompanyCaches } from '../../nodes/shared/sync/companyCache';
import { packageCredentialData } from '../../scripts/dev/stack';
import { startQboEmulator, type QboEmulator } from '../../scripts/dev/emulator/qbo/server';

export const CREDENTIAL_ID = 'cred-1';

class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: '',
		defaults: { name: 'Start' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: { getInputData(): INodeExecutionData[] }) {
		return [this.getInputData()];
	}
}

export class TestNodeTypes implements INodeTypes {
	static extra: Record<string, INodeType> = {};

	private readonly types: Record<string, INodeType> = {
		...TestNodeTypes.extra,
		'n8n-nodes-quickbooks-sync.quickBooksSync': new QuickBooksSync(),
		'n8n-nodes-quickbooks-sync.quickBooksSyncTrigger': new QuickBooksSyncTrigger(),
		'n8n-nodes-quickbooks-sync.highLevelTrigger': new HighLevelTrigger(),
		'test.start': new ManualTrigger(),
	};

	getByName(name: string) {
		return this.types[name];
	}

	getByNameAndVersion(name: string) {
		const type = this.types[name];
		if (!type) throw new Error(`Unknown node type ${name}`);
		return type;
	}

	getKnownTypes() {
		return {};
	}
}

/** In-memory credential store that behaves like n8n's for an OAuth2 credential. */
export class MemoryCredentialsHelper extends ICredentialsHelper {
	updates = 0;

	constructor(public data: ICredentialDataDecryptedObject) {
		super();
	}

	getParentTypes(name: string): string[] {
		return ['quickBooksSyncOAuth2Api', 'quickBooksOAuth2Api'].includes(name) ? ['oAuth2Api'] : [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		_c: ICredentialDataDecryptedObject,
		_t: string,
		requestOptions: IHttpRequestOptions,
	) {
		return requestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used');
	}

	async getDecrypted() {
		return structuredClone(this.data);
	}

	async updateCredentials(
		_n: INodeCredentialsDetails,
		_t: string,
		data: ICredentialDataDecryptedObject,
	) {
		this.data = structuredClone(data);
		this.updates++;
	}

	async updateCredentialsOauthTokenData(
		_n: INodeCredentialsDetails,
		_t: string,
		data: ICredentialDataDecryptedObject,
	) {
		this.data = { ...this.data, oauthTokenData: structuredClone(data.oauthTokenData) };
		this.updates++;
	}

	getCredentialsProperties(): INodeProperties[] {
		return new QuickBooksSyncOAuth2Api().properties;
	}
}

/** The decrypted credential as n8n holds it after the user connected to the emulator. */
export function emulatorCredential(
	emulator: QboEmulator,
	realmId = emulator.defaultRealm,
): ICredentialDataDecryptedObject {
	return packageCredentialData(emulator.url, emulator.issueTokens(realmId), realmId);
}

export function additionalDataFor(
	credentials: MemoryCredentialsHelper,
	hooks?: ExecutionLifecycleHooks,
): IWorkflowExecuteAdditionalData {
	const base = {
		credentialsHelper: credentials,
		hooks,
		currentNodeParameters: undefined,
		executionId: 'test',
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		userId: 'user',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('not supported in tests');
		},
		getRunExecutionData: async () => undefined,
		setExecutionStatus: () => undefined,
		sendDataToUI: () => undefined,
		logAiEvent: () => undefined,
		startRunnerTask: async () => {
			throw new Error('not supported in tests');
		},
	};
	return base as unknown as IWorkflowExecuteAdditionalData;
}

export interface RunResult {
	run: IRun;
	/** Items of one output (0: main, 1: the error output when it is used). */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	error(
		nodeName: string,
	): (Error & { description?: string; context?: Record<string, unknown> }) | undefined;
}

/**
 * Runs `Start → node` once with the given input items; returns the engine's IRun.
 */
export async function runNode(
	credentials: MemoryCredentialsHelper,
	parameters: Record<string, unknown>,
	input: Array<Record<string, unknown>>,
	options: {
		continueOnFail?: boolean;
		/** "Continue (using error output)": failed items leave on the second output. */
		errorOutput?: boolean;
		nodeType?: string;
		credentialType?: string;
		/** n8n's Retry On Fail on the node. */
		retry?: { maxTries: number; waitBetweenTries: number };
	} = {},
): Promise<RunResult> {
	const start: INode = {
		id: 'start',
		name: 'Start',
		type: 'test.start',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const node: INode = {
		id: 'qbo',
		name: 'QuickBooks Sync',
		type: options.nodeType ?? 'n8n-nodes-quickbooks-sync.quickBooksSync',
		typeVersion: 1,
		position: [200, 0],
		parameters: parameters as INode['parameters'],
		credentials: {
			[options.credentialType ?? 'quickBooksSyncOAuth2Api']: {
				id: CREDENTIAL_ID,
				name: 'QuickBooks (emulator)',
			},
		},
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		...(options.errorOutput ? { onError: 'continueErrorOutput' as const } : {}),
		...(options.retry ? { retryOnFail: true, ...options.retry } : {}),
	};
	const connections: IConnections = {
		Start: { main: [[{ node: 'QuickBooks Sync', type: 'main', index: 0 }]] },
	};
	const workflow = new Workflow({
		id: 'wf',
		nodes: [start, node],
		connections,
		active: false,
		nodeTypes: new TestNodeTypes(),
	});
	const hooks = new ExecutionLifecycleHooks('manual', 'exec-1', {
		id: 'wf',
		name: 'test',
		nodes: [start, node],
		connections,
		active: false,
		settings: {},
	} as never);
	let finish!: (run: IRun) => void;
	const done = new Promise<IRun>((resolve) => (finish = resolve));
	hooks.addHandler('workflowExecuteAfter', (run: IRun) => finish(run));
	const runExecutionData: IRunExecutionData = {
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: null,
			nodeExecutionStack: [
				{
					node: start,
					data: { main: [input.map((json) => ({ json }))] },
					source: null,
				} as IExecuteData,
			],
		},
	} as unknown as IRunExecutionData;
	const execute = new WorkflowExecute(
		additionalDataFor(credentials, hooks),
		'manual',
		runExecutionData,
	);
	await execute.processRunExecutionData(workflow);
	const run = await done;
	return {
		run,
		output: (name, index = 0) => run.data.resultData.runData[name]?.[0]?.data?.main?.[index] ?? [],
		error: (name) => run.data.resultData.runData[name]?.[0]?.error as never,
	};
}

/** A QuickBooks Sync Trigger as an active workflow: each poll() runs through n8n-core's PollContext. */
export class TriggerHarness {
	readonly workflow: Workflow;
	readonly node: INode;

	constructor(
		readonly credentials: MemoryCredentialsHelper,
		parameters: Record<string, unknown>,
	) {
		this.node = {
			id: 'trigger',
			name: 'QuickBooks Sync Trigger',
			type: 'n8n-nodes-quickbooks-sync.quickBooksSyncTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: parameters as INode['parameters'],
			credentials: {
				quickBooksSyncOAuth2Api: { id: CREDENTIAL_ID, name: 'QuickBooks (emulator)' },
			},
		};
		this.workflow = new Workflow({
			id: 'wf-trigger',
			nodes: [this.node],
			connections: {},
			active: true,
			nodeTypes: new TestNodeTypes(),
			staticData: {},
		});
	}

	/** One poll; returns the emitted items' JSON (empty when the trigger emitted nothing). */
	async poll(mode: 'trigger' | 'manual' = 'trigger'): Promise<Array<Record<string, any>>> {
		const context = new PollContext(
			this.workflow,
			this.node,
			additionalDataFor(this.credentials),
			mode,
			'activate',
		);
		const result = await new TriggersAndPollers().runPollFunction(
			this.workflow,
			this.node,
			context,
		);
		return (result?.[0] ?? []).map((item) => item.json as Record<string, any>);
	}

	get state(): Record<string, any> {
		return (this.workflow.staticData as Record<string, any>)['node:QuickBooks Sync Trigger'] ?? {};
	}
}

/**
 * A QuickBooks emulator for a test file, fresh for every test, with a credential that n8n would
 * hold after connecting to it. Call at the top of a describe block or file.
 */
/** QuickBooks refuses duplicate document numbers only with this company preference on; suites run under both. */
export const CUSTOM_TXN_NUMBERS = [true, false] as const;

export function useEmulatedQuickBooks(
	company: { customTxnNumbers?: boolean; paymentTouchesInvoice?: boolean; profile?: string } = {},
) {
	const context = {} as {
		emulator: QboEmulator;
		creds: MemoryCredentialsHelper;
		realm: () => ReturnType<QboEmulator['company']>;
	};
	beforeAll(async () => {
		context.emulator = await startQboEmulator({
			...(company.profile ? { profile: company.profile } : {}),
			...(company.customTxnNumbers === undefined
				? {}
				: { preferences: { SalesFormsPrefs: { CustomTxnNumbers: company.customTxnNumbers } } }),
			...(company.paymentTouchesInvoice === undefined
				? {}
				: { paymentTouchesInvoice: company.paymentTouchesInvoice }),
		});
		context.realm = () => context.emulator.company(context.emulator.defaultRealm);
	});
	afterAll(async () => await context.emulator.stop());
	beforeEach(() => {
		context.emulator.reset();
		// A reset company reuses ids, which a real one never does: the cache across executions must go too.
		clearCompanyCaches();
		context.emulator.setOptions({ clockOffsetMs: 0, requestIdRetentionMs: undefined });
		context.creds = new MemoryCredentialsHelper(emulatorCredential(context.emulator));
	});
	return context;
}

/** A credential store holding one decrypted credential per type (for webhook nodes' secrets). */
export class TypedCredentialsHelper extends MemoryCredentialsHelper {
	constructor(readonly byType: Record<string, ICredentialDataDecryptedObject>) {
		super({});
	}

	async getDecrypted(...args: any[]) {
		const type = String(args[2]);
		if (!this.byType[type]) throw new Error(`no ${type} credential in this test`);
		return structuredClone(this.byType[type]);
	}
}

export interface WebhookAnswer {
	status: number;
	/** What the HTTP client receives (the node's own answer or its webhookResponse). */
	body: Record<string, any>;
	/** Items per output when the delivery starts an execution; undefined when it does not. */
	outputs?: Array<Array<Record<string, any>>>;
}

/**
 * A webhook trigger node in an active workflow: each deliver() runs the node's webhook() through
 * n8n-core's WebhookContext, with a request carrying the raw bytes the way n8n's server keeps them.
 */
let harnesses = 0;

export class WebhookHarness {
	readonly workflow: Workflow;
	readonly node: INode;
	/** 'manual' = the editor's "Listen for test event". */
	readonly mode: 'webhook' | 'manual';

	constructor(
		readonly credentials: MemoryCredentialsHelper,
		parameters: Record<string, unknown>,
		options: {
			type?: string;
			name?: string;
			credentialTypes?: string[];
			mode?: 'webhook' | 'manual';
			/** The same id for two harnesses = two requests of one workflow (each with its static data copy, as n8n loads it). */
			workflowId?: string;
			typeVersion?: number;
		} = {},
	) {
		this.mode = options.mode ?? 'webhook';
		const name = options.name ?? 'HighLevel Trigger';
		this.node = {
			id: 'webhook-trigger',
			name,
			type: options.type ?? 'n8n-nodes-quickbooks-sync.highLevelTrigger',
			typeVersion: options.typeVersion ?? 1,
			position: [0, 0],
			webhookId: 'wh-test',
			parameters: parameters as INode['parameters'],
			credentials: Object.fromEntries(
				(options.credentialTypes ?? ['highLevelWebhookApi']).map((t) => [
					t,
					{ id: `cred-${t}`, name: t },
				]),
			),
		};
		this.workflow = new Workflow({
			// A workflow of its own per harness: the trigger's in-process memory of keys is per workflow.
			id: options.workflowId ?? `wf-webhook-${++harnesses}`,
			nodes: [this.node],
			connections: {},
			active: true,
			nodeTypes: new TestNodeTypes(),
			staticData: {},
		});
	}

	async deliver(
		raw: string | Buffer | undefined,
		headers: Record<string, string> = {},
		request: { readRawBody?: () => Promise<void>; body?: unknown; path?: string } = {},
	): Promise<WebhookAnswer> {
		const rawBody =
			raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
		let parsed: unknown = request.body;
		if (parsed === undefined && rawBody) {
			try {
				parsed = JSON.parse(rawBody.toString('utf8'));
			} catch {
				parsed = {};
			}
		}
		const req = {
			method: 'POST',
			headers: Object.fromEntries(
				Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => [
					k.toLowerCase(),
					v,
				]),
			),
			body: parsed ?? {},
			rawBody,
			readRawBody: request.readRawBody,
			params: {},
			query: {},
			path: request.path ?? `/webhook/${this.node.webhookId}/highlevel`,
		};
		const sent: { status: number; body?: Record<string, any> } = { status: 200 };
		const res = {
			status(code: number) {
				sent.status = code;
				return res;
			},
			json(body: Record<string, any>) {
				sent.body = body;
				return res;
			},
			send(body: Record<string, any>) {
				sent.body = body;
				return res;
			},
			end() {
				return res;
			},
		};
		const additionalData = {
			...additionalDataFor(this.credentials),
			httpRequest: req,
			httpResponse: res,
		} as unknown as IWorkflowExecuteAdditionalData;
		const nodeType = this.workflow.nodeTypes.getByNameAndVersion(this.node.type, 1);
		// The description whose path the request took, registered only with a method (as n8n's
		// webhook service does: an empty httpMethod adds no webhook, so the path answers 404).
		const descriptions = nodeType.description.webhooks!;
		const description =
			descriptions.find((d) => req.path.endsWith(`/${this.node.webhookId}/${d.path}`)) ??
			descriptions[0];
		const method = this.workflow.expression.getSimpleParameterValue(
			this.node,
			description.httpMethod,
			'internal',
			{},
		);
		if (!method) return { status: 404, body: { message: 'webhook not registered' } };
		const webhookData = {
			httpMethod: 'POST',
			node: this.node.name,
			path: String(description.path),
			webhookDescription: description,
			workflowId: this.workflow.id,
			workflowExecuteAdditionalData: additionalData,
		} as never;
		const context = new WebhookContext(
			this.workflow,
			this.node,
			additionalData,
			this.mode,
			webhookData,
			[],
			null,
		);
		const result = await nodeType.webhook!.call(context);
		if (result.noWebhookResponse) return { status: sent.status, body: sent.body ?? {} };
		// What n8n's webhook helper answers in responseMode onReceived (webhook-on-received-response-extractor):
		// the description's responseData (default "firstEntryJson") wins over the node's webhookResponse.
		const responseData =
			description.responseData === undefined ? 'firstEntryJson' : description.responseData;
		const answer = responseData === 'noData' ? undefined : responseData || result.webhookResponse;
		return {
			status: 200,
			body: (typeof answer === 'object' ? answer : { text: answer }) as Record<string, any>,
			outputs: result.workflowData?.map((items) => items.map((i) => i.json as Record<string, any>)),
		};
	}

	get state(): Record<string, any> {
		return (this.workflow.staticData as Record<string, any>)[`node:${this.node.name}`] ?? {};
	}
}

/**
 * The transport without n8n: a plain HTTP `send` with the credential's access token, for tests of
 * the client itself (paging, pacing, shared look-ups) against the emulator.
 */
export function plainSend(creds: MemoryCredentialsHelper): Send {
	const token = (creds.data.oauthTokenData as { access_token: string }).access_token;
	return async (request) => {
		const url = new URL(request.url);
		for (const [k, v] of Object.entries(request.qs)) url.searchParams.set(k, String(v));
		const res = await fetch(url, {
			method: request.method,
			headers: {
				Authorization: `Bearer ${token}`,
				Accept: 'application/json',
				'Content-Type': 'application/json',
			},
			body: request.body === undefined ? undefined : JSON.stringify(request.body),
		});
		return {
			statusCode: res.status,
			headers: Object.fromEntries(res.headers),
			body: await res.text(),
		};
	};
}
