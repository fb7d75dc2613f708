/**
 * The shared transport inside n8n's engine, against the sandbox gateway over real HTTP:
 * retries (429 + retry-after, 503, reset, timeout), budget never retried, refinement of
 * management 401s, and the credential test for good and bad keys.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { runWorkflow, shutdownHarness, testCredential } from '../harness';

import { startSandbox, type Sandbox } from '../../sandbox/server';

const CANARY = 'sk-canary-TRNSPRT0a1b2c3d4e5f6g7h8';
const EXPIRED = 'sk-expired-key-0000000000000000001';
const BLOCKED = 'sk-blocked-key-0000000000000000002';
const BROKE = 'sk-broke-key-000000000000000000003';
const NOUSER = 'sk-no-user-key-000000000000000000004';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		profile: 'v1.9x',
		keys: [
			{ key: CANARY, key_alias: 'canary', user_id: 'alice' },
			{ key: EXPIRED, key_alias: 'old', user_id: 'alice', expires: '2020-01-01T00:00:00Z' },
			{ key: BLOCKED, key_alias: 'blocked', user_id: 'alice', blocked: true },
			{ key: BROKE, key_alias: 'broke', user_id: 'bob', max_budget: 1, spend: 2 },
			{ key: NOUSER, key_alias: 'bot' },
		],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.clearFaults();
});

const credential = (apiKey: string, baseUrl = sandbox.url) => ({
	id: 'c1',
	name: 'JLab LLM (sandbox)',
	type: 'jlabLlmApi',
	data: { baseUrl, apiKey },
});

async function probe(apiKey: string, calls: IDataObject[], continueOnFail = true) {
	const nodes: INode[] = [
		{
			id: '1',
			name: 'Items',
			type: 'test.items',
			typeVersion: 1,
			position: [0, 0],
			parameters: { items: JSON.stringify(calls) },
		},
		{
			id: '2',
			name: 'Probe',
			type: 'test.gatewayProbe',
			typeVersion: 1,
			position: [200, 0],
			parameters: {},
			credentials: { jlabLlmApi: { id: 'c1', name: 'JLab LLM (sandbox)' } },
			continueOnFail,
		},
	];
	const result = await runWorkflow(
		{ nodes, connections: { Items: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] } } },
		[credential(apiKey)],
	);
	return { result, items: result.output('Probe').map((i) => i.json) };
}

const sent = (path: string) => sandbox.requests.filter((r) => r.path === path);

function expectNoCanary(value: unknown) {
	const text = JSON.stringify(value);
	for (let i = 0; i + 8 <= CANARY.length; i++) expect(text).not.toContain(CANARY.slice(i, i + 8));
}

describe('transport in the engine', () => {
	it('sends the key only in the Authorization header, below the /api prefix', async () => {
		const { items } = await probe(CANARY, [{ route: '/v1/models' }]);
		expect(items[0].status).toBe(200);
		const req = sent('/v1/models')[0];
		expect(req.authorization).toBe(`Bearer ${CANARY}`);
		expectNoCanary({ headers: req.headers, query: req.query, body: req.body, path: req.path });
		expectNoCanary(items);
	});

	it('waits for retry-after on a 429 and then succeeds', async () => {
		sandbox.injectFaults([{ route: '/v1/models', kind: 'rate_limit', retryAfter: 1, times: 1 }]);
		const started = Date.now();
		const { items } = await probe(CANARY, [{ route: '/v1/models', maxRetries: 2 }]);
		expect(items[0]).toMatchObject({ status: 200, attempts: 2 });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(sent('/v1/models').map((r) => r.status)).toEqual([429, 200]);
	});

	it.each([
		[
			'503',
			{
				kind: 'status',
				status: 503,
				body: { error: { message: 'Service Unavailable', type: null, param: null, code: '503' } },
			},
		],
		['a connection reset', { kind: 'reset' }],
		['an upstream 500', { kind: 'upstream' }],
	])('retries %s with backoff', async (_label, fault) => {
		sandbox.injectFaults([{ route: '/v1/models', times: 2, ...fault }]);
		const { items } = await probe(CANARY, [{ route: '/v1/models', maxRetries: 3 }]);
		expect(items[0]).toMatchObject({ status: 200, attempts: 3 });
	});

	it('gives up after the retry budget with the class of the last failure', async () => {
		sandbox.injectFaults([{ route: '/v1/models', times: 5, kind: 'reset' }]);
		const { items } = await probe(CANARY, [{ route: '/v1/models', maxRetries: 1 }]);
		expect(items[0]).toMatchObject({ errorType: 'gateway_unavailable', attempts: 2 });
	});

	it('times out a request that hangs, and retries it', async () => {
		sandbox.injectFaults([{ route: '/v1/models', times: 2, kind: 'hang' }]);
		const { items } = await probe(CANARY, [{ route: '/v1/models', maxRetries: 1, timeoutMs: 300 }]);
		expect(items[0]).toMatchObject({ errorType: 'timeout', attempts: 2 });
		expect(String(items[0].error)).toMatch(/did not answer in time/);
	});

	it('never retries budget_exceeded', async () => {
		const { items } = await probe(BROKE, [
			{
				route: '/v1/chat/completions',
				method: 'POST',
				body: { model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'hi' }] },
				maxRetries: 3,
			},
		]);
		expect(items[0]).toMatchObject({ errorType: 'budget_exceeded', attempts: 1, httpCode: 429 });
		expect(sent('/v1/chat/completions')).toHaveLength(1);
	});

	it('classifies an HTML page (wrong base URL) as invalid_response without retrying', async () => {
		sandbox.injectFaults([{ route: '/v1/models', times: 1, kind: 'html' }]);
		const { items } = await probe(CANARY, [{ route: '/v1/models' }]);
		expect(items[0]).toMatchObject({ errorType: 'invalid_response', attempts: 1 });
	});

	it('tells a valid key without permission from a blocked key on management routes', async () => {
		const { items } = await probe(NOUSER, [{ route: '/spend/logs' }]);
		expect(items[0].errorType).toBe('permission_denied');
		const blocked = await probe(BLOCKED, [{ route: '/spend/logs' }]);
		expect(blocked.items[0].errorType).toBe('blocked_key');
	});

	it('redacts a key that the gateway echoes in an error body', async () => {
		sandbox.setConfig({ echoKeyInErrors: true });
		try {
			const wrong = `${CANARY}-wrong`;
			const { items } = await probe(wrong, [{ route: '/v1/models' }]);
			expect(items[0].errorType).toBe('invalid_key');
			const text = JSON.stringify(items);
			for (let i = 0; i + 8 <= wrong.length; i++) expect(text).not.toContain(wrong.slice(i, i + 8));
		} finally {
			sandbox.setConfig({ echoKeyInErrors: false });
		}
	});

	it('throws a node error with the class as description prefix when Continue On Fail is off', async () => {
		const { result } = await probe(EXPIRED, [{ route: '/v1/models' }], false);
		const err = result.error('Probe');
		expect(err?.description).toMatch(/^expired_key: /);
		expectNoCanary(result.run.data);
	});

	it('keeps one item out per item in, in order, with pairedItem', async () => {
		sandbox.injectFaults([
			{
				route: '/key/info',
				times: 1,
				kind: 'status',
				status: 400,
				body: { error: { message: 'x', type: null, param: null, code: '400' } },
			},
		]);
		const { result, items } = await probe(CANARY, [
			{ route: '/key/info' },
			{ route: '/v1/models' },
			{ route: '/key/info' },
		]);
		expect(items.map((i) => i.errorType ?? i.status)).toEqual(['bad_request', 200, 200]);
		expect(result.output('Probe').map((i) => i.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
	});
});

describe('credential test (as n8n runs a declarative test)', () => {
	it('passes for a valid key', async () => {
		expect(
			await testCredential('jlabLlmApi', { baseUrl: `${sandbox.url}/v1/`, apiKey: CANARY }),
		).toEqual({ status: 'OK', message: 'Connection successful!' });
		const req = sent('/v1/models')[0];
		expect(req.query).toEqual({});
		expect(req.authorization).toBe(`Bearer ${CANARY}`);
	});

	it.each([
		['an unknown key', 'sk-never-issued-000000000000000000', 'invalid_key'],
		['an expired key', EXPIRED, 'expired_key'],
		['a blocked key', BLOCKED, 'blocked_key'],
	])('fails for %s with the class in the message', async (_label, key, cls) => {
		const r = await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: key });
		expect(r.status).toBe('Error');
		expect(r.message.startsWith(`${cls}: `)).toBe(true);
		expect(r.message).not.toContain(key);
	});

	it('names the class for the v1.83 profile too (expired = 400, unknown = auth_error)', async () => {
		sandbox.setConfig({ profile: 'v1.83' });
		try {
			expect(
				(await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: EXPIRED })).message,
			).toMatch(/^expired_key: /);
			expect(
				(
					await testCredential('jlabLlmApi', {
						baseUrl: sandbox.url,
						apiKey: 'sk-never-issued-000000000000000000',
					})
				).message,
			).toMatch(/^invalid_key: /);
			expect(
				(await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: BLOCKED })).message,
			).toMatch(/^blocked_key: /);
		} finally {
			sandbox.setConfig({ profile: 'v1.9x' });
		}
	});

	it('passes where the gateway hides /key/info, and says when the URL is not a gateway', async () => {
		sandbox.setConfig({ exposeManagement: false });
		try {
			expect(await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: CANARY })).toEqual({
				status: 'OK',
				message: 'Connection successful!',
			});
		} finally {
			sandbox.setConfig({ exposeManagement: true });
		}
		sandbox.injectFaults([{ route: '/v1/models', times: 1, kind: 'html' }]);
		expect(
			(await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: CANARY })).message,
		).toMatch(/^invalid_response: /);
	});
});
