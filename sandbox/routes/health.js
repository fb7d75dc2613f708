'use strict';
// /health/readiness and /health/liveliness: public, no key.

const U = require('../lib/util');
const { profile } = require('../profiles');
const { now } = require('../config');

function readiness(state) {
	return {
		body: {
			status: 'healthy',
			db: 'connected',
			cache: null,
			litellm_version: profile(state).version,
			success_callbacks: [],
			last_updated: U.pyIso(now(state)),
		},
	};
}

function liveliness() {
	return { body: "I'm alive!" };
}

module.exports = { readiness, liveliness };
