'use strict';
// The route table: each route as LiteLLM names it, its LiteLLMRoutes groups, and its handler.

const health = require('./health');
const models = require('./models');
const key = require('./key');
const user = require('./user');
const team = require('./team');
const usage = require('./usage');
const spend = require('./spend');

const LLM = ['llm_api_routes', 'openai_routes'];
const INFO = ['info_routes'];
const KEY_MGMT = ['management_routes', 'key_management_routes'];
const KEY_INFO = ['info_routes', 'management_routes', 'key_management_routes'];

/** name: the route as LiteLLM names it; cats: the LiteLLMRoutes groups it belongs to. */
const ROUTES = [
	{ method: 'GET', path: '/health/readiness', handler: 'readiness', public: true },
	{ method: 'GET', path: '/health/liveliness', handler: 'liveliness', public: true },
	{ method: 'GET', path: '/health/liveness', handler: 'liveliness', public: true },
	{ method: 'GET', path: '/v1/models', handler: 'listModels', cats: LLM, llm: true },
	{ method: 'GET', path: '/models', handler: 'listModels', cats: LLM, llm: true },
	{ method: 'POST', path: '/v1/chat/completions', handler: 'chat', cats: LLM, llm: true },
	{ method: 'POST', path: '/chat/completions', handler: 'chat', cats: LLM, llm: true },
	{ method: 'POST', path: '/v1/embeddings', handler: 'embeddings', cats: LLM, llm: true },
	{ method: 'POST', path: '/embeddings', handler: 'embeddings', cats: LLM, llm: true },
	{ method: 'GET', path: '/model/info', handler: 'modelInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/v1/model/info', handler: 'modelInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/model_group/info', handler: 'modelGroupInfo', cats: INFO, mgmt: true },
	{ method: 'GET', path: '/key/info', handler: 'keyInfo', cats: KEY_INFO, mgmt: true },
	{ method: 'GET', path: '/key/list', handler: 'keyList', cats: KEY_INFO, mgmt: true },
	{
		method: 'POST',
		path: '/key/generate',
		handler: 'keyGenerate',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/update',
		handler: 'keyUpdate',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/delete',
		handler: 'keyDelete',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/block',
		handler: 'keyBlock',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{
		method: 'POST',
		path: '/key/unblock',
		handler: 'keyUnblock',
		cats: KEY_MGMT,
		mgmt: true,
		bodyModel: true,
	},
	{ method: 'POST', path: '/key/regenerate', handler: 'keyRegenerate', cats: KEY_MGMT, mgmt: true },
	{
		method: 'POST',
		path: /^\/key\/([^/]+)\/regenerate$/,
		name: '/key/{key}/regenerate',
		handler: 'keyRegenerate',
		cats: KEY_MGMT,
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/user/info',
		handler: 'userInfo',
		cats: ['info_routes', 'management_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/team/info',
		handler: 'teamInfo',
		cats: ['info_routes', 'management_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/user/daily/activity',
		handler: 'dailyActivity',
		cats: ['spend_tracking_routes'],
		mgmt: true,
	},
	{
		method: 'GET',
		path: '/spend/logs',
		handler: 'spendLogs',
		cats: ['spend_tracking_routes'],
		mgmt: true,
	},
];

function matchRoute(path) {
	const found = [];
	for (const r of ROUTES) {
		if (typeof r.path === 'string') {
			if (r.path === path) found.push({ route: r, params: [] });
		} else {
			const m = r.path.exec(path);
			if (m) found.push({ route: r, params: m.slice(1).map(decodeURIComponent) });
		}
	}
	return found;
}

/** Routes a reverse proxy that hides management routes still forwards (exposeManagement: false). */
const LLM_ONLY_PATHS = new Set([
	'/v1/models',
	'/models',
	'/v1/chat/completions',
	'/chat/completions',
	'/v1/embeddings',
	'/embeddings',
]);

/** Handlers called as handler(state, ctx, req, params); chat and embeddings are called by the pipeline. */
const handlers = { ...health, ...models, ...key, ...user, ...team, ...usage, ...spend };

module.exports = { ROUTES, matchRoute, LLM_ONLY_PATHS, handlers };
