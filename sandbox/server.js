'use strict';
// A LiteLLM-compatible sandbox gateway for tests, demos and benchmarks.
// Behaviour follows /work/shared/reference/litellm-api.md (section numbers below refer to it).
// It is a stand-in, not a product: 127.0.0.1 only, keys stored as SHA-256 hashes, deterministic replies.

const http = require('http');
const { URL } = require('url');
const U = require('./lib/util');
const { makeWorkers, DEFAULT_KEY_CACHE_TTL_MS } = require('./lib/workers');
const R = require('./lib/replies');
const { makeKeyRules } = require('./lib/keyRules');
const E = require('./lib/embeddings');

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** LiteLLM version profiles: the 2026 status-code and wording changes (§1.3, §3.5–3.8). */
const PROFILES = {
	'v1.83': {
		version: '1.83.4',
		invalidKeyType: 'auth_error',
		expiredStatus: 400,
		expiredParamIsHash: true,
		budgetStatus: 400,
		keyBudgetOnAllRoutes: true,
		modelDeniedStatus: 401,
		unknownModelType: 'None',
		unknownModelParam: 'None',
		throttleType: 'None',
		parallelLimitType: 'max_parallel_requests',
		keyRateHeaders: false,
		modelGroupHeader: false,
		malformedEchoesValue: true,
	},
	'v1.9x': {
		version: '1.95.2',
		invalidKeyType: 'token_not_found_in_db',
		expiredStatus: 401,
		expiredParamIsHash: false,
		budgetStatus: 429,
		keyBudgetOnAllRoutes: false,
		modelDeniedStatus: 403,
		unknownModelType: 'invalid_request_error',
		unknownModelParam: 'model',
		throttleType: 'throttling_error',
		parallelLimitType: 'concurrent_requests',
		keyRateHeaders: true,
		modelGroupHeader: true,
		malformedEchoesValue: false,
	},
	next: {
		version: '1.104.0',
		invalidKeyType: 'token_not_found_in_db',
		expiredStatus: 401,
		expiredParamIsHash: false,
		budgetStatus: 422,
		keyBudgetOnAllRoutes: false,
		modelDeniedStatus: 403,
		unknownModelType: 'invalid_request_error',
		unknownModelParam: 'model',
		throttleType: 'throttling_error',
		parallelLimitType: 'concurrent_requests',
		keyRateHeaders: true,
		modelGroupHeader: true,
		malformedEchoesValue: false,
	},
};

const DEFAULT_MODELS = [
	{
		id: 'openai/gpt-oss-120b',
		max_input_tokens: 131072,
		max_output_tokens: 32768,
		supports_vision: false,
		supports_reasoning: true,
		supports_function_calling: true,
	},
	{
		id: 'openai/gpt-oss-20b',
		max_input_tokens: 131072,
		max_output_tokens: 32768,
		supports_vision: false,
		supports_reasoning: true,
		supports_function_calling: true,
	},
	{
		id: 'meta-llama/Llama-3.3-70B-Instruct',
		max_input_tokens: 131072,
		max_output_tokens: 8192,
		supports_vision: false,
		supports_reasoning: false,
		supports_function_calling: true,
	},
	{
		id: 'Qwen/Qwen2.5-VL-72B-Instruct',
		max_input_tokens: 32768,
		max_output_tokens: 8192,
		supports_vision: true,
		supports_reasoning: false,
		supports_function_calling: true,
	},
];

/** USD per token. */
const DEFAULT_PRICES = {
	'openai/gpt-oss-120b': { input_cost_per_token: 0.15e-6, output_cost_per_token: 0.6e-6 },
	'openai/gpt-oss-20b': { input_cost_per_token: 0.05e-6, output_cost_per_token: 0.2e-6 },
	'meta-llama/Llama-3.3-70B-Instruct': {
		input_cost_per_token: 0.23e-6,
		output_cost_per_token: 0.4e-6,
	},
	'Qwen/Qwen2.5-VL-72B-Instruct': { input_cost_per_token: 0.25e-6, output_cost_per_token: 0.75e-6 },
};

const ENTERPRISE_REGENERATE_MESSAGE =
	'Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise user to use this feature. ' +
	'If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: https://www.litellm.ai/#trial. ' +
	'\nPricing: https://www.litellm.ai/#pricing';

const NO_USER_ID_MESSAGE =
	"You are not authorized to access this endpoint. No 'user_id' is associated with your API key.";

/** key_type → allowed_routes (handle_key_type, §4.9). */
const KEY_TYPE_ROUTES = {
	default: [],
	llm_api: ['llm_api_routes'],
	read_only: ['info_routes'],
	management: ['management_routes'],
};

const FAULT_KINDS = [
	'status',
	'rate_limit',
	'reset',
	'delay',
	'hang',
	'html',
	'not_json',
	'midstream',
	'upstream',
];
const ROLES = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'];
const PROXY_ADMIN_USER_ID = 'default_user_id';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MODELS_CREATED = 1677610602;

const STATUS_TEXT = http.STATUS_CODES;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

class HttpError extends Error {
	constructor(status, body, headers) {
		super(typeof body === 'string' ? body : JSON.stringify(body));
		this.status = status;
		this.body = body;
		this.headers = headers || {};
	}
}

/** ProxyException.to_dict(): {"error": {message, type, param, code: str(status)}} (§1.2). */
function proxyError(status, message, type, param, headers) {
	return new HttpError(status, { error: { message, type, param, code: String(status) } }, headers);
}

/** A raw FastAPI HTTPException: {"detail": …}. */
function detailError(status, detail) {
	return new HttpError(status, { detail });
}

/** handle_exception_on_proxy(HTTPException): message = str(detail), type internal_server_error. */
/**
 * A key value that is already taken: the unique constraint on LiteLLM_VerificationToken.token fails
 * in the database write. `generate_key_helper_fn` turns that into HTTPException(500,
 * {"error": "Internal Server Error."}) and `regenerate_key_fn`'s handler into a 500 through
 * `handle_exception_on_proxy` (key_management_endpoints.py): a 500, indistinguishable by status
 * from regenerate's "needs Enterprise".
 */
function duplicateTokenError() {
	return wrappedHttpError(500, { error: 'Internal Server Error.' });
}

function wrappedHttpError(status, detail) {
	const message = typeof detail === 'string' ? detail : U.pyDict(detail);
	return proxyError(status, message, 'internal_server_error', 'None');
}

/** A FastAPI/pydantic 422. */
function validationError(loc, msg, input, type = 'value_error') {
	return new HttpError(422, {
		detail: [{ type, loc, msg, input: input === undefined ? null : input }],
	});
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

const LLM = ['llm_api_routes', 'openai_routes'];
const INFO = ['info_routes'];
const KEY_MGMT = ['management_routes', 'key_management_routes'];
const KEY_INFO = ['info_routes', 'management_routes', 'key_management_routes'];

/** name: the route as LiteLLM names it; cats: the LiteLLMRoutes groups it belongs to. */
const ROUTES = [
	{ method: 'GET', path: '/health/readiness', handler: 'readiness', public: true },
	{ method: 'GET', path: '/health/liveliness', handler: 'liveliness', public: true },
	{ method: 'GET', path: '/health/liveness', handler: 'liveliness', public: true },
	{ method: 'GET', path: '/v1/models', handler: 'listModels', cats: LLM, llm: true },
	{ method: 'GET', path: '/models', handler: 'listModels', cats: LLM, llm: true },
	{ method: 'POST', path: '/v1/chat/completions', handler: 'chat', cats: LLM, llm: true },
	{ method: 'POST', path: '/chat/completions', handler: 'chat', cats: LLM, llm: true },
	{ method: 'POST', path: '/v1/embeddings', handler: 'embeddings', cats: LLM, llm: true },
	{ method: 'POST', path: '/embeddings', handler: 'embeddings', cats: LLM, llm: true },
	{ method: 'GET', path: '/model/info', handler: 'modelInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/v1/model/info', handler: 'modelInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/model_group/info', handler: 'modelGroupInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/key/info', handler: 'keyInfo', cats: KEY_INFO, mgmt: true },
	{ method: 'GET', path: '/key/list', handler: 'keyList', cats: KEY_INFO, mgmt: true },
	{
		method: 'POST',
		path: '/key/generate',
		handler: 'keyGenerate',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/update',
		handler: 'keyUpdate',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/delete',
		handler: 'keyDelete',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/block',
		handler: 'keyBlock',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/unblock',
		handler: 'keyUnblock',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{ method: 'POST', path: '/key/regenerate', handler: 'keyRegenerate', cats: KEY_MGMT, mgmt: true },
	{
		method: 'POST',
		path: /^\/key\/([^/]+)\/regenerate$/,
		name: '/key/{key}/regenerate',
		handler: 'keyRegenerate',
		cats: KEY_MGMT,
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/user/info',
		handler: 'userInfo',
		cats: ['info_routes', 'management_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/team/info',
		handler: 'teamInfo',
		cats: ['info_routes', 'management_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/user/daily/activity',
		handler: 'dailyActivity',
		cats: ['spend_tracking_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/spend/logs',
		handler: 'spendLogs',
		cats: ['spend_tracking_routes'],
		mgmt: true,
	},
];

function matchRoute(path) {
	const found = [];
	for (const r of ROUTES) {
		if (typeof r.path === 'string') {
			if (r.path === path) found.push({ route: r, params: [] });
		} else {
			const m = r.path.exec(path);
			if (m) found.push({ route: r, params: m.slice(1).map(decodeURIComponent) });
		}
	}
	return found;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v) => (v === null || v === undefined ? null : Number(v));

function normaliseBasePath(bp) {
	if (!bp || bp === '/') return '';
	let s = String(bp).trim();
	if (!s.startsWith('/')) s = '/' + s;
	return s.replace(/\/+$/, '');
}

function parseLatency(v) {
	if (v === null || v === undefined || v === 0) return null;
	if (typeof v === 'number') return { min: v, max: v };
	if (typeof v === 'string') {
		const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(v);
		if (!m) throw new Error(`latencyMs: expected ms or "min-max", got ${v}`);
		return { min: +m[1], max: m[2] === undefined ? +m[1] : +m[2] };
	}
	if (isObj(v) && typeof v.min === 'number')
		return { min: v.min, max: typeof v.max === 'number' ? v.max : v.min };
	throw new Error('latencyMs: expected a number or {min, max}');
}

function normaliseModels(models, embeddingModels) {
	const byId = new Map([...DEFAULT_MODELS, ...E.EMBEDDING_MODELS].map((m) => [m.id, m]));
	// Embedding models only when asked for (embeddingModels: true), so the default list stays as it was.
	return (
		models || (embeddingModels ? [...DEFAULT_MODELS, ...E.EMBEDDING_MODELS] : DEFAULT_MODELS)
	).map((m) => {
		const base = typeof m === 'string' ? byId.get(m) || { id: m } : m;
		const id = base.id || base.model_name;
		if (!id) throw new Error('model entries need an id');
		return {
			max_input_tokens: 32768,
			max_output_tokens: 8192,
			supports_vision: false,
			supports_reasoning: false,
			supports_function_calling: true,
			...base,
			id,
		};
	});
}

function queryObject(searchParams) {
	const out = {};
	for (const [k, v] of searchParams) {
		if (k in out) out[k] = [].concat(out[k], v);
		else out[k] = v;
	}
	return out;
}

const truthy = (v) => v === true || v === 'true' || v === 'True' || v === '1';

// ---------------------------------------------------------------------------------------------
// startSandbox
// ---------------------------------------------------------------------------------------------

/**
 * Start a sandbox gateway on 127.0.0.1.
 * @returns {Promise<object>} the Sandbox: { url, port, close(), requests, clearRequests(), injectFaults(),
 *   clearFaults(), addKey(), addUser(), addTeam(), getKey(), setConfig(), store, stats(), config }
 */
async function startSandbox(options = {}) {
	if (options.host !== undefined && options.host !== '127.0.0.1') {
		throw new Error(`The sandbox binds to 127.0.0.1 only (got host=${options.host}).`);
	}
	if (options.masterKey != null && !String(options.masterKey).startsWith('sk-'))
		throw new Error('masterKey must start with sk-');
	const basePath = normaliseBasePath(options.basePath);
	const clock = typeof options.now === 'function' ? options.now : Date.now;
	const idSeed = options.seed ?? 'jlab-sandbox';
	const listenPort = options.port ?? 0;
	const ids = U.makeIds(idSeed);

	const cfg = {
		profile: 'v1.9x',
		enterprise: false,
		latencyMs: null,
		chaos: null,
		echoKeyInErrors: false,
		exposeManagement: true,
		// How a reverse proxy in front of LiteLLM answers a management route it hides: FastAPI's JSON 404 or its own HTML page.
		hiddenRoutes: 'json',
		oneKeyPerUser: false,
		rateLimitWindowMs: 60000,
		timeOffsetMs: 0,
		chunkDelayMs: 0,
		// LiteLLM workers with their own key cache (lib/workers.js); null: one worker, no cache.
		workers: null,
		keyCacheTtlMs: DEFAULT_KEY_CACHE_TTL_MS,
	};
	let chaosPrng = null;
	let workerPool = null;
	const latencyPrng = U.makePrng(`${idSeed}:latency`);

	const now = () => clock() + cfg.timeOffsetMs;

	function setConfig(partial) {
		if (!isObj(partial)) throw new Error('setConfig expects an object');
		for (const [k, v] of Object.entries(partial)) {
			switch (k) {
				case 'profile':
					if (!PROFILES[v])
						throw new Error(`unknown profile ${v}; use ${Object.keys(PROFILES).join(', ')}`);
					cfg.profile = v;
					break;
				case 'latencyMs':
					cfg.latencyMs = parseLatency(v);
					break;
				case 'chaos':
					if (v && (!isObj(v) || typeof v.rate !== 'number' || v.rate < 0 || v.rate > 1)) {
						throw new Error('chaos: expected { rate: 0..1, kinds?: [...], seed?, routes? }');
					}
					if (v && v.kinds)
						for (const kind of v.kinds)
							if (!FAULT_KINDS.includes(kind)) throw new Error(`chaos: unknown fault kind ${kind}`);
					cfg.chaos = v
						? { kinds: ['status', 'rate_limit', 'reset', 'delay', 'upstream'], ...v }
						: null;
					chaosPrng = v ? U.makePrng(v.seed ?? 1) : null;
					break;
				case 'enterprise':
				case 'echoKeyInErrors':
				case 'exposeManagement':
				case 'oneKeyPerUser':
					cfg[k] = Boolean(v);
					break;
				case 'hiddenRoutes':
					if (v !== 'json' && v !== 'html')
						throw new Error("hiddenRoutes: expected 'json' or 'html'");
					cfg.hiddenRoutes = v;
					break;
				case 'rateLimitWindowMs':
				case 'timeOffsetMs':
				case 'chunkDelayMs':
					if (typeof v !== 'number' || !Number.isFinite(v) || (k !== 'timeOffsetMs' && v < 0)) {
						throw new Error(`${k}: expected a number`);
					}
					cfg[k] = v;
					break;
				case 'workers':
				case 'keyCacheTtlMs':
					cfg[k] = v;
					// Validates both; null workers: the single-process sandbox without a cache.
					workerPool = makeWorkers({ count: cfg.workers ?? 1, ttlMs: cfg.keyCacheTtlMs });
					if (cfg.workers === null || cfg.workers === undefined) workerPool = null;
					break;
				default:
					throw new Error(`setConfig: unknown option ${k}`);
			}
		}
		return { ...cfg, latencyMs: cfg.latencyMs };
	}

	setConfig({
		...(options.profile !== undefined && { profile: options.profile }),
		...(options.enterprise !== undefined && { enterprise: options.enterprise }),
		...(options.latencyMs !== undefined && { latencyMs: options.latencyMs }),
		...(options.chaos !== undefined && { chaos: options.chaos }),
		...(options.echoKeyInErrors !== undefined && { echoKeyInErrors: options.echoKeyInErrors }),
		...(options.exposeManagement !== undefined && { exposeManagement: options.exposeManagement }),
		...(options.hiddenRoutes !== undefined && { hiddenRoutes: options.hiddenRoutes }),
		...(options.oneKeyPerUser !== undefined && { oneKeyPerUser: options.oneKeyPerUser }),
		...(options.rateLimitWindowMs !== undefined && {
			rateLimitWindowMs: options.rateLimitWindowMs,
		}),
		...(options.chunkDelayMs !== undefined && { chunkDelayMs: options.chunkDelayMs }),
		...(options.keyCacheTtlMs !== undefined && { keyCacheTtlMs: options.keyCacheTtlMs }),
		...(options.workers !== undefined && { workers: options.workers }),
	});
	const profile = () => PROFILES[cfg.profile];

	const models = normaliseModels(options.models, options.embeddingModels === true);
	const modelById = new Map(models.map((m) => [m.id, m]));
	const prices = { ...DEFAULT_PRICES, ...E.EMBEDDING_PRICES, ...(options.prices || {}) };
	const priceOf = (id) => prices[id] || { input_cost_per_token: 0, output_cost_per_token: 0 };
	const deploymentId = (id) => U.hashKey(`deployment:${id}`);

	// ---- the store: keys by hash only -------------------------------------------------------
	const store = {
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
	const keyRules = makeKeyRules({
		store,
		profileName: () => cfg.profile,
		isTeamMember,
		proxyError,
		wrappedHttpError,
	});

	function addUser(seed) {
		if (!isObj(seed) || !seed.user_id) throw new Error('user seeds need a user_id');
		const role = seed.user_role || 'internal_user';
		if (!ROLES.includes(role)) throw new Error(`unknown user_role ${role}`);
		const t = U.pyIso(now());
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
		store.users[user.user_id] = user;
		for (const team of Object.values(store.teams)) {
			if (
				team.members_with_roles.some((m) => m.user_id === user.user_id) &&
				!user.teams.includes(team.team_id)
			) {
				user.teams.push(team.team_id);
			}
		}
		return user;
	}

	function addTeam(seed) {
		if (!isObj(seed) || !seed.team_id) throw new Error('team seeds need a team_id');
		const members = [
			...(seed.members_with_roles || []).map((m) => ({
				user_id: m.user_id,
				role: m.role || 'user',
			})),
			...(seed.members || []).map((id) => ({ user_id: id, role: 'user' })),
		];
		const t = U.pyIso(now());
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
		store.teams[team.team_id] = team;
		for (const m of members) {
			const u = store.users[m.user_id];
			if (u && !u.teams.includes(team.team_id)) u.teams.push(team.team_id);
		}
		return team;
	}

	function ensureUser(userId) {
		if (userId && !store.users[userId]) addUser({ user_id: userId, user_role: 'internal_user' });
	}
	function ensureTeam(teamId) {
		if (teamId && !store.teams[teamId]) addTeam({ team_id: teamId });
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

	function newKeyRow(hash, name, fields, createdBy) {
		const t = now();
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
	function addKey(seed) {
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
		if (store.keys[hash]) throw new Error(`key ${name} already seeded`);
		const fields = { ...seed };
		delete fields.key;
		delete fields.token;
		ensureUser(fields.user_id);
		ensureTeam(fields.team_id);
		store.keys[hash] = newKeyRow(hash, name, fields, fields.created_by ?? null);
		return { hash };
	}

	for (const t of options.teams || []) addTeam(t);
	for (const u of options.users || []) addUser(u);
	for (const k of options.keys || []) addKey(k);
	for (const a of options.activity || []) addActivity(a);

	// The lab's models are vLLM deployments: LiteLLM's daily table keeps the deployment name
	// (litellm_params.model) in `model` and the public name in `model_group` (LiteLLM_DailyUserSpend,
	// deploy/migrations/20250326171002_add_daily_user_table; rows written by litellm/proxy/db/db_spend_update_writer.py).
	function deploymentOf(publicName) {
		return `hosted_vllm/${publicName}`;
	}

	function addActivity(a) {
		if (!isObj(a) || !/^\d{4}-\d{2}-\d{2}$/.test(String(a.date)))
			throw new Error('activity rows need date YYYY-MM-DD');
		let apiKey = a.api_key ?? null;
		if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
		if (!apiKey && a.key_alias) {
			const row = Object.values(store.keys).find((r) => r.key_alias === a.key_alias);
			apiKey = row ? row.token : null;
		}
		const row = apiKey ? store.keys[apiKey] : null;
		store.activity.push({
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

	function getKey(hashOrKey) {
		if (typeof hashOrKey !== 'string') return undefined;
		const hash = hashOrKey.startsWith('sk-') ? U.hashKey(hashOrKey) : hashOrKey;
		return store.keys[hash];
	}

	// ---- request log, stats, faults, timers ---------------------------------------------------
	const requests = [];
	const maxLog = options.maxLogEntries ?? 10000;
	let requestSeq = 0;
	const stats = { requests: 0, inFlight: 0, maxInFlight: 0, byStatus: {} };
	const faults = [];
	const timers = new Set();
	const sockets = new Set();
	let closed = false;

	function sleep(ms) {
		return new Promise((resolve) => {
			if (closed) return resolve(false);
			const entry = { resolve };
			entry.timer = setTimeout(
				() => {
					timers.delete(entry);
					resolve(true);
				},
				Math.max(0, ms),
			);
			timers.add(entry);
		});
	}

	function injectFaults(list) {
		const arr = Array.isArray(list) ? list : [list];
		for (const f of arr) {
			if (!isObj(f) || !FAULT_KINDS.includes(f.kind))
				throw new Error(`unknown fault kind ${f && f.kind}; use ${FAULT_KINDS.join(', ')}`);
			faults.push({ times: 1, ...f });
		}
		return faults.length;
	}
	function clearFaults() {
		faults.length = 0;
	}

	function routeMatches(pattern, path) {
		if (!pattern) return true;
		if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
		return pattern === path;
	}

	function takeFault(path) {
		const i = faults.findIndex((f) => routeMatches(f.route, path));
		if (i >= 0) {
			const f = faults[i];
			if (f.times !== -1) {
				f.times -= 1;
				if (f.times <= 0) faults.splice(i, 1);
			}
			return f;
		}
		const c = cfg.chaos;
		if (
			c &&
			chaosPrng &&
			c.rate > 0 &&
			c.kinds.length &&
			(!c.routes || c.routes.some((r) => routeMatches(r, path)))
		) {
			if (chaosPrng() < c.rate) {
				const kind = c.kinds[Math.floor(chaosPrng() * c.kinds.length)];
				return {
					kind,
					chaos: true,
					status: kind === 'status' ? 503 : undefined,
					ms: 250,
					...(c.options || {}),
				};
			}
		}
		return null;
	}

	// ---- HTTP plumbing -----------------------------------------------------------------------
	function baseHeaders() {
		return { 'x-litellm-version': profile().version };
	}

	function cleanHeaders(h) {
		const out = {};
		for (const [k, v] of Object.entries(h)) {
			if (v === null || v === undefined || v === '' || v === 'None') continue;
			out[k] = String(v);
		}
		return out;
	}

	function sendRaw(res, status, contentType, payload, headers) {
		if (res.headersSent || res.destroyed) return;
		const buf = Buffer.from(payload, 'utf8');
		res.writeHead(status, {
			...cleanHeaders(headers || {}),
			'content-type': contentType,
			'content-length': buf.length,
		});
		res.end(buf);
	}

	function sendJson(res, status, body, headers) {
		sendRaw(res, status, 'application/json', JSON.stringify(body), {
			...baseHeaders(),
			...(headers || {}),
		});
	}

	function sendError(res, err) {
		if (err instanceof HttpError) return sendJson(res, err.status, err.body, err.headers);
		// An unexpected bug in the sandbox: answer as LiteLLM's newest catch-all does.
		return sendJson(res, 500, {
			error: { message: 'Internal server error', type: 'internal_server_error' },
		});
	}

	function readBody(req) {
		return new Promise((resolve, reject) => {
			const chunks = [];
			let size = 0;
			req.on('data', (c) => {
				size += c.length;
				if (size > MAX_BODY_BYTES) {
					reject(new HttpError(413, { detail: 'Request Entity Too Large' }));
					req.destroy();
					return;
				}
				chunks.push(c);
			});
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', reject);
		});
	}

	function parseBody(raw) {
		if (raw === '') return { body: null, invalid: false };
		try {
			return { body: JSON.parse(raw), invalid: false };
		} catch {
			return { body: raw, invalid: true };
		}
	}

	// ---- authentication (§1) -----------------------------------------------------------------
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

	function shownKey(key) {
		return cfg.echoKeyInErrors ? key : U.keyName(key);
	}

	function resetBudgetIfDue(obj) {
		if (!obj || !obj.budget_duration || !obj.budget_reset_at) return;
		const t = now();
		const at = U.toMs(obj.budget_reset_at);
		if (at !== null && t >= at) {
			obj.spend = 0;
			obj.budget_reset_at = U.pyIso(t + U.parseDuration(obj.budget_duration));
		}
	}

	function authenticate(req, route, path) {
		const found = extractKey(req.headers);
		if (!found || (found.key !== undefined && found.key === ''))
			throw authErr('Authentication Error, No api key passed in.');
		if (found.malformed) {
			let msg =
				'Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.';
			if (profile().malformedEchoesValue)
				msg += ` Passed in: ${cfg.echoKeyInErrors ? found.value : U.keyName(found.value).replace(/^sk-/, '')}`;
			throw authErr(msg);
		}
		const key = found.key;
		const presentedHash = U.hashKey(key);
		if (!key.startsWith('sk-')) {
			const shown = cfg.echoKeyInErrors ? key : '...' + key.slice(-4);
			throw authErr(
				`Authentication Error, LiteLLM Virtual Key expected. Received=${shown}, expected to start with 'sk-'.`,
			);
		}
		if (store.masterKeyHash && presentedHash === store.masterKeyHash) {
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
		const worker = workerPool ? workerPool.next() : null;
		let row = worker ? workerPool.lookup(worker, presentedHash, now()) : undefined;
		if (!row) {
			row = store.keys[presentedHash];
			if (!row) {
				const dep = store.deprecatedKeys[presentedHash];
				if (dep && U.toMs(dep.revoke_at) > now()) row = store.keys[dep.active_token_id];
			}
			if (row && worker) workerPool.remember(worker, presentedHash, row, now());
		}
		if (!row) {
			throw proxyError(
				401,
				`Authentication Error, Invalid proxy server token passed. Received API Key = ${shownKey(key)}, Key Hash (Token) =${presentedHash}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
				profile().invalidKeyType,
				'key',
			);
		}
		if (row.blocked === true) {
			throw authErr(
				"Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
			);
		}
		const exp = U.toMs(row.expires);
		if (exp !== null && exp < now()) {
			const p = profile();
			throw proxyError(
				p.expiredStatus,
				`Authentication Error - Expired Key. Key Expiry time ${U.pyDatetimeStr(exp)} and current time ${U.pyDatetimeStr(now())}`,
				'expired_key',
				p.expiredParamIsHash ? row.token : U.keyName(key),
			);
		}
		const team = row.team_id ? store.teams[row.team_id] || null : null;
		if (team && team.blocked) {
			throw authErr(
				`Authentication Error, Team=${team.team_id} is blocked. Update via \`/team/unblock\` if you're an admin.`,
			);
		}
		const user = row.user_id ? store.users[row.user_id] || null : null;
		const role = user ? user.user_role : null;
		const ctx = {
			hash: row.token,
			presentedHash,
			worker,
			keyLast4: key.slice(-4),
			// The checks above used the worker's copy; spend and last use land on the database row.
			row: store.keys[row.token] || row,
			isMaster: false,
			user_id: row.user_id,
			user,
			team,
			role,
			admin: role === 'proxy_admin',
			viewAll: role === 'proxy_admin' || role === 'proxy_admin_viewer',
		};
		// allowed_routes / key_type gating applies to every role (§4.9 overrides).
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
		checkBudgets(ctx, route);
		ctx.row.last_active = U.pyIso(now());
		return ctx;
	}

	function budgetError(message) {
		return proxyError(profile().budgetStatus, message, 'budget_exceeded', 'None');
	}

	/** Key budget: LLM routes (all routes in v1.83). Team and user budgets: every route (§2.1, §3.5). */
	// LiteLLM litellm/proxy/auth/user_api_key_auth.py _user_api_key_auth_builder: _virtual_key_max_budget_check
	// runs under RouteChecks.is_llm_api_route (newer builds), and /v1/models is an LLM API route, so an
	// over-budget key is refused there on every profile (the credential test relies on it).

	function checkBudgets(ctx, route) {
		const { row, team, user } = ctx;
		resetBudgetIfDue(row);
		resetBudgetIfDue(team);
		resetBudgetIfDue(user);
		if (
			row.max_budget !== null &&
			row.spend >= row.max_budget &&
			(route.llm || profile().keyBudgetOnAllRoutes)
		) {
			throw budgetError(
				`Budget has been exceeded! Key=${U.pyStr(row.key_alias)} (sk-...${ctx.keyLast4}) Current cost: ${U.pyFloat(row.spend)}, Max budget: ${U.pyFloat(row.max_budget)}`,
			);
		}
		if (team && team.max_budget !== null && team.spend >= team.max_budget) {
			throw budgetError(
				`Budget has been exceeded! Team=${team.team_id} Current cost: ${U.pyFloat(team.spend)}, Max budget: ${U.pyFloat(team.max_budget)}`,
			);
		}
		if (!team && user && user.max_budget !== null && user.spend >= user.max_budget) {
			throw budgetError(
				`ExceededBudget: User=${user.user_id} over budget. Spend=${U.pyFloat(user.spend)}, Budget=${U.pyFloat(user.max_budget)}`,
			);
		}
	}

	/** Non-admin callers of admin routes: the route check's 401 (§4.4, §4.9). */
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

	function isTeamMember(userId, team, adminOnly = false) {
		if (!userId || !team) return false;
		return team.members_with_roles.some(
			(m) => m.user_id === userId && (!adminOnly || m.role === 'admin'),
		);
	}

	/** Models a key may call: key list, else team list, else everything (§2.1). */
	function accessibleModels(ctx) {
		const all = models.map((m) => m.id);
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

	function checkModelAccess(ctx, model) {
		if (ctx.isMaster) return;
		const status = profile().modelDeniedStatus;
		const keyModels = ctx.row.models || [];
		if (keyModels.length) {
			if (!accessibleModels(ctx).includes(model)) {
				throw proxyError(
					status,
					`key not allowed to access model. This key can only access models=${U.pyList(keyModels)}. Tried to access ${U.pyStr(model)}`,
					'key_model_access_denied',
					'model',
				);
			}
			return;
		}
		if (ctx.team && ctx.team.models.length && !accessibleModels(ctx).includes(model)) {
			throw proxyError(
				status,
				`Team not allowed to access model. Team=${ctx.team.team_id}, Model=${U.pyStr(model)}, Allowed team models = ${U.pyList(ctx.team.models)}`,
				'team_model_access_denied',
				'model',
			);
		}
	}

	// ---- rate limits (§3.6, v3 limiter, fixed window) ----------------------------------------
	function rateState(hash) {
		const t = now();
		let s = store.rateLimits[hash];
		if (!s) s = store.rateLimits[hash] = { windowStart: t, requests: 0, tokens: 0, inFlight: 0 };
		if (t >= s.windowStart + cfg.rateLimitWindowMs) {
			s.windowStart = t;
			s.requests = 0;
			s.tokens = 0;
		}
		return s;
	}

	function rateLimitError(hash, type, limit, remaining, resetMs, headerType) {
		const t = now();
		const retryAfter = Math.max(1, Math.ceil((resetMs - t) / 1000));
		return proxyError(
			429,
			`Rate limit exceeded for api_key: ${hash}. Limit type: ${type}. Current limit: ${limit}, Remaining: ${remaining}. Limit resets at: ${U.utcSeconds(resetMs)} UTC`,
			profile().throttleType,
			'None',
			{
				'retry-after': String(retryAfter),
				rate_limit_type: headerType || type,
				reset_at: U.pyIso(resetMs),
			},
		);
	}

	/** Admit one request against the key's RPM / TPM / parallel limits; throws a gateway 429. */
	function admitRate(ctx) {
		if (ctx.isMaster) return null;
		const row = ctx.row;
		const s = rateState(row.token);
		const resetAt = s.windowStart + cfg.rateLimitWindowMs;
		if (row.max_parallel_requests !== null && s.inFlight >= row.max_parallel_requests) {
			throw rateLimitError(
				row.token,
				'max_parallel_requests',
				row.max_parallel_requests,
				0,
				now() + 1000,
				profile().parallelLimitType,
			);
		}
		if (row.rpm_limit !== null && s.requests >= row.rpm_limit) {
			throw rateLimitError(row.token, 'requests', row.rpm_limit, 0, resetAt);
		}
		if (row.tpm_limit !== null && s.tokens >= row.tpm_limit) {
			throw rateLimitError(row.token, 'tokens', row.tpm_limit, 0, resetAt);
		}
		s.requests += 1;
		s.inFlight += 1;
		return s;
	}

	function rateHeaders(ctx, s) {
		if (!s) return {};
		const row = ctx.row;
		const h = {};
		const v3 = profile().keyRateHeaders;
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

	// ---- billing -----------------------------------------------------------------------------
	function recordCall(
		ctx,
		{ model, usage, requestId, callId, startMs, status, body, errorInfo, callType = 'acompletion' },
	) {
		const t = now();
		const price = priceOf(model);
		const cost =
			status === 'success'
				? usage.prompt_tokens * price.input_cost_per_token +
					usage.completion_tokens * price.output_cost_per_token
				: 0;
		const row = ctx.row;
		if (row) {
			row.spend += cost;
			if (status === 'success') {
				const s = store.rateLimits[row.token];
				if (s) s.tokens += usage.total_tokens;
			}
		}
		if (ctx.user) ctx.user.spend += cost;
		if (ctx.team) ctx.team.spend += cost;
		const team = ctx.team;
		store.spendLogs.push({
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
			model_id: modelById.has(model) ? deploymentId(model) : '',
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
		store.activity.push({
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

	// ---- fault replies -------------------------------------------------------------------------
	function upstreamError(model, message) {
		return proxyError(
			500,
			message ||
				`litellm.InternalServerError: InternalServerError: Hosted_vllmException - Connection error.. Received Model Group=${U.pyStr(model)}\nAvailable Model Group Fallbacks=None`,
			null,
			null,
		);
	}

	/** The 404 page of an nginx-style reverse proxy that forwards only /v1 routes to LiteLLM. */
	function proxyNotFoundPage() {
		return '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
	}

	function htmlPage(title) {
		return `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<p>This is a web page, not the LLM gateway API. Check the base URL (it usually ends in <code>/api</code>).</p>\n</body>\n</html>\n`;
	}

	/** Apply a fault. Returns true when the request has been dealt with. */
	async function applyFault(fault, req, res, path, parsed) {
		const body = parsed.body;
		switch (fault.kind) {
			case 'status': {
				const status = fault.status || 503;
				const payload = fault.body || {
					error: {
						message: fault.message || STATUS_TEXT[status] || 'Error',
						type: null,
						param: null,
						code: String(status),
					},
				};
				sendJson(res, status, payload, fault.headers);
				return true;
			}
			case 'rate_limit': {
				const found = extractKey(req.headers);
				const hash = found && found.key ? U.hashKey(found.key) : 'None';
				const retryAfter = fault.retryAfter ?? 1;
				const resetMs = now() + retryAfter * 1000;
				const type = fault.rateLimitType || 'requests';
				const limit = fault.limit ?? 1;
				const err = proxyError(
					429,
					`Rate limit exceeded for api_key: ${hash}. Limit type: ${type}. Current limit: ${limit}, Remaining: 0. Limit resets at: ${U.utcSeconds(resetMs)} UTC`,
					profile().throttleType,
					'None',
					{
						'retry-after': String(retryAfter),
						rate_limit_type: type,
						reset_at: U.pyIso(resetMs),
						...(fault.headers || {}),
					},
				);
				sendError(res, err);
				return true;
			}
			case 'reset':
				req.socket.destroy();
				return true;
			case 'delay':
				await sleep(fault.ms ?? 250);
				return closed;
			case 'hang':
				return true;
			case 'html':
				sendRaw(
					res,
					fault.status || 200,
					'text/html; charset=utf-8',
					fault.body || htmlPage(fault.title || 'Jefferson Lab'),
					fault.headers,
				);
				return true;
			case 'not_json':
				sendRaw(
					res,
					fault.status || 200,
					'text/plain; charset=utf-8',
					fault.body ||
						'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
					fault.headers,
				);
				return true;
			case 'midstream':
				if (isObj(body) && body.stream === true) return false; // taken up by the streaming writer
				sendError(res, upstreamError(isObj(body) ? body.model : null, fault.message));
				return true;
			case 'upstream':
				sendError(res, upstreamError(isObj(body) ? body.model : null, fault.message));
				return true;
			default:
				return false;
		}
	}

	// ---- handlers ----------------------------------------------------------------------------
	function keyInfoRow(row) {
		const { token, ...rest } = row;
		return { ...rest, litellm_budget_table: null };
	}
	function fullRow(row) {
		return { ...row, litellm_budget_table: null };
	}
	function notFoundKey(message, passed) {
		return cfg.echoKeyInErrors && passed ? `${message}. Received key=${passed}` : message;
	}

	function resolveKeyRef(value) {
		if (typeof value !== 'string' || !value) return null;
		return value.startsWith('sk-') ? U.hashKey(value) : value;
	}

	/** `_delete_cache_key_object`: the serving worker forgets the key (and its grace-period aliases); the others keep it. */
	function forgetKey(ctx, hash) {
		if (!workerPool || !ctx.worker) return;
		workerPool.forget(ctx.worker, hash);
		for (const [old, dep] of Object.entries(store.deprecatedKeys))
			if (dep.active_token_id === hash) workerPool.forget(ctx.worker, old);
	}

	function copyToDeleted(row, ctx) {
		store.deletedKeys.push({
			...U.clone(row),
			deleted_at: U.pyIso(now()),
			deleted_by: ctx.user_id ?? null,
			deleted_by_api_key: ctx.hash,
			litellm_changed_by: null,
		});
	}

	/** Validate types of /key/generate|update|regenerate fields (pydantic's 422s). */
	function validateKeyFields(b) {
		for (const k of ['max_budget', 'soft_budget', 'spend']) {
			if (
				b[k] !== undefined &&
				b[k] !== null &&
				(typeof b[k] !== 'number' || !Number.isFinite(b[k]))
			) {
				throw validationError(['body', k], 'Input should be a valid number', b[k], 'float_parsing');
			}
		}
		if (typeof b.max_budget === 'number' && b.max_budget < 0) {
			throw validationError(
				['body', 'max_budget'],
				'Input should be greater than or equal to 0',
				b.max_budget,
				'greater_than_equal',
			);
		}
		for (const k of ['tpm_limit', 'rpm_limit', 'max_parallel_requests']) {
			if (b[k] !== undefined && b[k] !== null && !Number.isInteger(b[k])) {
				throw validationError(['body', k], 'Input should be a valid integer', b[k], 'int_parsing');
			}
		}
		if (
			b.models !== undefined &&
			b.models !== null &&
			(!Array.isArray(b.models) || b.models.some((m) => typeof m !== 'string'))
		) {
			throw validationError(
				['body', 'models'],
				'Input should be a valid list of strings',
				b.models,
				'list_type',
			);
		}
		if (b.metadata !== undefined && b.metadata !== null && !isObj(b.metadata)) {
			throw validationError(
				['body', 'metadata'],
				'Input should be a valid dictionary',
				b.metadata,
				'dict_type',
			);
		}
		if (b.key_type !== undefined && b.key_type !== null && !KEY_TYPE_ROUTES[b.key_type]) {
			throw validationError(
				['body', 'key_type'],
				"Input should be 'llm_api', 'management', 'read_only' or 'default'",
				b.key_type,
				'enum',
			);
		}
		for (const k of ['duration', 'budget_duration', 'rotation_interval']) {
			if (
				b[k] === undefined ||
				b[k] === null ||
				(k === 'duration' && (b[k] === '-1' || b[k] === -1))
			)
				continue;
			try {
				U.parseDuration(b[k]);
			} catch (e) {
				throw proxyError(400, `Invalid ${k}=${b[k]}. ${e.message}`, 'bad_request_error', k);
			}
		}
		if (b.auto_rotate === true && !b.rotation_interval) {
			throw proxyError(
				400,
				'rotation_interval is required when auto_rotate is True',
				'bad_request_error',
				'rotation_interval',
			);
		}
	}

	function checkAliasUnique(alias, exceptHash) {
		if (alias === undefined || alias === null) return;
		const clash = Object.values(store.keys).find(
			(r) => r.key_alias === alias && r.token !== exceptHash,
		);
		if (clash) {
			throw proxyError(
				400,
				`Key with alias '${alias}' already exists. Unique key aliases across all keys are required.`,
				'bad_request_error',
				'key_alias',
			);
		}
	}

	function liveKeysOf(userId) {
		const t = now();
		return Object.values(store.keys).filter((r) => {
			const exp = U.toMs(r.expires);
			return r.user_id === userId && (exp === null || exp >= t);
		});
	}

	const GENERATE_FIELDS = [
		'key_alias',
		'duration',
		'models',
		'aliases',
		'max_budget',
		'budget_duration',
		'soft_budget',
		'user_id',
		'team_id',
		'metadata',
		'tpm_limit',
		'rpm_limit',
		'max_parallel_requests',
		'blocked',
		'allowed_routes',
		'allowed_cache_controls',
		'permissions',
		'model_max_budget',
		'organization_id',
		'budget_id',
		'key_type',
		'auto_rotate',
		'rotation_interval',
		'spend',
	];
	const pick = (b, fields) => {
		const out = {};
		for (const f of fields) if (b[f] !== undefined) out[f] = b[f];
		return out;
	};

	const handlers = {
		readiness() {
			return {
				body: {
					status: 'healthy',
					db: 'connected',
					cache: null,
					litellm_version: profile().version,
					success_callbacks: [],
					last_updated: U.pyIso(now()),
				},
			};
		},

		liveliness() {
			return { body: "I'm alive!" };
		},

		listModels(ctx) {
			const data = accessibleModels(ctx).map((id) => ({
				id,
				object: 'model',
				created: MODELS_CREATED,
				owned_by: 'openai',
			}));
			return { body: { data, object: 'list' } };
		},

		modelInfo(ctx, req) {
			const allowed = new Set(accessibleModels(ctx));
			const filterId = req.query.litellm_model_id;
			const filterModel = req.query.model;
			const data = models
				.filter((m) => allowed.has(m.id))
				.filter((m) => !filterId || deploymentId(m.id) === filterId)
				.filter((m) => !filterModel || m.id === filterModel)
				.map((m) => {
					const p = priceOf(m.id);
					return {
						model_name: m.id,
						litellm_params: { model: `hosted_vllm/${m.id}` },
						model_info: {
							id: deploymentId(m.id),
							db_model: false,
							key: m.id,
							max_tokens: m.max_output_tokens,
							max_input_tokens: m.max_input_tokens,
							max_output_tokens: m.max_output_tokens,
							input_cost_per_token: p.input_cost_per_token,
							output_cost_per_token: p.output_cost_per_token,
							litellm_provider: 'hosted_vllm',
							mode: m.mode || 'chat',
							supports_vision: Boolean(m.supports_vision),
							supports_reasoning: Boolean(m.supports_reasoning),
							supports_function_calling: Boolean(m.supports_function_calling),
							supports_response_schema: true,
							supported_openai_params: supportedParams(m),
						},
					};
				});
			return { body: { data } };
		},

		modelGroupInfo(ctx, req) {
			const allowed = new Set(accessibleModels(ctx));
			const group = req.query.model_group;
			const data = models
				.filter((m) => allowed.has(m.id) && (!group || m.id === group))
				.map((m) => {
					const p = priceOf(m.id);
					return {
						model_group: m.id,
						providers: ['hosted_vllm'],
						max_input_tokens: m.max_input_tokens,
						max_output_tokens: m.max_output_tokens,
						input_cost_per_token: p.input_cost_per_token,
						output_cost_per_token: p.output_cost_per_token,
						mode: m.mode || 'chat',
						tpm: null,
						rpm: null,
						supports_parallel_function_calling: Boolean(m.supports_function_calling),
						supports_vision: Boolean(m.supports_vision),
						supports_function_calling: Boolean(m.supports_function_calling),
						supports_reasoning: Boolean(m.supports_reasoning),
						supported_openai_params: supportedParams(m),
						configurable_clientside_auth_params: null,
					};
				});
			return { body: { data } };
		},

		keyInfo(ctx, req) {
			const q = req.query.key;
			if (q === undefined) {
				if (ctx.isMaster)
					throw proxyError(404, 'Key not found in database', 'not_found_error', 'key');
				// info_key_fn reads the database: a key that a worker's cache still authenticates may be gone there.
				if (!store.keys[ctx.hash])
					throw proxyError(404, 'Key not found in database', 'not_found_error', 'key');
				return { body: { key: ctx.hash, info: keyInfoRow(store.keys[ctx.hash]) } };
			}
			const hash = resolveKeyRef(String(q));
			const target = hash && store.keys[hash];
			if (!target)
				throw proxyError(
					404,
					notFoundKey('Key not found in database', String(q)),
					'not_found_error',
					'key',
				);
			const allowed =
				ctx.viewAll ||
				(ctx.row && ctx.row.token === target.token) ||
				(ctx.user_id && target.user_id === ctx.user_id) ||
				(target.team_id && isTeamMember(ctx.user_id, store.teams[target.team_id]));
			if (!allowed)
				throw wrappedHttpError(
					403,
					`You are not allowed to access this key's info. Your role=${U.pyStr(ctx.role)}`,
				);
			return { body: { key: q, info: keyInfoRow(target) } };
		},

		keyGenerate(ctx, req) {
			requireKeyWriter(ctx, '/key/generate');
			const b = isObj(req.body) ? req.body : {};
			validateKeyFields(b);
			if (!ctx.admin && b.user_id != null && b.user_id !== ctx.user_id) {
				throw wrappedHttpError(403, {
					error: `User can only create keys for themselves. Got user_id=${b.user_id}, Your ID=${ctx.user_id}`,
				});
			}
			const owner = keyRules.ownerOfNewKey(ctx, b);
			const userId = owner.user_id;
			if (!ctx.admin) {
				if (b.team_id) {
					const team = store.teams[b.team_id];
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
				plaintext = ids.key();
				while (store.keys[U.hashKey(plaintext)]) plaintext = ids.key();
			}
			const hash = U.hashKey(plaintext);
			if (store.keys[hash] || store.deprecatedKeys[hash]) throw duplicateTokenError();
			checkAliasUnique(b.key_alias);
			if (cfg.oneKeyPerUser && userId && liveKeysOf(userId).length) {
				throw proxyError(
					400,
					`User=${userId} already has a key. This gateway allows one key per user: rotate or delete the existing key first.`,
					'bad_request_error',
					'user_id',
				);
			}
			const fields = { ...pick(b, GENERATE_FIELDS), user_id: userId, team_id: owner.team_id };
			ensureUser(userId);
			ensureTeam(fields.team_id);
			const row = newKeyRow(hash, U.keyName(plaintext), fields, ctx.user_id ?? null);
			store.keys[hash] = row;
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
		},

		keyRegenerate(ctx, req, params) {
			if (!ctx.admin && ctx.role !== 'internal_user' && ctx.role !== null)
				throw onlyAdminError(ctx, req.routeName);
			if (!cfg.enterprise)
				throw proxyError(500, ENTERPRISE_REGENERATE_MESSAGE, 'internal_server_error', 'None');
			const b = isObj(req.body) ? req.body : {};
			const passed = b.key ?? params[0];
			const hash = resolveKeyRef(passed);
			const row = hash && store.keys[hash];
			if (!row) throw wrappedHttpError(404, { error: notFoundKey('Key not found', passed) });
			const permitted =
				ctx.admin ||
				(ctx.role === 'internal_user' &&
					((ctx.user_id && row.user_id === ctx.user_id) ||
						(row.team_id && isTeamMember(ctx.user_id, store.teams[row.team_id], true))));
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
				plaintext = ids.key();
				while (store.keys[U.hashKey(plaintext)]) plaintext = ids.key();
			}
			const newHash = U.hashKey(plaintext);
			if (store.keys[newHash] || store.deprecatedKeys[newHash]) throw duplicateTokenError();
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
			if (b.key_alias !== undefined) checkAliasUnique(b.key_alias, row.token);
			const fields = pick(b, GENERATE_FIELDS);
			if (!ctx.admin && fields.user_id !== undefined && fields.user_id !== row.user_id) {
				throw wrappedHttpError(403, { error: 'You are not authorized to regenerate this key' });
			}
			const t = now();
			const oldHash = row.token;
			forgetKey(ctx, oldHash);
			copyToDeleted(row, ctx);
			delete store.keys[oldHash];
			delete store.rateLimits[oldHash];
			applyKeyFields(row, fields, t);
			ensureUser(row.user_id);
			ensureTeam(row.team_id);
			row.token = newHash;
			row.key_name = U.keyName(plaintext);
			row.rotation_count = (row.rotation_count || 0) + 1;
			row.last_rotation_at = U.pyIso(t);
			if (row.auto_rotate && row.rotation_interval)
				row.key_rotation_at = U.pyIso(t + U.parseDuration(row.rotation_interval));
			row.updated_at = U.pyIso(t);
			row.updated_by = ctx.user_id ?? null;
			store.keys[newHash] = row;
			for (const dep of Object.values(store.deprecatedKeys))
				if (dep.active_token_id === oldHash) dep.active_token_id = newHash;
			if (graceMs > 0) {
				store.deprecatedKeys[oldHash] = {
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
		},

		keyUpdate(ctx, req) {
			requireKeyWriter(ctx, '/key/update');
			const b = isObj(req.body) ? req.body : {};
			if (typeof b.key !== 'string' || !b.key)
				throw validationError(['body', 'key'], 'Field required', b, 'missing');
			validateKeyFields(b);
			const hash = resolveKeyRef(b.key);
			const row = store.keys[hash];
			if (!row)
				throw proxyError(
					404,
					notFoundKey(`Team not found, passed team_id=${U.pyStr(b.team_id)}`, b.key),
					'auth_error',
					'None',
					{},
				);
			if (!ctx.admin) {
				if (!keyRules.mayUpdate(ctx, row)) {
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
			if (b.key_alias !== undefined) checkAliasUnique(b.key_alias, row.token);
			const fields = pick(b, GENERATE_FIELDS);
			const t = now();
			applyKeyFields(row, fields, t);
			ensureUser(row.user_id);
			ensureTeam(row.team_id);
			row.updated_at = U.pyIso(t);
			row.updated_by = ctx.user_id ?? null;
			forgetKey(ctx, row.token);
			return { body: keyRules.updateReply(b.key, fields, row) };
		},

		keyDelete(ctx, req) {
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
				const r = store.keys[resolveKeyRef(String(k))];
				if (r && !rows.includes(r)) rows.push(r);
			}
			for (const a of aliases || []) {
				for (const r of Object.values(store.keys))
					if (r.key_alias === a && !rows.includes(r)) rows.push(r);
			}
			if (!rows.length)
				throw wrappedHttpError(404, {
					error: notFoundKey('No keys found', (keys || []).join(', ')),
				});
			if (!ctx.admin) {
				for (const r of rows) {
					const own = ctx.user_id && r.user_id === ctx.user_id;
					const teamAdmin = r.team_id && isTeamMember(ctx.user_id, store.teams[r.team_id], true);
					if (!own && !teamAdmin)
						throw wrappedHttpError(403, { error: 'You are not authorized to delete this key' });
				}
			}
			for (const r of rows) {
				copyToDeleted(r, ctx);
				forgetKey(ctx, r.token);
				delete store.keys[r.token];
				delete store.rateLimits[r.token];
				for (const [old, dep] of Object.entries(store.deprecatedKeys))
					if (dep.active_token_id === r.token) delete store.deprecatedKeys[old];
			}
			return { body: { deleted_keys: keys || aliases } };
		},

		keyBlock(ctx, req) {
			return setBlocked(ctx, req, true);
		},
		keyUnblock(ctx, req) {
			return setBlocked(ctx, req, false);
		},

		keyList(ctx, req) {
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
				if (q.team_id && !isTeamMember(ctx.user_id, store.teams[q.team_id])) {
					throw wrappedHttpError(403, {
						error: "You are not authorized to check this team's keys",
					});
				}
				userFilter = ctx.user_id;
				if (truthy(q.include_team_keys)) teamScope = (ctx.user && ctx.user.teams) || [];
			}
			const source = q.status === 'deleted' ? store.deletedKeys : Object.values(store.keys);
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
			const sortBy = [
				'spend',
				'max_budget',
				'created_at',
				'updated_at',
				'token',
				'key_alias',
			].includes(q.sort_by)
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
		},

		userInfo(ctx, req) {
			let uid = req.query.user_id;
			if (!ctx.viewAll) {
				if (uid && uid !== ctx.user_id) {
					throw proxyError(
						403,
						`key not allowed to access this user's info. user_id=${uid}, key's user_id=${U.pyStr(ctx.user_id)}`,
						'auth_error',
						'None',
					);
				}
				uid = ctx.user_id;
			}
			const keyRow = (r) => ({
				...fullRow(r),
				team_alias: r.team_id && store.teams[r.team_id] ? store.teams[r.team_id].team_alias : null,
			});
			if (!uid && ctx.viewAll) {
				return {
					body: {
						user_id: null,
						user_info: null,
						keys: Object.values(store.keys).map(keyRow),
						teams: Object.values(store.teams).map(U.clone),
					},
				};
			}
			const user = uid ? store.users[uid] : null;
			if (!user) throw wrappedHttpError(404, { error: `User ${U.pyStr(uid)} not found` });
			return {
				body: {
					user_id: uid,
					user_info: U.clone(user),
					keys: Object.values(store.keys)
						.filter((r) => r.user_id === uid)
						.map(keyRow),
					teams: Object.values(store.teams)
						.filter((t) => isTeamMember(uid, t))
						.map(U.clone),
				},
			};
		},

		teamInfo(ctx, req) {
			const teamId = req.query.team_id || (ctx.row && ctx.row.team_id);
			if (!teamId) throw wrappedHttpError(400, { error: 'Missing team_id in request' });
			const team = store.teams[teamId];
			if (!team) throw wrappedHttpError(404, { error: `Team not found, passed team_id=${teamId}` });
			const allowed =
				ctx.viewAll || (ctx.row && ctx.row.team_id === teamId) || isTeamMember(ctx.user_id, team);
			if (!allowed)
				throw wrappedHttpError(403, {
					error: `User=${U.pyStr(ctx.user_id)} not authorized to access this team=${teamId}`,
				});
			return {
				body: {
					team_id: teamId,
					team_info: U.clone(team),
					keys: Object.values(store.keys)
						.filter((r) => r.team_id === teamId)
						.map(fullRow),
					team_memberships: [],
				},
			};
		},

		dailyActivity(ctx, req) {
			const q = req.query;
			if (!q.start_date || !q.end_date)
				throw detailError(400, { error: 'Please provide start_date and end_date' });
			const dateRe = /^\d{4}-\d{2}-\d{2}$/;
			if (!dateRe.test(q.start_date) || !dateRe.test(q.end_date)) {
				throw detailError(400, { error: 'Invalid date format. Use YYYY-MM-DD' });
			}
			if (!ctx.isMaster && !ctx.user_id) throw detailError(403, { error: NO_USER_ID_MESSAGE });
			const page = q.page === undefined ? 1 : Number(q.page);
			const pageSize = q.page_size === undefined ? 50 : Number(q.page_size);
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
			if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
				throw new HttpError(422, {
					detail: [
						{
							type: pageSize > 1000 ? 'less_than_equal' : 'greater_than_equal',
							loc: ['query', 'page_size'],
							msg:
								pageSize > 1000
									? 'Input should be less than or equal to 1000'
									: 'Input should be greater than or equal to 1',
							input: q.page_size,
							ctx: pageSize > 1000 ? { le: 1000 } : { ge: 1 },
						},
					],
				});
			}
			const userId = ctx.viewAll ? q.user_id || null : ctx.user_id;
			let apiKey = q.api_key || null;
			if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
			const rows = store.activity.filter(
				(a) =>
					a.date >= q.start_date &&
					a.date <= q.end_date &&
					(!userId || a.user_id === userId) &&
					// common_daily_activity.py, get_daily_activity: `model` filters the deployment column,
					// `api_key` the hashed token (internal_user_endpoints.py, get_user_daily_activity's query params).
					(!q.model || a.model === q.model) &&
					(!apiKey || a.api_key === apiKey),
			);
			const emptyMetrics = () => ({
				spend: 0,
				prompt_tokens: 0,
				completion_tokens: 0,
				cache_read_input_tokens: 0,
				cache_creation_input_tokens: 0,
				total_tokens: 0,
				successful_requests: 0,
				failed_requests: 0,
				api_requests: 0,
			});
			const addTo = (m, a) => {
				m.spend += a.spend;
				m.prompt_tokens += a.prompt_tokens;
				m.completion_tokens += a.completion_tokens;
				m.total_tokens += a.prompt_tokens + a.completion_tokens;
				m.successful_requests += a.successful_requests;
				m.failed_requests += a.failed_requests;
				m.api_requests += a.api_requests;
			};
			const keyMeta = (a) => {
				const r = a.api_key ? store.keys[a.api_key] : null;
				return {
					key_alias: r ? r.key_alias : (a.key_alias ?? null),
					team_id: r ? r.team_id : (a.team_id ?? null),
				};
			};
			const byDate = new Map();
			const totals = emptyMetrics();
			for (const a of rows) {
				addTo(totals, a);
				let d = byDate.get(a.date);
				if (!d) {
					d = {
						date: a.date,
						metrics: emptyMetrics(),
						breakdown: {
							models: {},
							model_groups: {},
							mcp_servers: {},
							providers: {},
							endpoints: {},
							api_keys: {},
							entities: {},
						},
					};
					byDate.set(a.date, d);
				}
				addTo(d.metrics, a);
				const keyId = a.api_key || 'unknown';
				const bucket = (obj, name) => {
					if (!obj[name])
						obj[name] = { metrics: emptyMetrics(), metadata: {}, api_key_breakdown: {} };
					const e = obj[name];
					addTo(e.metrics, a);
					if (!e.api_key_breakdown[keyId])
						e.api_key_breakdown[keyId] = { metrics: emptyMetrics(), metadata: keyMeta(a) };
					addTo(e.api_key_breakdown[keyId].metrics, a);
				};
				// litellm/proxy/management_endpoints/common_daily_activity.py, update_breakdown_metrics:
				// `models` by the deployment (record.model), `model_groups` by record.model_group or record.model.
				bucket(d.breakdown.models, a.model);
				bucket(d.breakdown.model_groups, a.model_group || a.model);
				bucket(d.breakdown.providers, 'hosted_vllm');
				if (!d.breakdown.api_keys[keyId])
					d.breakdown.api_keys[keyId] = { metrics: emptyMetrics(), metadata: keyMeta(a) };
				addTo(d.breakdown.api_keys[keyId].metrics, a);
			}
			const dates = [...byDate.values()].sort((x, y) =>
				x.date < y.date ? -1 : x.date > y.date ? 1 : 0,
			);
			const totalPages = Math.ceil(dates.length / pageSize);
			return {
				body: {
					results: dates.slice((page - 1) * pageSize, page * pageSize),
					metadata: {
						total_spend: totals.spend,
						total_prompt_tokens: totals.prompt_tokens,
						total_completion_tokens: totals.completion_tokens,
						total_tokens: totals.total_tokens,
						total_api_requests: totals.api_requests,
						total_successful_requests: totals.successful_requests,
						total_failed_requests: totals.failed_requests,
						total_cache_read_input_tokens: 0,
						total_cache_creation_input_tokens: 0,
						page,
						total_pages: totalPages,
						has_more: page < totalPages,
					},
				},
			};
		},

		spendLogs(ctx, req) {
			if (
				!ctx.isMaster &&
				!ctx.viewAll &&
				ctx.role !== 'internal_user' &&
				ctx.role !== 'internal_user_viewer'
			) {
				throw onlyAdminError(ctx, '/spend/logs');
			}
			const q = req.query;
			let apiKey = q.api_key || null;
			if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
			const userId = ctx.viewAll ? q.user_id || null : ctx.user_id;
			let rows = store.spendLogs.filter(
				(r) =>
					(!apiKey || r.api_key === apiKey) &&
					(!userId || r.user === userId) &&
					(!q.request_id || r.request_id === q.request_id),
			);
			if (!q.start_date || !q.end_date) return { body: rows.map(U.clone) };
			const start = Date.parse(q.start_date + 'T00:00:00Z');
			const end = Date.parse(q.end_date + 'T00:00:00Z');
			if (Number.isNaN(start) || Number.isNaN(end))
				throw detailError(400, { error: 'Invalid date format. Use YYYY-MM-DD' });
			rows = rows.filter((r) => {
				const d = r.startTime.slice(0, 10);
				return d >= q.start_date && d <= q.end_date;
			});
			if (q.summarize !== undefined && !truthy(q.summarize)) return { body: rows.map(U.clone) };
			const out = [];
			for (let t = start, i = 0; t <= end && i < 3660; t += 86400e3, i++) {
				const day = U.dateOnly(t);
				const entry = { startTime: day, spend: 0, users: {}, models: {} };
				for (const r of rows.filter((x) => x.startTime.slice(0, 10) === day)) {
					entry.spend += r.spend;
					if (r.user) entry.users[r.user] = (entry.users[r.user] || 0) + r.spend;
					entry.models[r.model] = (entry.models[r.model] || 0) + r.spend;
					entry[r.api_key] = (entry[r.api_key] || 0) + r.spend;
				}
				out.push(entry);
			}
			return { body: out };
		},
	};

	function supportedParams(m) {
		if (m.mode === 'embedding')
			return ['encoding_format', 'user', ...(m.supports_dimensions ? ['dimensions'] : [])];
		const p = [
			'temperature',
			'top_p',
			'n',
			'stream',
			'stream_options',
			'stop',
			'max_tokens',
			'max_completion_tokens',
			'presence_penalty',
			'frequency_penalty',
			'seed',
			'response_format',
			'user',
		];
		if (m.supports_function_calling) p.push('tools', 'tool_choice', 'parallel_tool_calls');
		if (m.supports_reasoning) p.push('reasoning_effort');
		return p;
	}

	function setBlocked(ctx, req, blocked) {
		const routeName = blocked ? '/key/block' : '/key/unblock';
		if (!keyRules.mayBlock(ctx)) throw onlyAdminError(ctx, routeName);
		const b = isObj(req.body) ? req.body : {};
		if (typeof b.key !== 'string' || !(b.key.startsWith('sk-') || /^[0-9a-f]{64}$/.test(b.key))) {
			throw proxyError(400, 'Invalid key format.', 'bad_request_error', 'key');
		}
		const row = store.keys[resolveKeyRef(b.key)];
		if (!row) throw wrappedHttpError(404, { error: notFoundKey('Key not found', b.key) });
		if (!blocked) keyRules.checkUnblock(ctx, row);
		row.blocked = blocked;
		forgetKey(ctx, row.token);
		row.updated_at = U.pyIso(now());
		row.updated_by = ctx.user_id ?? null;
		return { body: fullRow(row) };
	}

	// ---- chat completions (§3) ---------------------------------------------------------------
	async function chat(ctx, req, res, started, midstreamFault) {
		const body = req.body;
		if (req.bodyInvalid || !isObj(body)) {
			throw proxyError(
				400,
				'Invalid JSON payload: the request body must be a JSON object.',
				'bad_request_error',
				'None',
			);
		}
		const modelName = body.model;
		checkModelAccess(ctx, modelName);
		const callId = req.headers['x-litellm-call-id'] || ids.uuid('call');
		const spendBefore = ctx.row ? ctx.row.spend : 0;
		const postAuth = {
			'x-litellm-call-id': callId,
			'x-litellm-key-spend': U.pyFloat(spendBefore),
			'x-litellm-response-cost': '0',
		};
		const startMs = now();
		let rate = null;
		const model = modelById.get(modelName);
		const requestId = 'chatcmpl-' + ids.uuid('chatcmpl');
		const fail = (err) => {
			err.headers = { ...postAuth, ...err.headers };
			recordCall(ctx, {
				model: modelName ?? 'None',
				usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
				requestId,
				callId,
				startMs,
				status: 'failure',
				body,
				errorInfo: {
					error_code: String(err.status),
					error_message: err.body && err.body.error ? err.body.error.message : '',
				},
			});
			return err;
		};
		if (!Array.isArray(body.messages) || body.messages.length === 0) {
			throw fail(
				proxyError(
					400,
					'litellm.BadRequestError: messages is a required parameter and must be a non-empty list.',
					'bad_request_error',
					'messages',
				),
			);
		}
		if (!body.messages.every((m) => isObj(m) && typeof m.role === 'string')) {
			throw fail(
				proxyError(
					400,
					'litellm.BadRequestError: every message needs a role.',
					'bad_request_error',
					'messages',
				),
			);
		}
		if (!model) {
			throw fail(
				proxyError(
					400,
					`/chat/completions: Invalid model name passed in model=${U.pyStr(modelName)}. Call \`/v1/models\` to view available models for your key.`,
					profile().unknownModelType,
					profile().unknownModelParam,
				),
			);
		}
		if (model.mode === 'embedding') {
			// vLLM serves an embedding model without a chat template: the call fails upstream.
			throw fail(
				proxyError(
					400,
					`litellm.BadRequestError: Hosted_vllmException - ${model.id} is an embedding model: it does not support the Chat Completions API. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
					null,
					null,
				),
			);
		}
		const images = body.messages.reduce((n, m) => n + R.imageCount(m), 0);
		if (images && !model.supports_vision) {
			throw fail(
				proxyError(
					400,
					`litellm.BadRequestError: Hosted_vllmException - ${model.id} is not a multimodal model. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
					null,
					null,
				),
			);
		}
		const promptTokens = R.promptTokens(body.messages);
		if (promptTokens > model.max_input_tokens) {
			throw fail(
				proxyError(
					400,
					`litellm.ContextWindowExceededError: litellm.BadRequestError: Hosted_vllmException - This model's maximum context length is ${model.max_input_tokens} tokens. However, you requested ${promptTokens} tokens. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
					null,
					null,
				),
			);
		}
		try {
			rate = admitRate(ctx);
		} catch (e) {
			throw fail(e);
		}
		try {
			const waited = await latency();
			if (closed || res.destroyed) return;
			let toolSeq = 0;
			const reply = R.buildReply(
				model,
				body,
				() => 'call_' + U.hashKey(`${requestId}:${toolSeq++}`).slice(0, 24),
			);
			const headers = {
				'x-litellm-call-id': callId,
				'x-litellm-model-id': deploymentId(model.id),
				...(profile().modelGroupHeader && { 'x-litellm-model-group': model.id }),
				'x-litellm-key-spend': U.pyFloat(spendBefore),
				// get_custom_headers (proxy/common_request_processing.py) drops the value "None": no budget, no header.
				...(ctx.row &&
					ctx.row.max_budget !== null && {
						'x-litellm-key-max-budget': U.pyFloat(ctx.row.max_budget),
					}),
				...(ctx.row &&
					ctx.row.tpm_limit !== null && { 'x-litellm-key-tpm-limit': String(ctx.row.tpm_limit) }),
				...(ctx.row &&
					ctx.row.rpm_limit !== null && { 'x-litellm-key-rpm-limit': String(ctx.row.rpm_limit) }),
				'x-litellm-attempted-retries': '0',
				'x-litellm-attempted-fallbacks': '0',
			};
			const created = Math.floor(now() / 1000);
			if (body.stream === true) {
				const durationMs = performance.now() - started;
				Object.assign(headers, rateHeaders(ctx, rate), {
					'x-litellm-response-duration-ms': durationMs.toFixed(3),
					'x-litellm-overhead-duration-ms': overhead(durationMs, waited),
				});
				const ok = await streamReply(res, headers, {
					requestId,
					created,
					modelName,
					reply,
					body,
					midstreamFault,
				});
				if (ok)
					recordCall(ctx, {
						model: model.id,
						usage: reply.usage,
						requestId,
						callId,
						startMs,
						status: 'success',
						body,
					});
				return;
			}
			const cost = recordCall(ctx, {
				model: model.id,
				usage: reply.usage,
				requestId,
				callId,
				startMs,
				status: 'success',
				body,
			});
			const durationMs = performance.now() - started;
			Object.assign(headers, rateHeaders(ctx, rate), {
				'x-litellm-response-cost': U.pyFloat(cost),
				'x-litellm-response-duration-ms': durationMs.toFixed(3),
				'x-litellm-overhead-duration-ms': overhead(durationMs, waited),
			});
			sendJson(res, 200, completionBody(reply, { requestId, created, modelName }), headers);
		} finally {
			if (rate) rate.inFlight -= 1;
		}
	}

	/** LiteLLM's own share of the duration: everything but the (simulated) upstream latency. */
	function overhead(durationMs, latencyMs) {
		return Math.max(0, durationMs - latencyMs).toFixed(3);
	}

	/** Simulated upstream latency (seeded, so a benchmark run is repeatable). Returns the ms waited. */
	async function latency() {
		const l = cfg.latencyMs;
		if (!l) return 0;
		const ms = l.min + Math.floor(latencyPrng() * (l.max - l.min + 1));
		if (ms > 0) await sleep(ms);
		return ms;
	}

	function usageBody(usage) {
		return {
			completion_tokens: usage.completion_tokens,
			prompt_tokens: usage.prompt_tokens,
			total_tokens: usage.total_tokens,
			completion_tokens_details:
				usage.reasoning_tokens === null ? null : { reasoning_tokens: usage.reasoning_tokens },
			prompt_tokens_details: null,
		};
	}

	function completionBody(reply, { requestId, created, modelName }) {
		return {
			id: requestId,
			created,
			model: modelName,
			object: 'chat.completion',
			system_fingerprint: null,
			choices: reply.choices.map((c) => ({
				finish_reason: c.finishReason,
				index: c.index,
				message: {
					content: c.content,
					role: 'assistant',
					tool_calls: c.toolCalls,
					function_call: null,
					...(c.reasoning !== null && { reasoning_content: c.reasoning }),
				},
			})),
			usage: usageBody(reply.usage),
		};
	}

	function pieces(text) {
		const words = String(text).match(/\S+\s*|\s+/g) || [];
		const out = [];
		for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(''));
		return out;
	}

	/** SSE writer (§3.4). Returns true when the stream completed (so the call is billed). */
	async function streamReply(
		res,
		headers,
		{ requestId, created, modelName, reply, body, midstreamFault },
	) {
		if (res.destroyed) return false;
		res.writeHead(200, {
			...cleanHeaders({ ...baseHeaders(), ...headers }),
			'content-type': 'text/event-stream',
			'cache-control': 'no-cache',
		});
		const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
		const chunk = (choices, extra) => ({
			id: requestId,
			created,
			model: modelName,
			object: 'chat.completion.chunk',
			system_fingerprint: null,
			choices,
			...(includeUsage && { usage: null }),
			...extra,
		});
		const events = [];
		for (const c of reply.choices) {
			let first = true;
			const delta = (d) => {
				const out = first ? { role: 'assistant', ...d } : d;
				first = false;
				events.push(chunk([{ index: c.index, delta: out, finish_reason: null, logprobs: null }]));
			};
			if (c.reasoning !== null)
				for (const p of pieces(c.reasoning)) delta({ content: null, reasoning_content: p });
			if (c.toolCalls) {
				c.toolCalls.forEach((tc, i) => {
					delta({
						content: null,
						tool_calls: [
							{
								index: i,
								id: tc.id,
								type: 'function',
								function: { name: tc.function.name, arguments: '' },
							},
						],
					});
					const args = tc.function.arguments;
					for (let at = 0; at < args.length; at += 16) {
						delta({ tool_calls: [{ index: i, function: { arguments: args.slice(at, at + 16) } }] });
					}
				});
			} else {
				const parts = pieces(c.content ?? '');
				if (!parts.length) delta({ content: '' });
				for (const p of parts) delta({ content: p });
			}
			events.push(
				chunk([{ index: c.index, delta: {}, finish_reason: c.finishReason, logprobs: null }]),
			);
		}
		if (includeUsage) events.push(chunk([], { usage: usageBody(reply.usage) }));
		let written = 0;
		for (const e of events) {
			if (closed || res.destroyed) return false;
			if (midstreamFault && written === 2) {
				const err = {
					error: {
						message:
							midstreamFault.message ||
							`litellm.InternalServerError: InternalServerError: Hosted_vllmException - Connection error.. Received Model Group=${modelName}\nAvailable Model Group Fallbacks=None`,
						type: null,
						param: null,
						code: '500',
					},
				};
				res.end(`data: ${JSON.stringify(err)}\n\n`);
				return false;
			}
			res.write(`data: ${JSON.stringify(e)}\n\n`);
			written += 1;
			if (cfg.chunkDelayMs > 0) await sleep(cfg.chunkDelayMs);
			else await new Promise((r) => setImmediate(r));
		}
		if (closed || res.destroyed) return false;
		res.end('data: [DONE]\n\n');
		return true;
	}

	// ---- the gateway request pipeline ----------------------------------------------------------
	const LLM_ONLY_PATHS = new Set([
		'/v1/models',
		'/models',
		'/v1/chat/completions',
		'/chat/completions',
		'/v1/embeddings',
		'/embeddings',
	]);
	const embeddings = E.createEmbeddingsHandler({
		proxyError,
		U,
		isObj,
		ids,
		now,
		profile,
		modelById,
		deploymentId,
		checkModelAccess,
		admitRate,
		rateHeaders,
		recordCall,
		latency,
		sendJson,
		isClosed: () => closed,
	});

	async function handleGateway(req, res, url) {
		const started = performance.now();
		stats.requests += 1;
		stats.inFlight += 1;
		stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
		let path = url.pathname;
		let inBase = true;
		if (basePath) {
			if (path === basePath || path.startsWith(basePath + '/'))
				path = path.slice(basePath.length) || '/';
			else inBase = false;
		}
		const headersCopy = { ...req.headers };
		delete headersCopy.authorization;
		const found = extractKey(req.headers);
		const entry = {
			id: ++requestSeq,
			time: now(),
			method: req.method,
			path,
			query: queryObject(url.searchParams),
			headers: headersCopy,
			authorization: req.headers.authorization ?? null,
			keyHash: found && found.key ? U.hashKey(found.key) : null,
			body: null,
			status: null,
			durationMs: null,
		};
		requests.push(entry);
		if (requests.length > maxLog) requests.splice(0, requests.length - maxLog);
		let finished = false;
		const finish = () => {
			if (finished) return;
			finished = true;
			stats.inFlight -= 1;
			entry.status = res.headersSent ? res.statusCode : 0;
			entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
			stats.byStatus[entry.status] = (stats.byStatus[entry.status] || 0) + 1;
		};
		res.on('finish', finish);
		res.on('close', finish);

		let raw;
		try {
			raw = await readBody(req);
		} catch (e) {
			return sendError(res, e);
		}
		const parsed = parseBody(raw);
		entry.body = parsed.body;
		if (!inBase) return sendJson(res, 404, { detail: 'Not Found' });

		const fault = takeFault(path);
		if (fault) {
			entry.fault = fault.kind;
			const done = await applyFault(fault, req, res, path, parsed);
			if (done) return;
		}

		const matches = matchRoute(path);
		const visible = matches.filter(
			(m) =>
				cfg.exposeManagement ||
				m.route.public ||
				LLM_ONLY_PATHS.has(path) ||
				path.startsWith('/health/'),
		);
		if (!visible.length) {
			if (cfg.hiddenRoutes === 'html')
				return sendRaw(res, 404, 'text/html; charset=utf-8', proxyNotFoundPage());
			return sendJson(res, 404, { detail: 'Not Found' });
		}
		const match = visible.find((m) => m.route.method === req.method);
		if (!match) return sendJson(res, 405, { detail: 'Method Not Allowed' });
		const route = match.route;
		const request = {
			headers: req.headers,
			query: entry.query,
			body: parsed.body,
			bodyInvalid: parsed.invalid,
			routeName: route.name || route.path,
		};
		// FastAPI parses a pydantic body before any dependency (auth) runs: bad JSON is a 422 first.
		if (route.bodyModel && (parsed.invalid || parsed.body === null || !isObj(parsed.body))) {
			return sendJson(res, 422, {
				detail: [
					parsed.body === null
						? { type: 'missing', loc: ['body'], msg: 'Field required', input: null }
						: parsed.invalid
							? {
									type: 'json_invalid',
									loc: ['body', 0],
									msg: 'JSON decode error',
									input: {},
									ctx: { error: 'Expecting value' },
								}
							: {
									type: 'model_attributes_type',
									loc: ['body'],
									msg: 'Input should be a valid dictionary or object to extract fields from',
									input: parsed.body,
								},
				],
			});
		}
		try {
			if (route.public) {
				const out = handlers[route.handler](null, request, match.params);
				return sendJson(res, 200, out.body);
			}
			const ctx = authenticate(req, route, path);
			if (route.handler === 'chat') {
				await chat(ctx, request, res, started, fault && fault.kind === 'midstream' ? fault : null);
				return;
			}
			if (route.handler === 'embeddings') return await embeddings(ctx, request, res, started);
			if (route.handler === 'listModels') {
				await latency();
				if (closed) return;
			}
			const out = handlers[route.handler](ctx, request, match.params);
			return sendJson(res, out.status || 200, out.body, out.headers);
		} catch (e) {
			if (!(e instanceof HttpError)) {
				// Surface sandbox bugs loudly in the test output while answering like LiteLLM.
				process.emitWarning(`sandbox handler error: ${e && e.stack}`);
			}
			return sendError(res, e);
		}
	}

	// ---- control routes (/__sandbox/*, not part of LiteLLM) -----------------------------------
	async function handleControl(req, res, url) {
		const send = (status, body) =>
			sendRaw(res, status, 'application/json', JSON.stringify(body), {});
		let body = null;
		try {
			const raw = await readBody(req);
			body = raw ? JSON.parse(raw) : null;
		} catch {
			return send(400, { error: 'invalid JSON body' });
		}
		const p = url.pathname.replace(/\/+$/, '');
		try {
			if (p === '/__sandbox/requests' && req.method === 'GET') return send(200, requests);
			if (p === '/__sandbox/requests' && req.method === 'DELETE') {
				api.clearRequests();
				return send(200, { cleared: true });
			}
			if (p === '/__sandbox/faults' && req.method === 'GET') return send(200, faults);
			if (p === '/__sandbox/faults' && req.method === 'POST')
				return send(200, { queued: injectFaults(body || []) });
			if (p === '/__sandbox/faults' && req.method === 'DELETE') {
				clearFaults();
				return send(200, { cleared: true });
			}
			if (p === '/__sandbox/keys' && req.method === 'POST') return send(200, addKey(body || {}));
			const km = /^\/__sandbox\/keys\/([^/]+)$/.exec(p);
			if (km && req.method === 'GET') {
				const row = getKey(decodeURIComponent(km[1]));
				return row ? send(200, row) : send(404, { error: 'no such key' });
			}
			if (p === '/__sandbox/users' && req.method === 'POST') return send(200, addUser(body || {}));
			if (p === '/__sandbox/teams' && req.method === 'POST') return send(200, addTeam(body || {}));
			if (p === '/__sandbox/config' && req.method === 'POST')
				return send(200, setConfig(body || {}));
			if (p === '/__sandbox/config' && req.method === 'GET') return send(200, { ...cfg });
			if (p === '/__sandbox/stats' && req.method === 'GET') return send(200, statsSnapshot());
			return send(404, { error: 'unknown sandbox control route' });
		} catch (e) {
			return send(400, { error: e.message });
		}
	}

	function statsSnapshot() {
		return {
			requests: stats.requests,
			inFlight: stats.inFlight,
			maxInFlight: stats.maxInFlight,
			byStatus: { ...stats.byStatus },
		};
	}

	// ---- the server ----------------------------------------------------------------------------
	const server = http.createServer((req, res) => {
		let url;
		try {
			url = new URL(req.url, 'http://127.0.0.1');
		} catch {
			res.writeHead(400).end();
			return;
		}
		const handler =
			url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/')
				? handleControl
				: handleGateway;
		handler(req, res, url).catch((e) => {
			process.emitWarning(`sandbox error: ${e && e.stack}`);
			if (!res.headersSent && !res.destroyed) sendError(res, e);
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	server.on('clientError', (err, socket) => socket.destroy());

	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(listenPort, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = server.address().port;

	let closing = null;
	const api = {
		url: `http://127.0.0.1:${port}${basePath}`,
		origin: `http://127.0.0.1:${port}`,
		port,
		basePath,
		requests,
		store,
		models,
		prices,
		get config() {
			return { ...cfg };
		},
		close() {
			if (closing) return closing;
			closed = true;
			for (const t of timers) {
				clearTimeout(t.timer);
				t.resolve(false);
			}
			timers.clear();
			closing = new Promise((resolve) => {
				server.close(() => resolve());
				for (const s of sockets) s.destroy();
				sockets.clear();
				if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
			});
			return closing;
		},
		clearRequests() {
			requests.length = 0;
		},
		injectFaults,
		clearFaults,
		faults,
		addKey,
		addUser,
		addTeam,
		addActivity,
		getKey,
		setConfig,
		stats: statsSnapshot,
		hashKey: U.hashKey,
		/** How many workers still authenticate `key` (plaintext or hash) from their cache; 0 without workers. */
		workersHolding(key) {
			const hash = typeof key === 'string' && key.startsWith('sk-') ? U.hashKey(key) : key;
			return workerPool ? workerPool.holding(hash, now()) : 0;
		},
	};
	return api;
}

/** Most requests the gateway had open at once, from its request log (`time` + `durationMs`). */
function maxOverlap(requests) {
	const events = requests.flatMap((q) => [
		[q.time, 1],
		[q.time + (q.durationMs ?? 0), -1],
	]);
	events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let open = 0;
	let most = 0;
	for (const [, d] of events) {
		open += d;
		most = Math.max(most, open);
	}
	return most;
}

module.exports = {
	startSandbox,
	maxOverlap,
	hashKey: U.hashKey,
	fingerprint: U.fingerprint,
	DEFAULT_MODELS,
	DEFAULT_PRICES,
	EMBEDDING_MODELS: E.EMBEDDING_MODELS,
	PROFILES,
	FAULT_KINDS,
	ENTERPRISE_REGENERATE_MESSAGE,
};
