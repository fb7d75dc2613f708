/**
 * JLab LLM Chat: bad input fails before any request, with a message naming the field and what is
 * expected (class bad_request); with Continue On Fail only the bad items fail.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';

import { expectNoKeyIn, modelParam, runChat, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-CHATINPUT-d41d8cd98f00b204e980';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'chat-input', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => sandbox.clearRequests());

const TOOLS =
	'[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{}}}}]';

const cases: Array<[string, IDataObject, string, IDataObject?]> = [
	// n8n itself refuses an empty required field; an expression can still yield nothing.
	['an empty prompt from an expression', { prompt: '={{ $json.missing }}' }, 'Prompt'],
	['a blank prompt', { prompt: '   ' }, 'Prompt'],
	['no model from an expression', { model: modelParam('={{ "" }}'), prompt: 'x' }, 'Model'],
	['an empty message list', { inputMode: 'messages', messages: { values: [] } }, 'Messages'],
	[
		'a message without content',
		{ inputMode: 'messages', messages: { values: [{ role: 'user', content: '' }] } },
		'Messages',
	],
	[
		'messages JSON that is not JSON',
		{ inputMode: 'json', messagesJson: '[{"role": "user", "content": "hi"' },
		'Messages (JSON)',
	],
	['an empty messages array', { inputMode: 'json', messagesJson: '[]' }, 'Messages (JSON)'],
	[
		'messages JSON that is an object',
		{ inputMode: 'json', messagesJson: '{"role": "user"}' },
		'Messages (JSON)',
	],
	[
		'a message with an unknown role',
		{ inputMode: 'json', messagesJson: '[{"role": "robot", "content": "hi"}]' },
		'Messages (JSON)',
	],
	[
		'a tool message without tool_call_id',
		{ inputMode: 'json', messagesJson: '[{"role": "tool", "content": "1"}]' },
		'Messages (JSON)',
	],
	[
		'temperature above 2',
		{ prompt: 'x', options: { temperature: 3 } },
		'Output Randomness (Temperature)',
	],
	[
		'temperature that is not a number',
		{ prompt: 'x', options: { temperature: '={{ "warm" }}' } },
		'Output Randomness (Temperature)',
	],
	['top-p above 1', { prompt: 'x', options: { topP: 1.5 } }, 'Output Randomness (Top P)'],
	['max tokens 0', { prompt: 'x', options: { maxTokens: 0 } }, 'Maximum Number of Tokens'],
	[
		'fractional max tokens',
		{ prompt: 'x', options: { maxTokens: 10.5 } },
		'Maximum Number of Tokens',
	],
	[
		'frequency penalty below -2',
		{ prompt: 'x', options: { frequencyPenalty: -3 } },
		'Frequency Penalty',
	],
	[
		'presence penalty above 2',
		{ prompt: 'x', options: { presencePenalty: 2.5 } },
		'Presence Penalty',
	],
	['a fractional seed', { prompt: 'x', options: { seed: 1.5 } }, 'Seed'],
	['stop sequences as broken JSON', { prompt: 'x', options: { stop: '["a", ' } }, 'Stop Sequences'],
	['tools that are not JSON', { prompt: 'x', options: { tools: '[{"type": "function"' } }, 'Tools'],
	[
		'tools that are not an array',
		{ prompt: 'x', options: { tools: '{"type": "function"}' } },
		'Tools',
	],
	[
		'a tool without a name',
		{ prompt: 'x', options: { tools: '[{"type":"function","function":{}}]' } },
		'Tools',
	],
	[
		'a tool choice naming no tool',
		{ prompt: 'x', options: { tools: TOOLS, toolChoice: 'other' } },
		'Tool Choice',
	],
	[
		'a specific tool choice without a tool name',
		{ prompt: 'x', options: { tools: TOOLS, toolChoice: 'function' } },
		'Tool Name',
	],
	[
		'a specific tool choice naming no tool',
		{ prompt: 'x', options: { tools: TOOLS, toolChoice: 'function', toolName: 'other' } },
		'Tool Name',
	],
	['a seed that is not a number', { prompt: 'x', options: { seed: 'abc' } }, 'Seed'],
	[
		'JSON Schema format without a schema',
		{ prompt: 'x', options: { responseFormat: 'json_schema' } },
		'JSON Schema',
	],
	[
		'a JSON schema that is not JSON',
		{ prompt: 'x', options: { responseFormat: 'json_schema', jsonSchema: '{"type":' } },
		'JSON Schema',
	],
	[
		'a JSON schema that is an array',
		{ prompt: 'x', options: { responseFormat: 'json_schema', jsonSchema: '[]' } },
		'JSON Schema',
	],
	[
		'a JSON schema name with spaces',
		{
			prompt: 'x',
			options: { responseFormat: 'json_schema', jsonSchemaName: 'my schema', jsonSchema: '{}' },
		},
		'JSON Schema Name',
	],
	[
		'an unknown reasoning effort',
		{ prompt: 'x', options: { reasoningEffort: '={{ "max" }}' } },
		'Reasoning Effort',
	],
	[
		'an image URL that is not a URL',
		{ prompt: 'x', options: { imageUrls: 'file:///etc/passwd' } },
		'Image URLs',
	],
	[
		'a missing binary property',
		{ prompt: 'x', options: { imageBinaryProperties: 'photo' } },
		'Image Binary Properties',
	],
	['timeout 0', { prompt: 'x', options: { timeout: 0 } }, 'Timeout (Seconds)'],
	['max retries above 10', { prompt: 'x', options: { maxRetries: 11 } }, 'Max Retries'],
	['concurrency 0', { prompt: 'x', options: { concurrency: 0 } }, 'Concurrency'],
	[
		'an empty end-user id from an expression',
		{ prompt: 'x', options: { user: '={{ " " }}' } },
		'End-User ID',
	],
];

describe('bad input fails before any request, naming the field', () => {
	it.each(cases.map(([what, parameters, field]) => [what, field, parameters] as const))(
		'%s → %s',
		async (_what, field, parameters) => {
			const r = await runChat(sandbox, parameters, { apiKey: KEY });
			const err = r.error('Chat');
			expect(err).toBeDefined();
			expect(err?.message.startsWith(`${field}: `)).toBe(true);
			expect(err?.description).toMatch(/^bad_request: /);
			expect(sandbox.requests).toHaveLength(0);
			expectNoKeyIn(r.run.data, KEY);
		},
	);

	it('a bad third item stops the run before the first item is sent', async () => {
		const r = await runChat(
			sandbox,
			{ prompt: '={{ $json.p }}' },
			{ apiKey: KEY, items: [{ p: 'one' }, { p: 'two' }, { p: '' }] },
		);
		expect(r.error('Chat')?.message).toMatch(/^Prompt: /);
		expect((r.error('Chat')?.context as IDataObject | undefined)?.itemIndex).toBe(2);
		expect(sandbox.requests).toHaveLength(0);
	});

	it('with Continue On Fail, only the bad item fails; the others are answered in order', async () => {
		const r = await runChat(
			sandbox,
			{ prompt: '={{ $json.p }}' },
			{ apiKey: KEY, items: [{ p: 'one' }, { p: '' }, { p: 'three' }], continueOnFail: true },
		);
		expect(r.error('Chat')).toBeUndefined();
		const out = r.output('Chat');
		expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.reply).toContain('one');
		expect(out[1].json).toMatchObject({
			errorType: 'bad_request',
			field: 'Prompt',
			error: expect.stringMatching(/^Prompt: /),
		});
		expect(out[2].json.reply).toContain('three');
		expect(sandbox.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(2);
	});

	it('a base URL that is not http(s) fails every item as bad input, without a request', async () => {
		const r = await runChat(
			sandbox,
			{ prompt: 'x' },
			{ apiKey: KEY, baseUrl: 'ftp://delphi.jlab.org/api', items: [{}, {}], continueOnFail: true },
		);
		expect(r.items).toHaveLength(2);
		for (const item of r.items)
			expect(item).toMatchObject({ errorType: 'bad_request', field: 'Base URL' });
		expect(sandbox.requests).toHaveLength(0);
	});
});
