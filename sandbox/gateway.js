'use strict';
// The gateway request pipeline: log the request, apply faults, find the route, parse, authenticate,
// call the handler and answer.

const U = require('./lib/util');
const { HttpError } = require('./errors');
const { now } = require('./config');
const { authenticate, extractKey } = require('./auth');
const { takeFault, applyFault, proxyNotFoundPage } = require('./faults');
const {
	latency,
	queryObject,
	sendRaw,
	sendJson,
	sendError,
	readBody,
	parseBody,
} = require('./http');
const { matchRoute, LLM_ONLY_PATHS, handlers } = require('./routes');
const { chat } = require('./routes/chat');

const isObj = U.isObj;

async function handleGateway(state, req, res, url) {
	const started = performance.now();
	state.stats.requests += 1;
	state.stats.inFlight += 1;
	state.stats.maxInFlight = Math.max(state.stats.maxInFlight, state.stats.inFlight);
	let path = url.pathname;
	let inBase = true;
	if (state.basePath) {
		if (path === state.basePath || path.startsWith(state.basePath + '/'))
			path = path.slice(state.basePath.length) || '/';
		else inBase = false;
	}
	const entry = logRequest(state, req, res, url, path, started);

	let raw;
	try {
		raw = await readBody(req);
	} catch (e) {
		return sendError(state, res, e);
	}
	const parsed = parseBody(raw);
	entry.body = parsed.body;
	if (!inBase) return sendJson(state, res, 404, { detail: 'Not Found' });

	const fault = takeFault(state, path);
	if (fault) {
		entry.fault = fault.kind;
		const done = await applyFault(state, fault, req, res, path, parsed);
		if (done) return;
	}

	const matches = matchRoute(path);
	const visible = matches.filter(
		(m) =>
			state.cfg.exposeManagement ||
			m.route.public ||
			LLM_ONLY_PATHS.has(path) ||
			path.startsWith('/health/'),
	);
	if (!visible.length) {
		if (state.cfg.hiddenRoutes === 'html')
			return sendRaw(res, 404, 'text/html; charset=utf-8', proxyNotFoundPage());
		return sendJson(state, res, 404, { detail: 'Not Found' });
	}
	const match = visible.find((m) => m.route.method === req.method);
	if (!match) return sendJson(state, res, 405, { detail: 'Method Not Allowed' });
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
		return sendJson(state, res, 422, bodyModelError(parsed));
	}
	try {
		if (route.public) {
			const out = handlers[route.handler](state, null, request, match.params);
			return sendJson(state, res, 200, out.body);
		}
		const ctx = authenticate(state, req, route, path);
		if (route.handler === 'chat') {
			await chat(
				state,
				ctx,
				request,
				res,
				started,
				fault && fault.kind === 'midstream' ? fault : null,
			);
			return;
		}
		if (route.handler === 'embeddings') return await state.embeddings(ctx, request, res, started);
		if (route.handler === 'listModels') {
			await latency(state);
			if (state.closed) return;
		}
		const out = handlers[route.handler](state, ctx, request, match.params);
		return sendJson(state, res, out.status || 200, out.body, out.headers);
	} catch (e) {
		if (!(e instanceof HttpError)) {
			// Surface sandbox bugs loudly in the test output while answering like LiteLLM.
			process.emitWarning(`sandbox handler error: ${e && e.stack}`);
		}
		return sendError(state, res, e);
	}
}

/** Adds the request to the log; its status and duration are filled in when the answer ends. */
function logRequest(state, req, res, url, path, started) {
	const headersCopy = { ...req.headers };
	delete headersCopy.authorization;
	const found = extractKey(req.headers);
	const entry = {
		id: ++state.requestSeq,
		time: now(state),
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
	state.requests.push(entry);
	if (state.requests.length > state.maxLog)
		state.requests.splice(0, state.requests.length - state.maxLog);
	let finished = false;
	const finish = () => {
		if (finished) return;
		finished = true;
		state.stats.inFlight -= 1;
		entry.status = res.headersSent ? res.statusCode : 0;
		entry.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
		state.stats.byStatus[entry.status] = (state.stats.byStatus[entry.status] || 0) + 1;
	};
	res.on('finish', finish);
	res.on('close', finish);
	return entry;
}

/** FastAPI's 422 for a body its pydantic model cannot read: missing, not JSON, or not an object. */
function bodyModelError(parsed) {
	return {
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
	};
}

module.exports = { handleGateway };
