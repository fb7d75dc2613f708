/**
 * JLab LLM Chat: every input mode and option reaches the gateway's request body exactly (as the
 * sandbox logged it), and the answer comes back in the documented output fields.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';

import { expectNoKeyIn, MODEL, modelParam, runChat, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-CHATBODY-7f3a9c1e5b2d8f4a6c0e';
const VISION = 'Qwen/Qwen2.5-VL-72B-Instruct';
// A 1×1 PNG.
const PNG =
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		profile: 'v1.9x',
		keys: [
			{
				key: KEY,
				key_alias: 'chat-body',
				user_id: 'alice',
				max_budget: 100,
				rpm_limit: 10_000,
				tpm_limit: 10_000_000,
			},
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

const run = (parameters: IDataObject, extra: Partial<Parameters<typeof runChat>[2]> = {}) =>
	runChat(sandbox, parameters, {
		apiKey: KEY,
		workflow: { id: 'wf-chat-1', name: 'Chat body test' },
		...extra,
	});

const ORIGIN = {
	n8n_workflow_id: 'wf-chat-1',
	n8n_workflow_name: 'Chat body test',
	n8n_execution_id: expect.stringMatching(/^harness-exec-\d+$/),
	n8n_node_name: 'Chat',
};
const ATTRIBUTION = { ...ORIGIN, spend_logs_metadata: ORIGIN };

describe('input modes', () => {
	it('prompt + system message → system and user messages, attribution metadata, simplified output', async () => {
		const r = await run({
			inputMode: 'prompt',
			prompt: 'Summarise CEBAF in one line',
			systemMessage: 'Be brief.',
		});
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests).toHaveLength(1);
		const req = r.chatRequests[0];
		expect(req.body).toEqual({
			model: MODEL,
			messages: [
				{ role: 'system', content: 'Be brief.' },
				{ role: 'user', content: 'Summarise CEBAF in one line' },
			],
			metadata: ATTRIBUTION,
		});
		// Tags and attribution travel in the body only, never as x-litellm-* request headers.
		expect(Object.keys(req.headers).filter((h) => h.startsWith('x-litellm'))).toEqual([]);
		expect(req.authorization).toBe(`Bearer ${KEY}`);

		expect(r.items).toHaveLength(1);
		const out = r.items[0];
		expect(Object.keys(out).sort()).toEqual(
			[
				'reply',
				'reasoning',
				'toolCalls',
				'finishReason',
				'model',
				'usage',
				'costUsd',
				'keySpendUsd',
				'keyMaxBudgetUsd',
				'remainingRequests',
				'remainingTokens',
				'callId',
			].sort(),
		);
		expect(out).toMatchObject({
			reply: `Echo from ${MODEL}: Summarise CEBAF in one line`,
			reasoning: expect.stringContaining('Reasoning (effort: medium)'),
			toolCalls: null,
			finishReason: 'stop',
			model: MODEL,
			keyMaxBudgetUsd: 100,
			remainingRequests: 9_999,
			callId: expect.stringMatching(/^[0-9a-f-]{36}$/),
		});
		const usage = out.usage as IDataObject;
		expect(usage.promptTokens).toBeGreaterThan(0);
		expect(usage.totalTokens).toBe(
			(usage.promptTokens as number) + (usage.completionTokens as number),
		);
		expect(usage.reasoningTokens).toBeGreaterThan(0);
		expect(typeof out.costUsd).toBe('number');
		expect(out.costUsd as number).toBeGreaterThan(0);
		expect(out.keySpendUsd).toBe(0);
		expect(out.remainingTokens).toEqual(expect.any(Number));
		// The reasoning stays in its own field.
		expect(String(out.reply)).not.toContain('Reasoning');
		expectNoKeyIn(r.run.data, KEY);
	});

	it('prompt without a system message → one user message', async () => {
		const r = await run({ prompt: 'Hello' });
		expect(r.chatRequests[0].body.messages).toEqual([{ role: 'user', content: 'Hello' }]);
	});

	it('prompt from an expression over the item', async () => {
		const r = await run(
			{ prompt: '=Summarise: {{ $json.text }}' },
			{ items: [{ text: 'beam A' }, { text: 'beam B' }] },
		);
		expect(r.chatRequests.map((q) => (q.body.messages as IDataObject[])[0].content).sort()).toEqual(
			['Summarise: beam A', 'Summarise: beam B'],
		);
		expect(r.items.map((i) => i.reply)).toEqual([
			`Echo from ${MODEL}: Summarise: beam A`,
			`Echo from ${MODEL}: Summarise: beam B`,
		]);
	});

	it('message list → the rows in order with their roles', async () => {
		const r = await run({
			inputMode: 'messages',
			messages: {
				values: [
					{ role: 'system', content: 'You answer in French.' },
					{ role: 'user', content: 'Hi' },
					{ role: 'assistant', content: 'Bonjour' },
					{ role: 'user', content: 'How are you?' },
				],
			},
		});
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body.messages).toEqual([
			{ role: 'system', content: 'You answer in French.' },
			{ role: 'user', content: 'Hi' },
			{ role: 'assistant', content: 'Bonjour' },
			{ role: 'user', content: 'How are you?' },
		]);
		expect(r.items[0].reply).toBe(`Echo from ${MODEL}: How are you?`);
	});

	const history = [
		{ role: 'system', content: 'Be exact.' },
		{ role: 'user', content: 'What is 2+2?' },
		{ role: 'assistant', content: '4' },
		{ role: 'user', content: [{ type: 'text', text: 'And 3+3?' }] },
	];

	it('messages as JSON text → passed through exactly', async () => {
		const r = await run({ inputMode: 'json', messagesJson: JSON.stringify(history) });
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body.messages).toEqual(history);
		expect(r.items[0].reply).toBe(`Echo from ${MODEL}: And 3+3?`);
	});

	it('messages as a JSON expression from the item (conversation history), also as {messages: [...]}', async () => {
		const r = await run(
			{ inputMode: 'json', messagesJson: '={{ $json.history }}' },
			{ items: [{ history }, { history: { messages: history.slice(0, 2) } }] },
		);
		expect(r.error('Chat')).toBeUndefined();
		const bodies = r.chatRequests
			.map((q) => q.body.messages)
			.sort((a, b) => (a as unknown[]).length - (b as unknown[]).length);
		expect(bodies).toEqual([history.slice(0, 2), history]);
	});
});

describe('options reach the body exactly', () => {
	it('every sampling option, user, reasoning effort and tags', async () => {
		const r = await run({
			prompt: 'Hi',
			options: {
				temperature: 0.2,
				topP: 0.9,
				maxTokens: 50,
				frequencyPenalty: 0.5,
				presencePenalty: -0.5,
				stop: 'END, ###',
				seed: 42,
				user: 'alice@jlab.org',
				reasoningEffort: 'high',
				tags: 'project-x, nightly',
			},
		});
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body).toEqual({
			model: MODEL,
			messages: [{ role: 'user', content: 'Hi' }],
			temperature: 0.2,
			top_p: 0.9,
			max_tokens: 50,
			frequency_penalty: 0.5,
			presence_penalty: -0.5,
			stop: ['END', '###'],
			seed: 42,
			user: 'alice@jlab.org',
			reasoning_effort: 'high',
			metadata: { tags: ['project-x', 'nightly'], ...ATTRIBUTION },
		});
		expect(r.items[0].reasoning).toContain('effort: high');
		expect(r.chatRequests[0].headers['x-litellm-tags']).toBeUndefined();
	});

	it('stop sequences as a JSON array keep spaces and line breaks', async () => {
		const r = await run({ prompt: 'Hi', options: { stop: '["\\n\\n", " END"]' } });
		expect(r.chatRequests[0].body.stop).toEqual(['\n\n', ' END']);
	});

	it('attribution off: no n8n fields; tags alone still go as metadata.tags', async () => {
		const off = await run({ prompt: 'Hi', options: { attribution: false } });
		expect(off.chatRequests[0].body).toEqual({
			model: MODEL,
			messages: [{ role: 'user', content: 'Hi' }],
		});
		const tagged = await run({ prompt: 'Hi', options: { attribution: false, tags: 'alpha' } });
		expect(tagged.chatRequests[0].body.metadata).toEqual({ tags: ['alpha'] });
	});

	it('the model from the list mode and from an expression', async () => {
		const list = await run({ model: modelParam('openai/gpt-oss-20b', 'list'), prompt: 'Hi' });
		expect(list.chatRequests[0].body.model).toBe('openai/gpt-oss-20b');
		const expr = await run(
			{ model: modelParam('={{ $json.m }}', 'id'), prompt: 'Hi' },
			{ items: [{ m: 'meta-llama/Llama-3.3-70B-Instruct' }] },
		);
		expect(expr.chatRequests[0].body.model).toBe('meta-llama/Llama-3.3-70B-Instruct');
		// A model without reasoning has no reasoning field content.
		expect(expr.items[0].reasoning).toBeNull();
	});
});

describe('response formats', () => {
	it('JSON object → response_format sent, the reply parsed', async () => {
		const r = await run({ prompt: 'Give JSON', options: { responseFormat: 'json_object' } });
		expect(r.chatRequests[0].body.response_format).toEqual({ type: 'json_object' });
		expect(r.items[0].reply).toEqual({ echo: 'Give JSON', model: MODEL });
	});

	it('JSON schema → name, schema and strict sent, the reply parsed', async () => {
		const schema = {
			type: 'object',
			properties: { summary: { type: 'string' }, score: { type: 'integer', minimum: 3 } },
			required: ['summary', 'score'],
			additionalProperties: false,
		};
		const r = await run({
			prompt: 'Rate it',
			options: {
				responseFormat: 'json_schema',
				jsonSchemaName: 'rating',
				jsonSchema: JSON.stringify(schema),
				jsonSchemaStrict: false,
			},
		});
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body.response_format).toEqual({
			type: 'json_schema',
			json_schema: { name: 'rating', schema, strict: false },
		});
		expect(r.items[0].reply).toEqual({ summary: 'Rate it', score: 3 });
	});

	it('JSON schema defaults: name "response", strict true', async () => {
		const r = await run({
			prompt: 'x',
			options: {
				responseFormat: 'json_schema',
				jsonSchema: '{"type":"object","properties":{"a":{"type":"string"}}}',
			},
		});
		expect(r.chatRequests[0].body.response_format).toEqual({
			type: 'json_schema',
			json_schema: {
				name: 'response',
				schema: { type: 'object', properties: { a: { type: 'string' } } },
				strict: true,
			},
		});
	});

	it('text format sends nothing', async () => {
		const r = await run({ prompt: 'x', options: { responseFormat: 'text' } });
		expect(r.chatRequests[0].body.response_format).toBeUndefined();
	});

	it('a reply that is not valid JSON is a clear error (invalid_response), in both JSON modes', async () => {
		for (const options of [
			{ responseFormat: 'json_object' },
			{
				responseFormat: 'json_schema',
				jsonSchema: '{"type":"object","properties":{"a":{"type":"string"}}}',
			},
		]) {
			const r = await run({ prompt: 'Give JSON [[invalid-json]]', options });
			const err = r.error('Chat');
			expect(err?.message).toContain('not valid JSON');
			expect(err?.description).toMatch(/^invalid_response: /);
			expect(r.chatRequests).toHaveLength(1);
			const cof = await run(
				{ prompt: 'Give JSON [[invalid-json]]', options },
				{ continueOnFail: true },
			);
			expect(cof.items[0]).toMatchObject({
				errorType: 'invalid_response',
				error: expect.stringContaining('not valid JSON'),
			});
		}
	});
});

describe('tools', () => {
	const tools = [
		{
			type: 'function',
			function: {
				name: 'get_weather',
				description: 'Weather in a city',
				parameters: {
					type: 'object',
					properties: { city: { type: 'string' } },
					required: ['city'],
				},
			},
		},
		{
			type: 'function',
			function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
		},
	];

	it('tools and tool choice are sent exactly; tool calls come back parsed', async () => {
		const r = await run({
			prompt: 'Newport News',
			options: { tools: JSON.stringify(tools), toolChoice: 'get_weather' },
		});
		expect(r.error('Chat')).toBeUndefined();
		const body = r.chatRequests[0].body;
		expect(body.tools).toEqual(tools);
		expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
		expect(r.items[0]).toMatchObject({
			reply: null,
			finishReason: 'tool_calls',
			toolCalls: [
				{
					id: expect.stringMatching(/^call_/),
					type: 'function',
					name: 'get_weather',
					arguments: { city: 'Newport News' },
				},
			],
		});
	});

	it('auto / none / required are sent as strings; no tool choice = none sent', async () => {
		for (const choice of ['auto', 'none', 'required']) {
			const r = await run({
				prompt: 'x',
				options: { tools: JSON.stringify(tools), toolChoice: choice },
			});
			expect(r.chatRequests[0].body.tool_choice).toBe(choice);
		}
		const r = await run({ prompt: 'x', options: { tools: JSON.stringify(tools) } });
		expect(r.chatRequests[0].body.tool_choice).toBeUndefined();
		expect((r.items[0].toolCalls as IDataObject[])[0].name).toBe('get_weather');
	});

	it('a tool result in the history gets the final answer', async () => {
		const first = await run({
			prompt: 'Weather in Newport News?',
			options: { tools: JSON.stringify(tools), toolChoice: 'get_weather' },
		});
		const call = (first.items[0].toolCalls as IDataObject[])[0];
		const messages = [
			{ role: 'user', content: 'Weather in Newport News?' },
			{
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id: call.id,
						type: 'function',
						function: { name: 'get_weather', arguments: JSON.stringify(call.arguments) },
					},
				],
			},
			{ role: 'tool', tool_call_id: call.id, content: '{"tempC": 21}' },
		];
		const second = await run({
			inputMode: 'json',
			messagesJson: JSON.stringify(messages),
			options: { tools: JSON.stringify(tools) },
		});
		expect(second.error('Chat')).toBeUndefined();
		expect(second.chatRequests[0].body.messages).toEqual(messages);
		expect(second.items[0]).toMatchObject({
			finishReason: 'stop',
			toolCalls: null,
			reply: expect.stringContaining('the tool returned: {"tempC": 21}'),
		});
	});
});

describe('vision', () => {
	it('binary images and URLs become image_url parts after the prompt text', async () => {
		const r = await run(
			{
				model: modelParam(VISION),
				prompt: 'What is in these pictures?',
				options: {
					imageBinaryProperties: 'photo, scan',
					imageUrls: 'https://example.org/a.jpg\nhttps://example.org/b.png',
					imageDetail: 'low',
				},
			},
			{
				binary: true,
				items: [
					{
						json: { n: 1 },
						binary: {
							photo: { data: PNG, mimeType: 'image/png', fileName: 'p.png' },
							scan: { data: PNG, mimeType: 'image/jpeg', fileName: 's.jpg' },
						},
					},
				],
			},
		);
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body.messages).toEqual([
			{
				role: 'user',
				content: [
					{ type: 'text', text: 'What is in these pictures?' },
					{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
					{ type: 'image_url', image_url: { url: `data:image/jpeg;base64,${PNG}`, detail: 'low' } },
					{ type: 'image_url', image_url: { url: 'https://example.org/a.jpg', detail: 'low' } },
					{ type: 'image_url', image_url: { url: 'https://example.org/b.png', detail: 'low' } },
				],
			},
		]);
		expect(r.items[0].reply).toContain('[4 images]');
	});

	it('images go to the last user message of a message list; detail auto is not sent', async () => {
		const r = await run({
			model: modelParam(VISION),
			inputMode: 'messages',
			messages: {
				values: [
					{ role: 'user', content: 'first' },
					{ role: 'assistant', content: 'ok' },
					{ role: 'user', content: 'second' },
				],
			},
			options: { imageUrls: '={{ ["https://example.org/x.jpg"] }}' },
		});
		expect(r.error('Chat')).toBeUndefined();
		const messages = r.chatRequests[0].body.messages as IDataObject[];
		expect(messages[0]).toEqual({ role: 'user', content: 'first' });
		expect(messages[2]).toEqual({
			role: 'user',
			content: [
				{ type: 'text', text: 'second' },
				{ type: 'image_url', image_url: { url: 'https://example.org/x.jpg' } },
			],
		});
	});
});

describe('raw output', () => {
	it('Simplify off → the whole answer plus a gateway block', async () => {
		const r = await run({ prompt: 'Hi', options: { simplify: false } });
		const out = r.items[0];
		expect(out).toMatchObject({
			id: expect.stringMatching(/^chatcmpl-/),
			object: 'chat.completion',
			model: MODEL,
			choices: [
				{
					index: 0,
					finish_reason: 'stop',
					message: { role: 'assistant', content: `Echo from ${MODEL}: Hi` },
				},
			],
			usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
		});
		expect(out.gateway).toEqual({
			callId: expect.any(String),
			costUsd: expect.any(Number),
			keySpendUsd: expect.any(Number),
			keyMaxBudgetUsd: 100,
			remainingRequests: expect.any(Number),
			remainingTokens: expect.any(Number),
			modelGroup: MODEL,
			modelId: expect.any(String),
			litellmVersion: expect.any(String),
			responseDurationMs: expect.any(Number),
			attempts: 1,
		});
	});

	it('the cost is the x-litellm-response-cost header, and the key spend grows by it', async () => {
		const a = await run({ prompt: 'one' });
		const b = await run({ prompt: 'two' });
		expect((b.items[0].keySpendUsd as number) - (a.items[0].keySpendUsd as number)).toBeCloseTo(
			a.items[0].costUsd as number,
			12,
		);
	});
});
