// The sandbox's management routes: /key/*, /user/*, /team/info, /spend/logs, /model/info (§2.2, §4, §5).
import {
	KEYS,
	T0,
	call,
	chat,
	closeAll,
	errorOf,
	hashKey,
	makeClock,
	sandbox,
	standardSandbox,
	DEFAULT_MODELS,
} from './helpers';

afterEach(closeAll);

const ONLY_ADMIN = (route: string, role: string) =>
	`Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=${route}. Your role=${role}`;

describe('GET /key/info (§4.1)', () => {
	it('without ?key= returns the calling key: key = its hash, info = the row without token', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(r.status).toBe(200);
		expect(r.json.key).toBe(hashKey(KEYS.user));
		const info = r.json.info;
		expect(info).not.toHaveProperty('token');
		expect(info).toMatchObject({
			key_name: 'sk-...0001',
			key_alias: 'alice-key',
			spend: 0,
			max_budget: null,
			budget_duration: null,
			budget_reset_at: null,
			expires: null,
			models: [],
			user_id: 'alice',
			team_id: null,
			metadata: {},
			tpm_limit: null,
			rpm_limit: null,
			max_parallel_requests: null,
			blocked: null,
			auto_rotate: false,
			rotation_interval: null,
			key_rotation_at: null,
			last_rotation_at: null,
			rotation_count: 0,
			created_at: '2026-05-15T12:00:00+00:00',
			updated_at: '2026-05-15T12:00:00+00:00',
			litellm_budget_table: null,
		});
		expect(r.text).not.toContain(KEYS.user);
	});

	it('?key= is allowed for self, the owner, a team member and admins; others get 403 internal_server_error', async () => {
		const sb = await standardSandbox();
		sb.addKey({ key: 'sk-team-key-aaaaaaaaaaaa0001', user_id: 'bob', team_id: 'team-a' });
		const target = 'sk-team-key-aaaaaaaaaaaa0001';
		// self (plaintext or hash), echoing the input as `key`
		const self = await call(sb, 'GET', `/key/info?key=${hashKey(target)}`, { key: target });
		expect(self.status).toBe(200);
		expect(self.json.key).toBe(hashKey(target));
		// owner (bob's other key), team member (carol), admin
		expect(
			(await call(sb, 'GET', `/key/info?key=${hashKey(target)}`, { key: KEYS.other })).status,
		).toBe(200);
		expect(
			(await call(sb, 'GET', `/key/info?key=${hashKey(target)}`, { key: KEYS.teamMate })).status,
		).toBe(200);
		expect(
			(await call(sb, 'GET', `/key/info?key=${hashKey(target)}`, { key: KEYS.admin })).status,
		).toBe(200);
		expect(
			(await call(sb, 'GET', `/key/info?key=${hashKey(target)}`, { key: KEYS.master })).status,
		).toBe(200);
		// a stranger
		const denied = await call(sb, 'GET', `/key/info?key=${hashKey(KEYS.other)}`, {
			key: KEYS.user,
		});
		expect(denied.status).toBe(403);
		expect(errorOf(denied)).toEqual({
			message: "You are not allowed to access this key's info. Your role=internal_user",
			type: 'internal_server_error',
			param: 'None',
			code: '403',
		});
		const noRole = await call(sb, 'GET', `/key/info?key=${hashKey(KEYS.other)}`, {
			key: KEYS.noUser,
		});
		expect(errorOf(noRole).message).toBe(
			"You are not allowed to access this key's info. Your role=None",
		);
	});

	it('unknown ?key= → 404 not_found_error; the master key itself is not in the table', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', `/key/info?key=${'0'.repeat(64)}`, { key: KEYS.admin });
		expect(r.status).toBe(404);
		expect(errorOf(r)).toEqual({
			message: 'Key not found in database',
			type: 'not_found_error',
			param: 'key',
			code: '404',
		});
		expect((await call(sb, 'GET', '/key/info', { key: KEYS.master })).status).toBe(404);
	});

	it('a key over its own budget can still read /key/info in v1.9x and next, not in v1.83', async () => {
		for (const [profile, status] of [
			['v1.83', 400],
			['v1.9x', 200],
			['next', 200],
		] as const) {
			const sb = await standardSandbox({ profile });
			sb.addKey({
				key: 'sk-spent-key-000000000000wxyz',
				key_alias: 'spent',
				user_id: 'alice',
				max_budget: 2,
				spend: 3,
			});
			const r = await call(sb, 'GET', '/key/info', { key: 'sk-spent-key-000000000000wxyz' });
			expect([profile, r.status]).toEqual([profile, status]);
			if (status === 200) expect(r.json.info.spend).toBe(3);
			else expect(errorOf(r).type).toBe('budget_exceeded');
		}
	});
});

describe('POST /key/generate (§5.1)', () => {
	it('a key without a user gets 401 "Only proxy admin…", as does a viewer', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'POST', '/key/generate', { key: KEYS.noUser, body: {} });
		expect(r.status).toBe(401);
		expect(errorOf(r)).toEqual({
			message: ONLY_ADMIN('/key/generate', 'None'),
			type: 'auth_error',
			param: 'None',
			code: '401',
		});
		const v = await call(sb, 'POST', '/key/generate', { key: KEYS.viewer, body: {} });
		expect(v.status).toBe(401);
		expect(errorOf(v).message).toBe(ONLY_ADMIN('/key/generate', 'internal_user_viewer'));
	});

	it('an internal_user mints keys for themselves only; an admin for anyone', async () => {
		const sb = await standardSandbox();
		const own = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { key_alias: 'alice-2', user_id: 'alice' },
		});
		expect(own.status).toBe(200);
		expect(own.json.user_id).toBe('alice');
		const foreign = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { user_id: 'bob' },
		});
		expect(foreign.status).toBe(403);
		expect(errorOf(foreign).message).toBe(
			"{'error': 'User can only create keys for themselves. Got user_id=bob, Your ID=alice'}",
		);
		const admin = await call(sb, 'POST', '/key/generate', {
			key: KEYS.admin,
			body: { user_id: 'newbie' },
		});
		expect(admin.status).toBe(200);
		expect(sb.store.users.newbie.user_role).toBe('internal_user');
		const team = await call(sb, 'POST', '/key/generate', {
			key: KEYS.other,
			body: { team_id: 'team-a' },
		});
		expect(team.status).toBe(400);
		expect(errorOf(team).message).toBe('User=bob not assigned to team=team-a');
	});

	it('stores every field that matters and answers per §5.1 (plaintext once, token = token_id = hash)', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'POST', '/key/generate', {
			key: KEYS.admin,
			body: {
				user_id: 'bob',
				team_id: 'team-a',
				key_alias: 'bob-bot',
				duration: '30d',
				models: ['openai/gpt-oss-20b'],
				max_budget: 12.5,
				budget_duration: '1mo',
				rpm_limit: 30,
				tpm_limit: 9000,
				max_parallel_requests: 2,
				metadata: { purpose: 'bot' },
				key_type: 'llm_api',
				auto_rotate: true,
				rotation_interval: '30d',
			},
		});
		expect(r.status).toBe(200);
		const b = r.json;
		expect(b.key).toMatch(/^sk-[A-Za-z0-9_-]{22}$/);
		expect(b.token).toBe(hashKey(b.key));
		expect(b.token_id).toBe(b.token);
		expect(b.key_name).toBe('sk-...' + b.key.slice(-4));
		expect(b).toMatchObject({
			key_alias: 'bob-bot',
			user_id: 'bob',
			team_id: 'team-a',
			models: ['openai/gpt-oss-20b'],
			max_budget: 12.5,
			budget_duration: '1mo',
			budget_reset_at: new Date(T0 + 30 * 86400e3).toISOString().replace('.000Z', '+00:00'),
			rpm_limit: 30,
			tpm_limit: 9000,
			max_parallel_requests: 2,
			metadata: { purpose: 'bot' },
			expires: '2026-06-14T12:00:00+00:00',
			allowed_routes: ['llm_api_routes'],
			auto_rotate: true,
			rotation_interval: '30d',
			key_rotation_at: '2026-06-14T12:00:00+00:00',
			spend: 0,
			created_by: 'root',
			litellm_budget_table: null,
		});
		const row = sb.getKey(b.token);
		expect(row.key_alias).toBe('bob-bot');
		expect(JSON.stringify(row)).not.toContain(b.key);
		// the new key works and is restricted as asked
		expect((await chat(sb, b.key, { model: 'openai/gpt-oss-20b' })).status).toBe(200);
		expect((await call(sb, 'GET', '/key/info', { key: b.key })).status).toBe(403);
	});

	it('validates: unique alias, sk- custom keys, durations, field types', async () => {
		const sb = await standardSandbox();
		const dup = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { key_alias: 'alice-key' },
		});
		expect(dup.status).toBe(400);
		expect(errorOf(dup)).toMatchObject({ type: 'bad_request_error', param: 'key_alias' });
		expect(errorOf(dup).message).toMatch(/^Key with alias 'alice-key' already exists/);
		const custom = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { key: 'my-own-secret-key-1234' },
		});
		expect(custom.status).toBe(400);
		expect(errorOf(custom).message).toBe(
			"Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: my-o****1234",
		);
		const ok = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { key: 'sk-my-chosen-key-000000000001' },
		});
		expect(ok.status).toBe(200);
		expect(ok.json.key).toBe('sk-my-chosen-key-000000000001');
		expect(
			(
				await call(sb, 'POST', '/key/generate', {
					key: KEYS.user,
					body: { duration: '5 fortnights' },
				})
			).status,
		).toBe(400);
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.user, body: { max_budget: 'lots' } }))
				.status,
		).toBe(422);
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.user, body: { key_type: 'superuser' } }))
				.status,
		).toBe(422);
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.user, body: { auto_rotate: true } }))
				.status,
		).toBe(400);
		// FastAPI validates the pydantic body before auth runs
		const broken = await call(sb, 'POST', '/key/generate', {
			key: 'sk-unknown-key-000000000001',
			body: '{"key_alias": ',
		});
		expect(broken.status).toBe(422);
		expect(broken.json.detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body', 0] });
		expect((await call(sb, 'POST', '/key/update', { key: KEYS.user })).status).toBe(422);
		for (const d of ['30s', '30m', '30h', '30d', '1mo']) {
			const g = await call(sb, 'POST', '/key/generate', { key: KEYS.user, body: { duration: d } });
			expect([d, g.status]).toEqual([d, 200]);
		}
	});

	it('oneKeyPerUser: a user with a live key gets 400 bad_request_error', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ oneKeyPerUser: true }, clock);
		const r = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { user_id: 'alice' },
		});
		expect(r.status).toBe(400);
		expect(errorOf(r)).toMatchObject({ type: 'bad_request_error', code: '400' });
		expect(errorOf(r).message).toMatch(/one key per user/);
		// admins minting for a user without keys are fine
		expect(
			(
				await call(sb, 'POST', '/key/generate', {
					key: KEYS.admin,
					body: { user_id: 'fresh', duration: '1h' },
				})
			).status,
		).toBe(200);
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.admin, body: { user_id: 'fresh' } }))
				.status,
		).toBe(400);
		clock.advance(2 * 3600e3); // the first one expired: no live key any more
		expect(
			(await call(sb, 'POST', '/key/generate', { key: KEYS.admin, body: { user_id: 'fresh' } }))
				.status,
		).toBe(200);
	});
});

describe('POST /key/generate: the owner of a key a non-admin makes without user_id', () => {
	it.each(['v1.83', 'v1.9x'])(
		'%s stores it ownerless: its maker may update it (no owner to check) but neither list nor delete it',
		async (profile) => {
			const sb = await standardSandbox({ profile });
			const made = await call(sb, 'POST', '/key/generate', {
				key: KEYS.user,
				body: { key_alias: 'alice-orphan' },
			});
			expect(made.status).toBe(200);
			expect(made.json).toMatchObject({ user_id: null, team_id: null, created_by: 'alice' });
			const orphan = made.json.key;
			expect(sb.getKey(orphan)).toMatchObject({ user_id: null, team_id: null });
			const listed = await call(sb, 'GET', '/key/list?return_full_object=true', { key: KEYS.user });
			expect(listed.json.keys.map((k: any) => k.key_alias)).toEqual(['alice-key']);
			expect(
				(
					await call(sb, 'POST', '/key/update', {
						key: KEYS.user,
						body: { key: orphan, max_budget: 1 },
					})
				).status,
			).toBe(200);
			const del = await call(sb, 'POST', '/key/delete', {
				key: KEYS.user,
				body: { keys: [orphan] },
			});
			expect(del.status).toBe(403);
			expect(errorOf(del).message).toBe("{'error': 'You are not authorized to delete this key'}");
			expect(sb.getKey(orphan)).toBeDefined();
		},
	);

	it('next makes the caller the owner and names their only team; a user in several teams must name team_id', async () => {
		const sb = await standardSandbox({
			profile: 'next',
			teams: [
				{ team_id: 'team-a', members_with_roles: [{ user_id: 'alice', role: 'admin' }] },
				{ team_id: 'team-b', members: ['alice', 'bob'] },
			],
		});
		const bob = await call(sb, 'POST', '/key/generate', { key: KEYS.other, body: {} });
		expect(bob.json).toMatchObject({ user_id: 'bob', team_id: 'team-b' });
		expect(
			(await call(sb, 'POST', '/key/delete', { key: KEYS.other, body: { keys: [bob.json.key] } }))
				.status,
		).toBe(200);
		const several = await call(sb, 'POST', '/key/generate', { key: KEYS.user, body: {} });
		expect(several.status).toBe(400);
		expect(errorOf(several)).toMatchObject({
			message:
				"User=alice belongs to multiple teams. Specify team_id when generating a key. teams=['team-a', 'team-b']",
			type: 'internal_server_error',
		});
		const named = await call(sb, 'POST', '/key/generate', {
			key: KEYS.user,
			body: { team_id: 'team-a' },
		});
		expect(named.json).toMatchObject({ user_id: 'alice', team_id: 'team-a' });
		// Admins get what they send.
		const admin = await call(sb, 'POST', '/key/generate', { key: KEYS.admin, body: {} });
		expect(admin.json).toMatchObject({ user_id: null, team_id: null });
	});
});

describe('POST /key/{key}/regenerate and /key/regenerate (§5.2)', () => {
	it('without enterprise → HTTP 500 internal_server_error with the enterprise message', async () => {
		const sb = await standardSandbox();
		for (const [path, body] of [
			[`/key/${KEYS.user}/regenerate`, {}],
			['/key/regenerate', { key: KEYS.user }],
		] as const) {
			const r = await call(sb, 'POST', path, { key: KEYS.user, body });
			expect(r.status).toBe(500);
			expect(errorOf(r)).toMatchObject({ type: 'internal_server_error', code: '500' });
			expect(errorOf(r).message).toMatch(
				/^Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise user/,
			);
		}
		expect((await chat(sb, KEYS.user)).status).toBe(200);
	});

	it('rotates in place: same row, new hash, spend/alias/limits/created_at kept, rotation_count+1, old key dead', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ enterprise: true }, clock);
		sb.addKey({
			key: 'sk-rotate-me-0000000000000001',
			key_alias: 'rot',
			user_id: 'alice',
			max_budget: 9,
			rpm_limit: 50,
			spend: 1.25,
		});
		clock.advance(1000);
		const r = await call(sb, 'POST', '/key/sk-rotate-me-0000000000000001/regenerate', {
			key: 'sk-rotate-me-0000000000000001',
			body: {},
		});
		expect(r.status).toBe(200);
		const newKey = r.json.key;
		expect(newKey).toMatch(/^sk-/);
		expect(r.json.token_id).toBe(hashKey(newKey));
		expect(r.json.token).toBeNull();
		expect(r.json).toMatchObject({
			key_alias: 'rot',
			max_budget: 9,
			rpm_limit: 50,
			spend: 1.25,
			rotation_count: 1,
			last_rotation_at: '2026-05-15T12:00:01+00:00',
			created_at: '2026-05-15T12:00:00+00:00',
			key_name: 'sk-...' + newKey.slice(-4),
		});
		expect(errorOf(await chat(sb, 'sk-rotate-me-0000000000000001')).type).toBe(
			'token_not_found_in_db',
		);
		expect((await chat(sb, newKey)).status).toBe(200);
		expect(sb.getKey('sk-rotate-me-0000000000000001')).toBeUndefined();
		expect(sb.getKey(newKey).key_alias).toBe('rot');
		expect(sb.store.deletedKeys.map((d: any) => d.token)).toContain(
			hashKey('sk-rotate-me-0000000000000001'),
		);
	});

	it('honours new_key (must start with sk-), grace_period and field updates; body `key` form works', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({ enterprise: true }, clock);
		const bad = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.user,
			body: { key: KEYS.user, new_key: 'plain-secret-0000' },
		});
		expect(bad.status).toBe(400);
		const r = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.user,
			body: {
				key: KEYS.user,
				new_key: 'sk-client-chosen-key-0000001',
				grace_period: '2h',
				max_budget: 3,
				models: ['openai/gpt-oss-20b'],
			},
		});
		expect(r.status).toBe(200);
		expect(r.json.key).toBe('sk-client-chosen-key-0000001');
		expect(r.json).toMatchObject({ max_budget: 3, models: ['openai/gpt-oss-20b'] });
		const dep = sb.store.deprecatedKeys[hashKey(KEYS.user)];
		expect(dep).toEqual({
			token: hashKey(KEYS.user),
			active_token_id: hashKey('sk-client-chosen-key-0000001'),
			revoke_at: '2026-05-15T14:00:00+00:00',
			created_at: '2026-05-15T12:00:00+00:00',
		});
		// old key still valid during the grace period, and acts on the same row
		const during = await call(sb, 'GET', '/key/info', { key: KEYS.user });
		expect(during.status).toBe(200);
		expect(during.json.info.max_budget).toBe(3);
		clock.advance(2 * 3600e3 + 1);
		expect((await call(sb, 'GET', '/key/info', { key: KEYS.user })).status).toBe(401);
		expect(
			(await call(sb, 'GET', '/key/info', { key: 'sk-client-chosen-key-0000001' })).status,
		).toBe(200);
	});

	it('permissions: a key without user_id → 403 "not authorized to regenerate"; another user’s key → 403; admin any', async () => {
		const sb = await standardSandbox({ enterprise: true });
		const self = await call(sb, 'POST', '/key/regenerate', {
			key: KEYS.noUser,
			body: { key: KEYS.noUser },
		});
		expect(self.status).toBe(403);
		expect(errorOf(self)).toEqual({
			message: "{'error': 'You are not authorized to regenerate this key'}",
			type: 'internal_server_error',
			param: 'None',
			code: '403',
		});
		expect(
			(
				await call(sb, 'POST', '/key/regenerate', {
					key: KEYS.user,
					body: { key: hashKey(KEYS.other) },
				})
			).status,
		).toBe(403);
		expect(
			(await call(sb, 'POST', '/key/regenerate', { key: KEYS.viewer, body: { key: KEYS.viewer } }))
				.status,
		).toBe(401);
		const admin = await call(sb, 'POST', `/key/${hashKey(KEYS.other)}/regenerate`, {
			key: KEYS.admin,
			body: {},
		});
		expect(admin.status).toBe(200);
		expect(
			(
				await call(sb, 'POST', '/key/regenerate', {
					key: KEYS.admin,
					body: { key: 'sk-never-existed-00000000001' },
				})
			).status,
		).toBe(404);
	});
});

describe('POST /key/update (§5.3)', () => {
	it('owners update their keys; foreign keys and re-assignment are refused; unknown keys 404', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({}, clock);
		const r = await call(sb, 'POST', '/key/update', {
			key: KEYS.user,
			body: { key: KEYS.user, max_budget: 4, metadata: { a: 1 }, duration: '1h' },
		});
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({
			key: KEYS.user,
			max_budget: 4,
			metadata: '{"a": 1}',
			expires: '2026-05-15T13:00:00+00:00',
		});
		expect(sb.getKey(KEYS.user).max_budget).toBe(4);
		const never = await call(sb, 'POST', '/key/update', {
			key: KEYS.user,
			body: { key: hashKey(KEYS.user), duration: '-1' },
		});
		expect(never.json.expires).toBeNull();
		const foreign = await call(sb, 'POST', '/key/update', {
			key: KEYS.user,
			body: { key: KEYS.other, max_budget: 100 },
		});
		expect(foreign.status).toBe(403);
		expect(errorOf(foreign).type).toBe('auth_error');
		const move = await call(sb, 'POST', '/key/update', {
			key: KEYS.user,
			body: { key: KEYS.user, user_id: 'bob' },
		});
		expect(move.status).toBe(403);
		expect(errorOf(move).message).toMatch(
			/is not allowed to update key=sk-\.\.\.0001 to belong to user=bob/,
		);
		const missing = await call(sb, 'POST', '/key/update', {
			key: KEYS.admin,
			body: { key: 'sk-not-a-real-key-00000000001' },
		});
		expect(missing.status).toBe(404);
		expect(errorOf(missing).message).toBe('Team not found, passed team_id=None');
		expect(
			(await call(sb, 'POST', '/key/update', { key: KEYS.noUser, body: { key: KEYS.noUser } }))
				.status,
		).toBe(401);
		const admin = await call(sb, 'POST', '/key/update', {
			key: KEYS.admin,
			body: { key: KEYS.other, rpm_limit: 5, blocked: true },
		});
		expect(admin.status).toBe(200);
		expect((await chat(sb, KEYS.other)).status).toBe(401);
	});
});

describe('POST /key/update: the reply as update_key_fn sends it', () => {
	it('key as passed, token = hash, the fields sent (duration as expires) and the stored metadata, objects as JSON strings', async () => {
		const sb = await standardSandbox({
			keys: [
				{
					key: KEYS.user,
					key_alias: 'alice-key',
					user_id: 'alice',
					metadata: { owner: 'alice', ü: [1, 2.5] },
					spend: 3,
					rpm_limit: 7,
				},
			],
		});
		const r = await call(sb, 'POST', '/key/update', {
			key: KEYS.user,
			body: {
				key: hashKey(KEYS.user),
				max_budget: 9,
				budget_duration: '30d',
				models: ['m1'],
				permissions: { pii: false },
			},
		});
		expect(r.status).toBe(200);
		expect(Object.keys(r.json).sort()).toEqual(
			[
				'budget_duration',
				'budget_reset_at',
				'key',
				'max_budget',
				'metadata',
				'models',
				'permissions',
				'token',
			].sort(),
		);
		expect(r.json).toMatchObject({
			key: hashKey(KEYS.user),
			token: hashKey(KEYS.user),
			max_budget: 9,
			budget_duration: '30d',
			models: ['m1'],
			permissions: '{"pii": false}',
			metadata: '{"owner": "alice", "\\u00fc": [1, 2.5]}',
		});
		expect(JSON.parse(r.json.metadata)).toEqual({ owner: 'alice', ü: [1, 2.5] });
		// Not every stored field, and never the stored row's other objects.
		expect(r.json.spend).toBeUndefined();
		expect(r.json.rpm_limit).toBeUndefined();
	});
});

describe('POST /key/delete (§5.4)', () => {
	it('deletes by keys or key_aliases, keeps deleted rows, refuses strangers, 404s when nothing matches', async () => {
		const sb = await standardSandbox();
		const none = await call(sb, 'POST', '/key/delete', { key: KEYS.admin, body: {} });
		expect(none.status).toBe(422);
		const nf = await call(sb, 'POST', '/key/delete', {
			key: KEYS.admin,
			body: { keys: ['sk-does-not-exist-0000000001'] },
		});
		expect(nf.status).toBe(404);
		expect(errorOf(nf).message).toBe("{'error': 'No keys found'}");
		const denied = await call(sb, 'POST', '/key/delete', {
			key: KEYS.user,
			body: { keys: [KEYS.other] },
		});
		expect(denied.status).toBe(403);
		expect(errorOf(denied).message).toBe("{'error': 'You are not authorized to delete this key'}");
		const byAlias = await call(sb, 'POST', '/key/delete', {
			key: KEYS.admin,
			body: { key_aliases: ['bob-key'] },
		});
		expect(byAlias.json).toEqual({ deleted_keys: ['bob-key'] });
		expect(sb.getKey(KEYS.other)).toBeUndefined();
		expect(sb.store.deletedKeys[0]).toMatchObject({
			token: hashKey(KEYS.other),
			key_alias: 'bob-key',
			deleted_by: 'root',
		});
		expect((await chat(sb, KEYS.other)).status).toBe(401);
		expect(
			(await call(sb, 'POST', '/key/delete', { key: KEYS.noUser, body: { keys: [KEYS.noUser] } }))
				.status,
		).toBe(401);
	});

	it('a key whose user is an internal_user may delete itself', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'POST', '/key/delete', {
			key: KEYS.user,
			body: { keys: [hashKey(KEYS.user)] },
		});
		expect(r.status).toBe(200);
		expect(r.json).toEqual({ deleted_keys: [hashKey(KEYS.user)] });
		expect((await call(sb, 'GET', '/key/info', { key: KEYS.user })).status).toBe(401);
	});
});

describe('POST /key/block and /key/unblock (§5.6)', () => {
	it('an internal user may block any key, its own too, but not unblock; a blocked key cannot unblock itself', async () => {
		const sb = await standardSandbox();
		const other = await call(sb, 'POST', '/key/block', {
			key: KEYS.teamMate,
			body: { key: KEYS.other },
		});
		expect(other.status).toBe(200);
		expect(other.json).toMatchObject({ token: hashKey(KEYS.other), blocked: true });
		const notUnblocked = await call(sb, 'POST', '/key/unblock', {
			key: KEYS.teamMate,
			body: { key: KEYS.other },
		});
		expect(notUnblocked.status).toBe(403);
		expect(errorOf(notUnblocked).type).toBe('internal_server_error');
		expect(sb.getKey(KEYS.other).blocked).toBe(true);
		const self = await call(sb, 'POST', '/key/block', {
			key: KEYS.teamMate,
			body: { key: hashKey(KEYS.teamMate) },
		});
		expect(self.status).toBe(200);
		const locked = await call(sb, 'POST', '/key/unblock', {
			key: KEYS.teamMate,
			body: { key: hashKey(KEYS.teamMate) },
		});
		expect(locked.status).toBe(401);
		expect(errorOf(locked).message).toMatch(/Key is blocked/);
		// carol is in team-a; alice administers it but carol's key is personal: only a proxy admin helps.
		expect(
			(await call(sb, 'POST', '/key/unblock', { key: KEYS.user, body: { key: KEYS.teamMate } }))
				.status,
		).toBe(403);
		expect(
			(await call(sb, 'POST', '/key/unblock', { key: KEYS.admin, body: { key: KEYS.teamMate } }))
				.json.blocked,
		).toBe(false);
	});

	it('a team admin may unblock a key of their team', async () => {
		const sb = await standardSandbox({
			keys: [
				{ key: KEYS.user, user_id: 'alice' },
				{ key: KEYS.teamMate, user_id: 'carol', team_id: 'team-a', blocked: true },
			],
		});
		const r = await call(sb, 'POST', '/key/unblock', {
			key: KEYS.user,
			body: { key: KEYS.teamMate },
		});
		expect(r.status).toBe(200);
		expect(r.json.blocked).toBe(false);
	});

	it('answers with the full row including token and blocked; keys without a user and viewers get 401', async () => {
		const sb = await standardSandbox();
		expect(
			(await call(sb, 'POST', '/key/block', { key: KEYS.noUser, body: { key: KEYS.other } }))
				.status,
		).toBe(401);
		expect(
			(await call(sb, 'POST', '/key/block', { key: KEYS.viewer, body: { key: KEYS.other } }))
				.status,
		).toBe(401);
		expect(
			(await call(sb, 'POST', '/key/block', { key: KEYS.admin, body: { key: 'garbage' } })).status,
		).toBe(400);
		expect(
			(
				await call(sb, 'POST', '/key/block', {
					key: KEYS.admin,
					body: { key: 'sk-not-there-00000000000001' },
				})
			).status,
		).toBe(404);
		const b = await call(sb, 'POST', '/key/block', { key: KEYS.admin, body: { key: KEYS.other } });
		expect(b.status).toBe(200);
		expect(b.json).toMatchObject({
			token: hashKey(KEYS.other),
			blocked: true,
			key_alias: 'bob-key',
		});
		expect(errorOf(await chat(sb, KEYS.other)).message).toMatch(/Key is blocked/);
		const u = await call(sb, 'POST', '/key/unblock', {
			key: KEYS.master,
			body: { key: hashKey(KEYS.other) },
		});
		expect(u.json.blocked).toBe(false);
		expect((await chat(sb, KEYS.other)).status).toBe(200);
	});
});

describe('GET /key/list (§4.8)', () => {
	it('pages, filters and returns hashes or full objects; non-admins see their own keys only', async () => {
		const sb = await standardSandbox();
		for (let i = 0; i < 12; i++)
			sb.addKey({
				key: `sk-list-key-${String(i).padStart(16, '0')}`,
				key_alias: `list-${i}`,
				user_id: 'alice',
			});
		const p1 = await call(sb, 'GET', '/key/list?size=5', { key: KEYS.user });
		expect(p1.status).toBe(200);
		expect(p1.json).toMatchObject({ total_count: 13, current_page: 1, total_pages: 3 });
		expect(p1.json.keys).toHaveLength(5);
		for (const k of p1.json.keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
		const p3 = await call(sb, 'GET', '/key/list?size=5&page=3', { key: KEYS.user });
		expect(p3.json.keys).toHaveLength(3);
		const full = await call(sb, 'GET', `/key/list?return_full_object=true&key_alias=alice-key`, {
			key: KEYS.user,
		});
		expect(full.json.keys).toHaveLength(1);
		expect(full.json.keys[0]).toMatchObject({ token: hashKey(KEYS.user), key_alias: 'alice-key' });
		const byHash = await call(sb, 'GET', `/key/list?key_hash=${hashKey(KEYS.user)}`, {
			key: KEYS.user,
		});
		expect(byHash.json.keys).toEqual([hashKey(KEYS.user)]);
		const foreign = await call(sb, 'GET', '/key/list?user_id=bob', { key: KEYS.user });
		expect(foreign.status).toBe(403);
		const admin = await call(sb, 'GET', '/key/list?user_id=bob', { key: KEYS.admin });
		expect(admin.json.keys).toEqual([hashKey(KEYS.other)]);
		const everything = await call(sb, 'GET', '/key/list?size=100', { key: KEYS.master });
		expect(everything.json.total_count).toBe(18);
		expect((await call(sb, 'GET', '/key/list?size=101', { key: KEYS.admin })).status).toBe(422);
		const nouser = await call(sb, 'GET', '/key/list', { key: KEYS.noUser });
		expect(nouser.status).toBe(403);
		expect(errorOf(nouser).message).toBe(
			"You are not authorized to access this endpoint. No 'user_id' is associated with your API key.",
		);
		const team = await call(sb, 'GET', '/key/list?team_id=team-a', { key: KEYS.other });
		expect(team.status).toBe(403);
	});
});

describe('GET /user/info (§4.2)', () => {
	it('returns the caller, with keys (token hashes) and teams; others 403; admins anyone; no user → 404', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/user/info', { key: KEYS.user });
		expect(r.status).toBe(200);
		expect(r.json.user_id).toBe('alice');
		expect(r.json.user_info).toMatchObject({
			user_id: 'alice',
			user_role: 'internal_user',
			user_email: 'alice@example.org',
			spend: 0,
			max_budget: null,
		});
		expect(r.json.keys.map((k: any) => k.token)).toEqual([hashKey(KEYS.user)]);
		expect(r.json.teams.map((t: any) => t.team_id)).toEqual(['team-a']);
		const other = await call(sb, 'GET', '/user/info?user_id=bob', { key: KEYS.user });
		expect(other.status).toBe(403);
		expect(errorOf(other).message).toBe(
			"key not allowed to access this user's info. user_id=bob, key's user_id=alice",
		);
		expect(
			(await call(sb, 'GET', '/user/info?user_id=bob', { key: KEYS.admin })).json.user_id,
		).toBe('bob');
		const nouser = await call(sb, 'GET', '/user/info', { key: KEYS.noUser });
		expect(nouser.status).toBe(404);
		expect((await call(sb, 'GET', '/user/info?user_id=ghost', { key: KEYS.admin })).status).toBe(
			404,
		);
	});
});

describe('GET /team/info (§4.3)', () => {
	it('members and admins see the team; strangers 403', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/team/info?team_id=team-a', { key: KEYS.teamMate });
		expect(r.status).toBe(200);
		expect(r.json.team_info).toMatchObject({ team_id: 'team-a', team_alias: 'Team A' });
		expect((await call(sb, 'GET', '/team/info?team_id=team-a', { key: KEYS.other })).status).toBe(
			403,
		);
		expect((await call(sb, 'GET', '/team/info?team_id=team-a', { key: KEYS.admin })).status).toBe(
			200,
		);
	});
});

describe('GET /user/daily/activity (§4.6)', () => {
	const activity = [
		{
			date: '2026-05-01',
			user_id: 'alice',
			key_alias: 'alice-key',
			model: 'openai/gpt-oss-120b',
			spend: 0.5,
			prompt_tokens: 1000,
			completion_tokens: 200,
			api_requests: 10,
			successful_requests: 9,
			failed_requests: 1,
		},
		{
			date: '2026-05-01',
			user_id: 'alice',
			api_key: 'sk-user-key-0000000000000001',
			model: 'openai/gpt-oss-20b',
			spend: 0.25,
			prompt_tokens: 500,
			completion_tokens: 100,
			api_requests: 5,
			successful_requests: 5,
			failed_requests: 0,
		},
		{
			date: '2026-05-03',
			user_id: 'alice',
			key_alias: 'alice-key',
			model: 'openai/gpt-oss-120b',
			spend: 1,
			prompt_tokens: 2000,
			completion_tokens: 400,
			api_requests: 20,
			successful_requests: 20,
			failed_requests: 0,
		},
		{
			date: '2026-05-02',
			user_id: 'bob',
			key_alias: 'bob-key',
			model: 'openai/gpt-oss-120b',
			spend: 7,
			prompt_tokens: 7000,
			completion_tokens: 700,
			api_requests: 70,
			successful_requests: 70,
			failed_requests: 0,
		},
	];

	it('requires start_date and end_date (400 {"detail":{"error":…}})', async () => {
		const sb = await standardSandbox({ activity });
		const r = await call(sb, 'GET', '/user/daily/activity?start_date=2026-05-01', {
			key: KEYS.user,
		});
		expect(r.status).toBe(400);
		expect(r.json).toEqual({ detail: { error: 'Please provide start_date and end_date' } });
	});

	it('answers SpendAnalyticsPaginatedResponse: one result per date, ascending, with model and api_key breakdowns', async () => {
		const sb = await standardSandbox({ activity });
		await chat(sb, KEYS.user, { model: 'openai/gpt-oss-20b' }); // a real call on 2026-05-15
		const r = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31',
			{ key: KEYS.user },
		);
		expect(r.status).toBe(200);
		expect(r.json.results.map((x: any) => x.date)).toEqual([
			'2026-05-01',
			'2026-05-03',
			'2026-05-15',
		]);
		const d1 = r.json.results[0];
		expect(d1.metrics).toEqual({
			spend: 0.75,
			prompt_tokens: 1500,
			completion_tokens: 300,
			cache_read_input_tokens: 0,
			cache_creation_input_tokens: 0,
			total_tokens: 1800,
			successful_requests: 14,
			failed_requests: 1,
			api_requests: 15,
		});
		const h = hashKey(KEYS.user);
		// As LiteLLM: deployments (litellm_params.model) in `models`, public names in `model_groups`.
		expect(Object.keys(d1.breakdown.models).sort()).toEqual([
			'hosted_vllm/openai/gpt-oss-120b',
			'hosted_vllm/openai/gpt-oss-20b',
		]);
		expect(Object.keys(d1.breakdown.model_groups).sort()).toEqual([
			'openai/gpt-oss-120b',
			'openai/gpt-oss-20b',
		]);
		expect(d1.breakdown.models['hosted_vllm/openai/gpt-oss-120b'].metrics.spend).toBe(0.5);
		expect(d1.breakdown.model_groups['openai/gpt-oss-120b'].metrics.spend).toBe(0.5);
		expect(
			d1.breakdown.model_groups['openai/gpt-oss-120b'].api_key_breakdown[h].metrics.api_requests,
		).toBe(10);
		expect(d1.breakdown.api_keys[h]).toMatchObject({
			metrics: { spend: 0.75 },
			metadata: { key_alias: 'alice-key', team_id: null },
		});
		for (const k of ['model_groups', 'mcp_servers', 'providers', 'endpoints', 'entities'])
			expect(d1.breakdown).toHaveProperty(k);
		const m = r.json.metadata;
		expect(m).toMatchObject({
			total_api_requests: 36,
			total_failed_requests: 1,
			page: 1,
			total_pages: 1,
			has_more: false,
		});
		expect(m.total_spend).toBeGreaterThan(1.75);
		expect(r.json.results[2].metrics.api_requests).toBe(1);
		expect(JSON.stringify(r.json)).not.toContain(KEYS.user);
	});

	it('non-admins are forced to their own user; admins may pick; filters by model and api_key; pages by date', async () => {
		const sb = await standardSandbox({ activity });
		const bobAsAlice = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&user_id=bob',
			{ key: KEYS.user },
		);
		expect(bobAsAlice.json.results.map((x: any) => x.date)).toEqual(['2026-05-01', '2026-05-03']);
		const admin = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&user_id=bob',
			{ key: KEYS.admin },
		);
		expect(admin.json.results.map((x: any) => x.date)).toEqual(['2026-05-02']);
		const all = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&page_size=2',
			{ key: KEYS.master },
		);
		expect(all.json.results.map((x: any) => x.date)).toEqual(['2026-05-01', '2026-05-02']);
		expect(all.json.metadata).toMatchObject({ page: 1, total_pages: 2, has_more: true });
		const p2 = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&page_size=2&page=2',
			{ key: KEYS.master },
		);
		expect(p2.json.results.map((x: any) => x.date)).toEqual(['2026-05-03']);
		const model = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&model=hosted_vllm/openai/gpt-oss-20b',
			{ key: KEYS.user },
		);
		expect(model.json.metadata.total_spend).toBe(0.25);
		const byKey = await call(
			sb,
			'GET',
			`/user/daily/activity?start_date=2026-05-02&end_date=2026-05-03&api_key=${hashKey(KEYS.user)}`,
			{ key: KEYS.user },
		);
		expect(byKey.json.results.map((x: any) => x.date)).toEqual(['2026-05-03']);
		expect(
			(
				await call(
					sb,
					'GET',
					'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31&page_size=1001',
					{ key: KEYS.user },
				)
			).status,
		).toBe(422);
	});

	it('a key without user_id gets 403 {"detail":{"error":…No user_id…}}', async () => {
		const sb = await standardSandbox({ activity });
		const r = await call(
			sb,
			'GET',
			'/user/daily/activity?start_date=2026-05-01&end_date=2026-05-31',
			{ key: KEYS.noUser },
		);
		expect(r.status).toBe(403);
		expect(r.json).toEqual({
			detail: {
				error:
					"You are not authorized to access this endpoint. No 'user_id' is associated with your API key.",
			},
		});
	});
});

describe('GET /spend/logs (§4.4)', () => {
	it('rows without dates; per-day aggregates with dates; own rows for non-admins; 401 for keys without a user', async () => {
		const clock = makeClock();
		const sb = await standardSandbox({}, clock);
		const a = await chat(sb, KEYS.user);
		await chat(sb, KEYS.other);
		clock.advance(86400e3);
		await chat(sb, KEYS.user, { model: 'openai/gpt-oss-20b' });
		const rows = await call(sb, 'GET', '/spend/logs', { key: KEYS.user });
		expect(rows.status).toBe(200);
		expect(rows.json).toHaveLength(2);
		expect(rows.json[0]).toMatchObject({
			request_id: a.json.id,
			api_key: hashKey(KEYS.user),
			user: 'alice',
			status: 'success',
			call_type: 'acompletion',
		});
		const byId = await call(sb, 'GET', `/spend/logs?request_id=${a.json.id}`, { key: KEYS.user });
		expect(byId.json).toHaveLength(1);
		const adminRows = await call(sb, 'GET', '/spend/logs', { key: KEYS.admin });
		expect(adminRows.json).toHaveLength(3);
		const sum = await call(sb, 'GET', '/spend/logs?start_date=2026-05-14&end_date=2026-05-16', {
			key: KEYS.user,
		});
		expect(sum.json.map((d: any) => d.startTime)).toEqual([
			'2026-05-14',
			'2026-05-15',
			'2026-05-16',
		]);
		expect(sum.json[0].spend).toBe(0);
		expect(sum.json[1].spend).toBeGreaterThan(0);
		expect(Object.keys(sum.json[1].users)).toEqual(['alice']);
		expect(Object.keys(sum.json[1].models)).toEqual(['meta-llama/Llama-3.3-70B-Instruct']);
		expect(sum.json[1][hashKey(KEYS.user)]).toBe(sum.json[1].spend);
		const raw = await call(
			sb,
			'GET',
			'/spend/logs?start_date=2026-05-16&end_date=2026-05-16&summarize=false',
			{ key: KEYS.user },
		);
		expect(raw.json).toHaveLength(1);
		const nouser = await call(sb, 'GET', '/spend/logs', { key: KEYS.noUser });
		expect(nouser.status).toBe(401);
		expect(errorOf(nouser).message).toBe(ONLY_ADMIN('/spend/logs', 'None'));
	});
});

describe('GET /model/info, /v1/model/info and /model_group/info (§2.2, §2.3)', () => {
	it('returns model_info per model, filtered to the key; llm_api keys get 403', async () => {
		const sb = await standardSandbox();
		const r = await call(sb, 'GET', '/model/info', { key: KEYS.user });
		expect(r.status).toBe(200);
		expect(r.json.data).toHaveLength(DEFAULT_MODELS.length);
		const oss = r.json.data.find((d: any) => d.model_name === 'openai/gpt-oss-120b');
		expect(oss.litellm_params.model).toContain('openai/gpt-oss-120b');
		expect(oss.model_info).toMatchObject({
			max_input_tokens: 131072,
			input_cost_per_token: 0.15e-6,
			output_cost_per_token: 0.6e-6,
			mode: 'chat',
			supports_vision: false,
			supports_reasoning: true,
			supports_function_calling: true,
		});
		expect(oss.model_info.id).toMatch(/^[0-9a-f]{64}$/);
		const qwen = r.json.data.find((d: any) => d.model_name === 'Qwen/Qwen2.5-VL-72B-Instruct');
		expect(qwen.model_info.supports_vision).toBe(true);
		// the deployment id matches x-litellm-model-id
		const c = await chat(sb, KEYS.user, { model: 'openai/gpt-oss-120b' });
		expect(c.headers.get('x-litellm-model-id')).toBe(oss.model_info.id);
		const byId = await call(sb, 'GET', `/v1/model/info?litellm_model_id=${oss.model_info.id}`, {
			key: KEYS.user,
		});
		expect(byId.json.data.map((d: any) => d.model_name)).toEqual(['openai/gpt-oss-120b']);
		sb.addKey({
			key: 'sk-restricted-key-0000000001',
			user_id: 'alice',
			models: ['openai/gpt-oss-20b'],
		});
		const limited = await call(sb, 'GET', '/v1/model/info', {
			key: 'sk-restricted-key-0000000001',
		});
		expect(limited.json.data.map((d: any) => d.model_name)).toEqual(['openai/gpt-oss-20b']);
		sb.addKey({ key: 'sk-llm-only-00000000000000001', user_id: 'alice', key_type: 'llm_api' });
		const gated = await call(sb, 'GET', '/model/info', { key: 'sk-llm-only-00000000000000001' });
		expect(gated.status).toBe(403);
		expect(gated.json.detail).toMatch(/^Virtual key is not allowed to call this route/);
		const groups = await call(
			sb,
			'GET',
			'/model_group/info?model_group=Qwen/Qwen2.5-VL-72B-Instruct',
			{ key: KEYS.user },
		);
		expect(groups.json.data).toEqual([
			expect.objectContaining({
				model_group: 'Qwen/Qwen2.5-VL-72B-Instruct',
				supports_vision: true,
				mode: 'chat',
			}),
		]);
	});

	it('custom models and prices can be configured', async () => {
		const sb = await sandbox({
			keys: [{ key: KEYS.user }],
			models: ['openai/gpt-oss-20b', { id: 'local/tiny', supports_reasoning: false }],
			prices: { 'local/tiny': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } },
		});
		const r = await call(sb, 'GET', '/v1/models', { key: KEYS.user });
		expect(r.json.data.map((m: any) => m.id)).toEqual(['openai/gpt-oss-20b', 'local/tiny']);
		const c = await chat(sb, KEYS.user, { model: 'local/tiny' });
		const u = c.json.usage;
		expect(Number(c.headers.get('x-litellm-response-cost'))).toBeCloseTo(
			u.prompt_tokens * 1e-6 + u.completion_tokens * 2e-6,
			12,
		);
	});
});
