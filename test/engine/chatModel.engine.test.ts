/**
 * The JLab LLM Chat Model inside n8n-core's engine, against the sandbox gateway: the model the
 * SDK builds answers, calls tools, streams, reports token usage in the model node's run data,
 * attributes spend, retries what may be retried, and hands classified errors to the root node.
 */
import crypto from 'crypto';

import { shutdownHarness } from '../harness';

import { leakedPieces, modelParam, runModel, startSandbox, type Sandbox } from './chatModelSetup';

const CANARY = `sk-canary-model-${crypto.randomBytes(12).toString('hex')}`;
// Random bodies only: a readable prefix could match harmless text (e.g. "blocked-model" vs "cred-model").
const randomKey = () => `sk-${crypto.randomBytes(16).toString('hex')}`;
const BLOCKED = randomKey();
const EXPIRED = randomKey();
const BROKE = randomKey();
const LLAMA_ONLY = randomKey();
const UNKNOWN = randomKey();
const ALL_KEYS = [CANARY, BLOCKED, EXPIRED, BROKE, LLAMA_ONLY, UNKNOWN];
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

describe('JLab LLM Chat Model in the engine (sandbox gateway)', () => {
	let sandbox: Sandbox;
	beforeAll(async () => {
		sandbox = await startSandbox({
			port: 0,
			basePath: '/api',
			users: [{ user_id: 'model-user', user_role: 'internal_user' }],
			keys: [
				{ key: CANARY, key_alias: 'model-canary', user_id: 'model-user', max_budget: 100 },
				{ key: BLOCKED, key_alias: 'model-blocked', user_id: 'model-user', blocked: true },
				{
					key: EXPIRED,
					key_alias: 'model-expired',
					user_id: 'model-user',
					expires: '2020-01-01T00:00:00Z',
				},
				{ key: BROKE, key_alias: 'model-broke', user_id: 'model-user', max_budget: 1, spend: 2 },
				{
					key: LLAMA_ONLY,
					key_alias: 'model-llama',
					user_id: 'model-user',
					models: ['meta-llama/Llama-3.3-70B-Instruct'],
				},
			],
		});
	});
	afterAll(async () => {
		await sandbox.close();
		await shutdownHarness();
	});
	afterEach(() => sandbox.clearFaults());

	describe('answers', () => {
		it('invoke: the reply, chat completions on <base>/v1 with the credential key, token usage in the run data', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				items: [{ mode: 'invoke', prompt: 'Say hello to the accelerator' }],
			});
			expect(r.error('Probe')).toBeUndefined();
			expect(r.items).toEqual([
				{
					content: 'Echo from openai/gpt-oss-120b: Say hello to the accelerator',
					usage: expect.objectContaining({ total_tokens: expect.any(Number) }),
				},
			]);
			expect(r.chatRequests).toHaveLength(1);
			const [q] = r.chatRequests;
			expect(q.keyHash).toBe(sha256(CANARY));
			expect(q.authorization).toBe(`Bearer ${CANARY}`);
			expect(q.body.model).toBe('openai/gpt-oss-120b');
			expect(q.body.stream).toBe(false);
			// One run per model call, with n8n's token usage from the gateway's own usage block.
			expect(r.modelRuns).toHaveLength(1);
			const out = r.modelRuns[0].data?.ai_languageModel?.[0]?.[0]?.json as {
				tokenUsage: Record<string, number>;
			};
			expect(out.tokenUsage.totalTokens).toBeGreaterThan(0);
			expect(out.tokenUsage.totalTokens).toBe(
				out.tokenUsage.promptTokens + out.tokenUsage.completionTokens,
			);
		});

		it('tools: tool_calls come back as LangChain tool calls, the tool result goes back as a tool message', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				items: [{ mode: 'tool', prompt: '12 * 7', toolResult: '84' }],
			});
			expect(r.items).toEqual([
				{
					toolCall: { name: 'calculator', args: { input: '12 * 7' } },
					answer: 'Echo from openai/gpt-oss-120b: the tool returned: 84',
				},
			]);
			expect(r.chatRequests).toHaveLength(2);
			const [first, second] = r.chatRequests.map(
				(q) =>
					q.body as {
						tools?: Array<{ function: { name: string } }>;
						messages: Array<Record<string, unknown>>;
					},
			);
			expect(first.tools?.map((t) => t.function.name)).toEqual(['calculator']);
			const toolMessage = second.messages.find((m) => m.role === 'tool');
			expect(toolMessage).toEqual({
				role: 'tool',
				content: '84',
				tool_call_id: expect.stringMatching(/^call_/),
			});
			// Each model call shows in the model node's run data.
			expect(r.modelRuns).toHaveLength(2);
		});

		it('plain replies carry tool_calls: null, function_call: null and other nulls: they are tolerated', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				parameters: { model: modelParam('meta-llama/Llama-3.3-70B-Instruct') },
				items: [{ mode: 'invoke', prompt: 'nulls' }],
			});
			expect(r.items[0].content).toBe('Echo from meta-llama/Llama-3.3-70B-Instruct: nulls');
		});

		it('stream: SSE chunks in order, usage from the final chunk, and the run data holds the whole reply', async () => {
			const prompt = 'Stream a long answer about the CEBAF accelerator please';
			const r = await runModel(sandbox, { apiKey: CANARY, items: [{ mode: 'stream', prompt }] });
			const item = r.items[0] as {
				chunks: string[];
				text: string;
				usage: Record<string, number> | null;
			};
			expect(item.text).toBe(`Echo from openai/gpt-oss-120b: ${prompt}`);
			expect(item.chunks.length).toBeGreaterThan(2);
			expect(item.usage?.total_tokens).toBeGreaterThan(0);
			expect(r.chatRequests[0].body).toMatchObject({
				stream: true,
				stream_options: { include_usage: true },
			});
			const gen = r.modelRuns[0].data?.ai_languageModel?.[0]?.[0]?.json as {
				response: { generations: Array<Array<{ text: string }>> };
			};
			expect(gen.response.generations[0][0].text).toBe(item.text);
		});
	});

	describe('options and attribution', () => {
		it('sends the options, reasoning_effort, and LiteLLM metadata with tags and where in n8n the call came from', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				workflow: { id: 'wf-model-1', name: 'Model attribution' },
				parameters: {
					model: modelParam('openai/gpt-oss-20b', 'list'),
					options: {
						temperature: 0.3,
						topP: 0.9,
						maxTokens: 256,
						frequencyPenalty: 0.5,
						presencePenalty: -0.5,
						reasoningEffort: 'high',
						tags: 'project-x, nightly',
					},
				},
			});
			expect(r.items[0].content).toBe('Echo from openai/gpt-oss-20b: hello');
			const body = r.chatRequests[0].body;
			expect(body).toMatchObject({
				model: 'openai/gpt-oss-20b',
				temperature: 0.3,
				top_p: 0.9,
				max_tokens: 256,
				frequency_penalty: 0.5,
				presence_penalty: -0.5,
				reasoning_effort: 'high',
			});
			const origin = {
				n8n_workflow_id: 'wf-model-1',
				n8n_workflow_name: 'Model attribution',
				n8n_execution_id: expect.any(String),
				n8n_node_name: 'JLab LLM Chat Model',
			};
			expect(body.metadata).toEqual({
				tags: ['project-x', 'nightly'],
				...origin,
				spend_logs_metadata: origin,
			});
		});

		it('sends no metadata with attribution off and no tags, and only the options that were set', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				parameters: { options: { attribution: false } },
			});
			const body = r.chatRequests[0].body;
			expect(body.metadata).toBeUndefined();
			for (const k of [
				'temperature',
				'top_p',
				'max_tokens',
				'frequency_penalty',
				'presence_penalty',
				'reasoning_effort',
			])
				expect(body).not.toHaveProperty(k);
		});

		it('bad input fails before any request, naming the field, on the model node (n8n: "Error in sub-node")', async () => {
			const cases: Array<[Parameters<typeof runModel>[1], RegExp]> = [
				[{ apiKey: CANARY, parameters: { model: modelParam('', 'list') } }, /^Model: pick a model/],
				[
					{ apiKey: CANARY, parameters: { options: { temperature: 7 } } },
					/^Output Randomness \(Temperature\): expected a number from 0 to 2, got 7$/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { maxRetries: 2.5 } } },
					/^Max Retries: expected a whole number from 0 to 10/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { reasoningEffort: 'extreme' } } },
					/^Reasoning Effort: expected low, medium or high/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { topP: 3 } } },
					/^Output Randomness \(Top P\): expected a number from 0 to 1, got 3$/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { maxTokens: -1 } } },
					/^Maximum Number of Tokens: expected a whole number from 1 to /,
				],
				[
					{ apiKey: CANARY, parameters: { options: { frequencyPenalty: 9 } } },
					/^Frequency Penalty: expected a number from -2 to 2, got 9$/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { timeout: 0 } } },
					/^Timeout \(Seconds\): expected a number from 1 to 3600, got 0$/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { tags: 42 } } },
					/^Tags: expected comma-separated text/,
				],
				[
					{ apiKey: CANARY, parameters: { options: { attribution: 'maybe' } } },
					/^Attribution: expected true or false/,
				],
				[{ apiKey: CANARY, baseUrl: 'ftp://gateway.example.org' }, /^Base URL: /],
				[{ apiKey: CANARY, baseUrl: '' }, /^Base URL: the gateway's URL is required/],
				[
					{ apiKey: CANARY, baseUrl: 'http://delphi.jlab.org/api' },
					/^Base URL: expected https:\/\/.*Allow Unencrypted HTTP/,
				],
				[
					{ apiKey: CANARY, baseUrl: 'http://user:pass@127.0.0.1:4000/api' },
					/^Base URL: must not contain a user name or password/,
				],
				[
					{ apiKey: CANARY, baseUrl: `https://delphi.jlab.org/api?key=${CANARY}` },
					/^Base URL: must not contain a query string/,
				],
				[{ apiKey: 'not-a-key' }, /^API Key: /],
				[{ apiKey: '' }, /^API Key: the key is empty/],
				[{ apiKey: 'sk-abc def' }, /^API Key: expected a LiteLLM virtual key/],
			];
			for (const [options, message] of cases) {
				const r = await runModel(sandbox, options);
				expect(r.chatRequests).toEqual([]);
				// The root node is told which sub-node failed, and why.
				expect(r.items[0]).toMatchObject({
					message: 'Error in sub-node JLab LLM Chat Model',
					description: expect.stringMatching(message),
				});
				// The model node itself carries the classified error.
				const err = r.modelRuns[0]?.error as { message?: string; description?: string } | undefined;
				expect(err?.message).toMatch(message);
				expect(err?.description).toMatch(/^bad_request: /);
				// Nothing of the key in what the run produced.
				expect(leakedPieces([r.items, r.modelRuns], CANARY)).toEqual([]);
			}
		});
	});

	describe('gateway errors reach the root node classified', () => {
		it.each([
			{ label: 'a blocked key', key: BLOCKED, parameters: {}, prefix: 'blocked_key: ' },
			{ label: 'an expired key', key: EXPIRED, parameters: {}, prefix: 'expired_key: ' },
			{
				label: 'a key the gateway does not know',
				key: UNKNOWN,
				parameters: {},
				prefix: 'invalid_key: ',
			},
			{ label: 'a used-up budget', key: BROKE, parameters: {}, prefix: 'budget_exceeded: ' },
			{
				label: 'a model not on the allow-list',
				key: LLAMA_ONLY,
				parameters: {},
				prefix: 'model_not_allowed: ',
			},
			{
				label: 'a model the gateway does not have',
				key: CANARY,
				parameters: { model: modelParam('openai/no-such-model') },
				prefix: 'unknown_model: ',
			},
		])('$label → $prefix', async ({ key, parameters, prefix }) => {
			const r = await runModel(sandbox, {
				apiKey: key,
				parameters,
				items: [{ mode: 'invoke' }, { mode: 'stream' }],
			});
			expect(r.items).toHaveLength(2);
			for (const item of r.items) {
				expect(item.errorName).toBe('NodeApiError');
				expect(item.description).toEqual(expect.stringMatching(new RegExp(`^${prefix}`)));
				expect(leakedPieces(item, key)).toEqual([]);
			}
			// Never retried: one request per call.
			expect(r.chatRequests).toHaveLength(2);
			// The model node's run data carries the same classified error.
			const errors = r.modelRuns.map(
				(t) => (t.error as { description?: string } | undefined)?.description,
			);
			expect(errors.length).toBeGreaterThan(0);
			for (const d of errors) expect(d).toEqual(expect.stringMatching(new RegExp(`^${prefix}`)));
			expect(leakedPieces(r.run, key)).toEqual([]);
		});

		it('a gateway that echoes the key in its 401 body: the key is redacted from the error', async () => {
			sandbox.setConfig({ echoKeyInErrors: true });
			try {
				const r = await runModel(sandbox, { apiKey: UNKNOWN });
				expect(r.items[0].description).toMatch(/^invalid_key: /);
				expect(leakedPieces(r.run, UNKNOWN)).toEqual([]);
			} finally {
				sandbox.setConfig({ echoKeyInErrors: false });
			}
		});

		it('an error event in the middle of a stream → stream_error', async () => {
			sandbox.injectFaults([{ route: '/v1/chat/completions', times: 1, kind: 'midstream' }]);
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				items: [{ mode: 'stream', prompt: 'a stream that breaks off midway through' }],
			});
			expect(r.items[0].description).toMatch(/^stream_error: /);
			expect(r.items[0].message).toMatch(/Gateway said: .*Connection error/);
		});

		it('a base URL that serves a web page → invalid_response', async () => {
			sandbox.injectFaults([{ route: '/v1/chat/completions', times: 2, kind: 'html' }]);
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				items: [{ mode: 'invoke' }, { mode: 'stream' }],
			});
			for (const item of r.items) expect(item.description).toMatch(/^invalid_response: /);
		});

		it('nothing listening → gateway_unavailable, after the retries', async () => {
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				baseUrl: 'http://127.0.0.1:9/api',
				parameters: { options: { maxRetries: 1 } },
			});
			expect(r.items[0].description).toMatch(/^gateway_unavailable: /);
		});

		it('the root node may throw it on: n8n gets the classified NodeApiError', async () => {
			const r = await runModel(sandbox, {
				apiKey: BLOCKED,
				items: [{ mode: 'invoke', rethrow: true }],
			});
			const err = r.error('Probe');
			expect(err?.description).toMatch(/^blocked_key: /);
			expect(leakedPieces(r.run, BLOCKED)).toEqual([]);
		});
	});

	describe('retries', () => {
		it('retries 503s within Max Retries and then answers', async () => {
			sandbox.injectFaults([
				{ route: '/v1/chat/completions', times: 2, kind: 'status', status: 503 },
			]);
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxRetries: 2 } },
			});
			expect(r.items[0].content).toBe('Echo from openai/gpt-oss-120b: hello');
			expect(r.chatRequests.map((q) => q.status)).toEqual([503, 503, 200]);
		});

		it('gives up after Max Retries with the class of the last failure', async () => {
			sandbox.injectFaults([{ route: '/v1/chat/completions', times: 3, kind: 'upstream' }]);
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxRetries: 1 } },
			});
			expect(r.items[0].description).toMatch(/^upstream_error: /);
			expect(r.chatRequests).toHaveLength(2);
		});

		it('waits as long as a 429 asks (retry-after) before the retry', async () => {
			sandbox.injectFaults([
				{ route: '/v1/chat/completions', times: 1, kind: 'rate_limit', retryAfter: 1 },
			]);
			const r = await runModel(sandbox, { apiKey: CANARY });
			expect(r.items[0].content).toBe('Echo from openai/gpt-oss-120b: hello');
			const [limited, ok] = r.chatRequests;
			expect([limited.status, ok.status]).toEqual([429, 200]);
			expect(ok.time - limited.time).toBeGreaterThanOrEqual(950);
		});

		it('Max Retries 0: a 503 fails at once', async () => {
			sandbox.injectFaults([
				{ route: '/v1/chat/completions', times: 1, kind: 'status', status: 503 },
			]);
			const r = await runModel(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxRetries: 0 } },
			});
			expect(r.items[0].description).toMatch(/^gateway_unavailable: /);
			expect(r.chatRequests).toHaveLength(1);
		});
	});

	it('no piece of any key is in anything a run produced', async () => {
		const r = await runModel(sandbox, {
			apiKey: CANARY,
			items: [{ mode: 'invoke' }, { mode: 'tool', prompt: '1 + 1' }, { mode: 'stream' }],
		});
		expect(r.items).toHaveLength(3);
		expect(JSON.stringify(r.run)).toContain('tokenUsage');
		for (const key of ALL_KEYS) expect(leakedPieces(r.run, key)).toEqual([]);
	});
});
