/**
 * JLab LLM Usage → List Models, against the sandbox gateway: one item per model the key may
 * call, enriched from /model/info (context window, price per million tokens) where the key may
 * read it, plain IDs with a note where it answers 403, and the canary key.
 */
import { detailsByModel, perMillion } from '../../nodes/JlabLlmUsage/actions/listModels.operation';
import { shutdownHarness } from '../harness';
import {
	canary,
	DEFAULT_PRICES,
	expectNoLeak,
	runUsage,
	startUsageSandbox,
	type UsageSandbox,
} from './usageSetup';

const OPEN = canary('mod-open');
const RESTRICTED = canary('mod-restr');
const LLM_ONLY = canary('mod-llm');

const ALL = [
	'meta-llama/Llama-3.3-70B-Instruct',
	'openai/gpt-oss-120b',
	'openai/gpt-oss-20b',
	'Qwen/Qwen2.5-VL-72B-Instruct',
];

describe('JLab LLM Usage: List Models', () => {
	let sb: UsageSandbox;

	beforeAll(async () => {
		sb = await startUsageSandbox({
			keys: [
				{ key: OPEN, user_id: 'jdoe' },
				{
					key: RESTRICTED,
					user_id: 'jdoe',
					models: ['openai/gpt-oss-20b', 'Qwen/Qwen2.5-VL-72B-Instruct'],
				},
				{ key: LLM_ONLY, user_id: 'jdoe', key_type: 'llm_api' },
			],
		});
	});
	afterAll(async () => {
		await sb.close();
		await shutdownHarness();
	});
	beforeEach(() => sb.clearRequests());

	it('gives one item per model, with context window and price per million tokens', async () => {
		const run = await runUsage(sb, { operation: 'listModels' }, { apiKey: OPEN });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items.map((i) => i.json.id)).toEqual([...ALL].sort((a, b) => a.localeCompare(b)));
		const qwen = run.items.find((i) => i.json.id === 'Qwen/Qwen2.5-VL-72B-Instruct')!.json;
		expect(qwen).toEqual({
			id: 'Qwen/Qwen2.5-VL-72B-Instruct',
			maxInputTokens: 32768,
			maxOutputTokens: 8192,
			inputUsdPerMillionTokens: 0.25,
			outputUsdPerMillionTokens: 0.75,
			mode: 'chat',
			supportsVision: true,
			supportsReasoning: false,
			supportsFunctionCalling: true,
			note: null,
		});
		for (const item of run.items) {
			const price = DEFAULT_PRICES[item.json.id as string];
			expect(item.json.inputUsdPerMillionTokens).toBeCloseTo(price.input_cost_per_token * 1e6, 9);
			expect(item.json.outputUsdPerMillionTokens).toBeCloseTo(price.output_cost_per_token * 1e6, 9);
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		expect(sb.requests.map((r) => r.path)).toEqual(['/v1/models', '/model/info']);
		expectNoLeak(run, OPEN);
	});

	it('lists only the models the key may call', async () => {
		const run = await runUsage(sb, { operation: 'listModels' }, { apiKey: RESTRICTED });
		expect(run.items.map((i) => [i.json.id, i.json.maxInputTokens])).toEqual([
			['openai/gpt-oss-20b', 131072],
			['Qwen/Qwen2.5-VL-72B-Instruct', 32768],
		]);
	});

	it('falls back to plain IDs with a note, not an error, when /model/info answers 403', async () => {
		const run = await runUsage(sb, { operation: 'listModels' }, { apiKey: LLM_ONLY });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(4);
		for (const item of run.items) {
			expect(item.json).toMatchObject({
				maxInputTokens: null,
				maxOutputTokens: null,
				inputUsdPerMillionTokens: null,
				outputUsdPerMillionTokens: null,
			});
			expect(item.json.note).toMatch(
				/^Plain model IDs only: the gateway does not let this key read \/model\/info \(HTTP 403\)/,
			);
		}
		expect(sb.requests.map((r) => [r.path, r.status])).toEqual([
			['/v1/models', 200],
			['/model/info', 403],
		]);
		expectNoLeak(run, LLM_ONLY);
	});

	it('skips /model/info when details are off', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'listModels', includeDetails: false },
			{ apiKey: OPEN },
		);
		expect(run.items).toHaveLength(4);
		expect(run.items[0].json.note).toBe('Details not requested (Include Details is off).');
		expect(sb.requests.map((r) => r.path)).toEqual(['/v1/models']);
	});

	it('lists the models for every input item, paired with it', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'listModels' },
			{ apiKey: RESTRICTED, items: [{}, {}] },
		);
		expect(run.items.map((i) => [i.pairedItem, i.json.id])).toEqual([
			[{ item: 0 }, 'openai/gpt-oss-20b'],
			[{ item: 0 }, 'Qwen/Qwen2.5-VL-72B-Instruct'],
			[{ item: 1 }, 'openai/gpt-oss-20b'],
			[{ item: 1 }, 'Qwen/Qwen2.5-VL-72B-Instruct'],
		]);
	});

	it('answers with one item saying so when the key may call no model', async () => {
		// A gateway whose model list for this key is empty.
		sb.injectFaults([
			{
				route: '/v1/models',
				times: 1,
				kind: 'status',
				status: 200,
				body: { data: [], object: 'list' },
			},
		]);
		const run = await runUsage(sb, { operation: 'listModels' }, { apiKey: OPEN });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(1);
		expect(run.items[0].json).toMatchObject({
			id: null,
			maxInputTokens: null,
			note: 'The gateway lists no model this key may call.',
		});
	});

	it('keeps the model list when /model/info fails otherwise, and says so', async () => {
		sb.injectFaults([{ route: '/model/info', times: 2, kind: 'status', status: 500 }]);
		const run = await runUsage(sb, { operation: 'listModels' }, { apiKey: OPEN });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(4);
		expect(run.items[0].json.note).toBe(
			'Plain model IDs only: /model/info failed (upstream_error).',
		);
	});
});

describe('List Models details (pure)', () => {
	it('reads only the documented fields, merges deployments of one group, and never passes api_base on', () => {
		const details = detailsByModel({
			data: [
				{
					model_name: 'm',
					litellm_params: { api_base: 'http://10.0.0.1:8000' },
					model_info: { max_input_tokens: 1000, input_cost_per_token: 3e-7 },
				},
				{
					model_name: 'm',
					model_info: { max_tokens: 200, output_cost_per_token: 1.2e-6, supports_vision: true },
				},
				{ model_name: 7 },
				'junk',
			],
		});
		expect([...details.keys()]).toEqual(['m']);
		expect(details.get('m')).toEqual({
			maxInputTokens: 1000,
			maxOutputTokens: 200,
			inputUsdPerMillionTokens: 0.3,
			outputUsdPerMillionTokens: 1.2,
			mode: null,
			supportsVision: true,
			supportsReasoning: null,
			supportsFunctionCalling: null,
		});
		expect(JSON.stringify([...details.values()])).not.toContain('10.0.0.1');
	});

	it('converts per-token prices without floating-point dust', () => {
		expect(perMillion(1.5e-7)).toBe(0.15);
		expect(perMillion(0.6e-6)).toBe(0.6);
		expect(perMillion(null)).toBeNull();
		expect(perMillion('x')).toBeNull();
	});
});
