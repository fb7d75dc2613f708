/**
 * JLab LLM Chat Model, in-process pieces: options → SDK options, attribution metadata, the
 * mapping of the OpenAI client's errors to the package's classes, the retrying caller, and
 * supplyData with a minimal context (and without the SDK, as on n8n < 2.16).
 */
import crypto from 'crypto';

import type { INode, ISupplyDataFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { classifyClientError, isCancellation } from '../../nodes/LmChatJlabLlm/clientErrors';
import { GatewayCaller, installCaller } from '../../nodes/LmChatJlabLlm/gatewayCaller';
import { LmChatJlabLlm } from '../../nodes/LmChatJlabLlm/LmChatJlabLlm.node';
import { modelOptions } from '../../nodes/LmChatJlabLlm/sdkModel';
import {
	DEFAULT_MAX_RETRIES,
	DEFAULT_TIMEOUT_S,
	readModelOptions,
} from '../../nodes/LmChatJlabLlm/options';
import { spendMetadata } from '../../nodes/shared/attribution';
import { GatewayError } from '../../nodes/shared/errors';

// The exact client LangChain's ChatOpenAI uses under the SDK (openai v6), for real error objects.
const openai = require(
	require.resolve('openai', { paths: [require.resolve('@langchain/openai')] }),
);

const CANARY = `sk-canary-unit-${crypto.randomBytes(12).toString('hex')}`;
const ROUTE = '/v1/chat/completions';
const node: INode = {
	id: 'm',
	name: 'JLab LLM Chat Model',
	type: 'n8n-nodes-jlab-llm.lmChatJlabLlm',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

function leaked(text: string, key = CANARY): string[] {
	const out: string[] = [];
	for (let i = 0; i + 8 <= key.length; i++)
		if (text.includes(key.slice(i, i + 8))) out.push(key.slice(i, i + 8));
	return out;
}

/** An error as the OpenAI client builds it from an HTTP answer. */
function httpError(status: number, body: unknown, headers: Record<string, string> = {}) {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return openai.APIError.generate(status, json, json ? undefined : text, new Headers(headers));
}

describe('options', () => {
	it('defaults: nothing sent but timeout and retries; attribution on', () => {
		expect(readModelOptions({})).toEqual({
			temperature: undefined,
			topP: undefined,
			maxTokens: undefined,
			frequencyPenalty: undefined,
			presencePenalty: undefined,
			reasoningEffort: undefined,
			timeoutMs: DEFAULT_TIMEOUT_S * 1000,
			maxRetries: DEFAULT_MAX_RETRIES,
			maxWaitMs: 120_000,
			tags: [],
			attribution: true,
		});
	});

	it('reads every option, numbers given as text too', () => {
		expect(
			readModelOptions({
				temperature: '0.5',
				topP: 0.9,
				maxTokens: 300,
				frequencyPenalty: -1,
				presencePenalty: 2,
				reasoningEffort: 'low',
				timeout: 30,
				maxRetries: 0,
				maxWait: '2.5',
				tags: ' a, b ,, c',
				attribution: 'false',
			}),
		).toEqual({
			temperature: 0.5,
			topP: 0.9,
			maxTokens: 300,
			frequencyPenalty: -1,
			presencePenalty: 2,
			reasoningEffort: 'low',
			timeoutMs: 30_000,
			maxRetries: 0,
			maxWaitMs: 2500,
			tags: ['a', 'b', 'c'],
			attribution: false,
		});
		expect(readModelOptions({ tags: ['x', ' y '] }).tags).toEqual(['x', 'y']);
	});

	it.each([
		[
			{ temperature: 2.5 },
			'Output Randomness (Temperature): expected a number from 0 to 2, got 2.5',
		],
		[{ topP: -0.1 }, 'Output Randomness (Top P): expected a number from 0 to 1, got -0.1'],
		[
			{ maxTokens: 0 },
			'Maximum Number of Tokens: expected a whole number from 1 to 1000000, got 0',
		],
		[
			{ maxTokens: 10.5 },
			'Maximum Number of Tokens: expected a whole number from 1 to 1000000, got 10.5',
		],
		[{ frequencyPenalty: 'lots' }, 'Frequency Penalty: expected a number from -2 to 2, got "lots"'],
		[{ presencePenalty: 3 }, 'Presence Penalty: expected a number from -2 to 2, got 3'],
		[{ timeout: 0 }, 'Timeout (Seconds): expected a number from 1 to 3600, got 0'],
		[{ maxRetries: 11 }, 'Max Retries: expected a whole number from 0 to 10, got 11'],
		[{ reasoningEffort: 'max' }, 'Reasoning Effort: expected low, medium or high, got "max"'],
		[{ tags: 42 }, 'Tags: expected comma-separated text or a JSON array of non-empty strings'],
		[{ attribution: 'yes' }, 'Attribution: expected true or false, got "yes"'],
	])('refuses %j before any request, naming the field', (options, message) => {
		let error: unknown;
		try {
			readModelOptions(options);
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(GatewayError);
		expect((error as GatewayError).message).toBe(message);
		expect((error as GatewayError).errorClass).toBe('bad_request');
	});

	it('maps to the SDK: chat completions on <base>/v1, LiteLLM extras in the body', () => {
		const settings = readModelOptions({
			temperature: 0.2,
			topP: 0.8,
			maxTokens: 64,
			frequencyPenalty: 0.1,
			presencePenalty: 0.2,
			reasoningEffort: 'high',
			timeout: 20,
			maxRetries: 1,
		});
		const metadata = { tags: ['t'] };
		expect(
			modelOptions(
				'https://delphi.jlab.org/api',
				CANARY,
				'openai/gpt-oss-120b',
				settings,
				metadata,
			),
		).toEqual({
			type: 'openai',
			baseUrl: 'https://delphi.jlab.org/api/v1',
			apiKey: CANARY,
			model: 'openai/gpt-oss-120b',
			useResponsesApi: false,
			temperature: 0.2,
			topP: 0.8,
			maxTokens: 64,
			frequencyPenalty: 0.1,
			presencePenalty: 0.2,
			timeout: 20_000,
			maxRetries: 1,
			additionalParams: { reasoning_effort: 'high', metadata },
		});
		// Nothing set: nothing sent beyond what the SDK needs.
		expect(
			modelOptions(
				'http://127.0.0.1:4000/api',
				CANARY,
				'm',
				readModelOptions({ attribution: false }),
				undefined,
			),
		).toEqual({
			type: 'openai',
			baseUrl: 'http://127.0.0.1:4000/api/v1',
			apiKey: CANARY,
			model: 'm',
			useResponsesApi: false,
			timeout: DEFAULT_TIMEOUT_S * 1000,
			maxRetries: DEFAULT_MAX_RETRIES,
		});
	});
});

describe('spend attribution', () => {
	const ctx = {
		getWorkflow: () => ({ id: 'wf1', name: 'Nightly digest', active: false }),
		getExecutionId: () => 'exec-9',
		getNode: () => node,
	};

	it('names workflow, execution and node, at the top level and as spend_logs_metadata, with the tags', () => {
		const origin = {
			n8n_workflow_id: 'wf1',
			n8n_workflow_name: 'Nightly digest',
			n8n_execution_id: 'exec-9',
			n8n_node_name: 'JLab LLM Chat Model',
		};
		expect(spendMetadata(ctx as never, { tags: ['a'], attribution: true })).toEqual({
			tags: ['a'],
			...origin,
			spend_logs_metadata: origin,
		});
	});

	it('sends tags alone with attribution off, and nothing when there is nothing', () => {
		expect(spendMetadata(ctx as never, { tags: ['a'], attribution: false })).toEqual({
			tags: ['a'],
		});
		expect(spendMetadata(ctx as never, { tags: [], attribution: false })).toBeUndefined();
	});
});

describe("classifyClientError: the OpenAI client's errors → the gateway's classes", () => {
	const cases: Array<[string, number, unknown, Record<string, string>, string]> = [
		[
			'unknown key (v1.9x)',
			401,
			{
				error: {
					message: `Authentication Error, Invalid proxy server token passed. Received API Key = ${CANARY}`,
					type: 'token_not_found_in_db',
					param: 'key',
					code: '401',
				},
			},
			{},
			'invalid_key',
		],
		[
			'blocked key',
			401,
			{
				error: {
					message: 'Authentication Error, Key is blocked.',
					type: 'auth_error',
					param: 'None',
					code: '401',
				},
			},
			{},
			'blocked_key',
		],
		[
			'expired key (v1.83: 400)',
			400,
			{
				error: {
					message: 'Authentication Error - Expired Key.',
					type: 'expired_key',
					param: 'None',
					code: '400',
				},
			},
			{},
			'expired_key',
		],
		[
			'budget, v1.9x 429',
			429,
			{
				error: {
					message: 'Budget has been exceeded!',
					type: 'budget_exceeded',
					param: null,
					code: '429',
				},
			},
			{},
			'budget_exceeded',
		],
		[
			'budget, next 422',
			422,
			{
				error: {
					message: 'Budget has been exceeded!',
					type: 'budget_exceeded',
					param: null,
					code: '422',
				},
			},
			{},
			'budget_exceeded',
		],
		[
			'model denied',
			403,
			{
				error: {
					message: 'key not allowed to access model',
					type: 'key_model_access_denied',
					param: 'model',
					code: '403',
				},
			},
			{},
			'model_not_allowed',
		],
		[
			'unknown model',
			400,
			{
				error: {
					message: 'Invalid model name passed in model=x',
					type: 'invalid_request_error',
					param: 'model',
					code: '400',
				},
			},
			{},
			'unknown_model',
		],
		[
			'rate limit',
			429,
			{
				error: {
					message: 'Rate limit reached',
					type: 'throttling_error',
					param: null,
					code: '429',
				},
			},
			{ 'retry-after': '2' },
			'rate_limited',
		],
		[
			'upstream 500, type null',
			500,
			{
				error: {
					message: 'litellm.InternalServerError: Hosted_vllmException',
					type: null,
					param: null,
					code: '500',
				},
			},
			{},
			'upstream_error',
		],
		['503 text', 503, 'Service Unavailable', {}, 'gateway_unavailable'],
		['a 200 HTML page', 200, '<html><body>Login</body></html>', {}, 'invalid_response'],
		[
			'bad request',
			400,
			{
				error: {
					message: 'temperature out of range',
					type: 'invalid_request_error',
					param: 'temperature',
					code: '400',
				},
			},
			{},
			'bad_request',
		],
	];

	it.each(
		cases.map(([label, status, body, headers, cls]) => ({ label, status, body, headers, cls })),
	)('$label → $cls', ({ status, body, headers, cls }) => {
		const err = classifyClientError(httpError(status, body, headers), ROUTE, [CANARY]);
		expect(err.errorClass).toBe(cls);
		expect(err.details.status).toBe(status);
		expect(leaked(err.message)).toEqual([]);
		expect(err.description.startsWith(`${cls}: `)).toBe(true);
	});

	it('keeps the retry-after of a 429 and the call id', () => {
		const err = classifyClientError(
			httpError(
				429,
				{ error: { message: 'slow down', type: 'throttling_error' } },
				{ 'retry-after': '2', 'x-litellm-call-id': 'call-1' },
			),
			ROUTE,
			[],
		);
		expect(err.details.retryAfterMs).toBe(2000);
		expect(err.details.callId).toBe('call-1');
		expect(err.retryable).toBe(true);
	});

	it('network failures: refused → gateway_unavailable, client timeout → timeout', () => {
		const refused = new openai.APIConnectionError({
			cause: Object.assign(new TypeError('fetch failed'), {
				cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
					code: 'ECONNREFUSED',
				}),
			}),
		});
		expect(classifyClientError(refused, ROUTE, []).errorClass).toBe('gateway_unavailable');
		expect(classifyClientError(new openai.APIConnectionTimeoutError(), ROUTE, []).errorClass).toBe(
			'timeout',
		);
		// LangChain renames the client's timeout.
		expect(
			classifyClientError(
				Object.assign(new Error('Request timed out.'), { name: 'TimeoutError' }),
				ROUTE,
				[],
			).errorClass,
		).toBe('timeout');
		const headersTimeout = Object.assign(new TypeError('fetch failed'), {
			cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
		});
		expect(
			classifyClientError(new openai.APIConnectionError({ cause: headersTimeout }), ROUTE, [])
				.errorClass,
		).toBe('timeout');
	});

	it("an SSE error event (no status) → stream_error, with the gateway's words redacted", () => {
		const event = new openai.APIError(
			undefined,
			{ message: `upstream died for ${CANARY}`, type: null, param: null, code: '500' },
			undefined,
			undefined,
		);
		const err = classifyClientError(event, ROUTE, [CANARY]);
		expect(err.errorClass).toBe('stream_error');
		expect(err.message).toContain('upstream died');
		expect(leaked(err.message)).toEqual([]);
		// Anything that breaks a stream midway is a stream_error.
		expect(classifyClientError(new Error('terminated'), ROUTE, [], true).errorClass).toBe(
			'stream_error',
		);
	});

	it('recognises cancellations', () => {
		expect(isCancellation(new openai.APIUserAbortError())).toBe(true);
		expect(isCancellation(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(true);
		const ac = new AbortController();
		ac.abort();
		expect(isCancellation(new Error('anything'), ac.signal)).toBe(true);
		expect(isCancellation(httpError(500, { error: { message: 'x' } }))).toBe(false);
	});
});

describe('GatewayCaller', () => {
	const caller = (maxRetries: number, signal?: AbortSignal) =>
		new GatewayCaller({ node, maxRetries, secrets: [CANARY], signal, random: () => 0 });
	const failing = (errors: unknown[], value: unknown = { choices: [] }) => {
		let n = 0;
		const fn = jest.fn(async () => {
			if (n < errors.length) throw errors[n++];
			return value;
		});
		return fn;
	};

	it('retries retryable classes within Max Retries, then returns the answer', async () => {
		const fn = failing(
			[httpError(503, 'down'), httpError(500, { error: { message: 'boom', type: null } })],
			{ ok: 1 },
		);
		await expect(caller(2).call(fn)).resolves.toEqual({ ok: 1 });
		expect(fn).toHaveBeenCalledTimes(3);
	});

	it('gives up after Max Retries with a classified NodeApiError (attempts counted)', async () => {
		const fn = failing([httpError(503, 'down'), httpError(503, 'down'), httpError(503, 'down')]);
		const error = await caller(1)
			.call(fn)
			.catch((e: unknown) => e);
		expect(fn).toHaveBeenCalledTimes(2);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).description).toMatch(/^gateway_unavailable: /);
		expect((error as NodeApiError).httpCode).toBe('503');
	});

	it('never retries a used-up budget or a refused key', async () => {
		for (const e of [
			httpError(429, { error: { message: 'Budget has been exceeded!', type: 'budget_exceeded' } }),
			httpError(401, {
				error: { message: `bad key ${CANARY}`, type: 'token_not_found_in_db', param: 'key' },
			}),
		]) {
			const fn = failing([e, e]);
			const error = (await caller(3)
				.call(fn)
				.catch((x: unknown) => x)) as NodeApiError;
			expect(fn).toHaveBeenCalledTimes(1);
			expect(error.description).toMatch(/^(budget_exceeded|invalid_key): /);
			expect(
				leaked(JSON.stringify({ m: error.message, d: error.description, c: error.context })),
			).toEqual([]);
		}
	});

	it('waits as long as retry-after asks', async () => {
		const fn = failing(
			[
				httpError(
					429,
					{ error: { message: 'slow', type: 'throttling_error' } },
					{ 'retry-after': '0.3' },
				),
			],
			{ ok: true },
		);
		const t0 = Date.now();
		await expect(caller(2).call(fn)).resolves.toEqual({ ok: true });
		expect(fn).toHaveBeenCalledTimes(2);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
	});

	it('a non-JSON answer (a page) → invalid_response, not retried', async () => {
		const fn = jest.fn(async () => '<html>Sign in</html>');
		const error = (await caller(3)
			.call(fn)
			.catch((e: unknown) => e)) as NodeApiError;
		expect(fn).toHaveBeenCalledTimes(1);
		expect(error.description).toMatch(/^invalid_response: /);
	});

	it('a cancelled execution stops at once, without retries', async () => {
		const ac = new AbortController();
		ac.abort();
		const fn = failing([new openai.APIUserAbortError(), httpError(503, 'x')]);
		const error = await caller(3, ac.signal)
			.call(fn)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as Error).message).toMatch(/cancelled/);
		expect(fn).toHaveBeenCalledTimes(1);
	});

	describe('streams', () => {
		function stream(events: unknown[], failAt?: number, failure?: unknown) {
			const s = {
				closed: false,
				controller: 'kept',
				async *iterate() {
					for (let i = 0; i < events.length; i++) {
						if (i === failAt) throw failure;
						yield events[i];
					}
				},
				[Symbol.asyncIterator]() {
					const it = this.iterate();
					const self = this;
					return {
						next: () => it.next(),
						return: async () => {
							self.closed = true;
							return { done: true as const, value: undefined };
						},
					};
				},
			};
			return s;
		}
		const drain = async (s: AsyncIterable<unknown>) => {
			const out: unknown[] = [];
			for await (const e of s) out.push(e);
			return out;
		};

		it("passes the events through and keeps the stream's other members", async () => {
			const s = await caller(0).call(async () => stream([1, 2, 3]));
			expect(s.controller).toBe('kept');
			expect(await drain(s)).toEqual([1, 2, 3]);
		});

		it('an error event midway → stream_error (classified, redacted)', async () => {
			const event = new openai.APIError(
				undefined,
				{ message: `Connection error. ${CANARY}`, type: null, code: '500' },
				undefined,
				undefined,
			);
			const s = await caller(0).call(async () => stream([1, 2, 3], 2, event));
			const error = (await drain(s).catch((e: unknown) => e)) as NodeOperationError;
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.description).toMatch(/^stream_error: /);
			expect(leaked(error.message)).toEqual([]);
		});

		it('a stream without a single event → invalid_response', async () => {
			const s = await caller(0).call(async () => stream([]));
			const error = (await drain(s).catch((e: unknown) => e)) as NodeApiError;
			expect(error.description).toMatch(/^invalid_response: /);
		});

		it('a consumer that stops early closes the stream', async () => {
			const raw = stream([1, 2, 3]);
			const s = await caller(0).call(async () => raw);
			for await (const e of s) if (e === 1) break;
			expect(raw.closed).toBe(true);
		});
	});

	it("installCaller replaces the model's caller and those of its delegates", () => {
		const c = caller(1);
		const own = { call: async () => undefined };
		const model = {
			caller: own,
			completions: { caller: { call: own.call } },
			responses: { caller: { call: own.call } },
			client: {},
			callbacks: [],
		};
		expect(installCaller(model, c)).toBe(3);
		expect([model.caller, model.completions.caller, model.responses.caller]).toEqual([c, c, c]);
		expect(installCaller({ invoke: () => undefined }, c)).toBe(0);
		expect(installCaller(undefined, c)).toBe(0);
	});
});

describe('supplyData', () => {
	function context(overrides: Partial<Record<string, unknown>> = {}) {
		const params: Record<string, unknown> = {
			model: 'openai/gpt-oss-120b',
			options: { temperature: 0.1, tags: 'unit' },
			...((overrides.params as Record<string, unknown>) ?? {}),
		};
		return {
			getNode: () => node,
			getCredentials: async () => ({
				baseUrl: 'http://127.0.0.1:4999/api/',
				apiKey: CANARY,
				allowHttp: false,
			}),
			getNodeParameter: (name: string, _i: number, fallback: unknown) => params[name] ?? fallback,
			getWorkflow: () => ({ id: 'wf', name: 'W', active: false }),
			getExecutionId: () => 'e1',
			getExecutionCancelSignal: () => undefined,
			helpers: { getSecureEgressFilter: () => 'disabled' },
			...overrides,
		} as unknown as ISupplyDataFunctions;
	}

	it("returns the SDK's chat model, pointed at <base>/v1, with the gateway caller in place", async () => {
		const supplied = await new LmChatJlabLlm().supplyData.call(context(), 0);
		const model = supplied.response as Record<string, any>;
		expect(model.model).toBe('openai/gpt-oss-120b');
		expect(model.temperature).toBe(0.1);
		expect(model.clientConfig.baseURL).toBe('http://127.0.0.1:4999/api/v1');
		expect(model.modelKwargs.metadata).toMatchObject({
			tags: ['unit'],
			n8n_workflow_id: 'wf',
			n8n_execution_id: 'e1',
		});
		expect(model.caller).toBeInstanceOf(GatewayCaller);
		expect(model.completions.caller).toBeInstanceOf(GatewayCaller);
		// What n8n shows of the model (its serialised form) holds no piece of the key.
		expect(leaked(JSON.stringify(model.toJSON()))).toEqual([]);
	});

	it('bad input: a classified node error naming the field, before any request', async () => {
		const error = await new LmChatJlabLlm().supplyData
			.call(context({ params: { model: '  ' } }), 0)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toMatch(/^Model: /);
		expect((error as NodeOperationError).description).toMatch(/^bad_request: /);
	});

	it('without the SDK (n8n < 2.16) the node file still loads, and using it says what is needed', async () => {
		jest.resetModules();
		jest.doMock('@n8n/ai-node-sdk', () => {
			throw new Error("Cannot find module '@n8n/ai-node-sdk'");
		});
		try {
			const { LmChatJlabLlm: Isolated } =
				require('../../nodes/LmChatJlabLlm/LmChatJlabLlm.node') as typeof import('../../nodes/LmChatJlabLlm/LmChatJlabLlm.node');
			const instance = new Isolated();
			expect(instance.description.name).toBe('lmChatJlabLlm');
			const error = await instance.supplyData.call(context(), 0).catch((e: unknown) => e);
			expect((error as Error).message).toBe('JLab LLM Chat Model needs n8n 2.16 or newer');
		} finally {
			jest.dontMock('@n8n/ai-node-sdk');
			jest.resetModules();
		}
	});
});

describe('description', () => {
	const d = new LmChatJlabLlm().description;
	it('is an AI language-model sub-node (no inputs, one Model output, no usableAsTool)', () => {
		expect(d.name).toBe('lmChatJlabLlm');
		expect(d.displayName).toBe('JLab LLM Chat Model');
		expect(d.inputs).toEqual([]);
		expect(d.outputs).toEqual(['ai_languageModel']);
		expect(d.outputNames).toEqual(['Model']);
		expect(d.usableAsTool).toBeUndefined();
		expect(d.credentials).toEqual([{ name: 'jlabLlmApi', required: true }]);
		expect(d.codex?.categories).toEqual(['AI']);
		expect(d.codex?.subcategories?.AI).toEqual(['Language Models', 'Root Nodes']);
		expect(d.icon).toEqual({
			light: 'file:lmChatJlabLlm.svg',
			dark: 'file:lmChatJlabLlm.dark.svg',
		});
	});
});
