/**
 * A world for the JLab LLM Key node: the sandbox gateway behind a fault-injecting proxy, a
 * stand-in n8n public API writing into the harness's credential store, and an observer that
 * checks invariant 2 after every request either server handles: the credential holds a key
 * the gateway accepts.
 */
import { createHash } from 'crypto';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { CredentialStore, runWorkflow, type RunResult } from '../harness';
import { packageCredentialTypes } from '../harness/registry';
import { startFaultyProxy, type FaultyProxy } from '../helpers/faultyProxy';
import { type Call, startN8nApi, type N8nApiStandIn } from '../helpers/n8nPublicApi';
import { leakedPieces } from '../helpers/leaks';

import { startSandbox, type Sandbox } from '../../sandbox/server';

export const CANARY = 'sk-canary-ROTATE-0a1b2c3d4e5f6g7h8i9j';
export const ADMIN = 'sk-canary-ADMIN-9z8y7x6w5v4u3t2s1r0q';
export const NOUSER = 'sk-canary-NOUSER-1q2w3e4r5t6y7u8i9o0p';
export const N8N_KEY = 'n8n-canary-APIKEY-5f4e3d2c1b0a99887766';

export const CRED_ID = 'jlabLlmSandbox01';
export const N8N_CRED_ID = 'jlabLlmN8nLocal01';

export const sha = (key: string) => createHash('sha256').update(key).digest('hex');

export type { Sandbox };

export interface WorldOptions {
	enterprise?: boolean;
	oneKeyPerUser?: boolean;
	requireDomainField?: boolean;
	/** Settings of the credential's key (user alice unless changed). */
	key?: IDataObject;
	/** The key the node's credential holds (default CANARY). */
	credentialKey?: string;
	n8nScopes?: string[];
	profile?: string;
	/** The gateway echoes presented keys in its error messages (as LiteLLM has done). */
	echoKeyInErrors?: boolean;
	/** Workflows the stand-in n8n API lists, and its page size. */
	workflows?: Array<Record<string, unknown>>;
	maxPageSize?: number;
	/** More keys the sandbox knows. */
	extraKeys?: IDataObject[];
	/** The sandbox hides /key/… routes (404), as a reverse proxy may. */
	exposeManagement?: boolean;
	/** A proxy master key (it has no row: /key/info answers 404 for it). */
	masterKey?: string;
	/** LiteLLM workers with their own key cache, and its TTL (sandbox multi-worker mode). */
	workers?: number;
	keyCacheTtlMs?: number;
	/** Milliseconds each call to the gateway or to n8n is held before it is handled. */
	delay?: (call: Call) => number;
}

export interface World {
	sandbox: Sandbox;
	proxy: FaultyProxy;
	n8n: N8nApiStandIn;
	store: CredentialStore;
	timeline: Call[];
	/** Moments when the stored credential held a key the gateway refused. */
	violations: Array<{ after: string; key: string }>;
	storedKey(): string;
	/** Whether the sandbox accepts `key` right now (its own store: no request). */
	accepts(key: string): boolean;
	close(): Promise<void>;
}

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

export async function startWorld(options: WorldOptions = {}): Promise<World> {
	const credentialKey = options.credentialKey ?? CANARY;
	const sandbox: Sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		profile: options.profile ?? 'v1.9x',
		enterprise: options.enterprise ?? false,
		oneKeyPerUser: options.oneKeyPerUser ?? false,
		echoKeyInErrors: options.echoKeyInErrors ?? false,
		users: [
			{ user_id: 'alice', user_role: 'internal_user' },
			{ user_id: 'root', user_role: 'proxy_admin' },
		],
		teams: [{ team_id: 'physics', members: ['alice'] }],
		keys: [
			{
				key: CANARY,
				key_alias: 'alice-laptop',
				user_id: 'alice',
				team_id: 'physics',
				models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'],
				max_budget: 10,
				spend: 1.5,
				budget_duration: '30d',
				rpm_limit: 60,
				tpm_limit: 100000,
				metadata: { owner: 'alice', purpose: 'nightly summaries' },
				expires: inDays(60),
				...(options.key ?? {}),
			},
			{ key: ADMIN, key_alias: 'root-admin', user_id: 'root' },
			{ key: NOUSER, key_alias: 'orphan-bot' },
			...(options.extraKeys ?? []),
		],
		...(options.exposeManagement === false ? { exposeManagement: false } : {}),
		...(options.masterKey ? { masterKey: options.masterKey } : {}),
		...(options.workers
			? { workers: options.workers, keyCacheTtlMs: options.keyCacheTtlMs ?? 60_000 }
			: {}),
	});
	const timeline: Call[] = [];
	const violations: World['violations'] = [];
	let store: CredentialStore;
	const accepts = (key: string): boolean => {
		const now = Date.now();
		const h = sha(key);
		const row = sandbox.store.keys[h];
		const live = (r: IDataObject | undefined) =>
			!!r && r.blocked !== true && (!r.expires || Date.parse(String(r.expires)) > now);
		if (row) return live(row);
		const dep = sandbox.store.deprecatedKeys[h];
		return (
			!!dep && Date.parse(dep.revoke_at) > now && live(sandbox.store.keys[dep.active_token_id])
		);
	};
	const storedKey = () => String(store.byId.get(CRED_ID)?.data.apiKey);
	const observe = (call: Call) => {
		const key = storedKey();
		if (!accepts(key))
			violations.push({
				after: `${call.server} ${call.method} ${call.path} (${call.fault ?? 'ok'})`,
				key: sha(key).slice(0, 12),
			});
	};
	const proxy = await startFaultyProxy(sandbox.url, {
		timeline,
		afterEach: observe,
		delay: options.delay,
	});
	store = new CredentialStore(packageCredentialTypes(), [
		{
			id: CRED_ID,
			name: 'JLab LLM (sandbox)',
			type: 'jlabLlmApi',
			data: { baseUrl: proxy.url, apiKey: credentialKey },
		},
		{
			id: N8N_CRED_ID,
			name: 'n8n API (local)',
			type: 'jlabLlmN8nApi',
			data: { baseUrl: 'http://placeholder', apiKey: N8N_KEY },
		},
	]);
	const n8n = await startN8nApi({
		store,
		apiKey: N8N_KEY,
		timeline,
		afterEach: observe,
		scopes: options.n8nScopes,
		requireDomainField: options.requireDomainField,
		workflows: options.workflows,
		maxPageSize: options.maxPageSize,
		delay: options.delay,
	});
	(store.byId.get(N8N_CRED_ID) as { data: IDataObject }).data.baseUrl = `${n8n.url}/api/v1`;
	return {
		sandbox,
		proxy,
		n8n,
		store,
		timeline,
		violations,
		storedKey,
		accepts,
		close: async () => {
			await Promise.all([proxy.close(), n8n.close(), sandbox.close()]);
		},
	};
}

/** Runs one JLab LLM Key node (after a Manual Trigger) against a world. */
export async function runKeyNode(
	world: World,
	parameters: IDataObject,
	options: {
		continueOnFail?: boolean;
		credentialId?: string;
		withN8n?: boolean;
		items?: IDataObject[];
		instanceBaseUrl?: string;
		/** The Key node's typeVersion (default 1). */
		typeVersion?: number;
	} = {},
): Promise<{
	result: RunResult;
	items: INodeExecutionData[];
	error?: Error & { description?: string };
}> {
	const credentials: INode['credentials'] = {
		jlabLlmApi: { id: options.credentialId ?? CRED_ID, name: 'JLab LLM (sandbox)' },
	};
	if (options.withN8n !== false)
		credentials.jlabLlmN8nApi = { id: N8N_CRED_ID, name: 'n8n API (local)' };
	const source: INode = options.items
		? {
				id: '1',
				name: 'Start',
				type: 'test.items',
				typeVersion: 1,
				position: [0, 0],
				parameters: { items: JSON.stringify(options.items) },
			}
		: {
				id: '1',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			};
	const nodes: INode[] = [
		source,
		{
			id: '2',
			name: 'Key',
			type: 'n8n-nodes-jlab-llm.jlabLlmKey',
			typeVersion: options.typeVersion ?? 1,
			position: [200, 0],
			parameters: parameters as INode['parameters'],
			credentials,
			continueOnFail: options.continueOnFail ?? false,
		},
	];
	const result = await runWorkflow(
		{ nodes, connections: { Start: { main: [[{ node: 'Key', type: 'main', index: 0 }]] } } },
		[],
		{ store: world.store, instanceBaseUrl: options.instanceBaseUrl },
	);
	return { result, items: result.output('Key'), error: result.error('Key') };
}

/** Every 8-character piece of `secret` that appears in `text`. */
export function leaks(text: string, secret: string): string[] {
	return leakedPieces(text, secret);
}

/** Everything a run exposes: items (json and attached errors) and the node error. */
export function exposed(run: {
	items: INodeExecutionData[];
	error?: Error & { description?: string };
}): string {
	const parts: string[] = [];
	for (const item of run.items) {
		parts.push(JSON.stringify(item.json));
		if (item.error)
			parts.push(
				item.error.message,
				String((item.error as { description?: string }).description ?? ''),
				JSON.stringify(item.error),
			);
	}
	if (run.error)
		parts.push(run.error.message, String(run.error.description ?? ''), JSON.stringify(run.error));
	return parts.join('\n');
}
