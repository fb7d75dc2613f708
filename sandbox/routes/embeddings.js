'use strict';
// /v1/embeddings and /embeddings (lib/embeddings.js), wired to the same auth, limits and billing as chat.

const U = require('../lib/util');
const E = require('../lib/embeddings');
const { proxyError } = require('../errors');
const { profile } = require('../profiles');
const { now } = require('../config');
const { deploymentId } = require('../catalog');
const { checkModelAccess, admitRate, rateHeaders } = require('../auth');
const { recordCall } = require('../store');
const { latency, sendJson } = require('../http');

/** The embeddings route handler for one sandbox: (ctx, req, res, started). */
function createEmbeddings(state) {
	return E.createEmbeddingsHandler({
		proxyError,
		U,
		isObj: U.isObj,
		ids: state.ids,
		now: () => now(state),
		profile: () => profile(state),
		modelById: state.modelById,
		deploymentId,
		checkModelAccess: (ctx, model) => checkModelAccess(state, ctx, model),
		admitRate: (ctx) => admitRate(state, ctx),
		rateHeaders: (ctx, s) => rateHeaders(state, ctx, s),
		recordCall: (ctx, call) => recordCall(state, ctx, call),
		latency: () => latency(state),
		sendJson: (res, status, body, headers) => sendJson(state, res, status, body, headers),
		isClosed: () => state.closed,
	});
}

module.exports = { createEmbeddings };
