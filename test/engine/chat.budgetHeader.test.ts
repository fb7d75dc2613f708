/**
 * LiteLLM leaves `x-litellm-key-max-budget` out when the key has no budget (get_custom_headers
 * drops "None"): the Chat node reads that as "no budget" (null), never as 0 or an error.
 */
import { shutdownHarness } from '../harness';

import { expectNoKeyIn, runChat, startSandbox, type Sandbox } from './chatSetup';

const NO_BUDGET = 'sk-canary-NOBUDGET-3c5e7a9b1d2f4e6a8c0b';
const BUDGET = 'sk-canary-BUDGET-8e6c4a2b0d9f7e5c3a1b';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		profile: 'v1.9x',
		keys: [
			{ key: NO_BUDGET, key_alias: 'no-budget', user_id: 'alice' },
			{ key: BUDGET, key_alias: 'zero-budget-left', user_id: 'alice', max_budget: 0.5 },
		],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

describe('keyMaxBudgetUsd', () => {
	it('is null when the gateway sends no x-litellm-key-max-budget (a key without budget)', async () => {
		const direct = await fetch(`${sandbox.url}/v1/chat/completions`, {
			method: 'POST',
			headers: { authorization: `Bearer ${NO_BUDGET}`, 'content-type': 'application/json' },
			body: JSON.stringify({
				model: 'openai/gpt-oss-120b',
				messages: [{ role: 'user', content: 'Hi' }],
			}),
		});
		expect(direct.headers.has('x-litellm-key-max-budget')).toBe(false);
		const simple = await runChat(sandbox, { prompt: 'Hi' }, { apiKey: NO_BUDGET });
		expect(simple.error('Chat')).toBeUndefined();
		expect(simple.items[0].keyMaxBudgetUsd).toBeNull();
		const full = await runChat(
			sandbox,
			{ prompt: 'Hi', options: { simplify: false } },
			{ apiKey: NO_BUDGET },
		);
		expect((full.items[0].gateway as { keyMaxBudgetUsd: unknown }).keyMaxBudgetUsd).toBeNull();
		expectNoKeyIn(full.items, NO_BUDGET);
	});

	it('is the budget when there is one', async () => {
		const r = await runChat(sandbox, { prompt: 'Hi' }, { apiKey: BUDGET });
		expect(r.items[0].keyMaxBudgetUsd).toBe(0.5);
	});
});
