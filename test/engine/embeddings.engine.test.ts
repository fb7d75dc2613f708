/**
 * The JLab LLM Embeddings inside n8n-core's engine, against the sandbox gateway: batching (order
 * kept), concurrency and pacing under a small rate limit, the run data n8n's own embeddings
 * sub-nodes show, classified errors, bad input named by field before any request, and no key in
 * anything a run produced.
 */
import crypto from 'crypto';

import { shutdownHarness } from '../harness';

import {
	EMBEDDINGS_NODE,
	leakedPieces,
	MODEL,
	modelParam,
	runEmbeddings,
	startSandbox,
	type Sandbox,
} from './embeddingsSetup';

const { embedText } = require('../../sandbox/lib/embeddings') as {
	embedText: (t: string, dims: number) => number[];
};

const randomKey = () => `sk-${crypto.randomBytes(16).toString('hex')}`;
const CANARY = `sk-canary-embed-${crypto.randomBytes(12).toString('hex')}`;
const BLOCKED = randomKey();
const EXPIRED = randomKey();
const BROKE = randomKey();
const CHAT_ONLY = randomKey();
const UNKNOWN = randomKey();
const SLOW = randomKey();
const ALL_KEYS = [CANARY, BLOCKED, EXPIRED, BROKE, CHAT_ONLY, UNKNOWN, SLOW];
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

const LAB_DOCS = [
	'The CEBAF accelerator delivers a continuous electron beam to four experimental halls.',
	'Cryogenic plant: liquid helium cools the superconducting cavities to two kelvin.',
	'The cafeteria serves lunch from eleven to two on weekdays.',
	'Safety training is required before entering the accelerator tunnel or any experimental hall.',
];

describe('JLab LLM Embeddings in the engine (sandbox gateway)', () => {
	let sandbox: Sandbox;
	beforeAll(async () => {
		sandbox = await startSandbox({
			port: 0,
			basePath: '/api',
			embeddingModels: true,
			// A short rate-limit window, so pacing is seen in about a second.
			rateLimitWindowMs: 1000,
			users: [{ user_id: 'embed-user', user_role: 'internal_user' }],
			keys: [
				{ key: CANARY, key_alias: 'embed-canary', user_id: 'embed-user', max_budget: 100 },
				{ key: BLOCKED, key_alias: 'embed-blocked', user_id: 'embed-user', blocked: true },
				{
					key: EXPIRED,
					key_alias: 'embed-expired',
					user_id: 'embed-user',
					expires: '2020-01-01T00:00:00Z',
				},
				{ key: BROKE, key_alias: 'embed-broke', user_id: 'embed-user', max_budget: 1, spend: 2 },
				{
					key: CHAT_ONLY,
					key_alias: 'embed-chat-only',
					user_id: 'embed-user',
					models: ['openai/gpt-oss-20b'],
				},
				{ key: SLOW, key_alias: 'embed-slow', user_id: 'embed-user', rpm_limit: 3 },
			],
		});
	});
	afterAll(async () => {
		await sandbox.close();
		await shutdownHarness();
	});
	afterEach(() => sandbox.clearFaults());

	describe('batching', () => {
		it("N texts → ⌈N / Batch Size⌉ requests, vectors in the texts' order, the credential key in the header only", async () => {
			const texts = Array.from({ length: 10 }, (_, i) => `document number ${i} about topic t${i}`);
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { batchSize: 3 } },
				items: [{ mode: 'documents', texts, keepVectors: true }],
			});
			expect(r.items[0]).toMatchObject({ count: 10, dimensions: 768 });
			const vectors = r.items[0].vectors as number[][];
			texts.forEach((t, i) => expect(vectors[i]).toEqual(embedText(t, 768)));
			expect(r.embedRequests).toHaveLength(4);
			const sent = r.embedRequests.map((q) => q.body.input as string[]);
			expect(sent.map((b) => b.length).sort()).toEqual([1, 3, 3, 3]);
			expect(sent.flat().sort()).toEqual([...texts].sort());
			for (const q of r.embedRequests) {
				expect(q.keyHash).toBe(sha256(CANARY));
				expect(q.body.model).toBe(MODEL);
				expect(q.body).not.toHaveProperty('dimensions');
			}
		});

		it('1 text per batch and Concurrency 1: one request after another', async () => {
			const texts = ['alpha beam', 'beta beam', 'gamma beam'];
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { batchSize: 1, concurrency: 1 } },
				items: [{ mode: 'documents', texts, keepVectors: true }],
			});
			expect(r.embedRequests.map((q) => q.body.input)).toEqual([
				['alpha beam'],
				['beta beam'],
				['gamma beam'],
			]);
			expect(r.items[0].vectors).toEqual(texts.map((t) => embedText(t, 768)));
		});

		it("run data: each call with its texts in, and the vectors' count, requests and token usage out", async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { batchSize: 2 } },
				items: [
					{ mode: 'retrieve', texts: LAB_DOCS, query: 'Who cools the cavities with helium?' },
				],
			});
			expect(r.embeddingRuns).toHaveLength(2);
			const [docs, query] = r.embeddingRuns;
			expect(docs.inputOverride?.ai_embedding?.[0]?.[0]?.json).toEqual({ documents: LAB_DOCS });
			const out = docs.data?.ai_embedding?.[0]?.[0]?.json as {
				vectors: number;
				requests: number;
				dimensions: number;
				tokenUsage: { promptTokens: number; totalTokens: number };
				costUsd: number;
			};
			expect(out).toMatchObject({ vectors: 4, requests: 2, dimensions: 768 });
			expect(out.tokenUsage.promptTokens).toBeGreaterThan(0);
			expect(out.tokenUsage.totalTokens).toBe(out.tokenUsage.promptTokens);
			expect(out.costUsd).toBeGreaterThan(0);
			expect(query.inputOverride?.ai_embedding?.[0]?.[0]?.json).toEqual({
				query: 'Who cools the cavities with helium?',
			});
			expect(query.data?.ai_embedding?.[0]?.[0]?.json).toMatchObject({ vectors: 1, requests: 1 });
			expect(docs.executionStatus).toBe('success');
		});
	});

	describe('retrieval', () => {
		it("the document that shares the question's words comes back first", async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				items: [
					{ mode: 'retrieve', texts: LAB_DOCS, query: 'What cools the superconducting cavities?' },
					{ mode: 'retrieve', texts: LAB_DOCS, query: 'When does the cafeteria serve lunch?' },
				],
			});
			expect(r.items.map((i) => i.best)).toEqual([LAB_DOCS[1], LAB_DOCS[2]]);
		});

		it('Dimensions and base64 encoding: sent as asked, and the vector store still gets numbers', async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { dimensions: 64, encodingFormat: 'base64' } },
				items: [
					{ mode: 'documents', texts: ['liquid helium', 'electron beam'], keepVectors: true },
				],
			});
			expect(r.embedRequests[0].body).toMatchObject({ dimensions: 64, encoding_format: 'base64' });
			const vectors = r.items[0].vectors as number[][];
			expect(vectors.map((v) => v.length)).toEqual([64, 64]);
			// float32 on the wire: equal to the float vectors within float32 precision.
			embedText('liquid helium', 64).forEach((x, i) => expect(vectors[0][i]).toBeCloseTo(x, 5));
		});

		it('attribution and tags go along as LiteLLM metadata', async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { tags: 'rag, nightly' } },
				items: [{ mode: 'query', query: 'beam' }],
			});
			const metadata = r.embedRequests[0].body.metadata as Record<string, unknown>;
			expect(metadata.tags).toEqual(['rag', 'nightly']);
			expect(metadata.n8n_node_name).toBe(EMBEDDINGS_NODE);
		});
	});

	describe('pacing', () => {
		it('a 3-requests-per-window key: 8 batches wait for the window instead of failing, with Max Retries 1', async () => {
			const texts = Array.from({ length: 16 }, (_, i) => `paced text ${i}`);
			const t0 = Date.now();
			const r = await runEmbeddings(sandbox, {
				apiKey: SLOW,
				parameters: { options: { batchSize: 2, maxRetries: 1 } },
				items: [{ mode: 'documents', texts, keepVectors: true }],
			});
			expect(r.items[0]).toMatchObject({ count: 16 });
			expect(r.items[0].vectors).toEqual(texts.map((t) => embedText(t, 768)));
			const ok = r.embedRequests.filter((q) => q.status === 200);
			expect(ok).toHaveLength(8);
			// 8 requests at 3 per 1-second window need at least two window resets.
			expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
		});
	});

	describe('bad input: a clear error naming the field, before any request', () => {
		it.each([
			[
				{ parameters: { options: { batchSize: 0 } } },
				/^Batch Size: expected a whole number from 1 to 2048, got 0$/,
			],
			[
				{ parameters: { options: { concurrency: 0 } } },
				/^Concurrency: expected a whole number from 1 to 64, got 0$/,
			],
			[{ parameters: { options: { dimensions: 1.5 } } }, /^Dimensions: expected a whole number/],
			[
				{ parameters: { options: { encodingFormat: 'hex' } } },
				/^Encoding: expected float or base64/,
			],
			[
				{ parameters: { options: { timeout: 0 } } },
				/^Timeout \(Seconds\): expected a number from 1 to 3600, got 0$/,
			],
			[{ parameters: { model: modelParam('') } }, /^Model: pick an embedding model/],
			[
				{ items: [{ mode: 'documents', texts: ['fine', '   ', 'also fine'] }] },
				/^Text: text 2 of 3 is empty: .*Filter node/,
			],
			[{ items: [{ mode: 'query', query: '' }] }, /^Text: the text is empty/],
		])('%j → %s', async (options, message) => {
			const r = await runEmbeddings(sandbox, { apiKey: CANARY, ...options });
			expect(r.embedRequests).toEqual([]);
			// A failed supplyData reaches the root node wrapped ("Error in sub-node …"), a failed call as is.
			expect([r.items[0].description, r.items[0].message]).toContainEqual(
				expect.stringMatching(message),
			);
			const err = r.embeddingRuns[r.embeddingRuns.length - 1]?.error as
				| { message?: string; description?: string }
				| undefined;
			expect(err?.message).toMatch(message);
			expect(err?.description).toMatch(/^bad_request: /);
			expect(leakedPieces([r.items, r.embeddingRuns], CANARY)).toEqual([]);
		});

		it('an unknown model: the field, and the models the key may use', async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { model: modelParam('acme/no-such-embedder') },
			});
			const err = r.embeddingRuns[0]?.error as { message?: string; description?: string };
			expect(err.description).toMatch(/^unknown_model: /);
			expect(err.message).toMatch(
				/^Model: .*"acme\/no-such-embedder" is not in the gateway's model list for this key\. This key can use: .*nomic-ai\/nomic-embed-text-v1\.5/,
			);
		});

		it("Dimensions on a model that cannot shorten its vectors: the gateway's refusal says which option to remove", async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { model: modelParam('BAAI/bge-m3'), options: { dimensions: 64 } },
			});
			const err = r.embeddingRuns[0]?.error as { message?: string; description?: string };
			expect(err.description).toMatch(/^bad_request: /);
			expect(err.message).toMatch(/Dimensions is set to 64: .*remove the Dimensions option/);
		});

		it('a chat model picked by mistake: told to pick an embedding model', async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { model: modelParam('openai/gpt-oss-20b') },
			});
			const err = r.embeddingRuns[0]?.error as { message?: string; description?: string };
			expect(err.description).toMatch(/^bad_request: /);
			expect(err.message).toMatch(/is not an embedding model, pick one/);
		});
	});

	describe('gateway errors are classified', () => {
		it.each([
			{ label: 'a blocked key', key: BLOCKED, prefix: 'blocked_key: ' },
			{ label: 'an expired key', key: EXPIRED, prefix: 'expired_key: ' },
			{ label: 'a key the gateway does not know', key: UNKNOWN, prefix: 'invalid_key: ' },
			{ label: 'a used-up budget', key: BROKE, prefix: 'budget_exceeded: ' },
			{ label: 'a model not on the allow-list', key: CHAT_ONLY, prefix: 'model_not_allowed: ' },
		])('$label → $prefix', async ({ key, prefix }) => {
			const r = await runEmbeddings(sandbox, {
				apiKey: key,
				items: [{ mode: 'documents', texts: ['a', 'b'] }],
			});
			expect(r.items[0].description).toEqual(expect.stringMatching(new RegExp(`^${prefix}`)));
			expect((r.embeddingRuns[0].error as { description?: string }).description).toMatch(
				new RegExp(`^${prefix}`),
			);
			expect(leakedPieces(r.run, key)).toEqual([]);
		});

		it('a model-server error is retried within Max Retries, then upstream_error', async () => {
			sandbox.injectFaults([{ route: '/v1/embeddings', times: 3, kind: 'upstream' }]);
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxRetries: 1 } },
			});
			expect(r.items[0].description).toMatch(/^upstream_error: /);
			expect(r.embedRequests).toHaveLength(2);
		});

		it('a 503 then an answer: retried, and the vectors come back', async () => {
			sandbox.injectFaults([{ route: '/v1/embeddings', times: 1, kind: 'status', status: 503 }]);
			const r = await runEmbeddings(sandbox, { apiKey: CANARY });
			expect(r.items[0]).toMatchObject({ dimensions: 768 });
			expect(r.embedRequests.map((q) => q.status)).toEqual([503, 200]);
		});

		it('a gateway asking for a wait longer than Max Wait (Seconds): rate_limited at once, naming the wait', async () => {
			sandbox.injectFaults([
				{ route: '/v1/embeddings', kind: 'rate_limit', retryAfter: 200, times: 5 },
			]);
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxWait: 60 } },
			});
			expect(r.items[0].description).toMatch(/^rate_limited: /);
			expect(`${r.items[0].message} ${r.items[0].description}`).toContain(
				'asked to wait 200 s, longer than Max Wait (Seconds) allows (60 s)',
			);
			expect(r.embedRequests).toHaveLength(1);
		});

		it('a web page instead of the API → invalid_response', async () => {
			sandbox.injectFaults([{ route: '/v1/embeddings', times: 4, kind: 'html' }]);
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				parameters: { options: { maxRetries: 0 } },
			});
			expect(r.items[0].description).toMatch(/^(invalid_response|gateway_unavailable): /);
		});

		it('nothing listening → gateway_unavailable, after the retries', async () => {
			const r = await runEmbeddings(sandbox, {
				apiKey: CANARY,
				baseUrl: 'http://127.0.0.1:9/api',
				parameters: { options: { maxRetries: 1 } },
			});
			expect(r.items[0].description).toMatch(/^gateway_unavailable: /);
		});

		it('a gateway that echoes the key in its 401 body: the key is redacted', async () => {
			sandbox.setConfig({ echoKeyInErrors: true });
			try {
				const r = await runEmbeddings(sandbox, { apiKey: UNKNOWN });
				expect(r.items[0].description).toMatch(/^invalid_key: /);
				expect(leakedPieces(r.run, UNKNOWN)).toEqual([]);
			} finally {
				sandbox.setConfig({ echoKeyInErrors: false });
			}
		});
	});

	it('canary: no piece of any key is in anything a run produced', async () => {
		const r = await runEmbeddings(sandbox, {
			apiKey: CANARY,
			items: [
				{ mode: 'retrieve', texts: LAB_DOCS, query: 'helium' },
				{ mode: 'query', query: 'beam' },
			],
		});
		expect(r.items).toHaveLength(2);
		expect(JSON.stringify(r.run)).toContain('tokenUsage');
		for (const key of ALL_KEYS) expect(leakedPieces(r.run, key)).toEqual([]);
	});
});
