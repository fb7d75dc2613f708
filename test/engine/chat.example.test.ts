/**
 * examples/chat-batch-summaries.json: its JLab LLM Chat node, with the example's own parameters
 * and rows, run in-process against the sandbox (the Code and Set nodes of n8n-nodes-base are
 * replaced: the rows by test.items, the Set node by reading the chat node's output).
 */
import fs from 'fs';
import path from 'path';

import type { IDataObject, INode } from 'n8n-workflow';

import { runWorkflow, shutdownHarness } from '../harness';

import { CHAT_TYPE, expectNoKeyIn, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-EXAMPLE-9b74c9897bac770ffc02';
const FILE = path.resolve(__dirname, '..', '..', 'examples', 'chat-batch-summaries.json');

interface ExampleWorkflow {
	id: string;
	name: string;
	nodes: INode[];
	connections: Record<string, { main: Array<Array<{ node: string }>> }>;
}

const example = JSON.parse(fs.readFileSync(FILE, 'utf8')) as ExampleWorkflow;

/** The rows the example's Code node returns: the array literal after `const rows =`. */
function exampleRows(): IDataObject[] {
	const code = example.nodes.find((n) => n.type === 'n8n-nodes-base.code')?.parameters
		.jsCode as string;
	const m = /const rows = (\[[\s\S]*?\]);\n/.exec(code);
	if (!m) throw new Error('the example Code node no longer starts with `const rows = [...]`');
	return JSON.parse(m[1]) as IDataObject[];
}

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'example', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

describe('examples/chat-batch-summaries.json', () => {
	it('is a Manual Trigger → rows → JLab LLM Chat → Set workflow using the installed package names', () => {
		const chat = example.nodes.find((n) => n.type === CHAT_TYPE) as INode;
		expect(chat).toBeDefined();
		expect(chat.credentials).toEqual({
			jlabLlmApi: { id: 'jlabLlmSandbox01', name: 'JLab LLM (sandbox)' },
		});
		expect(chat.parameters.model).toEqual({ __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' });
		expect(example.nodes.map((n) => n.type)).toEqual([
			'n8n-nodes-base.manualTrigger',
			'n8n-nodes-base.code',
			CHAT_TYPE,
			'n8n-nodes-base.set',
		]);
		expect(example.connections['Sample rows'].main[0][0].node).toBe(chat.name);
		expect(example.connections[chat.name].main[0][0].node).toBe('Summary and cost');
	});

	it("runs the example's chat node on the example's rows: one summary with its cost per row", async () => {
		const chat = example.nodes.find((n) => n.type === CHAT_TYPE) as INode;
		const rows = exampleRows();
		const result = await runWorkflow(
			{
				id: example.id,
				name: example.name,
				nodes: [
					{
						id: 'rows',
						name: 'Sample rows',
						type: 'test.items',
						typeVersion: 1,
						position: [0, 0],
						parameters: { items: JSON.stringify(rows) },
					},
					chat,
				],
				connections: { 'Sample rows': { main: [[{ node: chat.name, type: 'main', index: 0 }]] } },
			},
			[
				{
					id: 'jlabLlmSandbox01',
					name: 'JLab LLM (sandbox)',
					type: 'jlabLlmApi',
					data: { baseUrl: sandbox.url, apiKey: KEY },
				},
			],
		);
		expect(result.error(chat.name)).toBeUndefined();
		const out = result.output(chat.name);
		expect(out).toHaveLength(rows.length);
		out.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(item.json.reply).toContain(String(rows[i].text).slice(0, 60));
			expect(item.json.costUsd).toEqual(expect.any(Number));
			expect(item.json.costUsd as number).toBeGreaterThan(0);
			expect((item.json.usage as IDataObject).totalTokens).toEqual(expect.any(Number));
		});
		const sent = sandbox.requests.filter((q) => q.path === '/v1/chat/completions');
		expect(sent).toHaveLength(rows.length);
		for (const q of sent) {
			expect(q.body).toMatchObject({
				model: 'openai/gpt-oss-120b',
				max_tokens: 200,
				temperature: 0.2,
				reasoning_effort: 'low',
				metadata: {
					tags: ['example', 'batch-summaries'],
					n8n_workflow_id: example.id,
					n8n_node_name: chat.name,
				},
			});
		}
		expectNoKeyIn(result.run.data, KEY);
	});
});
