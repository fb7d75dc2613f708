/**
 * Reliability and leak hunt in a real, pinned n8n (2.41.1 on Node 24) with the packed package.
 *
 * Chaos run: 1,000 items through JLab LLM Chat (Continue On Fail) while the sandbox gateway injects
 * seeded random faults on /v1/chat/completions (429 with retry-after 1 s, 503, connection resets,
 * slow answers, mid-stream errors, model-server 500s). Three runs in the same n8n server, through a
 * webhook, so the server process itself does the work; after each, the server's RSS is sampled.
 *
 * Leak hunt: every operation of every node, once cleanly and once per error class (the gateway
 * answering each class with every canary key echoed in its message, as LiteLLM has done), then
 * every canary (and every 8-character piece of it) is searched for in the webhook answers, n8n's
 * stored execution data, n8n's log, its SQLite files, and the sandbox's request log outside the
 * Authorization header.
 *
 *   npm run test:chaos   (= jest --selectProjects chaos --runInBand)
 */
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { ROTATION_STATES } from '../../nodes/JlabLlmKey/rotation';
import { startFaultyProxy, type FaultyProxy } from '../helpers/faultyProxy';
import type { Call } from '../helpers/n8nPublicApi';
import { prng, randomFaults } from '../helpers/randomFaults';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const rand = () => crypto.randomBytes(12).toString('hex');
// Fresh canaries per run; each is the key of one credential.
// A letter that is not hex after "chaos-": no 8-character piece of the key can match names such as "chaos-admin".
const CANARY = lib.canaryKey('chaos');
const ADMIN = lib.canaryKey('admin');
const ROTATING = lib.canaryKey('rotate');
// The key of the credential rotated under fire (its first value; rotation replaces it).
const FIRE = lib.canaryKey('fire');
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

const ERROR_CLASSES = [
	'invalid_key',
	'expired_key',
	'blocked_key',
	'budget_exceeded',
	'rate_limited',
	'model_not_allowed',
	'unknown_model',
	'permission_denied',
	'enterprise_required',
	'bad_request',
	'upstream_error',
	'gateway_unavailable',
	'timeout',
	'invalid_response',
	'stream_error',
];

const ITEMS = 1000;
// JLAB_LLM_CHAOS_RUNS=0 skips the chaos runs (to work on the leak hunt alone).
const RUNS = Number(process.env.JLAB_LLM_CHAOS_RUNS ?? 3);
const CHAOS = {
	rate: 0.12,
	kinds: ['rate_limit', 'status', 'reset', 'delay', 'midstream', 'upstream'],
	routes: ['/v1/chat/completions'],
	options: { retryAfter: 1, ms: 400 },
};
// Memory bounds, run 1 → run 3 (the first run warms the server up: code compiled, caches filled).
// The live heap after a full GC is what the server retains: a leak of each run's items, replies,
// errors or sockets (1,000 items ≈ 4 MB as objects) would add that much per run, so two runs add
// 8 MB or more; 24 MB leaves room for n8n's own bookkeeping of finished executions.
// RSS also counts pages V8 and malloc keep after a peak and never give back: a looser bound that
// catches only gross growth.
const HEAP_GROWTH_LIMIT_MB = 24;
const RSS_GROWTH_LIMIT_MB = 200;
// A free port for n8n's inspector (the heap measurement), picked before n8n starts.
let INSPECT_PORT = 0;

const ADMIN_CRED = { id: 'jlabLlmAdmin0001', name: 'JLab LLM (admin canary)', type: 'jlabLlmApi' };
// Rotation under fire: a credential whose gateway and n8n API calls pass through fault-injecting proxies.
const FIRE_CRED = { id: 'jlabLlmFire00001', name: 'JLab LLM (under fire)', type: 'jlabLlmApi' };
const FIRE_N8N_CRED = {
	id: 'jlabLlmFireN8n01',
	name: 'n8n API (under fire)',
	type: 'jlabLlmN8nApi',
};
const FIRE_ROTATIONS = Number(process.env.JLAB_LLM_FIRE_ROTATIONS ?? 50);
const FIRE_RATE = 0.25;
const ROTATE_CRED = {
	id: 'jlabLlmRotate001',
	name: 'JLab LLM (rotating canary)',
	type: 'jlabLlmApi',
};
const N8N_CRED_REF = { id: lib.N8N_CREDENTIAL.id, name: lib.N8N_CREDENTIAL.name };
const USER_CRED_REF = { id: lib.SANDBOX_CREDENTIAL.id, name: lib.SANDBOX_CREDENTIAL.name };

const node = (
	name: string,
	type: string,
	parameters: object,
	x: number,
	y: number,
	extra: object = {},
) => ({
	id: crypto
		.createHash('md5')
		.update(name)
		.digest('hex')
		.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
	name,
	type,
	typeVersion: 1,
	position: [x, y],
	parameters,
	...extra,
});

const CHAOS_WF = {
	id: 'jlabChaosRun0001',
	name: 'JLab LLM chaos run',
	nodes: [
		node(
			'Webhook',
			'n8n-nodes-base.webhook',
			{
				httpMethod: 'POST',
				path: 'jlab-chaos',
				responseMode: 'lastNode',
				responseData: 'allEntries',
				options: {},
			},
			0,
			0,
			{ typeVersion: 2, webhookId: 'b7b0c6f1-4c55-4a53-9a53-5f8f4b8f0001' },
		),
		node(
			'Split Out',
			'n8n-nodes-base.splitOut',
			{ fieldToSplitOut: 'body.items', options: {} },
			200,
			0,
		),
		node(
			'Chat',
			`${PREFIX}jlabLlmChat`,
			{
				operation: 'complete',
				model: { __rl: true, mode: 'id', value: '={{ $json.model }}' },
				prompt: '={{ $json.text }}',
				options: {
					maxRetries: 3,
					timeout: 10,
					maxTokens: 64,
					reasoningEffort: 'low',
					tags: 'chaos',
				},
			},
			400,
			0,
			{ credentials: { jlabLlmApi: USER_CRED_REF }, onError: 'continueRegularOutput' },
		),
	],
	connections: {
		Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
		'Split Out': { main: [[{ node: 'Chat', type: 'main', index: 0 }]] },
	},
	settings: {
		executionOrder: 'v1',
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	},
};

const webhookNode = (pathName: string, webhookId: string) =>
	node(
		'Webhook',
		'n8n-nodes-base.webhook',
		{
			httpMethod: 'POST',
			path: pathName,
			responseMode: 'lastNode',
			responseData: 'allEntries',
			options: {},
		},
		0,
		0,
		{ typeVersion: 2, webhookId },
	);
const FIRE_ROTATE_WF = {
	id: 'jlabFireRotate01',
	name: 'JLab LLM rotation under fire',
	nodes: [
		webhookNode('jlab-fire-rotate', 'b7b0c6f1-4c55-4a53-9a53-5f8f4b8f0003'),
		node(
			'Rotate',
			`${PREFIX}jlabLlmKey`,
			{ operation: 'rotate', strategy: 'replace', options: { timeoutMs: 1000, maxRetries: 1 } },
			300,
			0,
			{
				credentials: {
					jlabLlmApi: { id: FIRE_CRED.id, name: FIRE_CRED.name },
					jlabLlmN8nApi: { id: FIRE_N8N_CRED.id, name: FIRE_N8N_CRED.name },
				},
				onError: 'continueRegularOutput',
			},
		),
	],
	connections: { Webhook: { main: [[{ node: 'Rotate', type: 'main', index: 0 }]] } },
	settings: {
		executionOrder: 'v1',
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	},
};
const FIRE_CHAT_WF = {
	id: 'jlabFireChat0001',
	name: 'JLab LLM chat through the credential under fire',
	nodes: [
		webhookNode('jlab-fire-chat', 'b7b0c6f1-4c55-4a53-9a53-5f8f4b8f0004'),
		node(
			'Chat',
			`${PREFIX}jlabLlmChat`,
			{
				operation: 'complete',
				model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-20b' },
				prompt: '={{ $json.body.text }}',
				options: { maxRetries: 0 },
			},
			300,
			0,
			{
				credentials: { jlabLlmApi: { id: FIRE_CRED.id, name: FIRE_CRED.name } },
			},
		),
	],
	connections: { Webhook: { main: [[{ node: 'Chat', type: 'main', index: 0 }]] } },
	settings: {
		executionOrder: 'v1',
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	},
};

/** Every operation of every node, each on its own branch from the webhook, all Continue On Fail. */
const user = { jlabLlmApi: USER_CRED_REF };
const admin = { jlabLlmApi: { id: ADMIN_CRED.id, name: ADMIN_CRED.name } };
const adminN8n = { ...admin, jlabLlmN8nApi: N8N_CRED_REF };
const tuning = { maxRetries: 0, timeoutMs: 5000 };
const OPERATIONS: Array<{ name: string; type: string; params: object; credentials: object }> = [
	{
		name: 'Chat complete',
		type: 'jlabLlmChat',
		params: {
			operation: 'complete',
			model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' },
			prompt: 'leak hunt',
			options: { maxRetries: 0, timeout: 5 },
		},
		credentials: user,
	},
	{
		name: 'Usage getKeyInfo',
		type: 'jlabLlmUsage',
		params: { operation: 'getKeyInfo' },
		credentials: user,
	},
	{
		name: 'Usage getActivity',
		type: 'jlabLlmUsage',
		params: { operation: 'getActivity' },
		credentials: user,
	},
	{
		name: 'Usage checkBudget',
		type: 'jlabLlmUsage',
		params: { operation: 'checkBudget' },
		credentials: user,
	},
	{
		name: 'Usage listModels',
		type: 'jlabLlmUsage',
		params: { operation: 'listModels' },
		credentials: user,
	},
	{
		name: 'Key listKeys',
		type: 'jlabLlmKey',
		params: { operation: 'listKeys', options: tuning },
		credentials: admin,
	},
	{
		name: 'Key createKey',
		type: 'jlabLlmKey',
		params: {
			operation: 'createKey',
			keyAlias: '=leak-bot-{{ $execution.id }}',
			credentialName: '=Leak bot {{ $execution.id }}',
			options: tuning,
		},
		credentials: adminN8n,
	},
	{
		name: 'Key updateKey',
		type: 'jlabLlmKey',
		params: {
			operation: 'updateKey',
			keySelect: 'alias',
			keyAlias: 'leak-target',
			updateFields: { maxBudget: 50 },
			options: tuning,
		},
		credentials: admin,
	},
	{
		name: 'Key block',
		type: 'jlabLlmKey',
		params: { operation: 'block', keySelect: 'alias', keyAlias: 'leak-target', options: tuning },
		credentials: admin,
	},
	{
		name: 'Key unblock',
		type: 'jlabLlmKey',
		params: { operation: 'unblock', keySelect: 'alias', keyAlias: 'leak-target', options: tuning },
		credentials: admin,
	},
	{
		name: 'Key revoke',
		type: 'jlabLlmKey',
		params: {
			operation: 'revoke',
			keySelect: 'alias',
			keyAlias: 'leak-victim',
			confirmRevoke: true,
			options: tuning,
		},
		credentials: admin,
	},
	{
		name: 'Key rotate',
		type: 'jlabLlmKey',
		params: { operation: 'rotate', strategy: 'replace', options: tuning },
		credentials: {
			jlabLlmApi: { id: ROTATE_CRED.id, name: ROTATE_CRED.name },
			jlabLlmN8nApi: N8N_CRED_REF,
		},
	},
	{
		name: 'Key auditWorkflows',
		type: 'jlabLlmKey',
		params: { operation: 'auditWorkflows', checkKeys: true, options: tuning },
		credentials: { jlabLlmApi: USER_CRED_REF, jlabLlmN8nApi: N8N_CRED_REF },
	},
];

const CHAIN = 'Chat Model chain';
const CHAT_MODEL = 'Chat Model';
const LEAK_WF = {
	id: 'jlabLeakHunt0001',
	name: 'JLab LLM leak hunt',
	nodes: [
		node(
			'Webhook',
			'n8n-nodes-base.webhook',
			{
				httpMethod: 'POST',
				path: 'jlab-leak',
				responseMode: 'lastNode',
				responseData: 'allEntries',
				options: {},
			},
			0,
			0,
			{ typeVersion: 2, webhookId: 'b7b0c6f1-4c55-4a53-9a53-5f8f4b8f0002' },
		),
		...OPERATIONS.map((op, k) =>
			node(op.name, `${PREFIX}${op.type}`, op.params, 300, k * 150, {
				credentials: op.credentials,
				onError: 'continueRegularOutput',
			}),
		),
		// The Chat Model sub-node, under n8n's Basic LLM Chain (its errors surface on the model node and the chain).
		node(
			CHAIN,
			'@n8n/n8n-nodes-langchain.chainLlm',
			{ promptType: 'define', text: 'leak hunt', batching: {} },
			300,
			OPERATIONS.length * 150,
			{ typeVersion: 1.9, onError: 'continueRegularOutput' },
		),
		node(
			CHAT_MODEL,
			`${PREFIX}lmChatJlabLlm`,
			{
				model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' },
				options: { maxRetries: 0, timeout: 5, tags: 'leak-hunt' },
			},
			300,
			OPERATIONS.length * 150 + 200,
			{ credentials: user },
		),
		node('Done', 'n8n-nodes-base.noOp', {}, 600, 0),
	],
	connections: {
		Webhook: {
			main: [
				[
					...OPERATIONS.map((op) => ({ node: op.name, type: 'main', index: 0 })),
					{ node: CHAIN, type: 'main', index: 0 },
				],
			],
		},
		[CHAT_MODEL]: { ai_languageModel: [[{ node: CHAIN, type: 'ai_languageModel', index: 0 }]] },
	},
	settings: {
		executionOrder: 'v1',
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	},
};

/** The gateway answering every route with one error class, the presented keys echoed (as LiteLLM 1.83 did). */
const echo = `Received API Key = ${CANARY}, ${ADMIN}, ${ROTATING}; Authorization: Bearer ${CANARY}`;
const err = (
	status: number,
	type: string | null,
	message: string,
	param: string | null = null,
) => ({
	kind: 'status',
	status,
	body: { error: { message: `${message}. ${echo}`, type, param, code: String(status) } },
});
const FAULT_RUNS: Array<{ label: string; fault: object }> = [
	{
		label: 'invalid key (401 token_not_found_in_db)',
		fault: err(
			401,
			'token_not_found_in_db',
			'Authentication Error, Invalid proxy server token passed',
			'key',
		),
	},
	{
		label: 'expired key (401 expired_key)',
		fault: err(401, 'expired_key', 'Authentication Error - Expired Key'),
	},
	{
		label: 'blocked key (401 auth_error)',
		fault: err(401, 'auth_error', 'Authentication Error, Key is blocked'),
	},
	{
		label: 'budget exceeded (429 budget_exceeded)',
		fault: err(
			429,
			'budget_exceeded',
			'Budget has been exceeded! Current cost: 12.5, Max budget: 10.0',
		),
	},
	{
		label: 'model not allowed (401 key_model_access_denied)',
		fault: err(401, 'key_model_access_denied', 'key not allowed to access model'),
	},
	{
		label: 'permission denied (403 internal_server_error)',
		fault: err(403, 'internal_server_error', 'Only proxy admin can perform this action'),
	},
	{
		label: 'bad request (400 invalid_request_error)',
		fault: err(400, 'invalid_request_error', 'Invalid request body'),
	},
	{ label: 'rate limited (429, retry-after 1)', fault: { kind: 'rate_limit', retryAfter: 1 } },
	{ label: 'model server error (500)', fault: { kind: 'upstream' } },
	{ label: 'gateway unavailable (503)', fault: err(503, null, 'Service Unavailable') },
	{ label: 'connection reset', fault: { kind: 'reset' } },
	{ label: 'an HTML page', fault: { kind: 'html' } },
];

interface Item {
	json: Record<string, any>;
	pairedItem?: { item: number } | Array<{ item: number }>;
}

function rssKb(pid: number): number {
	const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) : NaN;
}

/** RSS of every process in the server's process group (the n8n server and its task runner). */
function groupRssKb(pgid: number): number {
	let total = 0;
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[2]) === pgid) total += rssKb(Number(d));
		} catch {
			/* gone */
		}
	}
	return total;
}

const mb = (kb: number) => Math.round(kb / 102.4) / 10;

/**
 * The n8n server's live V8 heap (kB) after a full garbage collection, through its inspector:
 * the server starts with --inspect-port (not listening); SIGUSR1 opens the inspector on
 * 127.0.0.1; HeapProfiler.collectGarbage, then Runtime.getHeapUsage. Unlike RSS or "heap used"
 * between collections, this is what the process really retains.
 */
async function liveHeapKb(pid: number, port: number): Promise<number> {
	process.kill(pid, 'SIGUSR1');
	let list: Array<{ webSocketDebuggerUrl: string }> = [];
	for (let i = 0; i < 50 && list.length === 0; i++) {
		try {
			list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
		} catch {
			await lib.sleep(100);
		}
	}
	// ws comes with the dev dependencies (jest's environment); Node 20 has no WebSocket client.
	const WebSocket = require('ws');
	const socket = new WebSocket(list[0].webSocketDebuggerUrl);
	await new Promise((resolve, reject) => {
		socket.once('open', resolve);
		socket.once('error', reject);
	});
	let id = 0;
	const call = (method: string) =>
		new Promise<any>((resolve) => {
			const my = ++id;
			const onMessage = (data: Buffer) => {
				const msg = JSON.parse(data.toString());
				if (msg.id === my) {
					socket.off('message', onMessage);
					resolve(msg.result);
				}
			};
			socket.on('message', onMessage);
			socket.send(JSON.stringify({ id: my, method }));
		});
	try {
		await call('HeapProfiler.enable');
		await call('HeapProfiler.collectGarbage');
		await call('HeapProfiler.collectGarbage');
		const usage = await call('Runtime.getHeapUsage');
		return usage.usedSize / 1024;
	} finally {
		socket.close();
	}
}

describe(`n8n ${lib.CURRENT.n8n}: chaos run and leak hunt`, () => {
	let stack: any;
	let gatewayProxy: FaultyProxy | undefined;
	let n8nProxy: FaultyProxy | undefined;
	const fireTimeline: Call[] = [];
	const secrets = [CANARY, ADMIN, ROTATING, FIRE];
	/** New keys the package minted (taken from the sandbox's log): they must not leak either. */
	const minted = new Set<string>();
	const answers: string[] = [];
	const summary: string[] = [];

	beforeAll(async () => {
		INSPECT_PORT = await lib.freePort();
		const examplesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-chaos-examples-'));
		stack = await lib.startStack({
			apiKey: CANARY,
			examplesDir,
			workflows: [CHAOS_WF, LEAK_WF, FIRE_ROTATE_WF, FIRE_CHAT_WF],
			logLevel: 'debug', // the strictest log for the leak check
			// The inspector's port, opened only when the heap is measured (SIGUSR1); 127.0.0.1 only.
			extraEnv: {
				NODE_OPTIONS: `--max-old-space-size=2048 --inspect-port=127.0.0.1:${INSPECT_PORT}`,
			},
			sandbox: {
				users: [
					{ user_id: 'chaos-user', user_role: 'internal_user' },
					{ user_id: 'chaos-admin', user_role: 'proxy_admin' },
				],
				keys: [
					{
						key: CANARY,
						key_alias: 'chaos-canary',
						user_id: 'chaos-user',
						models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'],
						max_budget: 1000,
					},
					{ key: ADMIN, key_alias: 'chaos-admin', user_id: 'chaos-admin' },
					{ key: ROTATING, key_alias: 'chaos-rotating', user_id: 'chaos-user' },
					// No rate limit: many rotations and chats in a minute.
					{
						key: FIRE,
						key_alias: 'chaos-fire',
						user_id: 'chaos-user',
						rpm_limit: null,
						tpm_limit: null,
					},
					{ key: `sk-target-${rand()}`, key_alias: 'leak-target', user_id: 'chaos-user' },
					{ key: `sk-victim-${rand()}`, key_alias: 'leak-victim', user_id: 'chaos-user' },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
		fs.rmSync(examplesDir, { recursive: true, force: true });
		// One timeline for both proxies: the order of every call a rotation makes.
		gatewayProxy = await startFaultyProxy(stack.sandbox.url, { timeline: fireTimeline });
		n8nProxy = await startFaultyProxy(stack.n8n.url, { timeline: fireTimeline });
		await lib.importData(stack.n8n, {
			credentials: [
				{ ...ADMIN_CRED, data: { baseUrl: stack.sandbox.url, apiKey: ADMIN, allowHttp: false } },
				{
					...ROTATE_CRED,
					data: { baseUrl: stack.sandbox.url, apiKey: ROTATING, allowHttp: false },
				},
				{ ...FIRE_CRED, data: { baseUrl: gatewayProxy.url, apiKey: FIRE, allowHttp: false } },
				{
					...FIRE_N8N_CRED,
					data: { baseUrl: n8nProxy.url, apiKey: stack.client.apiKey, allowHttp: false },
				},
			],
		});
		for (const id of [CHAOS_WF.id, LEAK_WF.id, FIRE_ROTATE_WF.id, FIRE_CHAT_WF.id]) {
			const res = await stack.client.request(
				'POST',
				`/api/v1/workflows/${id}/activate`,
				undefined,
				{ auth: 'apiKey' },
			);
			if (res.status !== 200)
				throw new Error(`activating ${id}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
		}
	});

	afterAll(async () => {
		if (summary.length) process.stdout.write(`\n${summary.join('\n')}\n`);
		await gatewayProxy?.close();
		await n8nProxy?.close();
		if (stack) await stack.stop();
	});

	async function webhook(
		pathName: string,
		body: unknown,
	): Promise<{ status: number; text: string; ms: number }> {
		const t0 = Date.now();
		let res: Response;
		let text: string;
		// n8n registers an activated workflow's webhook a moment later: a 404 starts no execution, so try again.
		for (let attempt = 1; ; attempt++) {
			res = await fetch(`${stack.n8n.url}/webhook/${pathName}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			});
			text = await res.text();
			if (res.status !== 404 || attempt >= 60) break;
			await lib.sleep(500);
		}
		answers.push(text);
		return { status: res.status, text, ms: Date.now() - t0 };
	}

	async function lastExecution(workflowId: string): Promise<any> {
		const res = await stack.client.request(
			'GET',
			`/api/v1/executions?workflowId=${workflowId}&includeData=true&limit=1`,
			undefined,
			{ auth: 'apiKey' },
		);
		expect(res.status).toBe(200);
		return res.body.data[0];
	}

	const inputs = Array.from({ length: ITEMS }, (_, n) => ({
		n,
		// Every 97th item has no text (bad input), every 50th asks for a model the key may not use.
		text: n % 97 === 13 ? '' : `chaos item ${n}`,
		model: n % 50 === 7 ? 'meta-llama/Llama-3.3-70B-Instruct' : 'openai/gpt-oss-20b',
	}));

	const rss: number[] = [];
	const groupRss: number[] = [];
	const heap: number[] = [];

	for (let run = 1; run <= RUNS; run++) {
		it(`chaos run ${run}/${RUNS}: ${ITEMS} items out once each, in order, as a result or a classified error`, async () => {
			stack.sandbox.clearRequests();
			stack.sandbox.setConfig({ chaos: { ...CHAOS, seed: 1000 + run } });
			let res;
			try {
				res = await webhook('jlab-chaos', { items: inputs });
			} finally {
				stack.sandbox.setConfig({ chaos: null });
			}
			expect(res.status).toBe(200);
			expect(stack.n8n.exited).toBeNull();

			const exec = await lastExecution(CHAOS_WF.id);
			expect(exec.status).toBe('success');
			const out: Item[] = exec.data.resultData.runData.Chat[0].data.main[0];
			const answered: Array<Record<string, any>> = JSON.parse(res.text);
			expect(answered).toHaveLength(ITEMS);
			expect(out).toHaveLength(ITEMS);

			const outcomes: Record<string, number> = {};
			const problems: string[] = [];
			out.forEach((item, i) => {
				const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
				if (paired?.item !== i)
					problems.push(`item ${i}: pairedItem ${JSON.stringify(item.pairedItem)}`);
				const j = item.json;
				if (JSON.stringify(answered[i]) !== JSON.stringify(j))
					problems.push(`item ${i}: the webhook answer differs from the stored item`);
				if (j.errorType !== undefined) {
					if (!ERROR_CLASSES.includes(j.errorType))
						problems.push(`item ${i}: unknown errorType ${j.errorType}`);
					if (typeof j.error !== 'string' || !j.error)
						problems.push(`item ${i}: errorType without error`);
					outcomes[j.errorType] = (outcomes[j.errorType] ?? 0) + 1;
				} else {
					if (typeof j.reply !== 'string' || !j.reply.endsWith(`: chaos item ${i}`))
						problems.push(`item ${i}: reply ${JSON.stringify(j.reply)?.slice(0, 80)}`);
					outcomes.success = (outcomes.success ?? 0) + 1;
				}
				if (inputs[i].text === '' && j.errorType !== 'bad_request')
					problems.push(`item ${i}: empty text gave ${j.errorType ?? 'success'}`);
				if (
					inputs[i].text !== '' &&
					inputs[i].model.startsWith('meta') &&
					j.errorType !== 'model_not_allowed'
				)
					problems.push(`item ${i}: forbidden model gave ${j.errorType ?? 'success'}`);
			});
			expect(problems.slice(0, 10)).toEqual([]);

			const requests = stack.sandbox.requests.filter((r: any) => r.path === '/v1/chat/completions');
			const faults: Record<string, number> = {};
			for (const r of requests) if (r.fault) faults[r.fault] = (faults[r.fault] ?? 0) + 1;
			const injected = Object.values(faults).reduce((a, b) => a + b, 0);
			// Not vacuous: the gateway did fail often, and every kind came up.
			expect(injected).toBeGreaterThan(ITEMS * CHAOS.rate * 0.5);
			for (const kind of CHAOS.kinds) expect(faults[kind] ?? 0).toBeGreaterThan(0);
			// Most items got through despite the faults (retries work); the rest are classified.
			expect(outcomes.success).toBeGreaterThan(ITEMS * 0.85);

			// A moment of quiet first, so the sample is the server at rest, not mid-collection.
			await lib.sleep(3000);
			rss.push(rssKb(stack.n8n.child.pid));
			groupRss.push(groupRssKb(stack.n8n.child.pid));
			heap.push(await liveHeapKb(stack.n8n.child.pid, INSPECT_PORT));
			summary.push(
				`chaos run ${run}: ${ITEMS} items in ${(res.ms / 1000).toFixed(1)} s; ${requests.length} chat requests, ${injected} faults injected ${JSON.stringify(faults)}; ` +
					`outcomes ${JSON.stringify(outcomes)}; n8n server RSS ${mb(rss[rss.length - 1])} MB (process group ${mb(groupRss[groupRss.length - 1])} MB), live V8 heap after full GC ${mb(heap[heap.length - 1])} MB`,
			);
			process.stdout.write(`${summary[summary.length - 1]}\n`);
		});
	}

	it(`the n8n server is alive after ${RUNS} runs and its live heap grew less than ${HEAP_GROWTH_LIMIT_MB} MB (RSS less than ${RSS_GROWTH_LIMIT_MB} MB) from run 1 to run ${RUNS}`, async () => {
		expect(rss).toHaveLength(RUNS);
		if (RUNS < 2) return;
		expect(stack.n8n.exited).toBeNull();
		const health = await fetch(`${stack.n8n.url}/healthz`);
		expect(health.status).toBe(200);
		const growthMb = (rss[RUNS - 1] - rss[0]) / 1024;
		const heapGrowthMb = (heap[RUNS - 1] - heap[0]) / 1024;
		summary.push(
			`n8n server RSS after each run: ${rss.map(mb).join(', ')} MB; growth run 1 → ${RUNS}: ${growthMb.toFixed(1)} MB (limit ${RSS_GROWTH_LIMIT_MB} MB); ` +
				`live V8 heap after full GC: ${heap.map(mb).join(', ')} MB (growth ${heapGrowthMb.toFixed(1)} MB, limit ${HEAP_GROWTH_LIMIT_MB} MB)`,
		);
		expect(heapGrowthMb).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
		expect(growthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
	});

	it(`rotation under fire: ${FIRE_ROTATIONS} rotations in a row in the real n8n, ${FIRE_RATE * 100} % of the gateway's and n8n API's answers faulted; a workflow through the credential works after each`, async () => {
		const rand = prng(20261128);
		const injected: Record<string, number> = {};
		const states: Record<string, number> = {};
		const problems: string[] = [];
		const faultsFor = randomFaults(rand, injected, FIRE_RATE);
		const quiet = () => undefined;
		let calls = 0;
		for (let n = 1; n <= FIRE_ROTATIONS && problems.length <= 5; n++) {
			const label = `rotation ${n}`;
			const before = gatewayProxy!.calls.length + n8nProxy!.calls.length;
			const traceFrom = fireTimeline.length;
			const problemsBefore = problems.length;
			gatewayProxy!.faults.take = faultsFor('gateway');
			n8nProxy!.faults.take = faultsFor('n8n API');
			let rotated;
			try {
				rotated = await webhook('jlab-fire-rotate', { n });
			} finally {
				gatewayProxy!.faults.take = quiet;
				n8nProxy!.faults.take = quiet;
			}
			calls += gatewayProxy!.calls.length + n8nProxy!.calls.length - before;
			let items: Array<Record<string, any>> = [];
			try {
				items = JSON.parse(rotated.text);
			} catch {
				problems.push(
					`${label}: the webhook answered ${rotated.status} ${rotated.text.slice(0, 200)}`,
				);
			}
			if (items.length !== 1) problems.push(`${label}: ${items.length} items`);
			const state = String(items[0]?.state);
			states[state] = (states[state] ?? 0) + 1;
			if (!ROTATION_STATES.includes(state as never))
				problems.push(
					`${label}: unknown state ${state} (${JSON.stringify(items[0]).slice(0, 300)})`,
				);
			// The proof that counts: a workflow through the credential, right after, with no fault.
			const chatsBefore = stack.sandbox.requests.length;
			const chat = await webhook('jlab-fire-chat', { text: `after rotation ${n}` });
			const reply = (() => {
				try {
					return JSON.parse(chat.text)[0]?.reply;
				} catch {
					return undefined;
				}
			})();
			if (chat.status !== 200 || reply !== `Echo from openai/gpt-oss-20b: after rotation ${n}`) {
				problems.push(
					`${label}: the chat after it failed: ${chat.status} ${chat.text.slice(0, 300)}`,
				);
			}
			const sent = stack.sandbox.requests
				.slice(chatsBefore)
				.filter((q: any) => q.path === '/v1/chat/completions');
			if (sent.length !== 1 || sent[0].status !== 200)
				problems.push(
					`${label}: the chat sent ${sent.length} request(s), statuses ${sent.map((q: any) => q.status)}`,
				);
			if (problems.length > problemsBefore) {
				// What the rotation did, call by call, and what it reported: enough to replay it in-process.
				const calls = fireTimeline
					.slice(traceFrom)
					.map(
						(c) => `${c.method} ${c.path} → ${c.status ?? '-'}${c.fault ? ` [${c.fault}]` : ''}`,
					);
				problems.push(
					`${label} trace: ${calls.join('; ')}; output ${JSON.stringify(items[0] ?? null).slice(0, 1500)}`,
				);
			}
		}
		// The key n8n stores now is one the gateway knows.
		const stored = (await lib.readCredentialData(stack.n8n, FIRE_CRED.id)).apiKey;
		if (!stack.sandbox.getKey(stored))
			problems.push(`the stored key ${sha256(stored).slice(0, 12)} is unknown to the gateway`);
		const faults = Object.values(injected).reduce((a, b) => a + b, 0);
		summary.push(
			`rotation under fire (real n8n): ${FIRE_ROTATIONS} rotations, ${calls} calls through the proxies, ${faults} faults injected ${JSON.stringify(injected)}; end states ${JSON.stringify(states)}; chats after each: ${problems.length ? 'see problems' : 'all answered'}`,
		);
		process.stdout.write(`${summary[summary.length - 1]}\n`);
		expect(problems).toEqual([]);
		// Not vacuous: faults struck, some rotations completed and some did not.
		expect(faults).toBeGreaterThan(FIRE_ROTATIONS / 2);
		expect(states.completed ?? 0).toBeGreaterThan(0);
		expect(FIRE_ROTATIONS - (states.completed ?? 0)).toBeGreaterThan(0);
	}, 600_000);

	describe('leak hunt: every operation, cleanly and under each error class, with canary keys', () => {
		const covered = new Map<string, Set<string>>();
		const record = (op: string, outcome: string) => {
			if (!covered.has(op)) covered.set(op, new Set());
			covered.get(op)!.add(outcome);
		};

		async function huntOnce(label: string, fault?: object) {
			stack.sandbox.clearFaults();
			if (fault) stack.sandbox.injectFaults([{ route: '/*', times: -1, ...fault }]);
			let res;
			try {
				res = await webhook('jlab-leak', { run: label });
			} finally {
				stack.sandbox.clearFaults();
			}
			expect(res.status).toBe(200);
			const exec = await lastExecution(LEAK_WF.id);
			const runData = exec.data.resultData.runData;
			const outcomes: Record<string, string[]> = {};
			for (const op of OPERATIONS) {
				const task = runData[op.name]?.[0];
				expect({ op: op.name, ran: !!task, error: task?.error?.message }).toEqual({
					op: op.name,
					ran: true,
					error: undefined,
				});
				const items: Item[] = (task.data?.main ?? []).flatMap((o: Item[] | null) => o ?? []);
				expect({ op: op.name, items: items.length > 0 }).toEqual({ op: op.name, items: true });
				const kinds = new Set<string>();
				for (const item of items) {
					expect(item.pairedItem).toBeDefined();
					const t = item.json.errorType;
					if (t !== undefined)
						expect({ op: op.name, t, known: ERROR_CLASSES.includes(t) }).toEqual({
							op: op.name,
							t,
							known: true,
						});
					// auditWorkflows reports findings as items; a clean n8n has none, only its summary.
					// An unexpected failure shows with its message (redacted by the node, as it is stored).
					kinds.add(
						t === undefined
							? 'success'
							: label === 'clean'
								? `${t} (${String(item.json.error).slice(0, 300)})`
								: t,
					);
				}
				for (const k of kinds) record(op.name, k);
				outcomes[op.name] = [...kinds];
			}
			// The chain answers with the model's text, or (Continue On Fail) with the error the model node raised.
			const chainItems: Item[] = (runData[CHAIN]?.[0]?.data?.main ?? []).flatMap(
				(o: Item[] | null) => o ?? [],
			);
			expect({ op: CHAT_MODEL, items: chainItems.length }).toEqual({ op: CHAT_MODEL, items: 1 });
			const modelErrors = (runData[CHAT_MODEL] ?? []).map((t: any) => t.error).filter(Boolean);
			let kind = 'success';
			if (chainItems[0].json.text === undefined) {
				const described = String(modelErrors[0]?.description ?? '');
				kind =
					/^([a-z_]+): /.exec(described)?.[1] ??
					`unclassified (${described.slice(0, 80)} / ${String(chainItems[0].json.error).slice(0, 80)})`;
				expect({ op: CHAT_MODEL, kind, known: ERROR_CLASSES.includes(kind) }).toEqual({
					op: CHAT_MODEL,
					kind,
					known: true,
				});
			} else {
				expect(modelErrors).toEqual([]);
			}
			record(CHAT_MODEL, kind);
			outcomes[CHAT_MODEL] = [kind];
			return outcomes;
		}

		it('runs cleanly: every operation succeeds', async () => {
			const outcomes = await huntOnce('clean');
			for (const op of [...OPERATIONS.map((o) => o.name), CHAT_MODEL])
				expect({ op, outcomes: outcomes[op] }).toEqual({ op, outcomes: ['success'] });
		});

		it.each(FAULT_RUNS.map((f) => [f.label, f] as const))(
			'under %s: every operation fails with a classified error item',
			async (_label, f) => {
				const outcomes = await huntOnce(f.label, f.fault);
				for (const op of OPERATIONS) {
					// Audit reads n8n's workflows and asks the gateway only about keys it finds there: none here.
					if (op.name === 'Key auditWorkflows') continue;
					// A spent budget is Check Budget's answer, not its failure: "over threshold", budgetExceeded true.
					if (op.name === 'Usage checkBudget' && f.label.startsWith('budget exceeded')) {
						expect(outcomes[op.name]).toEqual(['success']);
						continue;
					}
					expect({ op: op.name, failed: outcomes[op.name].every((o) => o !== 'success') }).toEqual({
						op: op.name,
						failed: true,
					});
				}
				expect({ op: CHAT_MODEL, outcomes: outcomes[CHAT_MODEL] }).toEqual({
					op: CHAT_MODEL,
					outcomes: [expect.not.stringMatching(/^success$/)],
				});
			},
		);

		it('no canary (nor any 8-character piece of one) in webhook answers, stored executions, the n8n log, SQLite, or the sandbox log outside Authorization', async () => {
			// Keys the package minted travelled in /key/generate bodies (the client makes the key, as LiteLLM allows).
			for (const r of stack.sandbox.requests) {
				const b = r.body && typeof r.body === 'object' ? r.body : {};
				for (const v of [b.key, b.new_key])
					if (typeof v === 'string' && v.startsWith('sk-')) minted.add(v);
			}
			const all = [...secrets, ...minted];
			const hits: string[] = [];
			const scan = (where: string, text: string, keys: string[]) => {
				for (const key of keys) {
					const pieces: string[] = lib.leakedPieces(text, key);
					if (!pieces.length) continue;
					// Where it is: the surroundings of the first piece, the piece itself masked.
					const at = text.indexOf(pieces[0]);
					const context = text
						.slice(Math.max(0, at - 200), at + 60)
						.split(pieces[0])
						.join('«piece»');
					hits.push(
						`${where}: ${pieces.length} pieces of ${key.slice(0, 16)}…, first in …${context}…`,
					);
				}
			};
			scan('webhook answers', answers.join('\n'), all);

			const executions: unknown[] = [];
			let cursor: string | undefined;
			do {
				const res = await stack.client.request(
					'GET',
					`/api/v1/executions?includeData=true&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
					undefined,
					{ auth: 'apiKey' },
				);
				expect(res.status).toBe(200);
				executions.push(...res.body.data);
				cursor = res.body.nextCursor ?? undefined;
			} while (cursor);
			const execText = JSON.stringify(executions);
			expect(executions.length).toBeGreaterThanOrEqual(RUNS + 1 + FAULT_RUNS.length);
			expect(execText).toContain('errorType');
			scan('stored executions', execText, all);

			// Outside Authorization: path, query, headers and body of every request the gateway saw.
			// The canaries only: a minted key is sent in the body of the request that creates it, by design.
			const logText = JSON.stringify(
				stack.sandbox.requests.map((r: any) => ({
					path: r.path,
					query: r.query,
					headers: r.headers,
					body: r.body,
				})),
			);
			scan('sandbox request log', logText, secrets);
			expect(stack.sandbox.requests.some((r: any) => r.keyHash === sha256(CANARY))).toBe(true);
			expect(stack.sandbox.requests.some((r: any) => r.keyHash === sha256(ADMIN))).toBe(true);

			await stack.n8n.stop();
			const log = fs.readFileSync(stack.n8n.logFile, 'utf8');
			expect(log.length).toBeGreaterThan(1000);
			scan('n8n log', log, all);
			const dir = path.join(stack.n8n.userFolder, '.n8n');
			let dbBytes = 0;
			for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('database.sqlite'))) {
				const bytes = fs.readFileSync(path.join(dir, f)).toString('latin1');
				dbBytes += bytes.length;
				scan(`SQLite ${f}`, bytes, all);
			}
			expect(dbBytes).toBeGreaterThan(0);

			const pairs = [...covered.values()].reduce((a, s) => a + s.size, 0);
			summary.push(
				`leak hunt: ${OPERATIONS.length} operations + the Chat Model × (1 clean + ${FAULT_RUNS.length} fault runs); ${pairs} distinct operation × outcome pairs: ` +
					[...covered.entries()]
						.map(([op, s]) => `${op} [${[...s].sort().join(', ')}]`)
						.join('; ') +
					`; ${all.length} keys searched (${minted.size} minted); leaks found: ${hits.length}`,
			);
			expect(hits).toEqual([]);
		});
	});
});
