'use strict';
// A LiteLLM-compatible sandbox gateway for tests, demos and benchmarks: the assembly of its parts.
// Its behaviour per LiteLLM version: docs/gateway.md; the LiteLLM source behind each: sandbox/FIDELITY.md.
// It is a stand-in, not a product: 127.0.0.1 only, keys stored as SHA-256 hashes, deterministic replies.

const http = require('http');
const { URL } = require('url');
const U = require('./lib/util');
const E = require('./lib/embeddings');
const { PROFILES } = require('./profiles');
const { DEFAULT_MODELS, DEFAULT_PRICES } = require('./catalog');
const { ENTERPRISE_REGENERATE_MESSAGE } = require('./errors');
const { FAULT_KINDS, now, setConfig } = require('./config');
const { createState, addKey, addUser, addTeam, addActivity, getKey } = require('./store');
const { injectFaults, clearFaults } = require('./faults');
const { sendError } = require('./http');
const { handleGateway } = require('./gateway');
const { handleControl, statsSnapshot } = require('./routes/control');
const { createEmbeddings } = require('./routes/embeddings');

/**
 * Start a sandbox gateway on 127.0.0.1.
 * @returns {Promise<object>} the Sandbox: { url, port, close(), requests, clearRequests(), injectFaults(),
 *   clearFaults(), addKey(), addUser(), addTeam(), getKey(), setConfig(), store, stats(), config }
 *   (typed in server.d.ts)
 */
async function startSandbox(options = {}) {
	const state = createState(options);
	state.embeddings = createEmbeddings(state);

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
		handler(state, req, res, url).catch((e) => {
			process.emitWarning(`sandbox error: ${e && e.stack}`);
			if (!res.headersSent && !res.destroyed) sendError(state, res, e);
		});
	});
	server.on('connection', (socket) => {
		state.sockets.add(socket);
		socket.on('close', () => state.sockets.delete(socket));
	});
	server.on('clientError', (err, socket) => socket.destroy());

	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(state.listenPort, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	return sandboxApi(state, server);
}

/** The Sandbox object startSandbox resolves to: the gateway's address, its state and its controls. */
function sandboxApi(state, server) {
	const port = server.address().port;
	let closing = null;
	return {
		url: `http://127.0.0.1:${port}${state.basePath}`,
		origin: `http://127.0.0.1:${port}`,
		port,
		basePath: state.basePath,
		requests: state.requests,
		store: state.store,
		models: state.models,
		prices: state.prices,
		get config() {
			return { ...state.cfg };
		},
		close() {
			if (closing) return closing;
			state.closed = true;
			for (const t of state.timers) {
				clearTimeout(t.timer);
				t.resolve(false);
			}
			state.timers.clear();
			closing = new Promise((resolve) => {
				server.close(() => resolve());
				for (const s of state.sockets) s.destroy();
				state.sockets.clear();
				if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
			});
			return closing;
		},
		clearRequests() {
			state.requests.length = 0;
		},
		injectFaults: (list) => injectFaults(state, list),
		clearFaults: () => clearFaults(state),
		faults: state.faults,
		addKey: (seed) => addKey(state, seed),
		addUser: (seed) => addUser(state, seed),
		addTeam: (seed) => addTeam(state, seed),
		addActivity: (row) => addActivity(state, row),
		getKey: (hashOrKey) => getKey(state, hashOrKey),
		setConfig: (partial) => setConfig(state, partial),
		stats: () => statsSnapshot(state),
		hashKey: U.hashKey,
		/** How many workers still authenticate `key` (plaintext or hash) from their cache; 0 without workers. */
		workersHolding(key) {
			const hash = typeof key === 'string' && key.startsWith('sk-') ? U.hashKey(key) : key;
			return state.workerPool ? state.workerPool.holding(hash, now(state)) : 0;
		},
	};
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
