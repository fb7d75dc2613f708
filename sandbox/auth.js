'use strict';
// Authentication and limits: where the key is read, key checks, budgets, model access and the
// key's RPM / TPM / parallel-request limits, in the order LiteLLM's user_api_key_auth runs them.

const U = require('./lib/util');
const { proxyError, detailError } = require('./errors');
const { profile } = require('./profiles');
const { now } = require('./config');

const PROXY_ADMIN_USER_ID = 'default_user_id';

/** Where LiteLLM reads the key: Authorization, then x-litellm-api-key, API-Key, x-api-key, x-goog-api-key. */
function extractKey(headers) {
	const strip = (v) => {
		for (const p of ['Bearer ', 'bearer ', 'Basic '])
			if (v.startsWith(p)) return { key: v.slice(p.length).trim() };
		return { malformed: true, value: v };
	};
	if (headers.authorization !== undefined)
		return { ...strip(String(headers.authorization)), source: 'authorization' };
	if (headers['x-litellm-api-key'] !== undefined) {
		const v = String(headers['x-litellm-api-key']);
		return {
			key: v.startsWith('Bearer ') || v.startsWith('bearer ') ? v.slice(7).trim() : v.trim(),
			source: 'x-litellm-api-key',
		};
	}
	for (const h of ['api-key', 'x-api-key', 'x-goog-api-key']) {
		if (headers[h] !== undefined) return { key: String(headers[h]).trim(), source: h };
	}
	return null;
}

const authErr = (message, param = 'None', status = 401) =>
	proxyError(status, message, 'auth_error', param);

function shownKey(state, key) {
	return state.cfg.echoKeyInErrors ? key : U.keyName(key);
}

function resetBudgetIfDue(state, obj) {
	if (!obj || !obj.budget_duration || !obj.budget_reset_at) return;
	const t = now(state);
	const at = U.toMs(obj.budget_reset_at);
	if (at !== null && t >= at) {
		obj.spend = 0;
		obj.budget_reset_at = U.pyIso(t + U.parseDuration(obj.budget_duration));
	}
}

function authenticate(state, req, route, path) {
	const found = extractKey(req.headers);
	if (!found || (found.key !== undefined && found.key === ''))
		throw authErr('Authentication Error, No api key passed in.');
	if (found.malformed) {
		let msg = 'Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.';
		if (profile(state).malformedEchoesValue)
			msg += ` Passed in: ${state.cfg.echoKeyInErrors ? found.value : U.keyName(found.value).replace(/^sk-/, '')}`;
		throw authErr(msg);
	}
	const key = found.key;
	const presentedHash = U.hashKey(key);
	if (!key.startsWith('sk-')) {
		const shown = state.cfg.echoKeyInErrors ? key : '...' + key.slice(-4);
		throw authErr(
			`Authentication Error, LiteLLM Virtual Key expected. Received=${shown}, expected to start with 'sk-'.`,
		);
	}
	if (state.store.masterKeyHash && presentedHash === state.store.masterKeyHash) {
		return {
			hash: presentedHash,
			row: null,
			isMaster: true,
			user_id: PROXY_ADMIN_USER_ID,
			user: null,
			team: null,
			role: 'proxy_admin',
			admin: true,
			viewAll: true,
		};
	}
	// user_api_key_auth: the serving worker's cache first, then the database (lib/workers.js).
	const worker = state.workerPool ? state.workerPool.next() : null;
	let row = worker ? state.workerPool.lookup(worker, presentedHash, now(state)) : undefined;
	if (!row) {
		row = state.store.keys[presentedHash];
		if (!row) {
			const dep = state.store.deprecatedKeys[presentedHash];
			if (dep && U.toMs(dep.revoke_at) > now(state)) row = state.store.keys[dep.active_token_id];
		}
		if (row && worker) state.workerPool.remember(worker, presentedHash, row, now(state));
	}
	if (!row) {
		throw proxyError(
			401,
			`Authentication Error, Invalid proxy server token passed. Received API Key = ${shownKey(state, key)}, Key Hash (Token) =${presentedHash}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
			profile(state).invalidKeyType,
			'key',
		);
	}
	if (row.blocked === true) {
		throw authErr(
			"Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
		);
	}
	const exp = U.toMs(row.expires);
	if (exp !== null && exp < now(state)) {
		const p = profile(state);
		throw proxyError(
			p.expiredStatus,
			`Authentication Error - Expired Key. Key Expiry time ${U.pyDatetimeStr(exp)} and current time ${U.pyDatetimeStr(now(state))}`,
			'expired_key',
			p.expiredParamIsHash ? row.token : U.keyName(key),
		);
	}
	const team = row.team_id ? state.store.teams[row.team_id] || null : null;
	if (team && team.blocked) {
		throw authErr(
			`Authentication Error, Team=${team.team_id} is blocked. Update via \`/team/unblock\` if you're an admin.`,
		);
	}
	const user = row.user_id ? state.store.users[row.user_id] || null : null;
	const role = user ? user.user_role : null;
	const ctx = {
		hash: row.token,
		presentedHash,
		worker,
		keyLast4: key.slice(-4),
		// The checks above used the worker's copy; spend and last use land on the database row.
		row: state.store.keys[row.token] || row,
		isMaster: false,
		user_id: row.user_id,
		user,
		team,
		role,
		admin: role === 'proxy_admin',
		viewAll: role === 'proxy_admin' || role === 'proxy_admin_viewer',
	};
	// allowed_routes / key_type gating applies to every role, admins included.
	if (row.allowed_routes && row.allowed_routes.length) {
		const ok = row.allowed_routes.some(
			(a) => a === path || a === (route.name || route.path) || (route.cats || []).includes(a),
		);
		if (!ok) {
			throw detailError(
				403,
				`Virtual key is not allowed to call this route. Only allowed to call routes: ${U.pyList(row.allowed_routes)}. Tried to call route: ${path}`,
			);
		}
	}
	checkBudgets(state, ctx, route);
	ctx.row.last_active = U.pyIso(now(state));
	return ctx;
}

function budgetError(state, message) {
	return proxyError(profile(state).budgetStatus, message, 'budget_exceeded', 'None');
}

/** Key budget: LLM routes (all routes in v1.83). Team and user budgets: every route. */
// LiteLLM litellm/proxy/auth/user_api_key_auth.py _user_api_key_auth_builder: _virtual_key_max_budget_check
// runs under RouteChecks.is_llm_api_route (newer builds), and /v1/models is an LLM API route, so an
// over-budget key is refused there on every profile (the credential test relies on it).

function checkBudgets(state, ctx, route) {
	const { row, team, user } = ctx;
	resetBudgetIfDue(state, row);
	resetBudgetIfDue(state, team);
	resetBudgetIfDue(state, user);
	if (
		row.max_budget !== null &&
		row.spend >= row.max_budget &&
		(route.llm || profile(state).keyBudgetOnAllRoutes)
	) {
		throw budgetError(
			state,
			`Budget has been exceeded! Key=${U.pyStr(row.key_alias)} (sk-...${ctx.keyLast4}) Current cost: ${U.pyFloat(row.spend)}, Max budget: ${U.pyFloat(row.max_budget)}`,
		);
	}
	if (team && team.max_budget !== null && team.spend >= team.max_budget) {
		throw budgetError(
			state,
			`Budget has been exceeded! Team=${team.team_id} Current cost: ${U.pyFloat(team.spend)}, Max budget: ${U.pyFloat(team.max_budget)}`,
		);
	}
	if (!team && user && user.max_budget !== null && user.spend >= user.max_budget) {
		throw budgetError(
			state,
			`ExceededBudget: User=${user.user_id} over budget. Spend=${U.pyFloat(user.spend)}, Budget=${U.pyFloat(user.max_budget)}`,
		);
	}
}

/** Non-admin callers of admin routes: the route check's 401. */
function onlyAdminError(ctx, routeName) {
	return authErr(
		`Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=${routeName}. Your role=${U.pyStr(ctx.role)}`,
	);
}
/** Writers of key routes: proxy_admin and internal_user; keys without a user and viewers get 401. */
function requireKeyWriter(ctx, routeName) {
	if (ctx.admin || ctx.role === 'internal_user') return;
	throw onlyAdminError(ctx, routeName);
}

/** Models a key may call: key list, else team list, else everything. */
function accessibleModels(state, ctx) {
	const all = state.models.map((m) => m.id);
	if (ctx.isMaster) return all;
	const teamModels = ctx.team && ctx.team.models.length ? ctx.team.models : null;
	const expand = (list) =>
		list.flatMap((m) =>
			m === 'all-proxy-models' || m === '*'
				? all
				: m === 'all-team-models'
					? teamModels || all
					: [m],
		);
	if (ctx.row.models && ctx.row.models.length) return [...new Set(expand(ctx.row.models))];
	if (teamModels) return [...new Set(expand(teamModels))];
	return all;
}

function checkModelAccess(state, ctx, model) {
	if (ctx.isMaster) return;
	const status = profile(state).modelDeniedStatus;
	const keyModels = ctx.row.models || [];
	if (keyModels.length) {
		if (!accessibleModels(state, ctx).includes(model)) {
			throw proxyError(
				status,
				`key not allowed to access model. This key can only access models=${U.pyList(keyModels)}. Tried to access ${U.pyStr(model)}`,
				'key_model_access_denied',
				'model',
			);
		}
		return;
	}
	if (ctx.team && ctx.team.models.length && !accessibleModels(state, ctx).includes(model)) {
		throw proxyError(
			status,
			`Team not allowed to access model. Team=${ctx.team.team_id}, Model=${U.pyStr(model)}, Allowed team models = ${U.pyList(ctx.team.models)}`,
			'team_model_access_denied',
			'model',
		);
	}
}

// Rate limits: the v3 limiter (parallel_request_limiter_v3.py), a fixed window per key.
function rateState(state, hash) {
	const t = now(state);
	let s = state.store.rateLimits[hash];
	if (!s)
		s = state.store.rateLimits[hash] = { windowStart: t, requests: 0, tokens: 0, inFlight: 0 };
	if (t >= s.windowStart + state.cfg.rateLimitWindowMs) {
		s.windowStart = t;
		s.requests = 0;
		s.tokens = 0;
	}
	return s;
}

function rateLimitError(state, hash, type, limit, remaining, resetMs, headerType) {
	const t = now(state);
	const retryAfter = Math.max(1, Math.ceil((resetMs - t) / 1000));
	return proxyError(
		429,
		`Rate limit exceeded for api_key: ${hash}. Limit type: ${type}. Current limit: ${limit}, Remaining: ${remaining}. Limit resets at: ${U.utcSeconds(resetMs)} UTC`,
		profile(state).throttleType,
		'None',
		{
			'retry-after': String(retryAfter),
			rate_limit_type: headerType || type,
			reset_at: U.pyIso(resetMs),
		},
	);
}

/** Admit one request against the key's RPM / TPM / parallel limits; throws a gateway 429. */
function admitRate(state, ctx) {
	if (ctx.isMaster) return null;
	const row = ctx.row;
	const s = rateState(state, row.token);
	const resetAt = s.windowStart + state.cfg.rateLimitWindowMs;
	if (row.max_parallel_requests !== null && s.inFlight >= row.max_parallel_requests) {
		throw rateLimitError(
			state,
			row.token,
			'max_parallel_requests',
			row.max_parallel_requests,
			0,
			now(state) + 1000,
			profile(state).parallelLimitType,
		);
	}
	if (row.rpm_limit !== null && s.requests >= row.rpm_limit) {
		throw rateLimitError(state, row.token, 'requests', row.rpm_limit, 0, resetAt);
	}
	if (row.tpm_limit !== null && s.tokens >= row.tpm_limit) {
		throw rateLimitError(state, row.token, 'tokens', row.tpm_limit, 0, resetAt);
	}
	s.requests += 1;
	s.inFlight += 1;
	return s;
}

function rateHeaders(state, ctx, s) {
	if (!s) return {};
	const row = ctx.row;
	const h = {};
	const v3 = profile(state).keyRateHeaders;
	const name = (kind, type) =>
		v3 ? `x-ratelimit-api_key-${kind}-${type}` : `x-ratelimit-${kind}-${type}`;
	if (row.rpm_limit !== null) {
		h[name('remaining', 'requests')] = String(Math.max(0, row.rpm_limit - s.requests));
		h[name('limit', 'requests')] = String(row.rpm_limit);
	}
	if (row.tpm_limit !== null) {
		h[name('remaining', 'tokens')] = String(Math.max(0, row.tpm_limit - s.tokens));
		h[name('limit', 'tokens')] = String(row.tpm_limit);
	}
	if (v3 && row.max_parallel_requests !== null) {
		h['x-ratelimit-api_key-remaining-max_parallel_requests'] = String(
			Math.max(0, row.max_parallel_requests - s.inFlight),
		);
		h['x-ratelimit-api_key-limit-max_parallel_requests'] = String(row.max_parallel_requests);
	}
	return h;
}

module.exports = {
	PROXY_ADMIN_USER_ID,
	extractKey,
	authErr,
	authenticate,
	checkBudgets,
	onlyAdminError,
	requireKeyWriter,
	accessibleModels,
	checkModelAccess,
	rateState,
	rateLimitError,
	admitRate,
	rateHeaders,
};
