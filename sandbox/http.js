'use strict';
// HTTP plumbing shared by every route: bodies in, JSON and raw answers out, timers that close() cancels.

const { profile } = require('./profiles');
const { HttpError } = require('./errors');

const MAX_BODY_BYTES = 10 * 1024 * 1024;

function queryObject(searchParams) {
	const out = {};
	for (const [k, v] of searchParams) {
		if (k in out) out[k] = [].concat(out[k], v);
		else out[k] = v;
	}
	return out;
}

function sleep(state, ms) {
	return new Promise((resolve) => {
		if (state.closed) return resolve(false);
		const entry = { resolve };
		entry.timer = setTimeout(
			() => {
				state.timers.delete(entry);
				resolve(true);
			},
			Math.max(0, ms),
		);
		state.timers.add(entry);
	});
}

/** Simulated upstream latency (seeded, so a benchmark run is repeatable). Returns the ms waited. */
async function latency(state) {
	const l = state.cfg.latencyMs;
	if (!l) return 0;
	const ms = l.min + Math.floor(state.latencyPrng() * (l.max - l.min + 1));
	if (ms > 0) await sleep(state, ms);
	return ms;
}

function baseHeaders(state) {
	return { 'x-litellm-version': profile(state).version };
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

function sendJson(state, res, status, body, headers) {
	sendRaw(res, status, 'application/json', JSON.stringify(body), {
		...baseHeaders(state),
		...(headers || {}),
	});
}

function sendError(state, res, err) {
	if (err instanceof HttpError) return sendJson(state, res, err.status, err.body, err.headers);
	// An unexpected bug in the sandbox: answer as LiteLLM's newest catch-all does.
	return sendJson(state, res, 500, {
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

module.exports = {
	queryObject,
	sleep,
	latency,
	baseHeaders,
	cleanHeaders,
	sendRaw,
	sendJson,
	sendError,
	readBody,
	parseBody,
};
