'use strict';
// Control routes (/__sandbox/*, not part of LiteLLM): the request log, faults, seeds, settings, stats.

const { setConfig } = require('../config');
const { addKey, addUser, addTeam, getKey } = require('../store');
const { injectFaults, clearFaults } = require('../faults');
const { sendRaw, readBody } = require('../http');

async function handleControl(state, req, res, url) {
	const send = (status, body) => sendRaw(res, status, 'application/json', JSON.stringify(body), {});
	let body = null;
	try {
		const raw = await readBody(req);
		body = raw ? JSON.parse(raw) : null;
	} catch {
		return send(400, { error: 'invalid JSON body' });
	}
	const p = url.pathname.replace(/\/+$/, '');
	try {
		if (p === '/__sandbox/requests' && req.method === 'GET') return send(200, state.requests);
		if (p === '/__sandbox/requests' && req.method === 'DELETE') {
			state.requests.length = 0;
			return send(200, { cleared: true });
		}
		if (p === '/__sandbox/faults' && req.method === 'GET') return send(200, state.faults);
		if (p === '/__sandbox/faults' && req.method === 'POST')
			return send(200, { queued: injectFaults(state, body || []) });
		if (p === '/__sandbox/faults' && req.method === 'DELETE') {
			clearFaults(state);
			return send(200, { cleared: true });
		}
		if (p === '/__sandbox/keys' && req.method === 'POST')
			return send(200, addKey(state, body || {}));
		const km = /^\/__sandbox\/keys\/([^/]+)$/.exec(p);
		if (km && req.method === 'GET') {
			const row = getKey(state, decodeURIComponent(km[1]));
			return row ? send(200, row) : send(404, { error: 'no such key' });
		}
		if (p === '/__sandbox/users' && req.method === 'POST')
			return send(200, addUser(state, body || {}));
		if (p === '/__sandbox/teams' && req.method === 'POST')
			return send(200, addTeam(state, body || {}));
		if (p === '/__sandbox/config' && req.method === 'POST')
			return send(200, setConfig(state, body || {}));
		if (p === '/__sandbox/config' && req.method === 'GET') return send(200, { ...state.cfg });
		if (p === '/__sandbox/stats' && req.method === 'GET') return send(200, statsSnapshot(state));
		return send(404, { error: 'unknown sandbox control route' });
	} catch (e) {
		return send(400, { error: e.message });
	}
}

function statsSnapshot(state) {
	return {
		requests: state.stats.requests,
		inFlight: state.stats.inFlight,
		maxInFlight: state.stats.maxInFlight,
		byStatus: { ...state.stats.byStatus },
	};
}

module.exports = { handleControl, statsSnapshot };
