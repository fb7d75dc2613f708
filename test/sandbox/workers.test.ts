// Multi-worker mode: each LiteLLM worker caches key rows in memory, so a deletion, block or
// update made through one worker reaches the others only when their cache entry expires.
import { KEYS, call, closeAll, errorOf, hashKey, makeClock, standardSandbox } from './helpers';

afterEach(closeAll);

const info = (sb: any, key: string) => call(sb, 'GET', '/key/info', { key });

/** Authenticates `key` once on every worker (round-robin), so each one caches it. */
async function warm(sb: any, key: string, workers: number) {
	for (let i = 0; i < workers; i++) expect((await info(sb, key)).status).toBe(200);
}

describe('multi-worker key cache', () => {
	it('a deleted key still authenticates on the other workers until their cache expires; /key/info there is a 404 "Key not found in database"', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ workers: 3, keyCacheTtlMs: 60_000 }, clock);
		await warm(sb, KEYS.user, 3);
		// The next request lands on worker 0: it deletes the key and forgets it there only.
		const del = await call(sb, 'POST', '/key/delete', {
			key: KEYS.admin,
			body: { keys: [hashKey(KEYS.user)] },
		});
		expect(del.status).toBe(200);
		expect(sb.workersHolding(KEYS.user)).toBe(2);
		const answers = [];
		for (let i = 0; i < 3; i++) answers.push(await info(sb, KEYS.user));
		const statuses = answers.map((a) => a.status).sort();
		// Two workers still know the key (its row is gone from the database): 404; the one that forgot it: 401.
		expect(statuses).toEqual([401, 404, 404]);
		const stale = answers.find((a) => a.status === 404)!;
		expect(errorOf(stale)).toEqual({
			message: 'Key not found in database',
			type: 'not_found_error',
			param: 'key',
			code: '404',
		});
		// Chat still goes through on a stale worker.
		let chatOk = 0;
		for (let i = 0; i < 3; i++)
			if ((await call(sb, 'GET', '/v1/models', { key: KEYS.user })).status === 200) chatOk++;
		expect(chatOk).toBe(2);
		clock.advance(60_000);
		expect(sb.workersHolding(KEYS.user)).toBe(0);
		for (let i = 0; i < 3; i++) expect((await info(sb, KEYS.user)).status).toBe(401);
	});

	it('a blocked key authenticates on workers that cached it before the block', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ workers: 2, keyCacheTtlMs: 5_000 }, clock);
		await warm(sb, KEYS.other, 2);
		expect(
			(await call(sb, 'POST', '/key/block', { key: KEYS.admin, body: { key: KEYS.other } })).status,
		).toBe(200);
		const statuses = [
			(await info(sb, KEYS.other)).status,
			(await info(sb, KEYS.other)).status,
		].sort();
		expect(statuses).toEqual([200, 401]);
		clock.advance(5_000);
		expect([(await info(sb, KEYS.other)).status, (await info(sb, KEYS.other)).status]).toEqual([
			401, 401,
		]);
	});

	it('an update is seen at once by /key/info (database), by authentication only after the TTL', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ workers: 2, keyCacheTtlMs: 1_000 }, clock);
		await warm(sb, KEYS.user, 2);
		const expired = new Date(clock.now() - 1000).toISOString();
		// Worker 0 serves the update (expiring the key) and forgets the key; worker 1 keeps its copy.
		expect(
			(
				await call(sb, 'POST', '/key/update', {
					key: KEYS.user,
					body: { key: KEYS.user, max_budget: 7 },
				})
			).status,
		).toBe(200);
		sb.store.keys[hashKey(KEYS.user)].expires = expired;
		const a = await info(sb, KEYS.user);
		const b = await info(sb, KEYS.user);
		const ok = [a, b].find((r) => r.status === 200)!;
		expect(ok.json.info.max_budget).toBe(7);
		expect([a.status, b.status].sort()).toEqual([200, 401]);
	});

	it('without workers nothing is cached: a deletion takes effect at once (the default)', async () => {
		const sb = await standardSandbox({});
		await info(sb, KEYS.user);
		await call(sb, 'POST', '/key/delete', {
			key: KEYS.admin,
			body: { keys: [hashKey(KEYS.user)] },
		});
		expect((await info(sb, KEYS.user)).status).toBe(401);
		expect(sb.workersHolding(KEYS.user)).toBe(0);
	});

	it('rejects a bad worker count or TTL', async () => {
		await expect(standardSandbox({ workers: 0 })).rejects.toThrow(/workers/);
		await expect(standardSandbox({ workers: 2, keyCacheTtlMs: -1 })).rejects.toThrow(
			/keyCacheTtlMs/,
		);
	});
});

describe('regenerate reply and duplicate key values', () => {
	it('the regenerate reply has no revoke_at (GenerateKeyResponse), even with a grace period', async () => {
		const sb = await standardSandbox({ enterprise: true });
		const r = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.user,
			body: { key: KEYS.user, new_key: 'sk-client-chosen-key-0000009', grace_period: '1h' },
		});
		expect(r.status).toBe(200);
		expect(r.json).not.toHaveProperty('revoke_at');
		expect(sb.store.deprecatedKeys[hashKey(KEYS.user)]).toBeDefined();
	});

	it('a key value that already exists is a 500 on /key/generate and on /key/regenerate (unique constraint), changing nothing', async () => {
		const sb = await standardSandbox({ enterprise: true });
		const gen = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { key: KEYS.other },
		});
		expect(gen.status).toBe(500);
		expect(errorOf(gen).type).toBe('internal_server_error');
		const regen = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.user,
			body: { key: KEYS.user, new_key: KEYS.other, grace_period: '1h' },
		});
		expect(regen.status).toBe(500);
		expect(errorOf(regen).type).toBe('internal_server_error');
		// Nothing changed: the caller's key still answers for its own row.
		const still = await info(sb, KEYS.user);
		expect(still.json.key).toBe(hashKey(KEYS.user));
	});
});
