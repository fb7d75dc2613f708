// The sandbox gateway: basics, authentication, hashing, models, chat completions, streaming,
// rate limits and version profiles (reference: docs/gateway.md).
import {
	KEYS,
	T0,
	call,
	chat,
	chatBody,
	closeAll,
	errorOf,
	hashKey,
	makeClock,
	sandbox,
	sse,
	standardSandbox,
	DEFAULT_MODELS,
	DEFAULT_PRICES,
} from './helpers';

afterEach(closeAll);

describe('server basics', () => {
	it('binds to 127.0.0.1, exposes url/port, and refuses any other host', async () => {
		const sb = await sandbox();
		expect(sb.url).toBe(`http://127.0.0.1:${sb.port}`);
		expect(sb.port).toBeGreaterThan(0);
		await expect(startWithHost('0.0.0.0')).rejects.toThrow(/127\.0\.0\.1 only/);
		await expect(startWithHost('localhost')).rejects.toThrow(/127\.0\.0\.1 only/);
	});

	it('exports hashKey, DEFAULT_MODELS and DEFAULT_PRICES', () => {
		expect(hashKey('sk-x')).toBe(
			require('crypto').createHash('sha256').update('sk-x').digest('hex'),
		);
		const ids = DEFAULT_MODELS.map((m: any) => m.id);
		expect(ids).toEqual([
			'openai/gpt-oss-120b',
			'openai/gpt-oss-20b',
			'meta-llama/Llama-3.3-70B-Instruct',
			'Qwen/Qwen2.5-VL-72B-Instruct',
		]);
		expect(DEFAULT_PRICES['openai/gpt-oss-120b']).toEqual({
			input_cost_per_token: 0.15e-6,
			output_cost_per_token: 0.6e-6,
		});
		for (const id of ids) expect(DEFAULT_PRICES[id].input_cost_per_token).toBeGreaterThan(0);
	});

	it('health routes are public and report the version of the profile', async () => {
		for (const [profile, version] of [
			['v1.83', '1.83.4'],
			['v1.9x', '1.95.2'],
			['next', '1.104.0'],
		]) {
			const sb = await sandbox({ profile });
			const r = await call(sb, 'GET', '/health/readiness');
			expect(r.status).toBe(200);
			expect(r.json).toMatchObject({ status: 'healthy', litellm_version: version });
			expect(r.headers.get('x-litellm-version')).toBe(version);
			const l = await call(sb, 'GET', '/health/liveliness');
			expect(l.json).toBe("I'm alive!");
		}
	});

	it('unknown routes give FastAPI 404 {"detail":"Not Found"}, wrong methods 405, all with x-litellm-version', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/v1/nope', { key: KEYS.user });
		expect(r.status).toBe(404);
		expect(r.json).toEqual({ detail: 'Not Found' });
		expect(r.headers.get('x-litellm-version')).toBe('1.95.2');
		const m = await call(sb, 'GET', '/v1/chat/completions', { key: KEYS.user });
		expect(m.status).toBe(405);
		expect(m.json).toEqual({ detail: 'Method Not Allowed' });
	});

	it('basePath hangs every route below it; anything outside is 404', async () => {
		const sb = await sandbox({ basePath: '/api', keys: [{ key: KEYS.user }] });
		expect(sb.url).toBe(`http://127.0.0.1:${sb.port}/api`);
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		expect((await call(sb, 'GET', '/health/readiness')).status).toBe(200);
		const outside = await call(sb, 'GET', '/v1/models', { key: KEYS.user, base: sb.origin });
		expect(outside.status).toBe(404);
		expect(outside.json).toEqual({ detail: 'Not Found' });
		const prefixOnly = await call(sb, 'GET', '/apiv1/models', { key: KEYS.user, base: sb.origin });
		expect(prefixOnly.status).toBe(404);
		// the log keeps the path without the base path
		expect(sb.requests[0].path).toBe('/v1/models');
	});

	it('exposeManagement:false hides every management route (404) but keeps LLM and health routes', async () => {
		const sb = await standardSandbox({ exposeManagement: false });
		for (const [method, path] of [
			['GET', '/key/info'],
			['GET', '/key/list'],
			['POST', '/key/generate'],
			['POST', '/key/regenerate'],
			['GET', '/user/info'],
			['GET', '/user/daily/activity'],
			['GET', '/spend/logs'],
			['GET', '/model/info'],
			['GET', '/v1/model/info'],
		]) {
			const r = await call(sb, method, path, {
				key: KEYS.user,
				body: method === 'POST' ? {} : undefined,
			});
			expect([path, r.status, r.json]).toEqual([path, 404, { detail: 'Not Found' }]);
		}
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		expect((await call(sb, 'GET', '/models', { key: KEYS.user })).status).toBe(200);
		expect((await chat(sb, KEYS.user)).status).toBe(200);
		expect(
			(await call(sb, 'POST', '/chat/completions', { key: KEYS.user, body: chatBody() })).status,
		).toBe(200);
		expect((await call(sb, 'GET', '/health/readiness')).status).toBe(200);
		sb.setConfig({ exposeManagement: true });
		expect((await call(sb, 'GET', '/key/info', { key: KEYS.user })).status).toBe(200);
	});

	it("hiddenRoutes:'html' answers a hidden route with a reverse proxy's HTML 404 page", async () => {
		const sb = await standardSandbox({ exposeManagement: false, hiddenRoutes: 'html' });
		const r = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(r.status).toBe(404);
		expect(r.headers.get('content-type')).toMatch(/^text\/html/);
		expect(r.text).toContain('<h1>404 Not Found</h1>');
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		expect(() => sb.setConfig({ hiddenRoutes: 'xml' })).toThrow(/hiddenRoutes/);
	});

	it('setConfig validates its input', async () => {
		const sb = await sandbox();
		expect(() => sb.setConfig({ profile: 'v0' })).toThrow(/unknown profile/);
		expect(() => sb.setConfig({ bogus: 1 })).toThrow(/unknown option/);
		expect(() => sb.setConfig({ chaos: { rate: 2 } })).toThrow(/chaos/);
		sb.setConfig({ profile: 'next', latencyMs: '5-10' });
		expect(sb.config.profile).toBe('next');
		expect(sb.config.latencyMs).toEqual({ min: 5, max: 10 });
	});
});

async function startWithHost(host: string) {
	return require('../../sandbox/server').startSandbox({ host });
}

describe('authentication (§1)', () => {
	it('reads the key from Authorization: Bearer, x-litellm-api-key, API-Key and x-api-key', async () => {
		const sb = await standardSandbox();
		const variants: Record<string, string>[] = [
			{ authorization: `Bearer ${KEYS.user}` },
			{ authorization: `bearer ${KEYS.user}` },
			{ 'x-litellm-api-key': `Bearer ${KEYS.user}` },
			{ 'API-Key': KEYS.user },
			{ 'x-api-key': KEYS.user },
		];
		for (const headers of variants) {
			const r = await call(sb, 'GET', '/v1/models', { headers });
			expect([headers, r.status]).toEqual([headers, 200]);
		}
	});

	it('no key → 401 "No api key passed in."', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/v1/models');
		expect(r.status).toBe(401);
		expect(r.json).toEqual({
			error: {
				message: 'Authentication Error, No api key passed in.',
				type: 'auth_error',
				param: 'None',
				code: '401',
			},
		});
		expect(r.headers.get('x-litellm-call-id')).toBeNull();
	});

	it('a header without Bearer → malformed; a non-sk- value → "LiteLLM Virtual Key expected"', async () => {
		const sb = await standardSandbox();
		const m = await call(sb, 'GET', '/v1/models', {
			headers: { authorization: `Token ${KEYS.user}` },
		});
		expect(m.status).toBe(401);
		expect(errorOf(m).message).toMatch(
			/^Authentication Error, Malformed API Key passed in\. Ensure Key has `Bearer ` prefix\./,
		);
		const h = await call(sb, 'GET', '/v1/models', { key: hashKey(KEYS.user) });
		expect(h.status).toBe(401);
		expect(errorOf(h)).toMatchObject({ type: 'auth_error', code: '401' });
		expect(errorOf(h).message).toMatch(
			/LiteLLM Virtual Key expected\. Received=.*, expected to start with 'sk-'\./,
		);
		expect(h.text).not.toContain(hashKey(KEYS.user));
	});

	it('unknown key → 401 token_not_found_in_db (auth_error in v1.83) with sk-...XXXX and the hash, never the whole key', async () => {
		const wrong = 'sk-this-key-does-not-exist-9876';
		for (const [profile, type] of [
			['v1.83', 'auth_error'],
			['v1.9x', 'token_not_found_in_db'],
			['next', 'token_not_found_in_db'],
		]) {
			const sb = await standardSandbox({ profile });
			const r = await call(sb, 'GET', '/key/info', { key: wrong });
			expect(r.status).toBe(401);
			const e = errorOf(r);
			expect(e).toMatchObject({ type, param: 'key', code: '401' });
			expect(e.message).toBe(
				`Authentication Error, Invalid proxy server token passed. Received API Key = sk-...9876, Key Hash (Token) =${hashKey(wrong)}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
			);
			expect(r.text).not.toContain(wrong);
		}
	});

	it('echoKeyInErrors puts the FULL key into 401 and 404 messages (as some builds did)', async () => {
		const wrong = 'sk-this-key-does-not-exist-9876';
		const sb = await standardSandbox({ echoKeyInErrors: true });
		const r = await call(sb, 'GET', '/v1/models', { key: wrong });
		expect(errorOf(r).message).toContain(`Received API Key = ${wrong}`);
		const nf = await call(sb, 'GET', `/key/info?key=${wrong}`, { key: KEYS.admin });
		expect(nf.status).toBe(404);
		expect(nf.text).toContain(wrong);
		sb.setConfig({ echoKeyInErrors: false });
		expect((await call(sb, 'GET', '/v1/models', { key: wrong })).text).not.toContain(wrong);
	});

	it('blocked key → 401 auth_error "Key is blocked…"', async () => {
		const sb = await standardSandbox();
		sb.getKey(KEYS.user).blocked = true;
		const r = await chat(sb, KEYS.user);
		expect(r.status).toBe(401);
		expect(errorOf(r)).toEqual({
			message:
				"Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
			type: 'auth_error',
			param: 'None',
			code: '401',
		});
	});

	it('expired key → expired_key: 400 in v1.83, 401 in v1.9x and next', async () => {
		for (const [profile, status] of [
			['v1.83', 400],
			['v1.9x', 401],
			['next', 401],
		] as const) {
			const clock = makeClock();
			const sb = await standardSandbox({ profile }, clock);
			sb.addKey({
				key: 'sk-expiring-key-000000000abcd',
				user_id: 'alice',
				expires: new Date(T0 + 60_000).toISOString(),
			});
			expect(
				(await call(sb, 'GET', '/key/info', { key: 'sk-expiring-key-000000000abcd' })).status,
			).toBe(200);
			clock.advance(61_000);
			const r = await call(sb, 'GET', '/key/info', { key: 'sk-expiring-key-000000000abcd' });
			expect(r.status).toBe(status);
			const e = errorOf(r);
			expect(e.type).toBe('expired_key');
			expect(e.code).toBe(String(status));
			expect(e.message).toBe(
				'Authentication Error - Expired Key. Key Expiry time 2026-05-15 12:01:00+00:00 and current time 2026-05-15 12:01:01+00:00',
			);
			expect(e.param).toBe(
				profile === 'v1.83' ? hashKey('sk-expiring-key-000000000abcd') : 'sk-...abcd',
			);
		}
	});

	it('key_type restricts routes: llm_api keys get 403 {"detail": …} on /key/info and /model/info', async () => {
		const sb = await standardSandbox();
		sb.addKey({ key: 'sk-bot-llm-only-0000000000001', user_id: 'alice', key_type: 'llm_api' });
		const ok = await chat(sb, 'sk-bot-llm-only-0000000000001');
		expect(ok.status).toBe(200);
		expect(
			(await call(sb, 'GET', '/v1/models', { key: 'sk-bot-llm-only-0000000000001' })).status,
		).toBe(200);
		const r = await call(sb, 'GET', '/v1/model/info', { key: 'sk-bot-llm-only-0000000000001' });
		expect(r.status).toBe(403);
		expect(r.json).toEqual({
			detail:
				"Virtual key is not allowed to call this route. Only allowed to call routes: ['llm_api_routes']. Tried to call route: /v1/model/info",
		});
		expect(
			(await call(sb, 'GET', '/key/info', { key: 'sk-bot-llm-only-0000000000001' })).status,
		).toBe(403);
		// read_only keys may read info routes but not call models
		sb.addKey({ key: 'sk-read-only-key-000000000001', user_id: 'alice', key_type: 'read_only' });
		expect(
			(await call(sb, 'GET', '/key/info', { key: 'sk-read-only-key-000000000001' })).status,
		).toBe(200);
		expect((await chat(sb, 'sk-read-only-key-000000000001')).status).toBe(403);
		// management keys may manage keys, not chat
		sb.addKey({ key: 'sk-management-key-00000000001', user_id: 'root', key_type: 'management' });
		expect(
			(await call(sb, 'POST', '/key/generate', { key: 'sk-management-key-00000000001', body: {} }))
				.status,
		).toBe(200);
		expect((await chat(sb, 'sk-management-key-00000000001')).status).toBe(403);
	});
});

describe('hashing: plaintext keys are never stored', () => {
	it('the store holds sha256 hashes only, for seeded, generated and regenerated keys', async () => {
		const sb = await standardSandbox({ enterprise: true });
		const gen = await call(sb, 'POST', '/key/generate', {
			key: KEYS.admin,
			body: { user_id: 'bob', key_alias: 'minted' },
		});
		expect(gen.status).toBe(200);
		const minted = gen.json.key;
		expect(minted).toMatch(/^sk-[A-Za-z0-9_-]{22}$/);
		const regen = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.admin,
			body: { key: minted },
		});
		expect(regen.status).toBe(200);
		const rotated = regen.json.key;
		await chat(sb, KEYS.user);
		const dump = JSON.stringify(sb.store);
		for (const plain of [...Object.values(KEYS), minted, rotated]) {
			expect(dump).not.toContain(plain);
		}
		expect(Object.keys(sb.store.keys)).toEqual(
			expect.arrayContaining([hashKey(KEYS.user), hashKey(rotated)]),
		);
		for (const [hash, row] of Object.entries<any>(sb.store.keys)) {
			expect(hash).toMatch(/^[0-9a-f]{64}$/);
			expect(row.token).toBe(hash);
		}
		expect(sb.store.masterKeyHash).toBe(hashKey(KEYS.master));
		expect(sb.getKey(KEYS.user)).toBe(sb.store.keys[hashKey(KEYS.user)]);
		expect(sb.getKey(hashKey(KEYS.user)).key_alias).toBe('alice-key');
	});

	it('addKey accepts a pre-hashed token and returns {hash}', async () => {
		const sb = await sandbox();
		const { hash } = sb.addKey({ key: KEYS.user, key_alias: 'a' });
		expect(hash).toBe(hashKey(KEYS.user));
		const h2 = hashKey('sk-only-the-hash-is-known-01');
		expect(sb.addKey({ token: h2, key_name: 'sk-...n-01' }).hash).toBe(h2);
		expect(
			(await call(sb, 'GET', '/v1/models', { key: 'sk-only-the-hash-is-known-01' })).status,
		).toBe(200);
		expect(() => sb.addKey({ key: 'not-a-key' })).toThrow(/sk-/);
	});
});

describe('GET /v1/models and /models (§2.1)', () => {
	it('lists all models for an unrestricted key, the key models otherwise, then the team models', async () => {
		const sb = await standardSandbox();
		const all = await call(sb, 'GET', '/v1/models', { key: KEYS.user });
		expect(all.json.object).toBe('list');
		expect(all.json.data.map((m: any) => m.id)).toEqual(DEFAULT_MODELS.map((m: any) => m.id));
		expect(all.json.data[0]).toEqual({
			id: 'openai/gpt-oss-120b',
			object: 'model',
			created: 1677610602,
			owned_by: 'openai',
		});
		sb.addKey({
			key: 'sk-restricted-key-0000000001',
			user_id: 'alice',
			models: ['openai/gpt-oss-20b'],
		});
		const some = await call(sb, 'GET', '/models', { key: 'sk-restricted-key-0000000001' });
		expect(some.json.data.map((m: any) => m.id)).toEqual(['openai/gpt-oss-20b']);
		sb.addTeam({ team_id: 'vision', models: ['Qwen/Qwen2.5-VL-72B-Instruct'], members: ['alice'] });
		sb.addKey({ key: 'sk-team-key-00000000000001', user_id: 'alice', team_id: 'vision' });
		const team = await call(sb, 'GET', '/v1/models', { key: 'sk-team-key-00000000000001' });
		expect(team.json.data.map((m: any) => m.id)).toEqual(['Qwen/Qwen2.5-VL-72B-Instruct']);
	});

	it('an over-budget key gets budget_exceeded on /v1/models in every profile', async () => {
		for (const [profile, status] of [
			['v1.83', 400],
			['v1.9x', 429],
			['next', 422],
		] as const) {
			const sb = await standardSandbox({ profile });
			sb.addKey({
				key: 'sk-spent-key-000000000000wxyz',
				key_alias: 'spent',
				user_id: 'alice',
				max_budget: 1,
				spend: 1,
			});
			const r = await call(sb, 'GET', '/v1/models', { key: 'sk-spent-key-000000000000wxyz' });
			expect(r.status).toBe(status);
			expect(errorOf(r)).toEqual({
				message:
					'Budget has been exceeded! Key=spent (sk-...wxyz) Current cost: 1.0, Max budget: 1.0',
				type: 'budget_exceeded',
				param: 'None',
				code: String(status),
			});
		}
	});
});

describe('POST /v1/chat/completions (§3)', () => {
	it('answers deterministically with an echo of the last user message, LiteLLM nulls and usage', async () => {
		const sb = await standardSandbox();
		const body = chatBody({
			messages: [
				{ role: 'system', content: 'Be brief.' },
				{ role: 'user', content: 'What is CEBAF?' },
			],
		});
		const r = await call(sb, 'POST', '/v1/chat/completions', { key: KEYS.user, body });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({
			object: 'chat.completion',
			model: 'meta-llama/Llama-3.3-70B-Instruct',
			created: Math.floor(T0 / 1000),
			choices: [
				{
					finish_reason: 'stop',
					index: 0,
					message: {
						content: 'Echo from meta-llama/Llama-3.3-70B-Instruct: What is CEBAF?',
						role: 'assistant',
						tool_calls: null,
						function_call: null,
					},
				},
			],
		});
		expect(r.json.id).toMatch(/^chatcmpl-/);
		expect(r.json.choices[0].message).not.toHaveProperty('reasoning_content');
		const promptTokens = Math.ceil(('Be brief.'.length + 'What is CEBAF?'.length) / 4);
		const completionTokens = Math.ceil(r.json.choices[0].message.content.length / 4);
		expect(r.json.usage).toMatchObject({
			prompt_tokens: promptTokens,
			completion_tokens: completionTokens,
			total_tokens: promptTokens + completionTokens,
		});
		const again = await call(sb, 'POST', '/v1/chat/completions', { key: KEYS.user, body });
		expect(again.json.choices).toEqual(r.json.choices);
	});

	it('bills tokens × prices to key, user, spend logs and activity; headers carry cost and spend-before', async () => {
		const sb = await standardSandbox();
		const price = DEFAULT_PRICES['openai/gpt-oss-120b'];
		const r1 = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-120b' });
		const u = r1.json.usage;
		const cost =
			u.prompt_tokens * price.input_cost_per_token +
			u.completion_tokens * price.output_cost_per_token;
		expect(Number(r1.headers.get('x-litellm-response-cost'))).toBeCloseTo(cost, 15);
		expect(r1.headers.get('x-litellm-key-spend')).toBe('0.0');
		expect(sb.getKey(KEYS.user).spend).toBeCloseTo(cost, 15);
		expect(sb.store.users.alice.spend).toBeCloseTo(cost, 15);
		const r2 = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-120b' });
		expect(Number(r2.headers.get('x-litellm-key-spend'))).toBeCloseTo(cost, 15);
		expect(sb.store.spendLogs).toHaveLength(2);
		expect(sb.store.spendLogs[0]).toMatchObject({
			request_id: r1.json.id,
			api_key: hashKey(KEYS.user),
			model: 'openai/gpt-oss-120b',
			status: 'success',
			user: 'alice',
			prompt_tokens: u.prompt_tokens,
		});
		expect(sb.store.activity.filter((a: any) => a.api_key === hashKey(KEYS.user))).toHaveLength(2);
	});

	it('sends the x-litellm-* headers, omitting empty ones, and echoes a client call id', async () => {
		const sb = await standardSandbox();
		const plain = await chat(sb, KEYS.user, {}, { 'x-litellm-call-id': 'my-correlation-id' });
		const h = plain.headers;
		expect(h.get('x-litellm-call-id')).toBe('my-correlation-id');
		expect(h.get('x-litellm-model-id')).toMatch(/^[0-9a-f]{64}$/);
		expect(h.get('x-litellm-model-group')).toBe('meta-llama/Llama-3.3-70B-Instruct');
		expect(h.get('x-litellm-version')).toBe('1.95.2');
		expect(h.get('x-litellm-attempted-retries')).toBe('0');
		expect(Number(h.get('x-litellm-response-duration-ms'))).toBeGreaterThanOrEqual(0);
		expect(Number(h.get('x-litellm-overhead-duration-ms'))).toBeGreaterThanOrEqual(0);
		for (const absent of [
			'x-litellm-key-max-budget',
			'x-litellm-key-tpm-limit',
			'x-litellm-key-rpm-limit',
			'x-ratelimit-api_key-remaining-requests',
		]) {
			expect([absent, h.get(absent)]).toEqual([absent, null]);
		}
		const generated = await chat(sb, KEYS.user);
		expect(generated.headers.get('x-litellm-call-id')).toMatch(/^[0-9a-f-]{36}$/);
		sb.addKey({
			key: 'sk-limited-key-00000000000001',
			user_id: 'alice',
			max_budget: 10,
			rpm_limit: 100,
			tpm_limit: 50000,
		});
		const lim = await chat(sb, 'sk-limited-key-00000000000001');
		expect(lim.headers.get('x-litellm-key-max-budget')).toBe('10.0');
		expect(lim.headers.get('x-litellm-key-rpm-limit')).toBe('100');
		expect(lim.headers.get('x-litellm-key-tpm-limit')).toBe('50000');
		expect(lim.headers.get('x-ratelimit-api_key-limit-requests')).toBe('100');
		expect(lim.headers.get('x-ratelimit-api_key-remaining-requests')).toBe('99');
		expect(lim.headers.get('x-ratelimit-api_key-limit-tokens')).toBe('50000');
		expect(Number(lim.headers.get('x-ratelimit-api_key-remaining-tokens'))).toBe(
			50000 - lim.json.usage.total_tokens,
		);
		expect(lim.headers.get('x-ratelimit-remaining-requests')).toBeNull();
	});

	it('v1.83 uses the older x-ratelimit-* names and no x-litellm-model-group', async () => {
		const sb = await standardSandbox({ profile: 'v1.83' });
		sb.addKey({
			key: 'sk-limited-key-00000000000001',
			user_id: 'alice',
			rpm_limit: 10,
			tpm_limit: 1000,
		});
		const r = await chat(sb, 'sk-limited-key-00000000000001');
		expect(r.headers.get('x-litellm-version')).toBe('1.83.4');
		expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('9');
		expect(r.headers.get('x-ratelimit-limit-requests')).toBe('10');
		expect(r.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
		expect(r.headers.get('x-ratelimit-api_key-remaining-requests')).toBeNull();
		expect(r.headers.get('x-litellm-model-group')).toBeNull();
	});

	it('missing or empty messages → 400; a non-JSON body → 400', async () => {
		const sb = await standardSandbox();
		for (const body of [
			{ model: 'openai/gpt-oss-20b' },
			{ model: 'openai/gpt-oss-20b', messages: [] },
		]) {
			const r = await call(sb, 'POST', '/v1/chat/completions', { key: KEYS.user, body });
			expect(r.status).toBe(400);
			expect(errorOf(r)).toMatchObject({
				type: 'bad_request_error',
				param: 'messages',
				code: '400',
			});
		}
		const bad = await call(sb, 'POST', '/v1/chat/completions', {
			key: KEYS.user,
			body: '{"model": "x", ',
		});
		expect(bad.status).toBe(400);
		// auth comes first: a bad body with a bad key is a 401
		expect(
			(await call(sb, 'POST', '/v1/chat/completions', { key: 'sk-unknown-000000000000', body: {} }))
				.status,
		).toBe(401);
	});

	it('unknown model → 400 "Invalid model name passed in" (type "None" in v1.83, invalid_request_error later)', async () => {
		for (const [profile, type, param] of [
			['v1.83', 'None', 'None'],
			['v1.9x', 'invalid_request_error', 'model'],
			['next', 'invalid_request_error', 'model'],
		]) {
			const sb = await standardSandbox({ profile });
			const r = await chat(sb, KEYS.user, { model: 'gpt-4o' });
			expect(r.status).toBe(400);
			expect(errorOf(r)).toEqual({
				message:
					'/chat/completions: Invalid model name passed in model=gpt-4o. Call `/v1/models` to view available models for your key.',
				type,
				param,
				code: '400',
			});
			expect(r.headers.get('x-litellm-call-id')).toBeTruthy();
		}
	});

	it('model allow-list → key_model_access_denied: 401 in v1.83, 403 after', async () => {
		for (const [profile, status] of [
			['v1.83', 401],
			['v1.9x', 403],
			['next', 403],
		] as const) {
			const sb = await standardSandbox({ profile });
			sb.addKey({
				key: 'sk-restricted-key-0000000001',
				user_id: 'alice',
				models: ['openai/gpt-oss-20b'],
			});
			const r = await chat(sb, 'sk-restricted-key-0000000001', { model: 'openai/gpt-oss-120b' });
			expect(r.status).toBe(status);
			expect(errorOf(r)).toEqual({
				message:
					"key not allowed to access model. This key can only access models=['openai/gpt-oss-20b']. Tried to access openai/gpt-oss-120b",
				type: 'key_model_access_denied',
				param: 'model',
				code: String(status),
			});
			// even for model names that do not exist (auth runs first)
			expect((await chat(sb, 'sk-restricted-key-0000000001', { model: 'nope' })).status).toBe(
				status,
			);
			expect(
				(await chat(sb, 'sk-restricted-key-0000000001', { model: 'openai/gpt-oss-20b' })).status,
			).toBe(200);
		}
	});

	it('budgets: spend ≥ max_budget → budget_exceeded (400 / 429 / 422); calls push spend over', async () => {
		for (const [profile, status] of [
			['v1.83', 400],
			['v1.9x', 429],
			['next', 422],
		] as const) {
			const sb = await standardSandbox({ profile });
			sb.addKey({
				key: 'sk-tiny-budget-key-000000001',
				key_alias: 'tiny',
				user_id: 'alice',
				max_budget: 0.000001,
			});
			const first = await chat(sb, 'sk-tiny-budget-key-000000001', {
				model: 'openai/gpt-oss-120b',
			});
			expect(first.status).toBe(200);
			expect(first.headers.get('x-litellm-key-max-budget')).toBe('1e-06');
			const second = await chat(sb, 'sk-tiny-budget-key-000000001');
			expect(second.status).toBe(status);
			expect(errorOf(second).type).toBe('budget_exceeded');
			expect(errorOf(second).message).toMatch(
				/^Budget has been exceeded! Key=tiny \(sk-\.\.\.0001\) Current cost: [0-9.e-]+, Max budget: 1e-06$/,
			);
		}
	});

	it('user and team budgets apply on every route', async () => {
		const sb = await standardSandbox();
		sb.store.users.bob.max_budget = 1;
		sb.store.users.bob.spend = 2;
		const r = await call(sb, 'GET', '/key/info', { key: KEYS.other });
		expect(r.status).toBe(429);
		expect(errorOf(r)).toMatchObject({
			type: 'budget_exceeded',
			message: 'ExceededBudget: User=bob over budget. Spend=2.0, Budget=1.0',
		});
		sb.addTeam({ team_id: 'broke', max_budget: 5, spend: 5, members: ['carol'] });
		sb.addKey({ key: 'sk-broke-team-key-0000000001', user_id: 'carol', team_id: 'broke' });
		const t = await chat(sb, 'sk-broke-team-key-0000000001');
		expect(errorOf(t).message).toBe(
			'Budget has been exceeded! Team=broke Current cost: 5.0, Max budget: 5.0',
		);
	});

	it('budget_duration resets the spend at budget_reset_at', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({}, clock);
		sb.addKey({
			key: 'sk-monthly-key-0000000000001',
			user_id: 'alice',
			max_budget: 1,
			spend: 1,
			budget_duration: '30d',
		});
		expect((await chat(sb, 'sk-monthly-key-0000000000001')).status).toBe(429);
		clock.advance(30 * 86400e3);
		expect((await chat(sb, 'sk-monthly-key-0000000000001')).status).toBe(200);
		expect(sb.getKey('sk-monthly-key-0000000000001').spend).toBeLessThan(0.01);
	});

	it('vision: image parts are acknowledged and cost 85 prompt tokens each; non-vision models refuse them', async () => {
		const sb = await standardSandbox();
		const content = [
			{ type: 'text', text: 'Describe these' },
			{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
			{ type: 'image_url', image_url: { url: 'https://example.org/a.png' } },
		];
		const r = await chat(sb, KEYS.user, {
			model: 'Qwen/Qwen2.5-VL-72B-Instruct',
			messages: [{ role: 'user', content }],
		});
		expect(r.status).toBe(200);
		expect(r.json.choices[0].message.content).toBe(
			'Echo from Qwen/Qwen2.5-VL-72B-Instruct: Describe these [2 images]',
		);
		expect(r.json.usage.prompt_tokens).toBe(Math.ceil('Describe these'.length / 4) + 170);
		const no = await chat(sb, KEYS.user, {
			model: 'openai/gpt-oss-20b',
			messages: [{ role: 'user', content }],
		});
		expect(no.status).toBe(400);
	});

	it('reasoning models add reasoning_content that mentions the effort', async () => {
		const sb = await standardSandbox();
		const r = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-120b', reasoning_effort: 'high' });
		const msg = r.json.choices[0].message;
		expect(msg.content).toBe('Echo from openai/gpt-oss-120b: Hello sandbox');
		expect(msg.reasoning_content).toMatch(/effort: high/);
		expect(r.json.usage.completion_tokens_details.reasoning_tokens).toBeGreaterThan(0);
		const d = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-20b' });
		expect(d.json.choices[0].message.reasoning_content).toMatch(/effort: medium/);
	});

	it('honours max_tokens (finish_reason length), stop, n; accepts seed and temperature', async () => {
		const sb = await standardSandbox();
		const cut = await chat(sb, KEYS.user, { max_tokens: 3, seed: 7, temperature: 0.2 });
		expect(cut.json.choices[0].finish_reason).toBe('length');
		expect(cut.json.choices[0].message.content).toBe('Echo from me');
		expect(cut.json.usage.completion_tokens).toBe(3);
		const stopped = await chat(sb, KEYS.user, { stop: ['Llama'] });
		expect(stopped.json.choices[0].message.content).toBe('Echo from meta-llama/');
		expect(stopped.json.choices[0].finish_reason).toBe('stop');
		const many = await chat(sb, KEYS.user, { n: 3 });
		expect(many.json.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
		expect(many.json.choices[2].message.content).toMatch(/\(choice 3\)$/);
	});

	it('JSON modes: json_object gives a JSON object; json_schema a value satisfying the schema; [[invalid-json]] breaks both', async () => {
		const sb = await standardSandbox();
		const obj = await chat(sb, KEYS.user, { response_format: { type: 'json_object' } });
		expect(JSON.parse(obj.json.choices[0].message.content)).toEqual({
			echo: 'Hello sandbox',
			model: 'meta-llama/Llama-3.3-70B-Instruct',
		});
		const schema = {
			type: 'object',
			properties: {
				title: { type: 'string', minLength: 3 },
				score: { type: 'integer', minimum: 1, maximum: 5 },
				ratio: { type: 'number', exclusiveMinimum: 0 },
				ok: { type: 'boolean' },
				level: { type: 'string', enum: ['low', 'high'] },
				tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
				when: { type: 'string', format: 'date' },
				nested: { $ref: '#/$defs/inner' },
				maybe: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
			},
			required: ['title', 'score', 'ratio', 'ok', 'level', 'tags', 'when', 'nested', 'maybe'],
			additionalProperties: false,
			$defs: {
				inner: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
			},
		};
		const js = await chat(sb, KEYS.user, {
			response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema } },
		});
		const value = JSON.parse(js.json.choices[0].message.content);
		expect(value).toEqual({
			title: 'Hello sandbox',
			score: 1,
			ratio: 1,
			ok: false,
			level: 'low',
			tags: ['Hello sandbox', 'Hello sandbox'],
			when: '2026-01-01',
			nested: { name: 'Hello sandbox' },
			maybe: 0,
		});
		for (const rf of [
			{ type: 'json_object' },
			{ type: 'json_schema', json_schema: { name: 'x', schema } },
		]) {
			const bad = await chat(sb, KEYS.user, {
				response_format: rf,
				messages: [{ role: 'user', content: 'please [[invalid-json]]' }],
			});
			expect(() => JSON.parse(bad.json.choices[0].message.content)).toThrow();
		}
	});

	it('tools: a tool call built from the parameters schema, then a final answer quoting the tool result', async () => {
		const sb = await standardSandbox();
		const tools = [
			{
				type: 'function',
				function: {
					name: 'get_weather',
					parameters: {
						type: 'object',
						properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } },
						required: ['city'],
					},
				},
			},
			{
				type: 'function',
				function: {
					name: 'lookup',
					parameters: { type: 'object', properties: { q: { type: 'string' } } },
				},
			},
		];
		const r = await chat(sb, KEYS.user, {
			tools,
			messages: [{ role: 'user', content: 'Newport News' }],
		});
		const choice = r.json.choices[0];
		expect(choice.finish_reason).toBe('tool_calls');
		expect(choice.message.content).toBeNull();
		expect(choice.message.tool_calls).toHaveLength(1);
		const tc = choice.message.tool_calls[0];
		expect(tc).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
		expect(tc.id).toMatch(/^call_/);
		expect(JSON.parse(tc.function.arguments)).toEqual({ city: 'Newport News', days: 1 });
		const chosen = await chat(sb, KEYS.user, {
			tools,
			tool_choice: { type: 'function', function: { name: 'lookup' } },
		});
		expect(chosen.json.choices[0].message.tool_calls[0].function.name).toBe('lookup');
		const none = await chat(sb, KEYS.user, { tools, tool_choice: 'none' });
		expect(none.json.choices[0].message.tool_calls).toBeNull();
		const final = await chat(sb, KEYS.user, {
			tools,
			messages: [
				{ role: 'user', content: 'Newport News' },
				{ role: 'assistant', content: null, tool_calls: [tc] },
				{ role: 'tool', tool_call_id: tc.id, content: '{"temp_c": 21}' },
			],
		});
		expect(final.json.choices[0].finish_reason).toBe('stop');
		expect(final.json.choices[0].message.content).toContain('{"temp_c": 21}');
		expect(final.json.choices[0].message.tool_calls).toBeNull();
	});
});

describe('streaming (§3.4)', () => {
	it('streams role, content pieces, finish, the usage chunk (only with include_usage) and [DONE]', async () => {
		const sb = await standardSandbox();
		const r = await chat(sb, KEYS.user, { stream: true, stream_options: { include_usage: true } });
		expect(r.status).toBe(200);
		expect(r.headers.get('content-type')).toBe('text/event-stream');
		expect(r.headers.get('x-litellm-response-cost')).toBeNull();
		expect(r.headers.get('x-litellm-call-id')).toBeTruthy();
		expect(r.headers.get('x-litellm-key-spend')).toBe('0.0');
		const events = sse(r.text);
		expect(events[events.length - 1]).toBe('[DONE]');
		const chunks = events.slice(0, -1);
		for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
		expect(chunks[0].choices[0].delta.role).toBe('assistant');
		const text = chunks
			.flatMap((c: any) => c.choices.map((ch: any) => ch.delta.content ?? ''))
			.join('');
		expect(text).toBe('Echo from meta-llama/Llama-3.3-70B-Instruct: Hello sandbox');
		const usageChunk = chunks[chunks.length - 1];
		expect(usageChunk.choices).toEqual([]);
		expect(usageChunk.usage.total_tokens).toBeGreaterThan(0);
		expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
		// spend is billed after the stream
		expect(sb.getKey(KEYS.user).spend).toBeGreaterThan(0);
		const noUsage = sse((await chat(sb, KEYS.user, { stream: true })).text);
		expect(noUsage.filter((c: any) => c !== '[DONE]' && c.usage)).toEqual([]);
	});

	it('streams reasoning_content deltas for reasoning models', async () => {
		const sb = await standardSandbox();
		const r = await chat(sb, KEYS.user, {
			model: 'openai/gpt-oss-120b',
			stream: true,
			reasoning_effort: 'low',
		});
		const chunks = sse(r.text).slice(0, -1);
		const reasoning = chunks.map((c: any) => c.choices[0]?.delta.reasoning_content ?? '').join('');
		const content = chunks.map((c: any) => c.choices[0]?.delta.content ?? '').join('');
		expect(reasoning).toMatch(/effort: low/);
		expect(content).toBe('Echo from openai/gpt-oss-120b: Hello sandbox');
	});

	it('streams tool_call deltas that reassemble into the arguments', async () => {
		const sb = await standardSandbox();
		const tools = [
			{
				type: 'function',
				function: {
					name: 'search',
					parameters: { type: 'object', properties: { query: { type: 'string' } } },
				},
			},
		];
		const r = await chat(sb, KEYS.user, {
			tools,
			stream: true,
			messages: [{ role: 'user', content: 'Find the JLab phone directory please' }],
		});
		const chunks = sse(r.text).slice(0, -1);
		const first = chunks[0].choices[0].delta.tool_calls[0];
		expect(first).toMatchObject({
			index: 0,
			type: 'function',
			function: { name: 'search', arguments: '' },
		});
		const args = chunks
			.map((c: any) => c.choices[0].delta.tool_calls?.[0]?.function?.arguments ?? '')
			.join('');
		expect(JSON.parse(args)).toEqual({ query: 'Find the JLab phone directory please' });
		expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls');
	});

	it('errors before the first chunk are ordinary HTTP errors', async () => {
		const sb = await standardSandbox();
		const r = await chat(sb, KEYS.user, { stream: true, model: 'missing/model' });
		expect(r.status).toBe(400);
		expect(r.headers.get('content-type')).toBe('application/json');
		expect(errorOf(r).message).toMatch(/Invalid model name/);
	});
});

describe('rate limits (§3.6, v3 limiter)', () => {
	it('RPM: the request over the limit gets a gateway 429 with retry-after, rate_limit_type and reset_at; the window resets', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ rateLimitWindowMs: 10_000 }, clock);
		sb.addKey({ key: 'sk-rpm-two-key-00000000000001', user_id: 'alice', rpm_limit: 2 });
		expect(
			(await chat(sb, 'sk-rpm-two-key-00000000000001')).headers.get(
				'x-ratelimit-api_key-remaining-requests',
			),
		).toBe('1');
		expect(
			(await chat(sb, 'sk-rpm-two-key-00000000000001')).headers.get(
				'x-ratelimit-api_key-remaining-requests',
			),
		).toBe('0');
		clock.advance(3_000);
		const r = await chat(sb, 'sk-rpm-two-key-00000000000001');
		expect(r.status).toBe(429);
		expect(r.headers.get('retry-after')).toBe('7');
		expect(r.headers.get('rate_limit_type')).toBe('requests');
		expect(r.headers.get('reset_at')).toBe('2026-05-15T12:00:10+00:00');
		const hash = hashKey('sk-rpm-two-key-00000000000001');
		expect(errorOf(r)).toEqual({
			message: `Rate limit exceeded for api_key: ${hash}. Limit type: requests. Current limit: 2, Remaining: 0. Limit resets at: 2026-05-15 12:00:10 UTC`,
			type: 'throttling_error',
			param: 'None',
			code: '429',
		});
		clock.advance(7_000);
		expect((await chat(sb, 'sk-rpm-two-key-00000000000001')).status).toBe(200);
	});

	it('TPM: once the window holds tpm_limit tokens, the next call is refused with type tokens', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({}, clock);
		sb.addKey({ key: 'sk-tpm-key-00000000000000001', user_id: 'alice', tpm_limit: 10 });
		const ok = await chat(sb, 'sk-tpm-key-00000000000000001');
		expect(ok.status).toBe(200);
		expect(ok.json.usage.total_tokens).toBeGreaterThanOrEqual(10);
		const r = await chat(sb, 'sk-tpm-key-00000000000000001');
		expect(r.status).toBe(429);
		expect(r.headers.get('rate_limit_type')).toBe('tokens');
		expect(r.headers.get('retry-after')).toBe('60');
		expect(errorOf(r).message).toMatch(/Limit type: tokens\. Current limit: 10, Remaining: 0\./);
	});

	it('max_parallel_requests: concurrent calls beyond the limit are refused while others are in flight', async () => {
		const sb = await standardSandbox({ latencyMs: 150 });
		sb.addKey({ key: 'sk-parallel-key-0000000000001', user_id: 'alice', max_parallel_requests: 1 });
		const [a, b] = await Promise.all([
			chat(sb, 'sk-parallel-key-0000000000001'),
			chat(sb, 'sk-parallel-key-0000000000001'),
		]);
		const statuses = [a.status, b.status].sort();
		expect(statuses).toEqual([200, 429]);
		const refused = a.status === 429 ? a : b;
		expect(refused.headers.get('rate_limit_type')).toBe('concurrent_requests');
		expect(errorOf(refused).message).toMatch(/Limit type: max_parallel_requests/);
		expect((await chat(sb, 'sk-parallel-key-0000000000001')).status).toBe(200);
		expect(sb.stats().maxInFlight).toBeGreaterThanOrEqual(2);
	});

	it('v1.83 reports the throttle type as the string "None"', async () => {
		const sb = await standardSandbox({ profile: 'v1.83' });
		sb.addKey({ key: 'sk-rpm-one-key-00000000000001', user_id: 'alice', rpm_limit: 1 });
		await chat(sb, 'sk-rpm-one-key-00000000000001');
		const r = await chat(sb, 'sk-rpm-one-key-00000000000001');
		expect(r.status).toBe(429);
		expect(errorOf(r).type).toBe('None');
	});

	it('the master key is not rate limited', async () => {
		const sb = await standardSandbox();
		for (let i = 0; i < 3; i++) expect((await chat(sb, KEYS.master)).status).toBe(200);
	});
});

describe('latency', () => {
	it('latencyMs delays LLM routes (fixed or a seeded range)', async () => {
		// Wide margins: a loaded CI machine can stall a request for a few hundred ms.
		const sb = await standardSandbox({ latencyMs: 1500 });
		const t = Date.now();
		await chat(sb, KEYS.user);
		expect(Date.now() - t).toBeGreaterThanOrEqual(1490);
		const t1 = Date.now();
		await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(Date.now() - t1).toBeLessThan(1000);
		sb.setConfig({ latencyMs: { min: 0, max: 0 } });
		const t2 = Date.now();
		await chat(sb, KEYS.user);
		expect(Date.now() - t2).toBeLessThan(1000);
	});
});
