import {
	classifyNetworkError,
	classifyResponse,
	ERROR_CLASSES,
	errorItemJson,
	GatewayError,
	inputError,
	readEnvelope,
	toNodeError,
} from '../../nodes/shared/errors';
import type { INode } from 'n8n-workflow';

const CANARY = 'sk-canary-ERRS4f9bQx7Lm2Zt8Vw3Np1R';
const proxy = (message: string, type: string | null, param: string | null, code: string) => ({
	error: { message, type, param, code },
});
const node: INode = {
	id: 'n',
	name: 'Chat',
	type: 'n8n-nodes-jlab-llm.jlabLlmChat',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

// Each row: a gateway answer as LiteLLM sends it (docs/gateway.md) → the class.
const cases: Array<[string, number, unknown, Record<string, string>, string, string]> = [
	[
		'budget, ≤v1.83 (400)',
		400,
		proxy(
			'Budget has been exceeded! Current cost: 1.2, Max budget: 1.0',
			'budget_exceeded',
			'None',
			'400',
		),
		{},
		'/v1/chat/completions',
		'budget_exceeded',
	],
	[
		'budget, v1.9x (429)',
		429,
		proxy(
			'Budget has been exceeded! Key=bot (sk-...W8TA) Current cost: 5, Max budget: 5',
			'budget_exceeded',
			null,
			'429',
		),
		{},
		'/v1/chat/completions',
		'budget_exceeded',
	],
	[
		'budget, newest (422)',
		422,
		proxy(
			'ExceededBudget: User=u1 over budget. Spend=3, Budget=2',
			'budget_exceeded',
			'None',
			'422',
		),
		{},
		'/v1/models',
		'budget_exceeded',
	],
	[
		'expired, ≤v1.83 (400)',
		400,
		proxy(
			'Authentication Error - Expired Key. Key Expiry time 2026-01-01 and current time 2026-11-28',
			'expired_key',
			'sk-...abcd',
			'400',
		),
		{},
		'/key/info',
		'expired_key',
	],
	[
		'expired, v1.9x (401)',
		401,
		proxy('Authentication Error - Expired Key.', 'expired_key', 'sk-...abcd', '401'),
		{},
		'/v1/chat/completions',
		'expired_key',
	],
	[
		'unknown key, new type',
		401,
		proxy(
			'Authentication Error, Invalid proxy server token passed. Received API Key = sk-...abcd, Key Hash (Token) =ab12',
			'token_not_found_in_db',
			'key',
			'401',
		),
		{},
		'/v1/models',
		'invalid_key',
	],
	[
		'unknown key, old type auth_error + param key',
		401,
		proxy('Authentication Error, Invalid proxy server token passed.', 'auth_error', 'key', '401'),
		{},
		'/key/info',
		'invalid_key',
	],
	[
		'blocked key',
		401,
		proxy(
			"Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.",
			'auth_error',
			'None',
			'401',
		),
		{},
		'/v1/chat/completions',
		'blocked_key',
	],
	[
		'model access, ≤v1.83 (401)',
		401,
		proxy(
			'key not allowed to access model. This key can only access models=[a]. Tried to access b',
			'key_model_access_denied',
			'model',
			'401',
		),
		{},
		'/v1/chat/completions',
		'model_not_allowed',
	],
	[
		'model access, v1.9x (403)',
		403,
		proxy('key not allowed to access model.', 'key_model_access_denied', 'model', '403'),
		{},
		'/v1/chat/completions',
		'model_not_allowed',
	],
	[
		'team model access',
		401,
		proxy(
			'Team not allowed to access model. Team=t, Model=m',
			'team_model_access_denied',
			'model',
			'401',
		),
		{},
		'/v1/chat/completions',
		'model_not_allowed',
	],
	[
		'unknown model, type "None"',
		400,
		proxy('/chat/completions: Invalid model name passed in model=x.', 'None', 'model', '400'),
		{},
		'/v1/chat/completions',
		'unknown_model',
	],
	[
		'unknown model, 404 NotFound',
		404,
		proxy('Not found', 'invalid_request_error', 'model', '404'),
		{},
		'/v1/chat/completions',
		'unknown_model',
	],
	[
		'bad request, type null',
		400,
		proxy('messages is empty', null, null, '400'),
		{},
		'/v1/chat/completions',
		'bad_request',
	],
	[
		'rate limit, v3 limiter, type "None"',
		429,
		proxy(
			'Rate limit exceeded for api_key: ab12. Limit type: requests. Current limit: 60, Remaining: 0.',
			'None',
			'None',
			'429',
		),
		{ 'retry-after': '7', rate_limit_type: 'requests' },
		'/v1/chat/completions',
		'rate_limited',
	],
	[
		'rate limit, 2026 throttling_error',
		429,
		proxy('Rate limit exceeded', 'throttling_error', null, '429'),
		{ reset_at: '2099-01-01 00:00:00' },
		'/v1/chat/completions',
		'rate_limited',
	],
	// A team member without the team's key permissions: a 401, but the key is fine (team_member_permission_checks.py).
	[
		'team member permission, 401',
		401,
		proxy(
			"Team member does not have permissions for endpoint: /key/generate. You only have access to the following endpoints: ['/key/info', '/key/health'] for team t1.",
			'team_member_permission_error',
			null,
			'401',
		),
		{},
		'/key/generate',
		'permission_denied',
	],
	[
		'management 403 wrapped as internal_server_error',
		403,
		proxy(
			"You are not allowed to access this key's info. Your role=internal_user",
			'internal_server_error',
			'None',
			'403',
		),
		{},
		'/key/info',
		'permission_denied',
	],
	[
		'route restriction, {"detail": …}',
		403,
		{
			detail:
				"Virtual key is not allowed to call this route. Only allowed to call routes: ['llm_api_routes']. Tried to call route: /v1/model/info",
		},
		{},
		'/model/info',
		'permission_denied',
	],
	[
		'route not exposed, {"detail":"Not Found"}',
		404,
		{ detail: 'Not Found' },
		{},
		'/key/info',
		'permission_denied',
	],
	[
		'key not found (not_found_error)',
		404,
		proxy('Key not found in database', 'not_found_error', 'key', '404'),
		{},
		'/key/update',
		'bad_request',
	],
	[
		'activity validation, {"detail": {"error": …}}',
		400,
		{ detail: { error: 'Please provide start_date and end_date' } },
		{},
		'/user/daily/activity',
		'bad_request',
	],
	[
		'dict detail as str(dict)',
		403,
		proxy(
			"{'error': 'You are not authorized to delete this key'}",
			'internal_server_error',
			'None',
			'403',
		),
		{},
		'/key/delete',
		'permission_denied',
	],
	[
		'enterprise-only regenerate (500)',
		500,
		proxy(
			'Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise user to use this feature.',
			'internal_server_error',
			'None',
			'500',
		),
		{},
		'/key/sk-…/regenerate',
		'enterprise_required',
	],
	[
		'upstream 500, type null',
		500,
		proxy(
			'litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.',
			null,
			null,
			'500',
		),
		{},
		'/v1/chat/completions',
		'upstream_error',
	],
	[
		'unhandled internal error, newest',
		500,
		{ error: { message: 'Internal server error', type: 'internal_server_error' } },
		{},
		'/v1/chat/completions',
		'upstream_error',
	],
	[
		'auth DB unreachable (503)',
		503,
		proxy(
			'Service Unavailable, the authentication database is temporarily unreachable.',
			'no_db_connection',
			null,
			'503',
		),
		{},
		'/v1/models',
		'gateway_unavailable',
	],
	[
		'reverse proxy 502 HTML',
		502,
		'<html><body>Bad Gateway</body></html>',
		{},
		'/v1/models',
		'gateway_unavailable',
	],
	[
		'wrong base URL: 200 HTML page',
		200,
		'<!doctype html><html><head><title>Delphi</title></head></html>',
		{},
		'/v1/models',
		'invalid_response',
	],
	[
		'wrong base URL: 404 HTML page on an LLM route',
		404,
		'<html>Not Found</html>',
		{},
		'/v1/models',
		'invalid_response',
	],
	// The transport then asks /v1/models: a gateway that answers it hides the route; otherwise invalid_response.
	[
		'hidden management route: 404 HTML page',
		404,
		'<html>Not Found</html>',
		{},
		'/key/info',
		'permission_denied',
	],
	[
		'problem+json from /v1/management',
		409,
		{ type: 'about:blank', title: 'Conflict', status: 409, detail: 'exists' },
		{},
		'/v1/management/keys',
		'bad_request',
	],
];

describe('classifyResponse', () => {
	it.each(cases)('%s', (_label, status, body, headers, route, expected) => {
		const err = classifyResponse(status, body, headers, route);
		expect(err).toBeInstanceOf(GatewayError);
		expect(err?.errorClass).toBe(expected);
		expect(err?.description.startsWith(`${expected}: `)).toBe(true);
	});

	it('passes good answers through', () => {
		expect(classifyResponse(200, { data: [] }, {}, '/v1/models')).toBeUndefined();
		expect(classifyResponse(200, [{ spend: 1 }], {}, '/spend/logs')).toBeUndefined();
	});

	it('covers every class of docs/architecture.md except stream_error and timeout with a gateway answer', () => {
		const seen = new Set(cases.map((c) => c[5]));
		for (const cls of ERROR_CLASSES) {
			if (cls === 'stream_error' || cls === 'timeout') continue;
			expect(seen.has(cls)).toBe(true);
		}
	});

	it('reads retry-after as seconds or a date, and reset_at in UTC', () => {
		const now = Date.parse('2026-11-28T12:00:00Z');
		expect(
			classifyResponse(
				429,
				proxy('x', 'None', 'None', '429'),
				{ 'retry-after': '7' },
				'/v1/chat/completions',
				[],
				now,
			)?.details.retryAfterMs,
		).toBe(7000);
		expect(
			classifyResponse(
				429,
				proxy('x', 'None', 'None', '429'),
				{ 'retry-after': 'Sat, 28 Nov 2026 12:00:30 GMT' },
				'/v1/chat/completions',
				[],
				now,
			)?.details.retryAfterMs,
		).toBe(30000);
		expect(
			classifyResponse(
				429,
				proxy('x', 'None', 'None', '429'),
				{ reset_at: '2026-11-28 12:00:45' },
				'/v1/chat/completions',
				[],
				now,
			)?.details.retryAfterMs,
		).toBe(45000);
	});

	it('never classifies by message text: the same text with another type changes the class', () => {
		const text = 'Budget has been exceeded! Current cost: 9, Max budget: 1';
		expect(
			classifyResponse(400, proxy(text, null, null, '400'), {}, '/v1/chat/completions')?.errorClass,
		).toBe('bad_request');
		expect(
			classifyResponse(
				400,
				proxy('anything', 'budget_exceeded', null, '400'),
				{},
				'/v1/chat/completions',
			)?.errorClass,
		).toBe('budget_exceeded');
	});

	it('redacts a key echoed in the gateway message', () => {
		const err = classifyResponse(
			401,
			proxy(
				`Authentication Error, Invalid proxy server token passed. Received API Key = ${CANARY}`,
				'token_not_found_in_db',
				'key',
				'401',
			),
			{},
			'/v1/models',
			[CANARY],
		);
		expect(err?.message).not.toContain(CANARY);
		expect(err?.message).not.toContain(CANARY.slice(10, 18));
		expect(err?.message).toContain('Gateway said');
	});

	it('marks which classes are retried', () => {
		const retried = ['rate_limited', 'gateway_unavailable', 'timeout', 'upstream_error'];
		for (const cls of ERROR_CLASSES) {
			expect(new GatewayError(cls, 'x').retryable).toBe(retried.includes(cls));
		}
	});
});

describe('readEnvelope', () => {
	it('normalises the string "None" and null to undefined', () => {
		expect(readEnvelope(proxy('m', 'None', 'None', '400'))).toEqual({
			message: 'm',
			type: undefined,
			param: undefined,
		});
		expect(readEnvelope({ error: 'plain' })).toEqual({ message: 'plain' });
		expect(readEnvelope('<html>')).toBeUndefined();
	});
});

describe('classifyNetworkError', () => {
	const wrap = (code: string, message = 'failed') =>
		Object.assign(new Error(`outer: ${message}`), {
			cause: Object.assign(new Error(message), { code }),
		});
	it.each([
		['ECONNRESET', 'gateway_unavailable'],
		['ECONNREFUSED', 'gateway_unavailable'],
		['ENOTFOUND', 'gateway_unavailable'],
		['EAI_AGAIN', 'gateway_unavailable'],
		['ECONNABORTED', 'timeout'],
		['ETIMEDOUT', 'timeout'],
	])('%s → %s', (code, cls) => {
		const err = classifyNetworkError(wrap(code), '/v1/chat/completions');
		expect(err.errorClass).toBe(cls);
		expect(err.message).toContain(code);
		expect(err.details.status).toBeUndefined();
	});

	it('redacts a key found in the error text', () => {
		const err = classifyNetworkError(
			wrap('ECONNRESET', `header Authorization: Bearer ${CANARY}`),
			'/v1/models',
			[CANARY],
		);
		expect(err.message).not.toContain(CANARY.slice(3, 11));
	});
});

describe('node errors', () => {
	it('puts the class first in the description and keeps the status', () => {
		const g = classifyResponse(
			429,
			proxy('over', 'budget_exceeded', null, '429'),
			{},
			'/v1/chat/completions',
		) as GatewayError;
		const e = toNodeError(node, g, 3);
		expect(e.description).toMatch(/^budget_exceeded: /);
		expect(e.message).toContain('budget is used up');
		expect((e as { httpCode?: string }).httpCode).toBe('429');
		expect(e.context.itemIndex).toBe(3);
	});

	it('gives Continue On Fail items error + errorType', () => {
		expect(errorItemJson(inputError('Temperature', 'a number from 0 to 2'))).toEqual({
			error: 'Temperature: a number from 0 to 2',
			errorType: 'bad_request',
			field: 'Temperature',
		});
		const g = classifyResponse(
			401,
			proxy('x', 'expired_key', null, '401'),
			{},
			'/v1/models',
		) as GatewayError;
		expect(errorItemJson(g)).toMatchObject({ errorType: 'expired_key', httpCode: 401 });
	});
});
