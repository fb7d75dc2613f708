/**
 * JLab LLM Embeddings in a real, pinned n8n (2.41.1), installed from the packed tarball: the RAG
 * example (examples/embeddings-rag.json) inserts lab documents into n8n's own Simple Vector Store
 * and answers a question with the Question and Answer chain over a vector-store retriever and the
 * JLab LLM Chat Model. The retrieved passage is the expected document; the embeddings sub-node's
 * calls show in the stored run data; a refused model fails the run with a classified error; a
 * canary key leaves no trace in what n8n stores, prints or logs.
 */
import crypto from 'crypto';
import fs from 'fs';

import { checkRun } from './lib/checkRun';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CANARY = lib.canaryKey('embed');
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const EXAMPLE_ID = 'jlabEmbeddingsRag01';
const INSERT_EMBEDDINGS = 'JLab LLM Embeddings';
const QUERY_EMBEDDINGS = 'JLab LLM Embeddings (Question)';
const EXPECTED =
	'The Central Helium Liquefier supplies liquid helium that cools the superconducting niobium cavities to 2 kelvin.';
const OTHERS = [
	'CEBAF delivers a continuous electron beam',
	'The cafeteria serves breakfast',
	'Radiation worker training',
	'The scientific computing farm',
];

/** The example with a model the gateway does not have, under another id. */
function brokenVariant(example: any) {
	const w = JSON.parse(JSON.stringify(example));
	w.id = 'jlabEmbeddingsRagBroken01';
	w.name = 'JLab LLM: RAG example with an unknown embedding model';
	for (const n of w.nodes)
		if (n.name === INSERT_EMBEDDINGS) n.parameters.model.value = 'acme/no-such-embedder';
	return w;
}

describe(`JLab LLM Embeddings in n8n ${lib.CURRENT.n8n}`, () => {
	let stack: any;
	const cliOutput: string[] = [];
	const example = lib.loadExamples().find((e: any) => e.file === 'embeddings-rag.json');

	beforeAll(async () => {
		stack = await lib.startStack({
			apiKey: CANARY,
			logLevel: 'debug',
			workflows: [brokenVariant(example.workflow)],
			sandbox: {
				users: [{ user_id: 'embed-e2e', user_role: 'internal_user' }],
				keys: [
					{ key: CANARY, key_alias: 'embed-e2e-canary', user_id: 'embed-e2e', max_budget: 25 },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
	});

	afterAll(async () => {
		if (stack) await stack.stop();
	});

	it('the RAG example runs: documents inserted, the expected passage retrieved, the chain answers from it', async () => {
		const before = stack.sandbox.requests.length;
		const res = await lib.executeWorkflow(stack.n8n, EXAMPLE_ID);
		cliOutput.push(res.stdout, res.stderr);
		const { items } = checkRun('embeddings-rag.json', res, example.workflow, PREFIX);
		const requests = stack.sandbox.requests.slice(before);
		const embeds = requests.filter((q: any) => q.path === '/v1/embeddings');
		// One batch for the five documents (Batch Size 64), one for the question.
		expect(embeds.map((q: any) => (q.body.input as string[]).length)).toEqual([5, 1]);
		for (const q of embeds) {
			expect(q.keyHash).toBe(sha256(CANARY));
			expect(q.body.model).toBe('nomic-ai/nomic-embed-text-v1.5');
			expect(q.body.metadata).toMatchObject({
				tags: ['example', 'rag'],
				n8n_workflow_id: EXAMPLE_ID,
			});
		}
		expect(embeds[1].body.input).toEqual([
			'What cools the superconducting cavities, and to what temperature?',
		]);
		// The retriever (top 1) handed the chain the helium document, and only that one.
		const chats = requests.filter((q: any) => q.path === '/v1/chat/completions');
		expect(chats).toHaveLength(1);
		const prompt = JSON.stringify(chats[0].body.messages);
		expect(prompt).toContain(EXPECTED);
		for (const other of OTHERS) expect(prompt).not.toContain(other);
		const answer = items('Question and Answer Chain');
		expect(answer).toHaveLength(1);
		expect(answer[0].json.response ?? answer[0].json.text).toMatch(
			/^Echo from openai\/gpt-oss-120b: /,
		);
		// The embeddings sub-nodes' calls in the run data: texts in, vectors' count and token usage out.
		const runData = res.run.data.resultData.runData;
		const insert = runData[INSERT_EMBEDDINGS];
		expect(insert).toHaveLength(1);
		expect(insert[0].inputOverride.ai_embedding[0][0].json.documents).toHaveLength(5);
		expect(insert[0].data.ai_embedding[0][0].json).toMatchObject({
			vectors: 5,
			requests: 1,
			dimensions: 768,
			tokenUsage: { promptTokens: expect.any(Number) },
		});
		expect(insert[0].data.ai_embedding[0][0].json.tokenUsage.promptTokens).toBeGreaterThan(0);
		const query = runData[QUERY_EMBEDDINGS];
		expect(query).toHaveLength(1);
		expect(query[0].inputOverride.ai_embedding[0][0].json).toEqual({
			query: 'What cools the superconducting cavities, and to what temperature?',
		});
		expect(query[0].data.ai_embedding[0][0].json).toMatchObject({ vectors: 1, requests: 1 });
	});

	it('an unknown embedding model stops the run with an error that names the field and the models to pick from', async () => {
		const res = await lib.executeWorkflow(stack.n8n, 'jlabEmbeddingsRagBroken01');
		cliOutput.push(res.stdout, res.stderr);
		const text = res.stdout + res.stderr;
		expect(text).toMatch(
			/Model: .*"acme\/no-such-embedder" is not in the gateway's model list for this key/,
		);
		expect(text).toContain('nomic-ai/nomic-embed-text-v1.5');
		expect(lib.leakedPieces(text, CANARY)).toEqual([]);
	});

	describe('the canary key leaves no trace', () => {
		it("in the stored executions (public API, includeData), which hold the embeddings sub-node's run data", async () => {
			const res = await stack.client.request(
				'GET',
				'/api/v1/executions?includeData=true&limit=100',
				undefined,
				{ auth: 'apiKey' },
			);
			expect(res.status).toBe(200);
			const ours = res.body.data.filter((e: any) => e.workflowId === EXAMPLE_ID);
			expect(ours.length).toBeGreaterThan(0);
			const runData = ours[0].data.resultData.runData;
			expect(runData[INSERT_EMBEDDINGS][0].data.ai_embedding[0][0].json).toMatchObject({
				vectors: 5,
				requests: 1,
			});
			expect(runData[QUERY_EMBEDDINGS][0].data.ai_embedding[0][0].json).toMatchObject({
				vectors: 1,
			});
			expect(lib.leakedPieces(JSON.stringify(res.body), CANARY)).toEqual([]);
		});

		it('in the CLI output, the SQLite files and the log', async () => {
			expect(cliOutput.length).toBeGreaterThan(0);
			expect(lib.leakedPieces(cliOutput.join('\n'), CANARY)).toEqual([]);
			await stack.n8n.stop();
			const dir = `${stack.n8n.userFolder}/.n8n`;
			for (const f of fs.readdirSync(dir).filter((n: string) => n.startsWith('database.sqlite'))) {
				expect({
					file: f,
					leaked: lib.leakedPieces(fs.readFileSync(`${dir}/${f}`).toString('latin1'), CANARY),
				}).toEqual({ file: f, leaked: [] });
			}
			const log = fs.readFileSync(stack.n8n.logFile, 'utf8');
			expect(log.length).toBeGreaterThan(1000);
			expect(lib.leakedPieces(log, CANARY)).toEqual([]);
		});
	});
});
