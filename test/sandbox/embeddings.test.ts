// The sandbox's /v1/embeddings: LiteLLM's response shape, usage and cost, its errors per version
// profile, what the model server refuses, and vectors that put texts sharing words close together.
import {
	KEYS,
	call,
	closeAll,
	hashKey,
	PROFILES,
	standardSandbox,
	DEFAULT_MODELS,
} from './helpers';

const { EMBEDDING_MODELS } = require('../../sandbox/server');

const NOMIC = 'nomic-ai/nomic-embed-text-v1.5';
const BGE = 'BAAI/bge-m3';
const embed = (sb: any, body: any, key = KEYS.user) =>
	call(sb, 'POST', '/v1/embeddings', { key, body });
const cosine = (a: number[], b: number[]) => a.reduce((n, x, i) => n + x * b[i], 0);

afterEach(closeAll);

describe('sandbox /v1/embeddings', () => {
	it('embedding models are served only when asked for (embeddingModels: true); the default list is unchanged', async () => {
		const plain = await standardSandbox();
		expect(
			(await call(plain, 'GET', '/v1/models', { key: KEYS.user })).json.data.map((m: any) => m.id),
		).toEqual(DEFAULT_MODELS.map((m: any) => m.id));
		expect((await embed(plain, { model: NOMIC, input: 'x' })).status).toBe(400);
		const sb = await standardSandbox({ embeddingModels: true, exposeManagement: true });
		const ids = (await call(sb, 'GET', '/v1/models', { key: KEYS.user })).json.data.map(
			(m: any) => m.id,
		);
		expect(ids).toEqual(expect.arrayContaining(EMBEDDING_MODELS.map((m: any) => m.id)));
		const info = (await call(sb, 'GET', '/model/info', { key: KEYS.user })).json.data;
		expect(info.find((d: any) => d.model_name === NOMIC).model_info).toMatchObject({
			mode: 'embedding',
			supported_openai_params: ['encoding_format', 'user', 'dimensions'],
		});
		expect(info.find((d: any) => d.model_name === 'openai/gpt-oss-20b').model_info.mode).toBe(
			'chat',
		);
	});

	it("answers in OpenAI's shape with usage, x-litellm-response-cost, and bills the key", async () => {
		const sb = await standardSandbox({ embeddingModels: true });
		const r = await embed(sb, {
			model: BGE,
			input: ['the electron beam', 'a beam of electrons', 'lunch menu'],
		});
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({
			object: 'list',
			model: BGE,
			usage: { prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) },
		});
		expect(r.json.usage.total_tokens).toBe(r.json.usage.prompt_tokens);
		expect(r.json.data.map((d: any) => [d.object, d.index, d.embedding.length])).toEqual([
			['embedding', 0, 1024],
			['embedding', 1, 1024],
			['embedding', 2, 1024],
		]);
		const cost = Number(r.headers.get('x-litellm-response-cost'));
		expect(cost).toBeCloseTo(r.json.usage.prompt_tokens * 0.01e-6, 15);
		const [a, b, c] = r.json.data.map((d: any) => d.embedding);
		// Texts sharing words lie closer together than texts that share none.
		expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
		expect(cosine(a, a)).toBeCloseTo(1, 5);
		const info = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(info.json.info.spend).toBeCloseTo(cost, 15);
	});

	it('a single string, dimensions and base64 (little-endian float32)', async () => {
		const sb = await standardSandbox({ embeddingModels: true });
		const floats = await embed(sb, { model: NOMIC, input: 'liquid helium', dimensions: 16 });
		const b64 = await embed(sb, {
			model: NOMIC,
			input: 'liquid helium',
			dimensions: 16,
			encoding_format: 'base64',
		});
		const buf = Buffer.from(b64.json.data[0].embedding, 'base64');
		const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
		expect(decoded).toHaveLength(16);
		decoded.forEach((x, i) => expect(x).toBeCloseTo(floats.json.data[0].embedding[i], 5));
	});

	it.each(Object.keys(PROFILES))(
		'profile %s: unknown model, model not allowed, budget, rate limit as on /chat/completions',
		async (profile) => {
			const p = PROFILES[profile];
			const sb = await standardSandbox({
				embeddingModels: true,
				profile,
				keys: [
					{ key: KEYS.user, user_id: 'alice', models: ['openai/gpt-oss-20b', BGE] },
					{ key: KEYS.other, user_id: 'bob', max_budget: 1, spend: 2 },
					{ key: KEYS.teamMate, user_id: 'carol', rpm_limit: 1 },
				],
			});
			const unknown = await embed(sb, { model: 'acme/none', input: 'x' }, KEYS.teamMate);
			expect([unknown.status, unknown.json.error.type, unknown.json.error.param]).toEqual([
				400,
				p.unknownModelType,
				p.unknownModelParam,
			]);
			const denied = await embed(sb, { model: NOMIC, input: 'x' });
			expect([denied.status, denied.json.error.type]).toEqual([
				p.modelDeniedStatus,
				'key_model_access_denied',
			]);
			const broke = await embed(sb, { model: BGE, input: 'x' }, KEYS.other);
			expect([broke.status, broke.json.error.type]).toEqual([p.budgetStatus, 'budget_exceeded']);
			expect((await embed(sb, { model: BGE, input: 'x' }, KEYS.teamMate)).status).toBe(200);
			const limited = await embed(sb, { model: BGE, input: 'x' }, KEYS.teamMate);
			expect([limited.status, limited.json.error.type]).toEqual([429, p.throttleType]);
			expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
			// Unauthenticated: LiteLLM's auth runs before the route.
			expect(
				(await embed(sb, { model: BGE, input: 'x' }, 'sk-no-such-key-000000000000')).status,
			).toBe(401);
		},
	);

	it('what the model server refuses: empty text, too many texts, dimensions on a fixed-size model, a chat model', async () => {
		const sb = await standardSandbox({ embeddingModels: true });
		const cases: Array<[any, RegExp]> = [
			[{ model: BGE, input: ['ok', ''] }, /input\[1\] is empty/],
			[
				{ model: BGE, input: Array.from({ length: 2049 }, (_, i) => `t${i}`) },
				/at most 2048 per request/,
			],
			[
				{ model: BGE, input: 'x', dimensions: 8 },
				/UnsupportedParamsError: Setting dimensions is not supported/,
			],
			[{ model: 'openai/gpt-oss-20b', input: 'x' }, /does not support the Embeddings API/],
			[{ model: BGE, input: [1, 2] }, /'input' must be a string or a non-empty list of strings/],
		];
		for (const [body, message] of cases) {
			const r = await embed(sb, body);
			expect([r.status, r.json.error.message]).toEqual([400, expect.stringMatching(message)]);
			expect(r.headers.get('x-litellm-response-cost')).toBe('0');
		}
		// An embedding model on /chat/completions fails upstream too.
		const chat = await call(sb, 'POST', '/v1/chat/completions', {
			key: KEYS.user,
			body: { model: BGE, messages: [{ role: 'user', content: 'hi' }] },
		});
		expect([chat.status, chat.json.error.message]).toEqual([
			400,
			expect.stringMatching(/embedding model/),
		]);
	});

	it("spend logs record an aembedding call with the key's hash, never the key", async () => {
		const sb = await standardSandbox({ embeddingModels: true, exposeManagement: true });
		await embed(sb, { model: BGE, input: 'beam', metadata: { tags: ['rag'] } });
		const logs = sb.store.spendLogs;
		expect(logs[logs.length - 1]).toMatchObject({
			call_type: 'aembedding',
			api_key: hashKey(KEYS.user),
			model: BGE,
			request_tags: ['rag'],
			status: 'success',
		});
		expect(JSON.stringify(logs)).not.toContain(KEYS.user);
	});
});
