// Fault injection, chaos, the request log, stats, control routes and clean shutdown.
import {
	KEYS,
	call,
	chat,
	closeAll,
	errorOf,
	hashKey,
	sandbox,
	sse,
	standardSandbox,
	startSandbox,
} from './helpers';

afterEach(closeAll);

describe('fault injection', () => {
	it('status: answers the given status (default LiteLLM-style body) before auth, then normal handling resumes', async () => {
		const sb = await standardSandbox();
		sb.injectFaults([{ kind: 'status', status: 503 }]);
		const r = await call(sb, 'GET', '/v1/models', { key: 'sk-not-even-a-valid-key-000' });
		expect(r.status).toBe(503);
		expect(r.json).toEqual({
			error: { message: 'Service Unavailable', type: null, param: null, code: '503' },
		});
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		sb.injectFaults({
			kind: 'status',
			status: 502,
			body: { detail: 'bad gateway' },
			headers: { 'x-upstream': 'nginx' },
		});
		const custom = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(custom.status).toBe(502);
		expect(custom.json).toEqual({ detail: 'bad gateway' });
		expect(custom.headers.get('x-upstream')).toBe('nginx');
	});

	it('faults match their route, are consumed in order, and honour times', async () => {
		const sb = await standardSandbox();
		sb.injectFaults([
			{ route: '/v1/chat/completions', kind: 'status', status: 500, times: 2 },
			{ route: '/v1/chat/completions', kind: 'status', status: 502 },
		]);
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		const statuses = [];
		for (let i = 0; i < 4; i++) statuses.push((await chat(sb, KEYS.user)).status);
		expect(statuses).toEqual([500, 500, 502, 200]);
		sb.injectFaults({ kind: 'status', status: 418 });
		sb.clearFaults();
		expect((await chat(sb, KEYS.user)).status).toBe(200);
		expect(() => sb.injectFaults({ kind: 'explode' })).toThrow(/unknown fault kind/);
	});

	it('rate_limit: a gateway 429 exactly like the v3 limiter, with retry-after, rate_limit_type and reset_at', async () => {
		const sb = await standardSandbox();
		sb.injectFaults([
			{ kind: 'rate_limit' },
			{ kind: 'rate_limit', retryAfter: 5, rateLimitType: 'tokens' },
		]);
		const r = await chat(sb, KEYS.user);
		expect(r.status).toBe(429);
		expect(r.headers.get('retry-after')).toBe('1');
		expect(r.headers.get('rate_limit_type')).toBe('requests');
		expect(r.headers.get('reset_at')).toBeTruthy();
		expect(errorOf(r)).toMatchObject({ type: 'throttling_error', param: 'None', code: '429' });
		expect(errorOf(r).message).toMatch(
			new RegExp(
				`^Rate limit exceeded for api_key: ${hashKey(KEYS.user)}\\. Limit type: requests\\.`,
			),
		);
		const t = await chat(sb, KEYS.user);
		expect(t.headers.get('retry-after')).toBe('5');
		expect(t.headers.get('rate_limit_type')).toBe('tokens');
	});

	it('reset destroys the socket; delay waits then answers; upstream is a LiteLLM InternalServerError', async () => {
		const sb = await standardSandbox();
		sb.injectFaults([{ kind: 'reset' }, { kind: 'delay', ms: 150 }, { kind: 'upstream' }]);
		await expect(chat(sb, KEYS.user)).rejects.toThrow();
		const t = Date.now();
		const delayed = await chat(sb, KEYS.user);
		expect(delayed.status).toBe(200);
		expect(Date.now() - t).toBeGreaterThanOrEqual(140);
		const up = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-20b' });
		expect(up.status).toBe(500);
		expect(errorOf(up)).toEqual({
			message:
				'litellm.InternalServerError: InternalServerError: Hosted_vllmException - Connection error.. Received Model Group=openai/gpt-oss-20b\nAvailable Model Group Fallbacks=None',
			type: null,
			param: null,
			code: '500',
		});
		expect(sb.requests.map((e: any) => e.fault)).toEqual(['reset', 'delay', 'upstream']);
		expect(sb.requests[0].status).toBe(0);
	});

	it('html and not_json answer like a wrong base URL or a broken proxy', async () => {
		const sb = await standardSandbox();
		sb.injectFaults([{ kind: 'html' }, { kind: 'html', status: 404 }, { kind: 'not_json' }]);
		const h = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(h.status).toBe(200);
		expect(h.headers.get('content-type')).toMatch(/^text\/html/);
		expect(h.text).toMatch(/^<!DOCTYPE html>/);
		expect(h.json).toBeUndefined();
		expect((await call(sb, 'GET', '/key/info', { key: KEYS.user })).status).toBe(404);
		const n = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(n.status).toBe(200);
		expect(n.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(n.json).toBeUndefined();
	});

	it('midstream: two chunks, then an SSE error event with code "500" and no [DONE]; the call is not billed', async () => {
		const sb = await standardSandbox();
		sb.injectFaults({ route: '/v1/chat/completions', kind: 'midstream' });
		const r = await chat(sb, KEYS.user, { stream: true });
		expect(r.status).toBe(200);
		const events = sse(r.text);
		expect(events).toHaveLength(3);
		expect(events[0].object).toBe('chat.completion.chunk');
		expect(events[1].object).toBe('chat.completion.chunk');
		expect(events[2].error).toMatchObject({ type: null, param: null, code: '500' });
		expect(events).not.toContain('[DONE]');
		expect(sb.getKey(KEYS.user).spend).toBe(0);
		// on a non-streaming request it behaves as an upstream 500
		sb.injectFaults({ kind: 'midstream' });
		expect((await chat(sb, KEYS.user)).status).toBe(500);
	});

	it('hang never answers: the client gives up, and close() still ends everything', async () => {
		const sb = await standardSandbox();
		sb.injectFaults({ kind: 'hang' });
		const p = call(sb, 'POST', '/v1/chat/completions', {
			key: KEYS.user,
			body: { model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }] },
			signal: AbortSignal.timeout(200),
		});
		await expect(p).rejects.toThrow();
		expect(sb.stats().inFlight).toBeLessThanOrEqual(1);
		const t = Date.now();
		await sb.close();
		expect(Date.now() - t).toBeLessThan(1000);
	});

	it('chaos applies fault kinds at random from a seeded PRNG: the same seed gives the same sequence', async () => {
		const run = async () => {
			const sb = await standardSandbox({
				chaos: { rate: 0.5, kinds: ['status', 'rate_limit', 'upstream'], seed: 42 },
			});
			const statuses = [];
			for (let i = 0; i < 20; i++) statuses.push((await chat(sb, KEYS.user)).status);
			await sb.close();
			return statuses;
		};
		const a = await run();
		const b = await run();
		expect(a).toEqual(b);
		expect(a.filter((s) => s === 200).length).toBeGreaterThan(2);
		expect(a.filter((s) => s !== 200).length).toBeGreaterThan(2);
		expect(new Set(a.filter((s) => s !== 200))).toEqual(new Set([503, 429, 500]));
		const sb = await standardSandbox({
			chaos: { rate: 1, kinds: ['status'], seed: 1, routes: ['/v1/chat/completions'] },
		});
		expect((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status).toBe(200);
		expect((await chat(sb, KEYS.user)).status).toBe(503);
		sb.setConfig({ chaos: null });
		expect((await chat(sb, KEYS.user)).status).toBe(200);
	});
});

describe('request log and stats', () => {
	it('logs every gateway request with the authorization header kept apart', async () => {
		const sb = await standardSandbox({ basePath: '/api' });
		await chat(sb, KEYS.user, { metadata: { tags: ['t'] } }, { 'x-trace': 'abc' });
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.admin, body: 'not json' })).status,
		).toBe(422);
		await call(sb, 'GET', '/key/list?page=1&size=5', { key: KEYS.admin });
		await call(sb, 'GET', '/v1/models', { headers: { 'x-api-key': KEYS.user } });
		expect(sb.requests).toHaveLength(4);
		const [c, g, l, x] = sb.requests;
		expect(c).toMatchObject({
			id: 1,
			method: 'POST',
			path: '/v1/chat/completions',
			query: {},
			authorization: `Bearer ${KEYS.user}`,
			keyHash: hashKey(KEYS.user),
			status: 200,
		});
		expect(c.body).toMatchObject({
			model: 'meta-llama/Llama-3.3-70B-Instruct',
			metadata: { tags: ['t'] },
		});
		expect(c.headers['x-trace']).toBe('abc');
		expect(c.headers).not.toHaveProperty('authorization');
		expect(typeof c.time).toBe('number');
		expect(c.durationMs).toBeGreaterThanOrEqual(0);
		expect(g.body).toBe('not json');
		expect(l.query).toEqual({ page: '1', size: '5' });
		expect(x.keyHash).toBe(hashKey(KEYS.user));
		expect(x.authorization).toBeNull();
		// everything but `authorization` is free of the Authorization-header keys
		const { authorization, ...rest } = c;
		void authorization;
		expect(JSON.stringify(rest)).not.toContain(KEYS.user);
		const same = sb.requests;
		sb.clearRequests();
		expect(sb.requests).toBe(same);
		expect(sb.requests).toHaveLength(0);
	});

	it('stats() counts requests, in-flight peaks and statuses', async () => {
		const sb = await standardSandbox({ latencyMs: 80 });
		await Promise.all([chat(sb, KEYS.user), chat(sb, KEYS.user), chat(sb, KEYS.other)]);
		await call(sb, 'GET', '/v1/models', { key: 'sk-wrong-000000000000000000' });
		const s = sb.stats();
		expect(s.requests).toBe(4);
		expect(s.inFlight).toBe(0);
		expect(s.maxInFlight).toBe(3);
		expect(s.byStatus).toEqual({ 200: 3, 401: 1 });
	});
});

describe('HTTP control routes (/__sandbox/*)', () => {
	it('requests, faults, keys, config and stats work from another process, outside basePath and unlogged', async () => {
		const sb = await sandbox({ basePath: '/api' });
		const ctl = (method: string, path: string, body?: any) =>
			call(sb, method, path, { base: sb.origin, body });
		const added = await ctl('POST', '/__sandbox/keys', {
			key: KEYS.user,
			key_alias: 'remote',
			user_id: 'alice',
		});
		expect(added.json).toEqual({ hash: hashKey(KEYS.user) });
		const row = await ctl('GET', `/__sandbox/keys/${hashKey(KEYS.user)}`);
		expect(row.json).toMatchObject({ token: hashKey(KEYS.user), key_alias: 'remote' });
		expect((await ctl('GET', `/__sandbox/keys/${'f'.repeat(64)}`)).status).toBe(404);
		expect(
			(await ctl('POST', '/__sandbox/faults', [{ kind: 'status', status: 503 }])).json,
		).toEqual({ queued: 1 });
		expect((await chat(sb, KEYS.user)).status).toBe(503);
		await ctl('POST', '/__sandbox/faults', [{ kind: 'status', status: 500 }]);
		await ctl('DELETE', '/__sandbox/faults');
		expect((await chat(sb, KEYS.user)).status).toBe(200);
		const cfg = await ctl('POST', '/__sandbox/config', { profile: 'v1.83', enterprise: true });
		expect(cfg.json).toMatchObject({ profile: 'v1.83', enterprise: true });
		expect((await chat(sb, KEYS.user)).headers.get('x-litellm-version')).toBe('1.83.4');
		expect((await ctl('POST', '/__sandbox/config', { profile: 'nope' })).status).toBe(400);
		const log = await ctl('GET', '/__sandbox/requests');
		expect(log.json.map((e: any) => e.path)).toEqual([
			'/v1/chat/completions',
			'/v1/chat/completions',
			'/v1/chat/completions',
		]);
		const stats = await ctl('GET', '/__sandbox/stats');
		expect(stats.json).toMatchObject({ requests: 3, inFlight: 0, byStatus: { 200: 2, 503: 1 } });
		await ctl('DELETE', '/__sandbox/requests');
		expect((await ctl('GET', '/__sandbox/requests')).json).toEqual([]);
		// not part of the gateway's route space
		expect((await call(sb, 'GET', '/__sandbox/stats')).status).toBe(404);
	});
});

describe('close()', () => {
	it('destroys keep-alive sockets and in-flight latency so jest exits on its own', async () => {
		const sb = await startSandbox({ keys: [{ key: KEYS.user }], latencyMs: 10_000 });
		await call(sb, 'GET', '/health/readiness');
		const pending = chat(sb, KEYS.user).catch((e: any) => e);
		await new Promise((r) => setTimeout(r, 50));
		const t = Date.now();
		await sb.close();
		await sb.close();
		expect(Date.now() - t).toBeLessThan(1000);
		expect(String(await pending)).toMatch(/fetch failed|terminated|socket/i);
	});
});
