'use strict';
// /key/info, /key/generate, /key/regenerate, /key/update, /key/delete, /key/block, /key/unblock, /key/list.

const U = require('../lib/util');
const {
	HttpError,
	proxyError,
	wrappedHttpError,
	validationError,
	duplicateTokenError,
	ENTERPRISE_REGENERATE_MESSAGE,
	NO_USER_ID_MESSAGE,
} = require('../errors');
const { requireKeyWriter, onlyAdminError } = require('../auth');
const { isTeamMember, ensureUser, ensureTeam, newKeyRow, applyKeyFields } = require('../store');
const { now } = require('../config');
const {
	keyInfoRow,
	fullRow,
	notFoundKey,
	resolveKeyRef,
	forgetKey,
	copyToDeleted,
	validateKeyFields,
	checkAliasUnique,
	liveKeysOf,
	GENERATE_FIELDS,
	pick,
} = require('./keyHelpers');

const isObj = U.isObj;
const truthy = U.truthy;

function keyInfo(state, ctx, req) {
	const q = req.query.key;
	if (q === undefined) {
		if (ctx.isMaster) throw proxyError(404, 'Key not found in database', 'not_found_error', 'key');
		// info_key_fn reads the database: a key that a worker's cache still authenticates may be gone there.
		if (!state.store.keys[ctx.hash])
			throw proxyError(404, 'Key not found in database', 'not_found_error', 'key');
		return { body: { key: ctx.hash, info: keyInfoRow(state.store.keys[ctx.hash]) } };
	}
	const hash = resolveKeyRef(String(q));
	const target = hash && state.store.keys[hash];
	if (!target)
		throw proxyError(
			404,
			notFoundKey(state, 'Key not found in database', String(q)),
			'not_found_error',
			'key',
		);
	const allowed =
		ctx.viewAll ||
		(ctx.row && ctx.row.token === target.token) ||
		(ctx.user_id && target.user_id === ctx.user_id) ||
		(target.team_id && isTeamMember(ctx.user_id, state.store.teams[target.team_id]));
	if (!allowed)
		throw wrappedHttpError(
			403,
			`You are not allowed to access this key's info. Your role=${U.pyStr(ctx.role)}`,
		);
	return { body: { key: q, info: keyInfoRow(target) } };
}

function keyGenerate(state, ctx, req) {
	requireKeyWriter(ctx, '/key/generate');
	const b = isObj(req.body) ? req.body : {};
	validateKeyFields(b);
	if (!ctx.admin && b.user_id != null && b.user_id !== ctx.user_id) {
		throw wrappedHttpError(403, {
			error: `User can only create keys for themselves. Got user_id=${b.user_id}, Your ID=${ctx.user_id}`,
		});
	}
	const owner = state.keyRules.ownerOfNewKey(ctx, b);
	const userId = owner.user_id;
	if (!ctx.admin) {
		if (b.team_id) {
			const team = state.store.teams[b.team_id];
			if (!isTeamMember(ctx.user_id, team)) {
				throw proxyError(
					400,
					`User=${ctx.user_id} not assigned to team=${b.team_id}`,
					'bad_request_error',
					'team_id',
				);
			}
		}
	}
	let plaintext;
	if (b.key !== undefined && b.key !== null) {
		if (typeof b.key !== 'string' || !b.key.startsWith('sk-')) {
			throw proxyError(
				400,
				`Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: ${U.maskKey(b.key)}`,
				'bad_request_error',
				'key',
			);
		}
		plaintext = b.key;
	} else {
		plaintext = state.ids.key();
		while (state.store.keys[U.hashKey(plaintext)]) plaintext = state.ids.key();
	}
	const hash = U.hashKey(plaintext);
	if (state.store.keys[hash] || state.store.deprecatedKeys[hash]) throw duplicateTokenError();
	checkAliasUnique(state, b.key_alias);
	if (state.cfg.oneKeyPerUser && userId && liveKeysOf(state, userId).length) {
		throw proxyError(
			400,
			`User=${userId} already has a key. This gateway allows one key per user: rotate or delete the existing key first.`,
			'bad_request_error',
			'user_id',
		);
	}
	const fields = { ...pick(b, GENERATE_FIELDS), user_id: userId, team_id: owner.team_id };
	ensureUser(state, userId);
	ensureTeam(state, fields.team_id);
	const row = newKeyRow(state, hash, U.keyName(plaintext), fields, ctx.user_id ?? null);
	state.store.keys[hash] = row;
	return {
		body: {
			...pick(b, GENERATE_FIELDS),
			...fullRow(row),
			duration: b.duration ?? null,
			key_type: b.key_type ?? 'default',
			key: plaintext,
			token: hash,
			token_id: hash,
		},
	};
}

function keyRegenerate(state, ctx, req, params) {
	if (!ctx.admin && ctx.role !== 'internal_user' && ctx.role !== null)
		throw onlyAdminError(ctx, req.routeName);
	if (!state.cfg.enterprise)
		throw proxyError(500, ENTERPRISE_REGENERATE_MESSAGE, 'internal_server_error', 'None');
	const b = isObj(req.body) ? req.body : {};
	const passed = b.key ?? params[0];
	const hash = resolveKeyRef(passed);
	const row = hash && state.store.keys[hash];
	if (!row) throw wrappedHttpError(404, { error: notFoundKey(state, 'Key not found', passed) });
	const permitted =
		ctx.admin ||
		(ctx.role === 'internal_user' &&
			((ctx.user_id && row.user_id === ctx.user_id) ||
				(row.team_id && isTeamMember(ctx.user_id, state.store.teams[row.team_id], true))));
	if (!permitted)
		throw wrappedHttpError(403, { error: 'You are not authorized to regenerate this key' });
	validateKeyFields(b);
	let plaintext;
	if (b.new_key !== undefined && b.new_key !== null) {
		if (typeof b.new_key !== 'string' || !b.new_key.startsWith('sk-')) {
			throw proxyError(
				400,
				`Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: ${U.maskKey(b.new_key)}`,
				'bad_request_error',
				'new_key',
			);
		}
		plaintext = b.new_key;
	} else {
		plaintext = state.ids.key();
		while (state.store.keys[U.hashKey(plaintext)]) plaintext = state.ids.key();
	}
	const newHash = U.hashKey(plaintext);
	if (state.store.keys[newHash] || state.store.deprecatedKeys[newHash]) throw duplicateTokenError();
	let graceMs = 0;
	if (b.grace_period !== undefined && b.grace_period !== null && b.grace_period !== '') {
		try {
			graceMs = U.parseDuration(b.grace_period);
		} catch (e) {
			throw proxyError(
				400,
				`Invalid grace_period=${b.grace_period}. ${e.message}`,
				'bad_request_error',
				'grace_period',
			);
		}
	}
	if (b.key_alias !== undefined) checkAliasUnique(state, b.key_alias, row.token);
	const fields = pick(b, GENERATE_FIELDS);
	if (!ctx.admin && fields.user_id !== undefined && fields.user_id !== row.user_id) {
		throw wrappedHttpError(403, { error: 'You are not authorized to regenerate this key' });
	}
	const t = now(state);
	const oldHash = row.token;
	forgetKey(state, ctx, oldHash);
	copyToDeleted(state, row, ctx);
	delete state.store.keys[oldHash];
	delete state.store.rateLimits[oldHash];
	applyKeyFields(row, fields, t);
	ensureUser(state, row.user_id);
	ensureTeam(state, row.team_id);
	row.token = newHash;
	row.key_name = U.keyName(plaintext);
	row.rotation_count = (row.rotation_count || 0) + 1;
	row.last_rotation_at = U.pyIso(t);
	if (row.auto_rotate && row.rotation_interval)
		row.key_rotation_at = U.pyIso(t + U.parseDuration(row.rotation_interval));
	row.updated_at = U.pyIso(t);
	row.updated_by = ctx.user_id ?? null;
	state.store.keys[newHash] = row;
	for (const dep of Object.values(state.store.deprecatedKeys))
		if (dep.active_token_id === oldHash) dep.active_token_id = newHash;
	if (graceMs > 0) {
		state.store.deprecatedKeys[oldHash] = {
			token: oldHash,
			active_token_id: newHash,
			revoke_at: U.pyIso(t + graceMs),
			created_at: U.pyIso(t),
		};
	}
	return {
		body: {
			...pick(b, GENERATE_FIELDS),
			...fullRow(row),
			key: plaintext,
			token: null,
			token_id: newHash,
		},
	};
}

function keyUpdate(state, ctx, req) {
	requireKeyWriter(ctx, '/key/update');
	const b = isObj(req.body) ? req.body : {};
	if (typeof b.key !== 'string' || !b.key)
		throw validationError(['body', 'key'], 'Field required', b, 'missing');
	validateKeyFields(b);
	const hash = resolveKeyRef(b.key);
	const row = state.store.keys[hash];
	if (!row)
		throw proxyError(
			404,
			notFoundKey(state, `Team not found, passed team_id=${U.pyStr(b.team_id)}`, b.key),
			'auth_error',
			'None',
			{},
		);
	if (!ctx.admin) {
		if (!state.keyRules.mayUpdate(ctx, row)) {
			throw proxyError(
				403,
				`User=${ctx.user_id} is not allowed to update key=${row.key_name}`,
				'auth_error',
				'None',
			);
		}
		if (b.user_id !== undefined && b.user_id !== row.user_id) {
			throw proxyError(
				403,
				`User=${ctx.user_id} is not allowed to update key=${row.key_name} to belong to user=${U.pyStr(b.user_id)}`,
				'auth_error',
				'None',
			);
		}
	}
	if (b.key_alias !== undefined) checkAliasUnique(state, b.key_alias, row.token);
	const fields = pick(b, GENERATE_FIELDS);
	const t = now(state);
	applyKeyFields(row, fields, t);
	ensureUser(state, row.user_id);
	ensureTeam(state, row.team_id);
	row.updated_at = U.pyIso(t);
	row.updated_by = ctx.user_id ?? null;
	forgetKey(state, ctx, row.token);
	return { body: state.keyRules.updateReply(b.key, fields, row) };
}

function keyDelete(state, ctx, req) {
	requireKeyWriter(ctx, '/key/delete');
	const b = isObj(req.body) ? req.body : {};
	const keys = Array.isArray(b.keys) ? b.keys : null;
	const aliases = Array.isArray(b.key_aliases) ? b.key_aliases : null;
	if (!keys && !aliases) {
		throw validationError(
			['body'],
			'Value error, Must specify either keys or key_aliases',
			b,
			'value_error',
		);
	}
	const rows = [];
	for (const k of keys || []) {
		const r = state.store.keys[resolveKeyRef(String(k))];
		if (r && !rows.includes(r)) rows.push(r);
	}
	for (const a of aliases || []) {
		for (const r of Object.values(state.store.keys))
			if (r.key_alias === a && !rows.includes(r)) rows.push(r);
	}
	if (!rows.length)
		throw wrappedHttpError(404, {
			error: notFoundKey(state, 'No keys found', (keys || []).join(', ')),
		});
	if (!ctx.admin) {
		for (const r of rows) {
			const own = ctx.user_id && r.user_id === ctx.user_id;
			const teamAdmin = r.team_id && isTeamMember(ctx.user_id, state.store.teams[r.team_id], true);
			if (!own && !teamAdmin)
				throw wrappedHttpError(403, { error: 'You are not authorized to delete this key' });
		}
	}
	for (const r of rows) {
		copyToDeleted(state, r, ctx);
		forgetKey(state, ctx, r.token);
		delete state.store.keys[r.token];
		delete state.store.rateLimits[r.token];
		for (const [old, dep] of Object.entries(state.store.deprecatedKeys))
			if (dep.active_token_id === r.token) delete state.store.deprecatedKeys[old];
	}
	return { body: { deleted_keys: keys || aliases } };
}

function keyBlock(state, ctx, req) {
	return setBlocked(state, ctx, req, true);
}
function keyUnblock(state, ctx, req) {
	return setBlocked(state, ctx, req, false);
}

function keyList(state, ctx, req) {
	if (!ctx.isMaster && !ctx.user_id) throw wrappedHttpError(403, NO_USER_ID_MESSAGE);
	const q = req.query;
	const page = q.page === undefined ? 1 : Number(q.page);
	const size = q.size === undefined ? 10 : Number(q.size);
	if (!Number.isInteger(page) || page < 1) {
		throw new HttpError(422, {
			detail: [
				{
					type: 'greater_than_equal',
					loc: ['query', 'page'],
					msg: 'Input should be greater than or equal to 1',
					input: q.page,
					ctx: { ge: 1 },
				},
			],
		});
	}
	if (!Number.isInteger(size) || size < 1 || size > 100) {
		throw new HttpError(422, {
			detail: [
				{
					type: size > 100 ? 'less_than_equal' : 'greater_than_equal',
					loc: ['query', 'size'],
					msg:
						size > 100
							? 'Input should be less than or equal to 100'
							: 'Input should be greater than or equal to 1',
					input: q.size,
					ctx: size > 100 ? { le: 100 } : { ge: 1 },
				},
			],
		});
	}
	let userFilter = q.user_id;
	let teamScope = null;
	if (!ctx.viewAll) {
		if (userFilter && userFilter !== ctx.user_id)
			throw wrappedHttpError(403, {
				error: "You are not authorized to check another user's keys",
			});
		if (q.team_id && !isTeamMember(ctx.user_id, state.store.teams[q.team_id])) {
			throw wrappedHttpError(403, {
				error: "You are not authorized to check this team's keys",
			});
		}
		userFilter = ctx.user_id;
		if (truthy(q.include_team_keys)) teamScope = (ctx.user && ctx.user.teams) || [];
	}
	const source = q.status === 'deleted' ? state.store.deletedKeys : Object.values(state.store.keys);
	let rows = source.filter((r) => {
		const mine =
			!userFilter ||
			r.user_id === userFilter ||
			(teamScope && r.team_id && teamScope.includes(r.team_id));
		return (
			mine &&
			(!q.team_id || r.team_id === q.team_id) &&
			(!q.key_alias || r.key_alias === q.key_alias) &&
			(!q.key_hash || r.token === q.key_hash) &&
			(!q.organization_id || r.organization_id === q.organization_id)
		);
	});
	const sortBy = ['spend', 'max_budget', 'created_at', 'updated_at', 'token', 'key_alias'].includes(
		q.sort_by,
	)
		? q.sort_by
		: 'created_at';
	const dir = q.sort_order === 'asc' ? 1 : -1;
	rows = rows
		.map((r, i) => ({ r, i }))
		.sort((a, b) => {
			const x = a.r[sortBy];
			const y = b.r[sortBy];
			if (x === y) return a.i - b.i;
			if (x === null || x === undefined) return 1;
			if (y === null || y === undefined) return -1;
			return (x < y ? -1 : 1) * dir;
		})
		.map((e) => e.r);
	const total = rows.length;
	const slice = rows.slice((page - 1) * size, page * size);
	return {
		body: {
			keys: truthy(q.return_full_object) ? slice.map(fullRow) : slice.map((r) => r.token),
			total_count: total,
			current_page: page,
			total_pages: Math.ceil(total / size),
		},
	};
}

function setBlocked(state, ctx, req, blocked) {
	const routeName = blocked ? '/key/block' : '/key/unblock';
	if (!state.keyRules.mayBlock(ctx)) throw onlyAdminError(ctx, routeName);
	const b = isObj(req.body) ? req.body : {};
	if (typeof b.key !== 'string' || !(b.key.startsWith('sk-') || /^[0-9a-f]{64}$/.test(b.key))) {
		throw proxyError(400, 'Invalid key format.', 'bad_request_error', 'key');
	}
	const row = state.store.keys[resolveKeyRef(b.key)];
	if (!row) throw wrappedHttpError(404, { error: notFoundKey(state, 'Key not found', b.key) });
	if (!blocked) state.keyRules.checkUnblock(ctx, row);
	row.blocked = blocked;
	forgetKey(state, ctx, row.token);
	row.updated_at = U.pyIso(now(state));
	row.updated_by = ctx.user_id ?? null;
	return { body: fullRow(row) };
}

module.exports = {
	keyInfo,
	keyGenerate,
	keyRegenerate,
	keyUpdate,
	keyDelete,
	keyBlock,
	keyUnblock,
	keyList,
};
