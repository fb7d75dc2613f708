/**
 * The bad-input matrix (docs/architecture.md, invariant 4): every node and both credentials, fed what users
 * and old workflow JSON really feed them. Each case names the field and what is expected, and
 * the sandbox's request log proves no request left when none should have. Cases that do reach
 * a wrong server (an HTML page, a connection that closes) say what class they fail with and how
 * many requests they may cost. Positive controls prove the log check is not vacuous.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';

import { runWorkflow, shutdownHarness, type StoredCredential } from '../harness';
import { leakedPieces } from '../helpers/leaks';

import { startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-BADINPUT-7c9e2f41a0b3d8e65f12';
const ADMIN = 'sk-canary-BADADMIN-1f0e9d8c7b6a5f4e3d2c';
const N8N_KEY = 'n8n-canary-BADINPUT-a1b2c3d4e5f6a7b8c9d0';

type NodeKind = 'chat' | 'usage' | 'key';
const TYPES: Record<NodeKind, string> = {
	chat: 'n8n-nodes-jlab-llm.jlabLlmChat',
	usage: 'n8n-nodes-jlab-llm.jlabLlmUsage',
	key: 'n8n-nodes-jlab-llm.jlabLlmKey',
};

interface Case {
	what: string;
	node: NodeKind;
	params: IDataObject;
	/** Overrides of the JLab LLM API credential ({{sandbox}} = the sandbox URL, {{port}} its port). */
	gateway?: IDataObject;
	/** Overrides of the JLab LLM n8n API credential. */
	n8n?: IDataObject;
	/** The message must contain this (the field name, then what is expected). */
	message: RegExp;
	/** The error class (description prefix); default bad_request. */
	errorClass?: string;
	/** Requests the gateway may see: 0 (default), or exactly this many. */
	requests?: number;
	/** Sandbox faults for the cases that talk to a wrong server. */
	faults?: IDataObject[];
	/** Paths that may be requested (read-only look-ups before the check); default none. */
	items?: IDataObject[];
}

const CHAT = { model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' }, prompt: 'hello' };
const ROTATE = {
	operation: 'rotate',
	strategy: 'replace',
	options: { maxRetries: 0, timeoutMs: 2000 },
};

const CASES: Case[] = [
	// ── the JLab LLM API credential, through each node
	{
		what: 'an empty base URL',
		node: 'chat',
		params: CHAT,
		gateway: { baseUrl: '' },
		message: /^Base URL: the gateway's URL is required/,
	},
	{
		what: 'a base URL without a scheme',
		node: 'chat',
		params: CHAT,
		gateway: { baseUrl: 'delphi.jlab.org/api' },
		message: /^Base URL: expected an http:\/\/ or https:\/\/ URL/,
	},
	{
		what: 'an ftp:// base URL',
		node: 'usage',
		params: { operation: 'getKeyInfo' },
		gateway: { baseUrl: 'ftp://127.0.0.1:{{port}}/api' },
		message: /^Base URL: expected an http:\/\/ or https:\/\/ URL, got ftp:\/\//,
	},
	{
		what: 'a file:// base URL',
		node: 'key',
		params: { operation: 'listKeys' },
		gateway: { baseUrl: 'file:///etc/passwd' },
		message: /^Base URL: expected an http:\/\/ or https:\/\/ URL, got file:\/\//,
	},
	{
		what: 'http:// to a remote host (0.0.0.0 reaches this machine, but is not loopback)',
		node: 'chat',
		params: CHAT,
		gateway: { baseUrl: 'http://0.0.0.0:{{port}}/api' },
		message: /^Base URL: expected https:\/\/ for a gateway that is not on this machine/,
	},
	{
		what: 'http:// to an IPv4-mapped address',
		node: 'usage',
		params: { operation: 'listModels' },
		gateway: { baseUrl: 'http://[::ffff:127.0.0.1]:{{port}}/api' },
		message: /^Base URL: expected https:\/\//,
	},
	{
		what: 'http:// to the lab gateway',
		node: 'key',
		params: { operation: 'listKeys' },
		gateway: { baseUrl: 'http://delphi.jlab.org/api' },
		message: /^Base URL: expected https:\/\/.*Allow Unencrypted HTTP/,
	},
	{
		what: 'a base URL with a user name and password',
		node: 'chat',
		params: CHAT,
		gateway: { baseUrl: 'http://user:pass@127.0.0.1:{{port}}/api' },
		message: /^Base URL: must not contain a user name or password/,
	},
	{
		what: 'a base URL with the key in its query',
		node: 'usage',
		params: { operation: 'getKeyInfo' },
		gateway: { baseUrl: `{{sandbox}}?key=${KEY}` },
		message: /^Base URL: must not contain a query string/,
	},
	{
		what: 'a base URL with a fragment',
		node: 'usage',
		params: { operation: 'getActivity' },
		gateway: { baseUrl: '{{sandbox}}#v1' },
		message: /^Base URL: must not contain a query string or fragment/,
	},
	{
		what: 'an empty API key',
		node: 'chat',
		params: CHAT,
		gateway: { apiKey: '' },
		message: /^API Key: the key is empty/,
	},
	{
		what: 'an API key that is not a virtual key',
		node: 'usage',
		params: { operation: 'checkBudget' },
		gateway: { apiKey: 'Bearer abc' },
		message: /^API Key: expected a LiteLLM virtual key that starts with 'sk-'/,
	},
	{
		what: 'an API key with a space inside',
		node: 'key',
		params: { operation: 'listKeys' },
		gateway: { apiKey: 'sk-abc def' },
		message: /^API Key: expected a LiteLLM virtual key/,
	},
	// ── the JLab LLM n8n API credential (rotation writes through it)
	{
		what: 'an empty n8n base URL',
		node: 'key',
		params: ROTATE,
		n8n: { baseUrl: '' },
		message: /^n8n Base URL: this n8n instance's address is required/,
	},
	{
		what: 'an n8n base URL that is not a URL',
		node: 'key',
		params: ROTATE,
		n8n: { baseUrl: 'localhost 5678' },
		message: /^n8n Base URL: expected an http:\/\/ or https:\/\/ URL/,
	},
	{
		what: 'an ftp:// n8n base URL',
		node: 'key',
		params: ROTATE,
		n8n: { baseUrl: 'ftp://127.0.0.1' },
		message: /^n8n Base URL: expected an http:\/\/ or https:\/\/ URL, got ftp:\/\//,
	},
	{
		what: 'http:// to a remote n8n',
		node: 'key',
		params: ROTATE,
		n8n: { baseUrl: 'http://n8n.jlab.org' },
		message: /^n8n Base URL: expected https:\/\/ for an n8n that is not on this machine/,
	},
	{
		what: 'an n8n base URL with a query string',
		node: 'key',
		params: ROTATE,
		n8n: { baseUrl: 'http://127.0.0.1:5678/?apiKey=x' },
		message: /^n8n Base URL: must be a plain address/,
	},
	{
		what: 'an empty n8n API key',
		node: 'key',
		params: ROTATE,
		n8n: { apiKey: '' },
		message: /^n8n API Key: the key is empty/,
	},
	{
		what: 'an empty n8n API key when creating a bot key',
		node: 'key',
		params: { operation: 'createKey', keyAlias: 'bot-1', credentialName: 'Bot 1' },
		gateway: { apiKey: ADMIN },
		n8n: { apiKey: '' },
		message: /^n8n API Key: the key is empty/,
	},
	// ── JLab LLM Chat
	{
		what: 'an empty prompt',
		node: 'chat',
		params: { ...CHAT, prompt: '={{ "" }}' },
		message: /^Prompt: /,
	},
	{
		what: 'malformed messages JSON',
		node: 'chat',
		params: { ...CHAT, inputMode: 'json', messagesJson: '[{"role": "user", "content": "hi"' },
		message: /^Messages \(JSON\): /,
	},
	{
		what: 'an empty message list',
		node: 'chat',
		params: { ...CHAT, inputMode: 'messages', messages: { values: [] } },
		message: /^Messages: /,
	},
	{
		what: 'an invalid JSON schema',
		node: 'chat',
		params: { ...CHAT, options: { responseFormat: 'json_schema', jsonSchema: '{"type": ' } },
		message: /^JSON Schema: /,
	},
	{
		what: 'a JSON schema that is a list',
		node: 'chat',
		params: { ...CHAT, options: { responseFormat: 'json_schema', jsonSchema: '[1, 2]' } },
		message: /^JSON Schema: /,
	},
	{
		what: 'temperature 5',
		node: 'chat',
		params: { ...CHAT, options: { temperature: 5 } },
		message: /^Output Randomness \(Temperature\): expected a number from 0 to 2/,
	},
	{
		what: 'concurrency 1000',
		node: 'chat',
		params: { ...CHAT, options: { concurrency: 1000 } },
		message: /^Concurrency: /,
	},
	{
		what: 'an empty model',
		node: 'chat',
		params: { ...CHAT, model: { __rl: true, mode: 'id', value: '={{ $json.missing }}' } },
		message: /^Model: pick a model from the list or enter its ID/,
	},
	{
		what: 'an unknown operation in old workflow JSON',
		node: 'chat',
		params: { ...CHAT, operation: 'summarize' },
		message: /operation "summarize" is not known to JLab LLM Chat/,
	},
	// ── JLab LLM Usage
	{
		what: 'an unknown operation in old workflow JSON',
		node: 'usage',
		params: { operation: 'getSpend' },
		message: /^Operation: one of getKeyInfo, getActivity, checkBudget, listModels/,
	},
	{
		what: 'a start date that is not a date',
		node: 'usage',
		params: { operation: 'getActivity', startDate: 'last month' },
		message: /^Start Date: a date such as/,
	},
	{
		what: 'a start date after the end date',
		node: 'usage',
		params: { operation: 'getActivity', startDate: '2026-06-10', endDate: '2026-06-01' },
		message: /^Start Date: a date on or before the End Date/,
	},
	{
		what: 'a date range over the limit',
		node: 'usage',
		params: { operation: 'getActivity', startDate: '2020-01-01', endDate: '2026-06-01' },
		message: /^Start Date: a range of at most \d+ days/,
	},
	{
		what: 'a chart field name with spaces',
		node: 'usage',
		params: { operation: 'getActivity', addChart: true, binaryPropertyName: 'my chart' },
		message: /^Put Chart in Field: /,
	},
	{
		what: 'an unknown activity scope',
		node: 'usage',
		params: { operation: 'getActivity', scope: 'team' },
		message: /^Activity Of: /,
	},
	{
		what: 'a percent threshold of 150',
		node: 'usage',
		params: { operation: 'checkBudget', thresholdType: 'percentUsed', percentThreshold: 150 },
		message: /^Percent/,
	},
	{
		what: 'a negative USD threshold',
		node: 'usage',
		params: { operation: 'checkBudget', thresholdType: 'remainingUsd', usdThreshold: -1 },
		message: /USD/,
	},
	{
		what: 'an unknown threshold type',
		node: 'usage',
		params: { operation: 'checkBudget', thresholdType: 'tokens' },
		message: /^Threshold Type: /,
	},
	{
		what: 'rotate-after days of -3',
		node: 'usage',
		params: { operation: 'getKeyInfo', rotateAfterDays: -3 },
		message: /^Rotate After \(Days\): /,
	},
	// ── JLab LLM Key
	{
		what: 'an unknown operation in old workflow JSON (regenerateKey)',
		node: 'key',
		params: { operation: 'regenerateKey' },
		message: /^Operation: one of rotate, revoke/,
	},
	{
		what: 'an unknown rotation strategy',
		node: 'key',
		params: { ...ROTATE, strategy: 'swap' },
		message: /^Strategy: one of Auto, Replace, Regenerate/,
	},
	{
		what: 'a grace period that is not a duration',
		node: 'key',
		params: { ...ROTATE, gracePeriod: 'soon' },
		message: /^Grace Period: expected a duration such as 30m/,
	},
	{
		what: 'a regenerate grace period under a minute',
		node: 'key',
		params: { ...ROTATE, strategy: 'auto', gracePeriod: '10s' },
		message: /^Grace Period: at least 1m/,
	},
	{
		what: 'a new-key expiry that is not a duration',
		node: 'key',
		params: { ...ROTATE, newKeyDuration: '30 days' },
		message: /^New Key Expiry: expected a duration/,
	},
	{
		what: 'a grace period past any calendar',
		node: 'key',
		params: { ...ROTATE, gracePeriod: '99999999999mo' },
		message: /^Grace Period: at most ten years/,
	},
	{
		what: 'a credential ID of another credential',
		node: 'key',
		params: { ...ROTATE, options: { credentialId: 'someoneElse01' } },
		message: /^Credential ID: must be the ID of this node's own JLab LLM API credential/,
	},
	{
		what: 'revoke without the confirmation',
		node: 'key',
		params: { operation: 'revoke', keySelect: 'credential', confirmRevoke: false },
		message:
			/^I Understand Workflows Using This Credential Will Stop Working: turn this on to delete the key/,
	},
	{
		what: 'a bot key alias that is a key',
		node: 'key',
		params: { operation: 'createKey', keyAlias: 'sk-looks-like-a-key', credentialName: 'x' },
		gateway: { apiKey: ADMIN },
		message: /^Key Alias: expected a name for the key, not a key/,
	},
	{
		what: 'bot key metadata that is not JSON',
		node: 'key',
		params: {
			operation: 'createKey',
			keyAlias: 'bot-2',
			credentialName: 'x',
			options: { metadata: '{owner: data}' },
		},
		gateway: { apiKey: ADMIN },
		message: /^Metadata: expected a JSON object/,
	},
	{
		what: 'a bot key budget below zero',
		node: 'key',
		params: {
			operation: 'createKey',
			keyAlias: 'bot-3',
			credentialName: 'x',
			options: { maxBudget: -5 },
		},
		gateway: { apiKey: ADMIN },
		message: /^Max Budget.*: expected a number from 0/,
	},
	{
		what: 'model names with spaces',
		node: 'key',
		params: { operation: 'createKey', keyAlias: 'bot-4', credentialName: 'x', models: ['gpt oss'] },
		gateway: { apiKey: ADMIN },
		message: /^Model Names or IDs: model names contain no spaces/,
	},
	{
		what: 'an update with no fields',
		node: 'key',
		params: { operation: 'updateKey', keySelect: 'alias', keyAlias: 'bad-input', updateFields: {} },
		gateway: { apiKey: ADMIN },
		message: /^Update Fields: add at least one field/,
	},
	{
		what: 'a fingerprint that is not hex',
		node: 'key',
		params: { operation: 'block', keySelect: 'fingerprint', keyFingerprint: 'not-a-hash!' },
		gateway: { apiKey: ADMIN },
		message: /^Key Fingerprint: expected the 12 hex characters/,
	},
	{
		what: 'an empty alias to unblock',
		node: 'key',
		params: { operation: 'unblock', keySelect: 'alias', keyAlias: '  ' },
		gateway: { apiKey: ADMIN },
		message: /^Key Alias: the alias of the key to act on is required/,
	},
	{
		what: 'a timeout under a second',
		node: 'key',
		params: { operation: 'listKeys', options: { timeoutMs: 5 } },
		gateway: { apiKey: ADMIN },
		message: /^Timeout \(Ms\): expected a whole number from 1000/,
	},
	{
		what: 'max wait -1 s (chat)',
		node: 'chat',
		params: { ...CHAT, options: { maxWait: -1 } },
		message: /^Max Wait \(Seconds\): expected a number from 0 to 86400, got -1/,
	},
	{
		what: 'max wait of 1e8 s, past what a timer holds (chat)',
		node: 'chat',
		params: { ...CHAT, options: { maxWait: 1e8 } },
		message: /^Max Wait \(Seconds\): expected a number from 0 to 86400/,
	},
	{
		what: 'max wait that is not a number (key)',
		node: 'key',
		params: { operation: 'listKeys', options: { maxWait: 'forever' } },
		gateway: { apiKey: ADMIN },
		message: /^Max Wait \(Seconds\): expected a number from 0 to 86400, got "forever"/,
	},
	{
		what: 'max retries 50',
		node: 'key',
		params: { operation: 'listKeys', options: { maxRetries: 50 } },
		gateway: { apiKey: ADMIN },
		message: /^Max Retries: expected a whole number from 0 to 10/,
	},
	// ── a wrong server: these do send a request, and must say what went wrong
	{
		what: 'an HTML page from a wrong URL (chat)',
		node: 'chat',
		params: { ...CHAT, options: { maxRetries: 0 } },
		faults: [{ kind: 'html', times: -1 }],
		errorClass: 'invalid_response',
		requests: 1,
		message: /did not come from a LiteLLM gateway.*answered with a page that is not JSON/,
	},
	{
		what: 'an HTML page from a wrong URL (usage)',
		node: 'usage',
		params: { operation: 'getKeyInfo' },
		faults: [{ kind: 'html', times: -1 }],
		errorClass: 'invalid_response',
		requests: 1,
		message: /did not come from a LiteLLM gateway/,
	},
	{
		what: 'a gateway that closes the connection (chat)',
		node: 'chat',
		params: { ...CHAT, options: { maxRetries: 1 } },
		faults: [{ kind: 'reset', times: -1 }],
		errorClass: 'gateway_unavailable',
		requests: 2,
		message: /The gateway could not be reached/,
	},
	{
		what: 'a gateway that closes the connection (key)',
		node: 'key',
		params: { operation: 'listKeys', options: { maxRetries: 0 } },
		gateway: { apiKey: ADMIN },
		faults: [{ kind: 'reset', times: -1 }],
		errorClass: 'gateway_unavailable',
		requests: 1,
		message: /The gateway could not be reached/,
	},
	{
		what: 'plain text instead of JSON',
		node: 'usage',
		params: { operation: 'listModels' },
		faults: [{ kind: 'not_json', times: -1 }],
		errorClass: 'invalid_response',
		requests: 1,
		message: /did not come from a LiteLLM gateway/,
	},
];

let sandbox: Sandbox;
const n8nCalls: string[] = [];
let n8nServer: import('http').Server;
let n8nUrl = '';

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		users: [{ user_id: 'root', user_role: 'proxy_admin' }],
		keys: [
			{ key: KEY, key_alias: 'bad-input', user_id: 'alice', max_budget: 10 },
			{ key: ADMIN, key_alias: 'bad-input-admin', user_id: 'root' },
		],
	});
	// Stands for n8n's public API: any call to it is counted (none may come from bad input).
	const http = await import('http');
	n8nServer = http.createServer((req, res) => {
		n8nCalls.push(`${req.method} ${req.url}`);
		res.writeHead(500, { 'content-type': 'application/json' });
		res.end('{"message":"not in this test"}');
	});
	await new Promise<void>((r) => n8nServer.listen(0, '127.0.0.1', () => r()));
	n8nUrl = `http://127.0.0.1:${(n8nServer.address() as import('net').AddressInfo).port}`;
});

afterAll(async () => {
	await sandbox.close();
	await new Promise((r) => n8nServer.close(r));
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.clearFaults();
	n8nCalls.length = 0;
});

function fill(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	const port = new URL(sandbox.url).port;
	return value.replace('{{sandbox}}', sandbox.url).replace('{{port}}', port);
}

async function runCase(c: Case, continueOnFail: boolean) {
	const gateway: ICredentialDataDecryptedObject = {
		baseUrl: sandbox.url,
		apiKey: KEY,
		allowHttp: false,
	};
	for (const [k, v] of Object.entries(c.gateway ?? {})) gateway[k] = fill(v) as string | boolean;
	const n8n = {
		baseUrl: n8nUrl,
		apiKey: N8N_KEY,
		allowHttp: false,
		...(c.n8n ?? {}),
	} as ICredentialDataDecryptedObject;
	const credentials: StoredCredential[] = [
		{ id: 'badGateway01', name: 'JLab LLM (bad input)', type: 'jlabLlmApi', data: gateway },
		{ id: 'badN8n01', name: 'n8n API (bad input)', type: 'jlabLlmN8nApi', data: n8n },
	];
	const node: INode = {
		id: 'n',
		name: 'Node',
		type: TYPES[c.node],
		typeVersion: 1,
		position: [200, 0],
		parameters: c.params as INode['parameters'],
		credentials: {
			jlabLlmApi: { id: 'badGateway01', name: 'JLab LLM (bad input)' },
			...(c.node === 'key'
				? { jlabLlmN8nApi: { id: 'badN8n01', name: 'n8n API (bad input)' } }
				: {}),
		},
	};
	if (continueOnFail) node.onError = 'continueRegularOutput';
	const source: INode = {
		id: 's',
		name: 'Items',
		type: 'test.items',
		typeVersion: 1,
		position: [0, 0],
		parameters: { items: JSON.stringify(c.items ?? [{ n: 1 }]) },
	};
	const result = await runWorkflow(
		{
			nodes: [source, node],
			connections: { Items: { main: [[{ node: 'Node', type: 'main', index: 0 }]] } },
		},
		credentials,
	);
	return { error: result.error('Node'), items: [0, 1].flatMap((o) => result.output('Node', o)) };
}

function noSecretIn(text: string): string[] {
	return [KEY, ADMIN, N8N_KEY].flatMap((key) => leakedPieces(text, key));
}

describe('bad input: every node, both credentials', () => {
	it(`the matrix has at least 40 cases (${CASES.length})`, () => {
		expect(CASES.length).toBeGreaterThanOrEqual(40);
		expect(new Set(CASES.map((c) => c.node))).toEqual(new Set(['chat', 'usage', 'key']));
		expect(CASES.some((c) => c.n8n)).toBe(true);
	});

	it.each(CASES.map((c) => [`${c.node}: ${c.what}`, c] as const))('%s', async (_label, c) => {
		if (c.faults) sandbox.injectFaults(c.faults);
		const { error, items } = await runCase(c, false);
		expect(error).toBeDefined();
		expect(items).toEqual([]);
		expect(error!.message).toMatch(c.message);
		const cls = c.errorClass ?? 'bad_request';
		if (c.what.startsWith('an unknown operation') && c.node === 'chat') {
			// n8n's own "unknown operation" error, from the router, before any request.
		} else {
			expect(String(error!.description ?? '')).toMatch(new RegExp(`^${cls}: `));
		}
		expect(sandbox.requests.length).toBe(c.requests ?? 0);
		expect(n8nCalls).toEqual([]);
		expect(
			noSecretIn(
				`${error!.message}\n${String(error!.description ?? '')}\n${JSON.stringify(error)}`,
			),
		).toEqual([]);
	});

	it('with Continue On Fail every bad case yields one error item with errorType, and no request', async () => {
		let tried = 0;
		for (const c of CASES.filter(
			(x) => !x.faults && !(x.node === 'chat' && x.what.startsWith('an unknown operation')),
		)) {
			sandbox.clearRequests();
			const { error, items } = await runCase(c, true);
			expect({ what: c.what, error: error?.message }).toEqual({ what: c.what, error: undefined });
			expect({ what: c.what, n: items.length }).toEqual({ what: c.what, n: 1 });
			expect({ what: c.what, type: items[0].json.errorType }).toEqual({
				what: c.what,
				type: 'bad_request',
			});
			expect(String(items[0].json.error)).toMatch(c.message);
			expect(items[0].pairedItem).toBeDefined();
			expect(sandbox.requests.length).toBe(0);
			expect(noSecretIn(JSON.stringify(items))).toEqual([]);
			tried++;
		}
		expect(tried).toBeGreaterThan(40);
	});

	// Controls: the same nodes with good settings do reach the sandbox / the n8n stand-in, so "no request" above means something.
	it.each([
		['chat', CHAT, {}, 1],
		['usage', { operation: 'getKeyInfo' }, {}, 1],
		[
			'usage over http:// to loopback',
			{ operation: 'listModels' },
			{ baseUrl: 'http://127.0.0.1:{{port}}/api' },
			1,
		],
		[
			'usage over http:// to 0.0.0.0 with Allow Unencrypted HTTP',
			{ operation: 'listModels' },
			{ baseUrl: 'http://0.0.0.0:{{port}}/api', allowHttp: true },
			1,
		],
	] as const)(
		'control: %s with good settings sends its request',
		async (kind, params, gateway, n) => {
			const node = kind.split(' ')[0] as NodeKind;
			const { error, items } = await runCase(
				{
					what: 'control',
					node,
					params: params as IDataObject,
					gateway: gateway as IDataObject,
					message: /./,
				},
				false,
			);
			expect(error?.message).toBeUndefined();
			expect(items.length).toBeGreaterThan(0);
			expect(sandbox.requests.length).toBeGreaterThanOrEqual(n);
		},
	);

	it('control: a rotation with a good n8n credential reaches the n8n API', async () => {
		const { items } = await runCase(
			{ what: 'control', node: 'key', params: ROTATE, message: /./ },
			true,
		);
		expect(items).toHaveLength(1);
		expect(n8nCalls.length).toBeGreaterThan(0);
	});
});
