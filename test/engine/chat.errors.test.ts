/**
 * JLab LLM Chat: every error class a chat can meet, as the node error (description prefix) and
 * as a Continue On Fail item (errorType); what is retried and what never is; and the canary
 * key never appears, even when the gateway echoes it.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';

import {
	expectNoKeyIn,
	modelParam,
	runChat,
	startSandbox,
	type ChatRun,
	type Sandbox,
} from './chatSetup';

const CANARY = 'sk-canary-CHATERR-0123456789abcdefABCDEF';
const RESTRICTED = 'sk-canary-RESTRICT-a1b2c3d4e5f6a7b8c9d0';
const EXPIRED = 'sk-canary-EXPIRED-5e884898da28047151d0';
const BLOCKED = 'sk-canary-BLOCKED-2c26b46b68ffc68ff99b';
const BROKE = 'sk-canary-BROKE-fcde2b2edba56bf408601f';
const UNKNOWN = 'sk-canary-UNKNOWN-9f86d081884c7d659a2f';
const ALL_KEYS = [CANARY, RESTRICTED, EXPIRED, BLOCKED, BROKE, UNKNOWN];

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		profile: 'v1.9x',
		echoKeyInErrors: true,
		keys: [
			{ key: CANARY, key_alias: 'canary', user_id: 'alice' },
			{
				key: RESTRICTED,
				key_alias: 'restricted',
				user_id: 'alice',
				models: ['openai/gpt-oss-20b', 'meta-llama/Llama-3.3-70B-Instruct'],
			},
			{ key: EXPIRED, key_alias: 'old', user_id: 'alice', expires: '2020-01-01T00:00:00Z' },
			{ key: BLOCKED, key_alias: 'blocked', user_id: 'alice', blocked: true },
			{ key: BROKE, key_alias: 'broke', user_id: 'bob', max_budget: 1, spend: 2 },
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
	sandbox.setConfig({ profile: 'v1.9x' });
});

interface Outcome {
	fail: ChatRun;
	cof: ChatRun;
}

/** Runs the same chat twice: once failing the node, once with Continue On Fail. */
async function both(
	apiKey: string,
	parameters: IDataObject,
	faults?: IDataObject[],
): Promise<Outcome> {
	if (faults) sandbox.injectFaults(faults);
	const fail = await runChat(sandbox, parameters, { apiKey });
	sandbox.clearFaults();
	if (faults) sandbox.injectFaults(faults);
	const cof = await runChat(sandbox, parameters, { apiKey, continueOnFail: true });
	sandbox.clearFaults();
	for (const run of [fail, cof]) for (const key of ALL_KEYS) expectNoKeyIn(run.run.data, key);
	return { fail, cof };
}

function expectClass({ fail, cof }: Outcome, errorClass: string, requests?: number) {
	const err = fail.error('Chat');
	expect(err).toBeDefined();
	expect(err?.description).toMatch(new RegExp(`^${errorClass}: `));
	expect(cof.error('Chat')).toBeUndefined();
	expect(cof.items).toHaveLength(1);
	expect(cof.items[0]).toMatchObject({ errorType: errorClass, error: expect.any(String) });
	expect(cof.output('Chat')[0].pairedItem).toEqual({ item: 0 });
	if (requests !== undefined) {
		expect(fail.chatRequests).toHaveLength(requests);
		expect(cof.chatRequests).toHaveLength(requests);
	}
	return { err, item: cof.items[0] };
}

const prompt = { prompt: 'Hello' };

describe('key errors', () => {
	it('unknown key → invalid_key, not retried, the echoed key redacted', async () => {
		const { err, item } = expectClass(await both(UNKNOWN, prompt), 'invalid_key', 1);
		expect(item.httpCode).toBe(401);
		// The sandbox echoed the key in its error body (echoKeyInErrors): it arrives scrubbed.
		expect(err?.message).toContain('Received API Key = [redacted]');
		expect(item.error).toContain('[redacted]');
	});

	it('expired key → expired_key (401 in v1.9x, 400 in v1.83)', async () => {
		expectClass(await both(EXPIRED, prompt), 'expired_key', 1);
		sandbox.setConfig({ profile: 'v1.83' });
		const { item } = expectClass(await both(EXPIRED, prompt), 'expired_key', 1);
		expect(item.httpCode).toBe(400);
	});

	it('blocked key → blocked_key', async () => {
		expectClass(await both(BLOCKED, prompt), 'blocked_key', 1);
	});

	it.each(['v1.83', 'v1.9x', 'next'])(
		'budget used up → budget_exceeded, never retried (profile %s)',
		async (profile) => {
			sandbox.setConfig({ profile });
			const { item } = expectClass(
				await both(BROKE, { ...prompt, options: { maxRetries: 5 } }),
				'budget_exceeded',
				1,
			);
			expect(item.httpCode).toBe({ 'v1.83': 400, 'v1.9x': 429, next: 422 }[profile]);
		},
	);
});

describe('limits', () => {
	it('a rate limit that never lifts → rate_limited after the retries', async () => {
		const faults = [
			{ route: '/v1/chat/completions', kind: 'rate_limit', retryAfter: 0, times: 50 },
		];
		const outcome = await both(CANARY, { ...prompt, options: { maxRetries: 2 } }, faults);
		// The first wait the gateway asks for is free; then each wait without progress spends a retry.
		expectClass(outcome, 'rate_limited', 4);
	});

	it('retries honour retry-after and then succeed', async () => {
		sandbox.injectFaults([
			{ route: '/v1/chat/completions', kind: 'rate_limit', retryAfter: 1, times: 1 },
		]);
		const started = Date.now();
		const r = await runChat(
			sandbox,
			{ ...prompt, options: { simplify: false } },
			{ apiKey: CANARY },
		);
		const elapsed = Date.now() - started;
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests.map((q) => q.status)).toEqual([429, 200]);
		expect(r.chatRequests[1].time - r.chatRequests[0].time).toBeGreaterThanOrEqual(990);
		expect(elapsed).toBeGreaterThanOrEqual(1000);
		expect((r.items[0].gateway as IDataObject).attempts).toBe(2);
	});
});

describe('model errors', () => {
	it.each(['v1.9x', 'v1.83'])(
		'a model the key may not use → model_not_allowed naming the models it may use (%s)',
		async (profile) => {
			sandbox.setConfig({ profile });
			const outcome = await both(RESTRICTED, {
				...prompt,
				model: modelParam('openai/gpt-oss-120b'),
			});
			const { err, item } = expectClass(outcome, 'model_not_allowed', 1);
			for (const message of [err?.message, item.error]) {
				expect(message).toContain(
					'This key can use: meta-llama/Llama-3.3-70B-Instruct, openai/gpt-oss-20b',
				);
			}
		},
	);

	it("the key's model list is looked up once per run, however many items fail", async () => {
		const r = await runChat(
			sandbox,
			{ ...prompt, model: modelParam('openai/gpt-oss-120b') },
			{
				apiKey: RESTRICTED,
				items: [{}, {}, {}, {}],
				continueOnFail: true,
			},
		);
		expect(r.items.map((i) => i.errorType)).toEqual([
			'model_not_allowed',
			'model_not_allowed',
			'model_not_allowed',
			'model_not_allowed',
		]);
		expect(sandbox.requests.filter((q) => q.path === '/v1/models')).toHaveLength(1);
	});

	it.each(['v1.9x', 'v1.83'])(
		'a model the gateway does not know → unknown_model (%s)',
		async (profile) => {
			// v1.83 answers 400 with type "None" and param "None": told apart by the key's model list.
			sandbox.setConfig({ profile });
			const { err } = expectClass(
				await both(CANARY, { ...prompt, model: modelParam('openai/gpt-5') }),
				'unknown_model',
				1,
			);
			expect(err?.message).toContain(
				'"openai/gpt-5" is not in the gateway\'s model list for this key',
			);
			expect(err?.message).toContain('This key can use: ');
			expect(err?.message).toContain('openai/gpt-oss-120b');
		},
	);

	it('a request the model refuses → bad_request, not retried, not mistaken for an unknown model', async () => {
		// An image for a model without vision: 400 with no type and no param.
		const outcome = await both(CANARY, {
			...prompt,
			options: { imageUrls: 'https://example.org/a.jpg' },
		});
		const { err } = expectClass(outcome, 'bad_request', 1);
		expect(err?.message).toContain('not a multimodal model');
		expect(err?.message).not.toContain('This key can use');
	});
});

describe('gateway failures', () => {
	it('upstream 5xx → upstream_error after the retries', async () => {
		const faults = [{ route: '/v1/chat/completions', kind: 'upstream', times: 10 }];
		expectClass(
			await both(CANARY, { ...prompt, options: { maxRetries: 1 } }, faults),
			'upstream_error',
			2,
		);
	});

	it('connection reset → gateway_unavailable after the retries', async () => {
		const faults = [{ route: '/v1/chat/completions', kind: 'reset', times: 10 }];
		expectClass(
			await both(CANARY, { ...prompt, options: { maxRetries: 1 } }, faults),
			'gateway_unavailable',
			2,
		);
	});

	it('a gateway that does not answer → timeout', async () => {
		const faults = [{ route: '/v1/chat/completions', kind: 'hang', times: 10 }];
		expectClass(
			await both(CANARY, { ...prompt, options: { maxRetries: 0, timeout: 1 } }, faults),
			'timeout',
			1,
		);
	});

	it('a web page instead of the API → invalid_response, not retried', async () => {
		const faults = [{ route: '/v1/chat/completions', kind: 'html', times: 10 }];
		expectClass(await both(CANARY, prompt, faults), 'invalid_response', 1);
	});

	it('a transient upstream failure is retried and the item succeeds', async () => {
		sandbox.injectFaults([{ route: '/v1/chat/completions', kind: 'upstream', times: 1 }]);
		const r = await runChat(sandbox, prompt, { apiKey: CANARY });
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests.map((q) => q.status)).toEqual([500, 200]);
	});
});
