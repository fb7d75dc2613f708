'use strict';
// What the /key/* routes share: how a row is shown, how a key is named in a request, field checks.

const U = require('../lib/util');
const { proxyError, validationError } = require('../errors');
const { KEY_TYPE_ROUTES } = require('../store');
const { now } = require('../config');

const isObj = U.isObj;

function keyInfoRow(row) {
	const { token, ...rest } = row;
	return { ...rest, litellm_budget_table: null };
}
function fullRow(row) {
	return { ...row, litellm_budget_table: null };
}
function notFoundKey(state, message, passed) {
	return state.cfg.echoKeyInErrors && passed ? `${message}. Received key=${passed}` : message;
}

function resolveKeyRef(value) {
	if (typeof value !== 'string' || !value) return null;
	return value.startsWith('sk-') ? U.hashKey(value) : value;
}

/** `_delete_cache_key_object`: the serving worker forgets the key (and its grace-period aliases); the others keep it. */
function forgetKey(state, ctx, hash) {
	if (!state.workerPool || !ctx.worker) return;
	state.workerPool.forget(ctx.worker, hash);
	for (const [old, dep] of Object.entries(state.store.deprecatedKeys))
		if (dep.active_token_id === hash) state.workerPool.forget(ctx.worker, old);
}

function copyToDeleted(state, row, ctx) {
	state.store.deletedKeys.push({
		...U.clone(row),
		deleted_at: U.pyIso(now(state)),
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
		if (b[k] === undefined || b[k] === null || (k === 'duration' && (b[k] === '-1' || b[k] === -1)))
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

function checkAliasUnique(state, alias, exceptHash) {
	if (alias === undefined || alias === null) return;
	const clash = Object.values(state.store.keys).find(
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

function liveKeysOf(state, userId) {
	const t = now(state);
	return Object.values(state.store.keys).filter((r) => {
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

module.exports = {
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
};
