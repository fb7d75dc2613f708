'use strict';
// The gateway's settings (startSandbox options, setConfig, /__sandbox/config) and its clock.

const U = require('./lib/util');
const { makeWorkers, DEFAULT_KEY_CACHE_TTL_MS } = require('./lib/workers');
const { PROFILES } = require('./profiles');

/** What faults.js can inject; setConfig checks chaos kinds against it. */
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

const isObj = U.isObj;

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

/** The sandbox clock: the `now` option (default Date.now) moved by `timeOffsetMs`. */
function now(state) {
	return state.clock() + state.cfg.timeOffsetMs;
}

function defaultConfig() {
	return {
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
}

function setConfig(state, partial) {
	if (!isObj(partial)) throw new Error('setConfig expects an object');
	for (const [k, v] of Object.entries(partial)) {
		switch (k) {
			case 'profile':
				if (!PROFILES[v])
					throw new Error(`unknown profile ${v}; use ${Object.keys(PROFILES).join(', ')}`);
				state.cfg.profile = v;
				break;
			case 'latencyMs':
				state.cfg.latencyMs = parseLatency(v);
				break;
			case 'chaos':
				if (v && (!isObj(v) || typeof v.rate !== 'number' || v.rate < 0 || v.rate > 1)) {
					throw new Error('chaos: expected { rate: 0..1, kinds?: [...], seed?, routes? }');
				}
				if (v && v.kinds)
					for (const kind of v.kinds)
						if (!FAULT_KINDS.includes(kind)) throw new Error(`chaos: unknown fault kind ${kind}`);
				state.cfg.chaos = v
					? { kinds: ['status', 'rate_limit', 'reset', 'delay', 'upstream'], ...v }
					: null;
				state.chaosPrng = v ? U.makePrng(v.seed ?? 1) : null;
				break;
			case 'enterprise':
			case 'echoKeyInErrors':
			case 'exposeManagement':
			case 'oneKeyPerUser':
				state.cfg[k] = Boolean(v);
				break;
			case 'hiddenRoutes':
				if (v !== 'json' && v !== 'html')
					throw new Error("hiddenRoutes: expected 'json' or 'html'");
				state.cfg.hiddenRoutes = v;
				break;
			case 'rateLimitWindowMs':
			case 'timeOffsetMs':
			case 'chunkDelayMs':
				if (typeof v !== 'number' || !Number.isFinite(v) || (k !== 'timeOffsetMs' && v < 0)) {
					throw new Error(`${k}: expected a number`);
				}
				state.cfg[k] = v;
				break;
			case 'workers':
			case 'keyCacheTtlMs':
				state.cfg[k] = v;
				// Validates both; null workers: the single-process sandbox without a cache.
				state.workerPool = makeWorkers({
					count: state.cfg.workers ?? 1,
					ttlMs: state.cfg.keyCacheTtlMs,
				});
				if (state.cfg.workers === null || state.cfg.workers === undefined) state.workerPool = null;
				break;
			default:
				throw new Error(`setConfig: unknown option ${k}`);
		}
	}
	return { ...state.cfg, latencyMs: state.cfg.latencyMs };
}

/** The startSandbox options that are settings, in the order setConfig applies them. */
function configFromOptions(options) {
	return {
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
	};
}

module.exports = {
	FAULT_KINDS,
	normaliseBasePath,
	parseLatency,
	now,
	defaultConfig,
	setConfig,
	configFromOptions,
};
