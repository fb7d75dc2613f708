/**
 * What a user meets in the editor: a new node has a model, its subtitle names it, an option added
 * and left as it came sends nothing the user did not set (checked in the sandbox's request log),
 * and options show only where they apply.
 */
import type {
	IDataObject,
	INode,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
} from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { shutdownHarness } from '../harness';
import { packageNodeTypes } from '../harness/registry';

import { CHAT_TYPE, MODEL, runChat, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-CHATDEFAULTS-3e8b1f6a9c2d7e40';
const MODEL_TYPE = 'n8n-nodes-jlab-llm.lmChatJlabLlm';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [
			{
				key: KEY,
				key_alias: 'chat-defaults',
				user_id: 'alice',
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

const description = (type: string) =>
	(packageNodeTypes()[type] as INodeType).description as INodeTypeDescription;
const chatOptions = () =>
	description(CHAT_TYPE).properties.find((p) => p.name === 'options')!.options as INodeProperties[];
/** What the editor stores when the user clicks "Add option" and picks this one: its default. */
const added = (...names: string[]) =>
	Object.fromEntries(
		names.map((n) => [n, chatOptions().find((o) => o.name === n)!.default]),
	) as IDataObject;

const run = (parameters: IDataObject) =>
	runChat(
		sandbox,
		{ prompt: 'Hi', ...parameters },
		{ apiKey: KEY, workflow: { id: 'wf-defaults', name: 'Defaults' } },
	);

describe('a new node works on its first run', () => {
	it('the Chat node and the Chat Model start with the lab’s documented model', () => {
		for (const type of [CHAT_TYPE, MODEL_TYPE]) {
			const model = description(type).properties.find((p) => p.name === 'model')!;
			expect(model.default).toEqual({ mode: 'list', value: MODEL });
		}
	});

	it('a Chat node whose model was never touched calls that model', async () => {
		const r = await run({ model: undefined });
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests.map((q) => q.body.model)).toEqual([MODEL]);
	});
});

describe('the canvas subtitle names the model', () => {
	const nodeTypes: INodeTypes = {
		getByName: (t) => packageNodeTypes()[t],
		getByNameAndVersion: (t) => packageNodeTypes()[t] as INodeType,
		getKnownTypes: () => ({}),
	};
	// As n8n's editor computes a node's subtitle: the expression over the node's parameters with defaults.
	function subtitle(type: string, parameters: IDataObject): string {
		const desc = description(type);
		const node: INode = {
			id: 'n',
			name: 'N',
			type,
			typeVersion: 1,
			position: [0, 0],
			parameters:
				NodeHelpers.getNodeParameters(
					desc.properties,
					parameters as never,
					true,
					false,
					null,
					desc,
				) ?? {},
		};
		const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
		return workflow.expression.getSimpleParameterValue(
			node,
			desc.subtitle!,
			'internal',
			{},
		) as string;
	}

	it.each([
		[
			'from the list',
			{
				__rl: true,
				mode: 'list',
				value: 'Qwen/Qwen2.5-VL-72B-Instruct',
				cachedResultName: 'Qwen/Qwen2.5-VL-72B-Instruct',
			},
		],
		['by ID', { __rl: true, mode: 'id', value: 'Qwen/Qwen2.5-VL-72B-Instruct' }],
	])('Chat and Chat Model, model %s', (_mode, model) => {
		expect(subtitle(CHAT_TYPE, { model })).toBe('Qwen/Qwen2.5-VL-72B-Instruct');
		expect(subtitle(MODEL_TYPE, { model })).toBe('Qwen/Qwen2.5-VL-72B-Instruct');
	});

	it('a new node shows the preselected model', () => {
		expect(subtitle(CHAT_TYPE, {})).toBe(MODEL);
		expect(subtitle(MODEL_TYPE, {})).toBe(MODEL);
	});
});

describe('an option added and left as it came sends nothing the user did not set', () => {
	it('Tools, Tool Choice, Seed, Response Format and the JSON Schema fields', async () => {
		const r = await run({
			options: added(
				'tools',
				'toolChoice',
				'toolName',
				'seed',
				'responseFormat',
				'jsonSchemaName',
				'jsonSchemaStrict',
				'jsonSchema',
			),
		});
		expect(r.error('Chat')).toBeUndefined();
		expect(Object.keys(r.chatRequests[0].body).sort()).toEqual(['messages', 'metadata', 'model']);
	});

	it('no option pre-fills an example: a tool, a schema or a seed', () => {
		for (const name of ['jsonSchema', 'jsonSchemaName', 'seed', 'toolName']) {
			expect([name, added(name)[name]]).toEqual([name, '']);
		}
		// Tools comes as an empty list (the JSON editor shows "[]" rather than a syntax error).
		expect(added('tools').tools).toBe('[]');
	});

	it('JSON Schema chosen without a schema fails, naming the field, before any request', async () => {
		const before = sandbox.requests.length;
		const r = await run({ options: { ...added('jsonSchema'), responseFormat: 'json_schema' } });
		expect(r.error('Chat')?.message).toMatch(/^JSON Schema: /);
		expect(sandbox.requests.length).toBe(before);
	});

	it('Specific Tool sends the tool named in Tool Name; a saved workflow that wrote the name in Tool Choice still works', async () => {
		const tools = JSON.stringify([
			{
				type: 'function',
				function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
			},
		]);
		const now = await run({ options: { tools, toolChoice: 'function', toolName: 'get_time' } });
		const old = await run({ options: { tools, toolChoice: 'get_time' } });
		for (const r of [now, old]) {
			expect(r.error('Chat')).toBeUndefined();
			expect(r.chatRequests[0].body.tool_choice).toEqual({
				type: 'function',
				function: { name: 'get_time' },
			});
		}
	});

	it('a saved workflow that set Seed 0 keeps sending 0', async () => {
		const r = await run({ options: { seed: 0 } });
		expect(r.chatRequests[0].body.seed).toBe(0);
		const typed = await run({ options: { seed: '42' } });
		expect(typed.chatRequests[0].body.seed).toBe(42);
	});

	it('a Tool Choice left behind after the tools were removed is hidden and not sent', async () => {
		const r = await run({ options: { toolChoice: 'required' } });
		expect(r.error('Chat')).toBeUndefined();
		expect(r.chatRequests[0].body.tool_choice).toBeUndefined();
	});
});

describe('options show only where they apply', () => {
	/** The names the editor offers under "Add option" for these option values (as its collection does). */
	function offered(options: IDataObject): string[] {
		const values = { parameters: { operation: 'complete', options } };
		return chatOptions()
			.filter((o) =>
				NodeHelpers.displayParameterPath(
					values as never,
					o,
					'parameters.options',
					null,
					description(CHAT_TYPE),
				),
			)
			.map((o) => o.name);
	}

	it('JSON Schema fields only with Response Format "JSON Schema"', () => {
		const schema = ['jsonSchema', 'jsonSchemaName', 'jsonSchemaStrict'];
		expect(offered({})).not.toEqual(expect.arrayContaining([schema[0]]));
		for (const fmt of ['text', 'json_object']) {
			expect(offered({ responseFormat: fmt }).filter((n) => schema.includes(n))).toEqual([]);
		}
		expect(offered({ responseFormat: 'json_schema' })).toEqual(expect.arrayContaining(schema));
	});

	it('Tool Choice only with tools; Tool Name only with Specific Tool', () => {
		expect(offered({})).not.toContain('toolChoice');
		expect(offered({ tools: '' })).not.toContain('toolChoice');
		expect(offered({ tools: '[]' })).not.toContain('toolChoice');
		expect(offered({ tools: '[{"type": "function"}]' })).toContain('toolChoice');
		expect(offered({ tools: '[{}]', toolChoice: 'auto' })).not.toContain('toolName');
		expect(offered({ tools: '[{}]', toolChoice: 'function' })).toContain('toolName');
	});

	it('options are named in n8n’s words, with one casing', () => {
		const names = chatOptions().map((o) => o.displayName);
		expect(names).toEqual(
			expect.arrayContaining([
				'Output Randomness (Temperature)',
				'Output Randomness (Top P)',
				'Maximum Number of Tokens',
			]),
		);
		for (const type of [CHAT_TYPE, MODEL_TYPE]) {
			const options = description(type).properties.find((p) => p.name === 'options')!;
			expect(options.placeholder).toBe('Add option');
		}
	});
});
