/**
 * In-process n8n: runs workflow JSON with this package's nodes inside n8n-core's own
 * WorkflowExecute, against real HTTP. Credentials are resolved by a small store that applies
 * a credential's generic `authenticate` the way n8n's CredentialsHelper does (expressions
 * resolved by the workflow's own expression engine). The real n8n is proven in test/e2e.
 */
import { Container } from '@n8n/di';
import { ExecuteContext, ExecutionLifecycleHooks, RoutingNode, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IConnections,
	IDataObject,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	Workflow as WorkflowType,
} from 'n8n-workflow';
import {
	createEmptyRunExecutionData,
	ICredentialsHelper,
	isExpression,
	NodeHelpers,
	Workflow,
} from 'n8n-workflow';

import { packageCredentialTypes, packageNodeTypes, PACKAGE } from './registry';

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	data: ICredentialDataDecryptedObject;
}

/** Credentials kept in memory; `updates` records every write n8n would persist. */
export class CredentialStore extends ICredentialsHelper {
	readonly byId = new Map<string, StoredCredential>();

	readonly updates: Array<{ id: string; data: ICredentialDataDecryptedObject }> = [];

	constructor(
		private readonly types: Record<string, ICredentialType>,
		credentials: StoredCredential[] = [],
	) {
		super();
		for (const c of credentials) this.byId.set(c.id, { ...c, data: { ...c.data } });
	}

	getParentTypes(name: string): string[] {
		return this.types[name]?.extends ?? [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: WorkflowType,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const type = this.types[typeName];
		const auth = type?.authenticate;
		if (typeof auth === 'function')
			return await auth(credentials, requestOptions as IHttpRequestOptions);
		if (auth && auth.type === 'generic') {
			if (!workflow || !node) throw new Error('generic authenticate needs workflow and node');
			const resolve = (v: string): string => {
				if (!isExpression(v)) return v;
				const out = workflow.expression.getSimpleParameterValue(
					node,
					v,
					'internal',
					{ $credentials: credentials },
					undefined,
					'',
				);
				return out ? String(out) : '';
			};
			const target = requestOptions as unknown as Record<string, Record<string, string>>;
			for (const [outer, entries] of Object.entries(auth.properties)) {
				target[outer] = target[outer] ?? {};
				for (const [k, v] of Object.entries(entries as Record<string, string>)) {
					target[outer][resolve(k)] = resolve(v);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(
		_helpers: IHttpRequestHelper,
		_credentials: ICredentialDataDecryptedObject,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails): Promise<ICredentials> {
		throw new Error(`getCredentials(${nodeCredentials.id}) is not used by this package`);
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = nodeCredentials.id ? this.byId.get(nodeCredentials.id) : undefined;
		if (!stored || stored.type !== type) {
			throw new Error(`Credential ${nodeCredentials.id ?? '(no id)'} of type ${type} not found`);
		}
		// Defaults of the credential type apply, as n8n's applyDefaultsAndOverwrites does.
		const data: ICredentialDataDecryptedObject = {};
		for (const p of this.types[type]?.properties ?? []) {
			if (p.default !== undefined)
				data[p.name] = p.default as ICredentialDataDecryptedObject[string];
		}
		return { ...data, ...stored.data };
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const stored = nodeCredentials.id ? this.byId.get(nodeCredentials.id) : undefined;
		if (stored) stored.data = { ...data };
		this.updates.push({ id: nodeCredentials.id ?? '', data: { ...data } });
	}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.types[type]?.properties ?? [];
	}
}

function nodeTypesOf(types: Record<string, INodeType | IVersionedNodeType>): INodeTypes {
	return {
		getByName: (name) => {
			const t = types[name];
			if (!t) throw new Error(`Unknown node type ${name}`);
			return t;
		},
		getByNameAndVersion: (name, version) => {
			const t = types[name];
			if (!t) throw new Error(`Unknown node type ${name}`);
			return NodeHelpers.getVersionedNodeType(t, version);
		},
		getKnownTypes: () => ({}),
	};
}

// Only used to build $execution.resumeUrl and similar; nothing listens there.
const BASE = 'http://127.0.0.1:5678';

function additionalDataFor(
	store: CredentialStore,
	workflowData: IWorkflowBase,
	executionId: string,
	instanceBaseUrl = `${BASE}/`,
): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: store,
		hooks: new ExecutionLifecycleHooks('manual', executionId, workflowData),
		executionId,
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not available in the harness');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${BASE}/rest`,
		instanceBaseUrl,
		formBaseUrl: `${BASE}/form`,
		formWaitingBaseUrl: `${BASE}/form-waiting`,
		formTestBaseUrl: `${BASE}/form-test`,
		webhookBaseUrl: `${BASE}/webhook`,
		webhookWaitingBaseUrl: `${BASE}/webhook-waiting`,
		webhookTestBaseUrl: `${BASE}/webhook-test`,
		mcpBaseUrl: `${BASE}/mcp`,
		mcpTestBaseUrl: `${BASE}/mcp-test`,
		variables: {},
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('task runners are not available in the harness');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
}

export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IDataObject;
	staticData?: IDataObject;
}

export interface RunResult {
	run: IRun;
	/** Items of a node's first run, per output. */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	/** The error a node threw, if any. */
	error(nodeName: string): (Error & { description?: string; context?: IDataObject }) | undefined;
	store: CredentialStore;
}

let executionCounter = 0;

/** Runs a workflow JSON in-process and returns every node's output. */
export async function runWorkflow(
	workflowJson: WorkflowJson,
	credentials: StoredCredential[],
	options: { store?: CredentialStore; startNode?: string; instanceBaseUrl?: string } = {},
): Promise<RunResult> {
	const store = options.store ?? new CredentialStore(packageCredentialTypes(), credentials);
	const nodeTypes = nodeTypesOf(packageNodeTypes());
	const workflow = new Workflow({
		id: workflowJson.id ?? 'harness-wf',
		name: workflowJson.name ?? 'Harness workflow',
		nodes: workflowJson.nodes,
		connections: workflowJson.connections,
		active: false,
		nodeTypes,
		staticData: workflowJson.staticData,
		settings: { executionOrder: 'v1', ...(workflowJson.settings ?? {}) },
	});
	const executionId = `harness-exec-${++executionCounter}`;
	const workflowData = {
		id: workflow.id,
		name: workflow.name,
		nodes: workflowJson.nodes,
		connections: workflowJson.connections,
		active: false,
		settings: workflow.settings,
		createdAt: new Date(),
		updatedAt: new Date(),
	} as unknown as IWorkflowBase;
	const additionalData = additionalDataFor(
		store,
		workflowData,
		executionId,
		options.instanceBaseUrl,
	);
	const start =
		options.startNode ??
		workflowJson.nodes.find(
			(n) =>
				!Object.values(workflowJson.connections).some((c) =>
					(c.main ?? []).some((outs) => (outs ?? []).some((conn) => conn.node === n.name)),
				),
		)?.name;
	const run = await new WorkflowExecute(additionalData, 'manual').run({
		workflow,
		startNode: start ? (workflow.getNode(start) ?? undefined) : undefined,
	});
	const runData = run.data.resultData.runData;
	return {
		run,
		store,
		output: (name, outputIndex = 0) => runData[name]?.[0]?.data?.main?.[outputIndex] ?? [],
		error: (name) =>
			runData[name]?.[0]?.error as RunResult['error'] extends (n: string) => infer E ? E : never,
	};
}

/**
 * Tests a credential the way n8n's CredentialsTester does for a declarative `test`: the
 * request runs through n8n-core's RoutingNode with the credential applied, then the rules.
 */
export async function testCredential(
	type: string,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const credentialTypes = packageCredentialTypes();
	const credentialType = credentialTypes[type];
	if (!credentialType?.test) throw new Error(`${type} has no declarative test`);
	const store = new CredentialStore(credentialTypes, [
		{ id: 'cred-under-test', name: 'under test', type, data },
	]);
	const nodeType: INodeType = {
		description: {
			displayName: 'Temp',
			name: 'n8n-nodes-base.noOp',
			group: ['transform'],
			version: 1,
			description: '',
			defaults: {},
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: type, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: credentialType.test.request },
					default: '',
				},
			],
		},
	} as unknown as INodeType;
	const node: INode = {
		id: 'temp',
		name: 'Temp-Node',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { [type]: { id: 'cred-under-test', name: 'under test' } },
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: nodeTypesOf({ 'n8n-nodes-base.noOp': nodeType }),
	});
	const additionalData = additionalDataFor(
		store,
		{
			id: 'cred-test',
			name: 'cred-test',
			nodes: [node],
			connections: {},
		} as unknown as IWorkflowBase,
		'cred-test',
	);
	const executeData: IExecuteData = { node, data: {}, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		createEmptyRunExecutionData(),
		0,
		[],
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);
	const routingNode = new RoutingNode(context, nodeType, {
		id: 'cred-under-test',
		name: 'under test',
		type,
		data,
	});
	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		const e = error as {
			cause?: { response?: { status: number; statusText?: string }; code?: string };
			message: string;
		};
		if (e.cause?.response) {
			for (const rule of credentialType.test.rules ?? []) {
				if (rule.type === 'responseCode' && rule.properties.value === e.cause.response.status) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			return {
				status: 'Error',
				message:
					e.cause.response.statusText || `Received HTTP status code: ${e.cause.response.status}`,
			};
		}
		if (e.cause?.code) return { status: 'Error', message: e.cause.code };
		return { status: 'Error', message: e.message };
	}
	for (const rule of credentialType.test.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const json = response?.[0]?.[0]?.json ?? {};
			const value = rule.properties.key
				.split('.')
				.reduce<unknown>(
					(acc, k) => (acc && typeof acc === 'object' ? (acc as IDataObject)[k] : undefined),
					json,
				);
			if (value === rule.properties.value)
				return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/** Stops what n8n-core's DI container started (an SSH-clients sweep timer), so jest can exit. */
export async function shutdownHarness(): Promise<void> {
	const { SSHClientsManager } = require('n8n-core/dist/execution-engine/ssh-clients-manager') as {
		SSHClientsManager: new () => { onShutdown(): void };
	};
	if (Container.has(SSHClientsManager)) Container.get(SSHClientsManager).onShutdown();
}

export { PACKAGE };
