'use strict';
// LiteLLM version profiles: the status codes, error types and headers that changed between releases.

/** LiteLLM version profiles: the 2026 status-code and wording changes (docs/gateway.md). */
const PROFILES = {
	'v1.83': {
		version: '1.83.4',
		invalidKeyType: 'auth_error',
		expiredStatus: 400,
		expiredParamIsHash: true,
		budgetStatus: 400,
		keyBudgetOnAllRoutes: true,
		modelDeniedStatus: 401,
		unknownModelType: 'None',
		unknownModelParam: 'None',
		throttleType: 'None',
		parallelLimitType: 'max_parallel_requests',
		keyRateHeaders: false,
		modelGroupHeader: false,
		malformedEchoesValue: true,
	},
	'v1.9x': {
		version: '1.95.2',
		invalidKeyType: 'token_not_found_in_db',
		expiredStatus: 401,
		expiredParamIsHash: false,
		budgetStatus: 429,
		keyBudgetOnAllRoutes: false,
		modelDeniedStatus: 403,
		unknownModelType: 'invalid_request_error',
		unknownModelParam: 'model',
		throttleType: 'throttling_error',
		parallelLimitType: 'concurrent_requests',
		keyRateHeaders: true,
		modelGroupHeader: true,
		malformedEchoesValue: false,
	},
	next: {
		version: '1.104.0',
		invalidKeyType: 'token_not_found_in_db',
		expiredStatus: 401,
		expiredParamIsHash: false,
		budgetStatus: 422,
		keyBudgetOnAllRoutes: false,
		modelDeniedStatus: 403,
		unknownModelType: 'invalid_request_error',
		unknownModelParam: 'model',
		throttleType: 'throttling_error',
		parallelLimitType: 'concurrent_requests',
		keyRateHeaders: true,
		modelGroupHeader: true,
		malformedEchoesValue: false,
	},
};

/** The profile the gateway answers as now (setConfig may switch it). */
function profile(state) {
	return PROFILES[state.cfg.profile];
}

module.exports = { PROFILES, profile };
