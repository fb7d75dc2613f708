/**
 * The oldest n8n the README claims (2.8.4, the newest release that runs on Node 20), on this
 * machine's Node, with the same packed tarball: its non-AI nodes load and the examples run there.
 *
 *   npm run test:compat     (first run installs n8n 2.8.4 into the cache folder: ~4 min, ~2.3 GB)
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';

import { checkRun } from './lib/checkRun';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CANARY = lib.canaryKey('compat');
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
// AI sub-nodes need @n8n/ai-node-sdk, which n8n bundles from 2.16 on: not expected to work on 2.8
// (the JLab LLM Chat Model loads the SDK on first use, so its file loads and it says what it needs).
const AI_SUBNODES = new Set([`${PREFIX}lmChatJlabLlm`, `${PREFIX}embeddingsJlabLlm`]);

const examples: Array<{
	file: string;
	workflow: { id: string; nodes: Array<{ name: string; type: string }> };
}> = lib.loadExamples();
const runnable = examples.filter((e) => !e.workflow.nodes.some((n) => AI_SUBNODES.has(n.type)));

describe(`n8n ${lib.OLDEST.n8n} on Node ${process.versions.node} with the packed package`, () => {
	let stack: any;
	const output: string[] = [];

	beforeAll(async () => {
		stack = await lib.startStack({
			version: lib.OLDEST,
			apiKey: CANARY,
			sandbox: {
				keys: [
					{
						key: CANARY,
						key_alias: 'compat-canary',
						user_id: 'compat-user',
						max_budget: 25,
						spend: 5,
					},
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
	});

	afterAll(async () => {
		if (stack) await stack.stop();
	});

	it(`runs n8n ${lib.OLDEST.n8n}`, async () => {
		const res = await stack.n8n.cli(['--version']);
		expect(res.stdout.trim().split('\n').pop()).toBe(lib.OLDEST.n8n);
	});

	it('loads every non-AI node of the tarball as n8n-nodes-jlab-llm.<name>, and the credential', async () => {
		const manifest = JSON.parse(
			fs.readFileSync(
				path.join(
					stack.n8n.userFolder,
					'.n8n',
					'nodes',
					'node_modules',
					lib.PACKAGE_NAME,
					'package.json',
				),
				'utf8',
			),
		);
		const expected = (manifest.n8n.nodes as string[])
			.map((p) => {
				const stem = path.basename(p, '.node.js');
				return `${PREFIX}${stem[0].toLowerCase()}${stem.slice(1)}`;
			})
			.filter((t) => !AI_SUBNODES.has(t));
		expect(expected.length).toBeGreaterThan(0);
		const loaded: string[] = await stack.client.nodeTypeNames();
		for (const type of expected) expect(loaded).toContain(type);
		const creds = await stack.client.request('GET', '/types/credentials.json');
		expect(creds.body.map((c: { name: string }) => c.name)).toContain('jlabLlmApi');
	});

	it('the credential test passes for the key and fails with the classified message for a wrong one', async () => {
		const testWith = (apiKey: string) =>
			stack.client.request('POST', '/rest/credentials/test', {
				credentials: {
					...lib.SANDBOX_CREDENTIAL,
					data: { baseUrl: stack.sandbox.url, apiKey, allowHttp: false },
				},
			});
		expect((await testWith(CANARY)).body.data).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		const bad = await testWith('sk-wrong-key-compat-000000000000000');
		expect(bad.body.data.status).toBe('Error');
		expect(bad.body.data.message).toMatch(/^invalid_key: /);
	});

	it('has examples without AI sub-nodes to run', () => {
		expect(runnable.length).toBeGreaterThan(0);
	});

	it.each(runnable.map((e) => [e.file, e] as const))(
		'%s runs without a node error',
		async (file, example) => {
			const res = await lib.executeWorkflow(stack.n8n, example.workflow.id);
			output.push(res.stdout, res.stderr);
			checkRun(file, res, example.workflow, PREFIX);
		},
	);

	it('the JLab LLM Chat Model: its file loads without the SDK, and a chain that uses it fails saying it needs n8n 2.16', async () => {
		const chain = examples.find((e) => e.file === 'chat-model-basic-chain.json');
		expect(chain).toBeDefined();
		expect(await stack.client.nodeTypeNames()).toContain(`${PREFIX}lmChatJlabLlm`);
		const before = stack.sandbox.requests.length;
		const res = await lib.executeWorkflow(stack.n8n, chain!.workflow.id);
		output.push(res.stdout, res.stderr);
		expect(res.run).toBeDefined();
		const model = chain!.workflow.nodes.find((n) => AI_SUBNODES.has(n.type))!.name;
		const task = res.run.data.resultData.runData[model]?.[0];
		expect(task?.error?.message).toBe('JLab LLM Chat Model needs n8n 2.16 or newer');
		expect(JSON.stringify(res.run.data.resultData.error)).toContain('needs n8n 2.16 or newer');
		// It failed before any request.
		expect(
			stack.sandbox.requests.slice(before).filter((q: any) => q.path === '/v1/chat/completions'),
		).toEqual([]);
	});

	it('the JLab LLM Embeddings: listed, and the RAG example stops saying it needs n8n 2.16, before any request', async () => {
		const rag = examples.find((e) => e.file === 'embeddings-rag.json');
		expect(rag).toBeDefined();
		expect(await stack.client.nodeTypeNames()).toContain(`${PREFIX}embeddingsJlabLlm`);
		const before = stack.sandbox.requests.length;
		const res = await lib.executeWorkflow(stack.n8n, rag!.workflow.id);
		output.push(res.stdout, res.stderr);
		expect(res.run).toBeDefined();
		const task = res.run.data.resultData.runData['JLab LLM Embeddings']?.[0];
		expect(task?.error?.message).toBe('JLab LLM Embeddings needs n8n 2.16 or newer');
		expect(JSON.stringify(res.run.data.resultData.error)).toContain('needs n8n 2.16 or newer');
		expect(
			stack.sandbox.requests.slice(before).filter((q: any) => q.path === '/v1/embeddings'),
		).toEqual([]);
	});

	it("the gateway saw the credential's key, and no piece of it is in the CLI output, the log or the DB", async () => {
		expect(stack.sandbox.requests.some((q: any) => q.keyHash === sha256(CANARY))).toBe(true);
		expect(output.length).toBeGreaterThan(0);
		expect(lib.leakedPieces(output.join('\n'), CANARY)).toEqual([]);
		await stack.n8n.stop();
		const dir = path.join(stack.n8n.userFolder, '.n8n');
		for (const f of fs.readdirSync(dir).filter((x) => x.startsWith('database.sqlite'))) {
			expect({
				file: f,
				leaked: lib.leakedPieces(fs.readFileSync(path.join(dir, f)).toString('latin1'), CANARY),
			}).toEqual({ file: f, leaked: [] });
		}
		expect(lib.leakedPieces(fs.readFileSync(stack.n8n.logFile, 'utf8'), CANARY)).toEqual([]);
	});
});
