'use strict';
// The gateway's state: one object that every part is handed. Its `store` holds keys (by hash only),
// users, teams, spend logs, daily activity and rate-limit windows, as LiteLLM's database does.

const U = require('./lib/util');
const E = require('./lib/embeddings');
const { makeKeyRules } = require('./lib/keyRules');
const { proxyError, wrappedHttpError } = require('./errors');
const { normaliseModels, DEFAULT_PRICES, priceOf, deploymentId } = require('./catalog');
const { normaliseBasePath, now, defaultConfig, setConfig, configFromOptions } = require('./config');

const isObj = U.isObj;
const num = U.num;

/** key_type → allowed_routes (key_management_endpoints.py · handle_key_type). */
const KEY_TYPE_ROUTES = {
	default: [],
	llm_api: ['llm_api_routes'],
	read_only: ['info_routes'],
	management: ['management_routes'],
};

const ROLES = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'];

/**
 * The state of one sandbox: settings, models, the store, the request log, faults and timers.
 * Throws on options a gateway could not start with (host, masterKey, unknown settings or seeds).
 */
function createState(options = {}) {
	if (options.host !== undefined && options.host !== '127.0.0.1') {
		throw new Error(`The sandbox binds to 127.0.0.1 only (got host=${options.host}).`);
	}
	if (options.masterKey != null && !String(options.masterKey).startsWith('sk-'))
		throw new Error('masterKey must start with sk-');
	const idSeed = options.seed ?? 'jlab-sandbox';
	const state = {
		basePath: normaliseBasePath(options.basePath),
		clock: typeof options.now === 'function' ? options.now : Date.now,
		listenPort: options.port ?? 0,
		ids: U.makeIds(idSeed),
		cfg: defaultConfig(),
		chaosPrng: null,
		// LiteLLM workers with their own key cache (lib/workers.js); null: one worker, no cache.
		workerPool: null,
		latencyPrng: U.makePrng(`${idSeed}:latency`),
	};
	setConfig(state, configFromOptions(options));
	state.models = normaliseModels(options.models, options.embeddingModels === true);
	state.modelById = new Map(state.models.map((m) => [m.id, m]));
	state.prices = { ...DEFAULT_PRICES, ...E.EMBEDDING_PRICES, ...(options.prices || {}) };

	// The store: keys by hash only.
	state.store = {
		keys: Object.create(null),
		users: Object.create(null),
		teams: Object.create(null),
		deletedKeys: [],
		deprecatedKeys: Object.create(null),
		spendLogs: [],
		activity: [],
		rateLimits: Object.create(null),
		masterKeyHash: options.masterKey ? U.hashKey(options.masterKey) : null,
	};
	state.keyRules = makeKeyRules({
		store: state.store,
		profileName: () => state.cfg.profile,
		isTeamMember,
		proxyError,
		wrappedHttpError,
	});
	// The request log, stats, queued faults, open timers and sockets.
	state.requests = [];
	state.maxLog = options.maxLogEntries ?? 10000;
	state.requestSeq = 0;
	state.stats = { requests: 0, inFlight: 0, maxInFlight: 0, byStatus: {} };
	state.faults = [];
	state.timers = new Set();
	state.sockets = new Set();
	state.closed = false;

	for (const t of options.teams || []) addTeam(state, t);
	for (const u of options.users || []) addUser(state, u);
	for (const k of options.keys || []) addKey(state, k);
	for (const a of options.activity || []) addActivity(state, a);
	return state;
}

function addUser(state, seed) {
	if (!isObj(seed) || !seed.user_id) throw new Error('user seeds need a user_id');
	const role = seed.user_role || 'internal_user';
	if (!ROLES.includes(role)) throw new Error(`unknown user_role ${role}`);
	const t = U.pyIso(now(state));
	const user = {
		user_id: String(seed.user_id),
		user_alias: seed.user_alias ?? null,
		user_email: seed.user_email ?? null,
		user_role: role,
		teams: [],
		max_budget: num(seed.max_budget),
		spend: Number(seed.spend ?? 0),
		models: seed.models ?? [],
		tpm_limit: seed.tpm_limit ?? null,
		rpm_limit: seed.rpm_limit ?? null,
		budget_duration: seed.budget_duration ?? null,
		budget_reset_at: U.normIso(seed.budget_reset_at),
		metadata: seed.metadata ?? {},
		sso_user_id: null,
		organization_memberships: [],
		created_at: t,
		updated_at: t,
	};
	state.store.users[user.user_id] = user;
	for (const team of Object.values(state.store.teams)) {
		if (
			team.members_with_roles.some((m) => m.user_id === user.user_id) &&
			!user.teams.includes(team.team_id)
		) {
			user.teams.push(team.team_id);
		}
	}
	return user;
}

function addTeam(state, seed) {
	if (!isObj(seed) || !seed.team_id) throw new Error('team seeds need a team_id');
	const members = [
		...(seed.members_with_roles || []).map((m) => ({
			user_id: m.user_id,
			role: m.role || 'user',
		})),
		...(seed.members || []).map((id) => ({ user_id: id, role: 'user' })),
	];
	const t = U.pyIso(now(state));
	const team = {
		team_id: String(seed.team_id),
		team_alias: seed.team_alias ?? null,
		max_budget: num(seed.max_budget),
		spend: Number(seed.spend ?? 0),
		budget_duration: seed.budget_duration ?? null,
		budget_reset_at: U.normIso(seed.budget_reset_at),
		tpm_limit: seed.tpm_limit ?? null,
		rpm_limit: seed.rpm_limit ?? null,
		models: seed.models ?? [],
		blocked: Boolean(seed.blocked),
		members_with_roles: members,
		metadata: seed.metadata ?? {},
		created_at: t,
		updated_at: t,
	};
	state.store.teams[team.team_id] = team;
	for (const m of members) {
		const u = state.store.users[m.user_id];
		if (u && !u.teams.includes(team.team_id)) u.teams.push(team.team_id);
	}
	return team;
}

function ensureUser(state, userId) {
	if (userId && !state.store.users[userId])
		addUser(state, { user_id: userId, user_role: 'internal_user' });
}
function ensureTeam(state, teamId) {
	if (teamId && !state.store.teams[teamId]) addTeam(state, { team_id: teamId });
}

/** Key fields shared by seeds, /key/generate, /key/update and /key/regenerate, applied to a row. */
function applyKeyFields(row, f, t) {
	const set = (k, v) => {
		if (f[k] !== undefined) row[k] = v(f[k]);
	};
	set('key_alias', (v) => v);
	set('models', (v) => v || []);
	set('aliases', (v) => v || {});
	set('max_budget', num);
	set('spend', (v) => Number(v ?? 0));
	set('budget_duration', (v) => v);
	set('user_id', (v) => v);
	set('team_id', (v) => v);
	set('metadata', (v) => v || {});
	set('tpm_limit', num);
	set('rpm_limit', num);
	set('max_parallel_requests', num);
	set('blocked', (v) => (v === null ? null : Boolean(v)));
	set('allowed_routes', (v) => v || []);
	set('allowed_cache_controls', (v) => v || []);
	set('permissions', (v) => v || {});
	set('model_max_budget', (v) => v || {});
	set('organization_id', (v) => v);
	set('budget_id', (v) => v);
	set('soft_budget', num);
	if (f.key_type !== undefined && f.key_type !== null)
		row.allowed_routes = [...KEY_TYPE_ROUTES[f.key_type]];
	if (f.expires !== undefined) row.expires = U.normIso(f.expires);
	if (f.duration !== undefined) {
		row.expires =
			f.duration === null || f.duration === '-1' || f.duration === -1
				? null
				: U.pyIso(t + U.parseDuration(f.duration));
	}
	if (f.budget_reset_at !== undefined) row.budget_reset_at = U.normIso(f.budget_reset_at);
	else if (f.budget_duration !== undefined) {
		row.budget_reset_at = f.budget_duration
			? U.pyIso(t + U.parseDuration(f.budget_duration))
			: null;
	}
	if (f.auto_rotate !== undefined) row.auto_rotate = Boolean(f.auto_rotate);
	if (f.rotation_interval !== undefined) row.rotation_interval = f.rotation_interval;
	if (f.key_rotation_at !== undefined) row.key_rotation_at = U.normIso(f.key_rotation_at);
	else if (
		(f.auto_rotate !== undefined || f.rotation_interval !== undefined) &&
		row.auto_rotate &&
		row.rotation_interval
	) {
		row.key_rotation_at = U.pyIso(t + U.parseDuration(row.rotation_interval));
	}
	if (!row.auto_rotate && f.auto_rotate !== undefined) row.key_rotation_at = null;
}

function newKeyRow(state, hash, name, fields, createdBy) {
	const t = now(state);
	const iso = U.pyIso(t);
	const row = {
		token: hash,
		key_name: name,
		key_alias: null,
		spend: 0,
		max_budget: null,
		expires: null,
		models: [],
		aliases: {},
		config: {},
		user_id: null,
		team_id: null,
		permissions: {},
		max_parallel_requests: null,
		metadata: {},
		blocked: null,
		tpm_limit: null,
		rpm_limit: null,
		budget_duration: null,
		budget_reset_at: null,
		allowed_cache_controls: [],
		allowed_routes: [],
		model_spend: {},
		model_max_budget: {},
		soft_budget_cooldown: false,
		budget_id: null,
		organization_id: null,
		project_id: null,
		object_permission_id: null,
		created_at: iso,
		created_by: createdBy ?? null,
		updated_at: iso,
		updated_by: createdBy ?? null,
		auto_rotate: false,
		rotation_interval: null,
		key_rotation_at: null,
		last_rotation_at: null,
		rotation_count: 0,
		last_active: null,
	};
	applyKeyFields(row, fields, t);
	if (fields.created_at !== undefined) row.created_at = U.normIso(fields.created_at);
	if (fields.last_rotation_at !== undefined)
		row.last_rotation_at = U.normIso(fields.last_rotation_at);
	if (fields.rotation_count !== undefined) row.rotation_count = Number(fields.rotation_count);
	return row;
}

/** Seed one key (plaintext `key`, hashed here, or an already hashed `token`). */
function addKey(state, seed) {
	if (!isObj(seed)) throw new Error('addKey expects an object');
	let hash;
	let name;
	if (seed.key !== undefined) {
		if (typeof seed.key !== 'string' || !seed.key.startsWith('sk-'))
			throw new Error('seeded keys must start with sk-');
		hash = U.hashKey(seed.key);
		name = U.keyName(seed.key);
	} else if (typeof seed.token === 'string' && /^[0-9a-f]{64}$/.test(seed.token)) {
		hash = seed.token;
		name = seed.key_name ?? null;
	} else {
		throw new Error('key seeds need `key` (sk-…) or `token` (sha256 hex)');
	}
	if (seed.key_type !== undefined && !KEY_TYPE_ROUTES[seed.key_type])
		throw new Error(`unknown key_type ${seed.key_type}`);
	if (state.store.keys[hash]) throw new Error(`key ${name} already seeded`);
	const fields = { ...seed };
	delete fields.key;
	delete fields.token;
	ensureUser(state, fields.user_id);
	ensureTeam(state, fields.team_id);
	state.store.keys[hash] = newKeyRow(state, hash, name, fields, fields.created_by ?? null);
	return { hash };
}

// The lab's models are vLLM deployments: LiteLLM's daily table keeps the deployment name
// (litellm_params.model) in `model` and the public name in `model_group` (LiteLLM_DailyUserSpend,
// deploy/migrations/20250326171002_add_daily_user_table; rows written by litellm/proxy/db/db_spend_update_writer.py).
function deploymentOf(publicName) {
	return `hosted_vllm/${publicName}`;
}

function addActivity(state, a) {
	if (!isObj(a) || !/^\d{4}-\d{2}-\d{2}$/.test(String(a.date)))
		throw new Error('activity rows need date YYYY-MM-DD');
	let apiKey = a.api_key ?? null;
	if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
	if (!apiKey && a.key_alias) {
		const row = Object.values(state.store.keys).find((r) => r.key_alias === a.key_alias);
		apiKey = row ? row.token : null;
	}
	const row = apiKey ? state.store.keys[apiKey] : null;
	state.store.activity.push({
		date: a.date,
		user_id: a.user_id ?? row?.user_id ?? null,
		api_key: apiKey,
		key_alias: a.key_alias ?? row?.key_alias ?? null,
		team_id: a.team_id ?? row?.team_id ?? null,
		// A seed's `model` is the public name (model group); `deployment` its litellm_params.model.
		model: a.deployment ?? (a.model ? deploymentOf(a.model) : 'unknown'),
		model_group: a.model ?? 'unknown',
		spend: Number(a.spend ?? 0),
		prompt_tokens: Number(a.prompt_tokens ?? 0),
		completion_tokens: Number(a.completion_tokens ?? 0),
		api_requests: Number(a.api_requests ?? a.successful_requests ?? 0),
		successful_requests: Number(a.successful_requests ?? a.api_requests ?? 0),
		failed_requests: Number(a.failed_requests ?? 0),
	});
}

function getKey(state, hashOrKey) {
	if (typeof hashOrKey !== 'string') return undefined;
	const hash = hashOrKey.startsWith('sk-') ? U.hashKey(hashOrKey) : hashOrKey;
	return state.store.keys[hash];
}

function isTeamMember(userId, team, adminOnly = false) {
	if (!userId || !team) return false;
	return team.members_with_roles.some(
		(m) => m.user_id === userId && (!adminOnly || m.role === 'admin'),
	);
}

/** Bill one call: key, user and team spend, the TPM window, a spend log row and a daily-activity row. */
function recordCall(
	state,
	ctx,
	{ model, usage, requestId, callId, startMs, status, body, errorInfo, callType = 'acompletion' },
) {
	const t = now(state);
	const price = priceOf(state, model);
	const cost =
		status === 'success'
			? usage.prompt_tokens * price.input_cost_per_token +
				usage.completion_tokens * price.output_cost_per_token
			: 0;
	const row = ctx.row;
	if (row) {
		row.spend += cost;
		if (status === 'success') {
			const s = state.store.rateLimits[row.token];
			if (s) s.tokens += usage.total_tokens;
		}
	}
	if (ctx.user) ctx.user.spend += cost;
	if (ctx.team) ctx.team.spend += cost;
	const team = ctx.team;
	state.store.spendLogs.push({
		request_id: requestId,
		call_type: callType,
		api_key: ctx.hash,
		spend: cost,
		total_tokens: usage.total_tokens,
		prompt_tokens: usage.prompt_tokens,
		completion_tokens: usage.completion_tokens,
		startTime: U.pyIso(startMs),
		endTime: U.pyIso(t),
		completionStartTime: U.pyIso(t),
		model,
		model_id: state.modelById.has(model) ? deploymentId(model) : '',
		model_group: model,
		custom_llm_provider: 'hosted_vllm',
		api_base: '',
		user: ctx.user_id ?? '',
		team_id: team ? team.team_id : null,
		end_user: body && typeof body.user === 'string' ? body.user : '',
		requester_ip_address: '127.0.0.1',
		session_id: callId,
		status,
		metadata: {
			user_api_key: ctx.hash,
			user_api_key_alias: row ? row.key_alias : null,
			user_api_key_team_id: team ? team.team_id : null,
			user_api_key_user_id: ctx.user_id ?? null,
			spend_logs_metadata:
				body && isObj(body.metadata) ? (body.metadata.spend_logs_metadata ?? null) : null,
			...(errorInfo && { error_information: errorInfo }),
		},
		cache_hit: 'False',
		cache_key: 'Cache OFF',
		request_tags:
			body && isObj(body.metadata) && Array.isArray(body.metadata.tags) ? body.metadata.tags : [],
		messages: {},
		response: {},
	});
	state.store.activity.push({
		date: U.dateOnly(t),
		user_id: ctx.user_id ?? null,
		api_key: ctx.hash,
		key_alias: row ? row.key_alias : null,
		team_id: team ? team.team_id : null,
		model: deploymentOf(model),
		model_group: model,
		spend: cost,
		prompt_tokens: usage.prompt_tokens,
		completion_tokens: usage.completion_tokens,
		api_requests: 1,
		successful_requests: status === 'success' ? 1 : 0,
		failed_requests: status === 'success' ? 0 : 1,
	});
	return cost;
}

module.exports = {
	KEY_TYPE_ROUTES,
	createState,
	addUser,
	addTeam,
	ensureUser,
	ensureTeam,
	applyKeyFields,
	newKeyRow,
	addKey,
	addActivity,
	getKey,
	isTeamMember,
	recordCall,
};
