'use strict';
// LiteLLM proxy workers, each with its own in-memory key cache. A LiteLLM proxy runs several
// worker processes; each one keeps the key rows it authenticated in `user_api_key_cache`, a
// DualCache (litellm/proxy/proxy_server.py), whose in-memory TTL is
// `UserAPIKeyCacheTTLEnum.in_memory_cache_ttl` = 60 s (proxy_server.py; general_settings
// `user_api_key_cache_ttl` changes it). `user_api_key_auth` (litellm/proxy/auth/user_api_key_auth.py)
// looks a key up in that cache before the database (`get_key_object` in auth/auth_checks.py).
// `delete_key_fn` / `_delete_verification_tokens`, `update_key_fn` and `regenerate_key_fn`
// (litellm/proxy/management_endpoints/key_management_endpoints.py) call `_delete_cache_key_object`,
// and `block_key` re-caches the row with `_cache_key_object`: both touch only the cache of the
// worker that served the call (and redis, which the sandbox does not model). Another worker still
// authenticates a deleted, blocked or updated key from its own cache until the entry expires.

const U = require('./util');

/**
 * @param {{ count: number, ttlMs: number }} options
 * @returns the worker pool: next() picks the worker for a request (round-robin).
 */
function makeWorkers({ count, ttlMs }) {
	if (!Number.isInteger(count) || count < 1 || count > 64)
		throw new Error('workers: expected a whole number from 1 to 64');
	if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0)
		throw new Error('keyCacheTtlMs: expected a number of milliseconds');
	const workers = Array.from({ length: count }, (_, index) => ({ index, cache: new Map() }));
	let turn = 0;
	const pool = {
		count,
		ttlMs,
		/** The worker that serves the next authenticated request. */
		next() {
			const w = workers[turn % count];
			turn++;
			return w;
		},
		/** The row this worker still holds for `hash`, or undefined when it has none or it expired. */
		lookup(worker, hash, nowMs) {
			const entry = worker.cache.get(hash);
			if (!entry) return undefined;
			if (entry.until <= nowMs) {
				worker.cache.delete(hash);
				return undefined;
			}
			return entry.row;
		},
		/** Caches a snapshot: later changes in the database do not reach this worker's copy. */
		remember(worker, hash, row, nowMs) {
			if (pool.ttlMs > 0) worker.cache.set(hash, { row: U.clone(row), until: nowMs + pool.ttlMs });
		},
		/** `_delete_cache_key_object`: only the serving worker forgets. */
		forget(worker, hash) {
			if (worker) worker.cache.delete(hash);
		},
		/** How many workers still hold `hash` (tests and /__sandbox/stats). */
		holding(hash, nowMs) {
			return workers.filter((w) => pool.lookup(w, hash, nowMs) !== undefined).length;
		},
		clear() {
			for (const w of workers) w.cache.clear();
		},
	};
	return pool;
}

module.exports = { makeWorkers, DEFAULT_KEY_CACHE_TTL_MS: 60_000 };
