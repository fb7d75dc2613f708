'use strict';
// Fault injection: queued faults and seeded chaos, matched on the path before auth, and what each kind answers.

const http = require('http');
const U = require('./lib/util');
const { FAULT_KINDS, now } = require('./config');
const { proxyError } = require('./errors');
const { profile } = require('./profiles');
const { sleep, sendRaw, sendJson, sendError } = require('./http');
const { extractKey } = require('./auth');

const isObj = U.isObj;

const STATUS_TEXT = http.STATUS_CODES;

function injectFaults(state, list) {
	const arr = Array.isArray(list) ? list : [list];
	for (const f of arr) {
		if (!isObj(f) || !FAULT_KINDS.includes(f.kind))
			throw new Error(`unknown fault kind ${f && f.kind}; use ${FAULT_KINDS.join(', ')}`);
		state.faults.push({ times: 1, ...f });
	}
	return state.faults.length;
}
function clearFaults(state) {
	state.faults.length = 0;
}

function routeMatches(pattern, path) {
	if (!pattern) return true;
	if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
	return pattern === path;
}

function takeFault(state, path) {
	const i = state.faults.findIndex((f) => routeMatches(f.route, path));
	if (i >= 0) {
		const f = state.faults[i];
		if (f.times !== -1) {
			f.times -= 1;
			if (f.times <= 0) state.faults.splice(i, 1);
		}
		return f;
	}
	const c = state.cfg.chaos;
	if (
		c &&
		state.chaosPrng &&
		c.rate > 0 &&
		c.kinds.length &&
		(!c.routes || c.routes.some((r) => routeMatches(r, path)))
	) {
		if (state.chaosPrng() < c.rate) {
			const kind = c.kinds[Math.floor(state.chaosPrng() * c.kinds.length)];
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
async function applyFault(state, fault, req, res, path, parsed) {
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
			sendJson(state, res, status, payload, fault.headers);
			return true;
		}
		case 'rate_limit': {
			const found = extractKey(req.headers);
			const hash = found && found.key ? U.hashKey(found.key) : 'None';
			const retryAfter = fault.retryAfter ?? 1;
			const resetMs = now(state) + retryAfter * 1000;
			const type = fault.rateLimitType || 'requests';
			const limit = fault.limit ?? 1;
			const err = proxyError(
				429,
				`Rate limit exceeded for api_key: ${hash}. Limit type: ${type}. Current limit: ${limit}, Remaining: 0. Limit resets at: ${U.utcSeconds(resetMs)} UTC`,
				profile(state).throttleType,
				'None',
				{
					'retry-after': String(retryAfter),
					rate_limit_type: type,
					reset_at: U.pyIso(resetMs),
					...(fault.headers || {}),
				},
			);
			sendError(state, res, err);
			return true;
		}
		case 'reset':
			req.socket.destroy();
			return true;
		case 'delay':
			await sleep(state, fault.ms ?? 250);
			return state.closed;
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
			sendError(state, res, upstreamError(isObj(body) ? body.model : null, fault.message));
			return true;
		case 'upstream':
			sendError(state, res, upstreamError(isObj(body) ? body.model : null, fault.message));
			return true;
		default:
			return false;
	}
}

module.exports = {
	FAULT_KINDS,
	injectFaults,
	clearFaults,
	takeFault,
	upstreamError,
	proxyNotFoundPage,
	applyFault,
};
