import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { redact } from './redact';

/** The error classes of docs/architecture.md#error-classes, in the gateway's own words. */
export const ERROR_CLASSES = [
	'invalid_key',
	'expired_key',
	'blocked_key',
	'budget_exceeded',
	'rate_limited',
	'model_not_allowed',
	'unknown_model',
	'permission_denied',
	'enterprise_required',
	'bad_request',
	'upstream_error',
	'gateway_unavailable',
	'timeout',
	'invalid_response',
	'stream_error',
] as const;

export type ErrorClass = (typeof ERROR_CLASSES)[number];

interface ClassText {
	headline: string;
	advice: string;
}

const CLASS_TEXT: Record<ErrorClass, ClassText> = {
	invalid_key: {
		headline: 'The gateway does not recognise this key',
		advice:
			'The key is unknown to LiteLLM: mistyped, deleted, or replaced by a rotation. Create a key in the Key Manager portal (it is shown once) and paste it into the JLab LLM API credential.',
	},
	expired_key: {
		headline: 'The key has expired',
		advice:
			'Create a new key in the Key Manager portal, or ask the gateway admins to extend this one.',
	},
	blocked_key: {
		headline: 'The key is blocked',
		advice:
			'The gateway admins blocked this key (or its team). Ask them to unblock it, or use another key.',
	},
	budget_exceeded: {
		headline: "The key's budget is used up",
		advice:
			'Spend has reached the maximum budget, so the gateway refuses requests until the budget resets or an admin raises it. Not retried.',
	},
	rate_limited: {
		headline: "The gateway's rate limit was reached",
		advice:
			'The key sent more requests or tokens per minute than it may. The node waited as the gateway asked and retried within its retry budget; lower the concurrency or raise Max Retries.',
	},
	model_not_allowed: {
		headline: 'This key may not use the model',
		advice:
			"The model is not on the key's allow-list. Pick one of the models the key may call, or ask for access in the Key Manager portal.",
	},
	unknown_model: {
		headline: 'The gateway has no such model',
		advice: 'Check the model name: the model list shows every model this key can call.',
	},
	permission_denied: {
		headline: 'The key may not call this gateway route',
		advice:
			'The route needs another role (a key tied to a user, or an admin key), or the gateway does not expose it.',
	},
	enterprise_required: {
		headline: 'This operation needs LiteLLM Enterprise',
		advice: 'The gateway runs open-source LiteLLM, where this feature is not licensed.',
	},
	bad_request: {
		headline: 'The request was refused as invalid',
		advice: 'Check the parameter named in the message.',
	},
	upstream_error: {
		headline: 'The model server behind the gateway failed',
		advice:
			'The gateway reached the model but the model server answered with an error. Retried within the retry budget.',
	},
	gateway_unavailable: {
		headline: 'The gateway could not be reached',
		advice:
			"Check the base URL and the network: the lab's gateway is reachable only from the lab's internal network.",
	},
	timeout: {
		headline: 'The gateway did not answer in time',
		advice: 'Raise the timeout, ask for fewer tokens, or try again when the gateway is less busy.',
	},
	invalid_response: {
		headline: 'The answer did not come from a LiteLLM gateway',
		advice:
			'The base URL probably points at a web page instead of the API. It should be the gateway root, e.g. https://delphi.jlab.org/api.',
	},
	stream_error: {
		headline: 'The answer broke off midway',
		advice: 'The gateway reported an error after it had started to answer. Try again.',
	},
};

/** Classes the transport retries with backoff; upstream_error only for 5xx. */
const RETRYABLE: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
	'rate_limited',
	'gateway_unavailable',
	'timeout',
	'upstream_error',
]);

export interface GatewayErrorDetails {
	/** HTTP status, absent for network failures and bad input. */
	status?: number;
	/** LiteLLM's error.type as sent (normalised: "None" and "" become undefined). */
	gatewayType?: string;
	param?: string;
	/** Route below the base URL, e.g. /v1/chat/completions. */
	route?: string;
	retryAfterMs?: number;
	callId?: string;
	attempts?: number;
	/** A write that failed in the end, but an earlier attempt of it failed retryably: it may have been applied. */
	mayHaveApplied?: boolean;
	/** The parameter at fault, for bad input found before any request. */
	field?: string;
	/** What the gateway said (redacted, clipped), so a reclassified error can keep it. */
	gatewaySaid?: string;
	/** The answer's body was not JSON (an HTML page, plain text). */
	notJson?: boolean;
}

/** A classified failure. Its message is already redacted. */
export class GatewayError extends Error {
	readonly errorClass: ErrorClass;

	readonly details: GatewayErrorDetails;

	constructor(errorClass: ErrorClass, message: string, details: GatewayErrorDetails = {}) {
		super(message);
		this.name = 'GatewayError';
		this.errorClass = errorClass;
		this.details = details;
	}

	get retryable(): boolean {
		return RETRYABLE.has(this.errorClass);
	}

	/** `<class>: <advice>` — the node error description and what users search for. */
	get description(): string {
		return `${this.errorClass}: ${CLASS_TEXT[this.errorClass].advice}`;
	}
}

/** Bad input found before any request: names the field and what is expected. */
export function inputError(field: string, expected: string): GatewayError {
	return new GatewayError('bad_request', `${field}: ${expected}`, { field });
}

export function headlineOf(errorClass: ErrorClass): string {
	return CLASS_TEXT[errorClass].headline;
}

function text(value: unknown): string | undefined {
	if (value === null || value === undefined) return undefined;
	const s = typeof value === 'string' ? value : JSON.stringify(value);
	// LiteLLM sends the string "None" where Python had None.
	return s === '' || s === 'None' || s === 'null' ? undefined : s;
}

interface Envelope {
	message?: string;
	type?: string;
	param?: string;
	detailOnly?: boolean;
}

/** Reads every error envelope LiteLLM uses: {error:{…}}, {error:"…"}, {detail:…}, problem+json. */
export function readEnvelope(body: unknown): Envelope | undefined {
	if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
	const b = body as Record<string, unknown>;
	const error = b.error;
	if (error !== null && typeof error === 'object' && !Array.isArray(error)) {
		const e = error as Record<string, unknown>;
		return { message: text(e.message), type: text(e.type), param: text(e.param) };
	}
	if (typeof error === 'string') return { message: error };
	if ('detail' in b) {
		const d = b.detail;
		if (d !== null && typeof d === 'object' && !Array.isArray(d)) {
			const inner = (d as Record<string, unknown>).error ?? (d as Record<string, unknown>).message;
			return { message: text(inner) ?? text(d), detailOnly: true };
		}
		const title = text(b.title);
		const detail = text(d);
		return {
			message: title && detail ? `${title}: ${detail}` : (detail ?? title),
			detailOnly: true,
		};
	}
	return undefined;
}

// LiteLLM's call id is a uuid4 (a client may choose its own, which these nodes never do).
const CALL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The gateway's x-litellm-call-id, only when it looks like one and holds nothing redaction would touch. */
export function callIdOf(
	headers: Record<string, string>,
	secrets: ReadonlyArray<string | undefined> = [],
): string | undefined {
	const id = headers['x-litellm-call-id'];
	if (id === undefined || !CALL_ID.test(id)) return undefined;
	return redact(id, secrets) === id ? id : undefined;
}

function parseRetryAfter(headers: Record<string, string>, nowMs: number): number | undefined {
	const ra = headers['retry-after'];
	if (ra !== undefined && ra !== '') {
		const seconds = Number(ra);
		if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
		const at = Date.parse(ra);
		if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
	}
	const reset = headers.reset_at ?? headers['reset-at'];
	if (reset) {
		// LiteLLM writes "YYYY-MM-DD HH:MM:SS" in UTC, without a zone.
		const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(reset)
			? `${reset.replace(' ', 'T')}Z`
			: reset;
		const at = Date.parse(iso);
		if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
	}
	return undefined;
}

/** LLM routes and /key/info answer 401 only when the key itself fails authentication. */
export function isAuthOnlyRoute(route: string): boolean {
	return route === '/key/info' || isLlmRoute(route);
}

function isLlmRoute(route: string): boolean {
	return /^\/(v1\/)?(chat\/completions|completions|embeddings|models)\b/.test(route);
}

const MAX_MESSAGE = 400;

function notExposedText(route: string): string {
	return `This gateway does not expose ${route} (HTTP 404)`;
}

/** `<headline>. <extra>. Gateway said: <said>` — each part once, without doubled periods. */
export function messageOf(cls: ErrorClass, extra?: string, said?: string): string {
	const parts = [
		headlineOf(cls),
		extra?.replace(/[.\s]+$/, ''),
		said ? `Gateway said: ${said}` : undefined,
	];
	return parts.filter((p): p is string => !!p).join('. ');
}

/** The same failure in another class: that class's headline, the new explanation, the gateway's words. */
export function reclassify(err: GatewayError, cls: ErrorClass, extra?: string): GatewayError {
	return new GatewayError(cls, messageOf(cls, extra, err.details.gatewaySaid), { ...err.details });
}

/**
 * A refused chat request that may be about its model: model_not_allowed, unknown_model, or a 400/404
 * that names no parameter (LiteLLM 1.83 answers an unknown model with type and param "None").
 */
export function mayBeModelRefusal(err: GatewayError): boolean {
	const { errorClass, details } = err;
	const unnamed =
		errorClass === 'bad_request' &&
		(details.status === 400 || details.status === 404) &&
		!details.param &&
		!details.field;
	return errorClass === 'model_not_allowed' || errorClass === 'unknown_model' || unnamed;
}

const SHOWN_MODELS = 40;

function modelsText(ids: string[]): string {
	if (ids.length === 0) return 'This key can use no models at all';
	const shown = ids.slice(0, SHOWN_MODELS).join(', ');
	return `This key can use: ${shown}${ids.length > SHOWN_MODELS ? ` and ${ids.length - SHOWN_MODELS} more` : ''}`;
}

/**
 * Classifies a refused model by the key's own model list (GET /v1/models), never by text: a model
 * the list lacks is unknown_model; the list is named in the message. Every node that calls a model
 * uses this, so they agree on class and message.
 */
export function explainModelRefusal(err: GatewayError, model: string, ids: string[]): GatewayError {
	if (!mayBeModelRefusal(err)) return err;
	const listed = ids.includes(model);
	if (err.errorClass === 'bad_request' && listed) return err;
	const cls: ErrorClass =
		err.errorClass === 'model_not_allowed' ? 'model_not_allowed' : 'unknown_model';
	const what =
		cls === 'model_not_allowed'
			? `The key may not use "${model}". ${modelsText(ids)}`
			: listed
				? `The gateway refused "${model}". ${modelsText(ids)}`
				: `"${model}" is not in the gateway's model list for this key. ${modelsText(ids)}`;
	return reclassify(err, cls, what);
}

function clip(s: string): string {
	return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/**
 * Classifies a non-2xx (or non-JSON) gateway answer. By LiteLLM's error.type where it is
 * specific, by status where it is generic — never by message text, which varies by version
 * and language. Returns undefined for a good answer.
 */
export function classifyResponse(
	status: number,
	body: unknown,
	headers: Record<string, string>,
	route: string,
	secrets: ReadonlyArray<string | undefined> = [],
	nowMs = Date.now(),
): GatewayError | undefined {
	const isJson = body !== null && typeof body === 'object';
	if (status >= 200 && status < 300 && isJson) return undefined;

	const env = readEnvelope(body);
	const type = env?.type;
	const param = env?.param;
	const details: GatewayErrorDetails = {
		status,
		gatewayType: type,
		param,
		route,
		retryAfterMs: parseRetryAfter(headers, nowMs),
		callId: callIdOf(headers, secrets),
	};
	const said = env?.message ? clip(redact(env.message, secrets)) : undefined;
	if (said) details.gatewaySaid = said;
	if (!isJson) details.notJson = true;
	const make = (cls: ErrorClass, extra?: string) =>
		new GatewayError(cls, messageOf(cls, extra, said), details);

	if (type === 'budget_exceeded') return make('budget_exceeded');
	if (type === 'expired_key') return make('expired_key');
	if (type === 'token_not_found_in_db') return make('invalid_key');
	if (type !== undefined && /_model_access_denied$/.test(type)) return make('model_not_allowed');
	if (type === 'no_db_connection') return make('gateway_unavailable');
	// A 401 for the caller's team role, not for the key: LiteLLM's team-member permission check.
	if (type === 'team_member_permission_error')
		return make(
			'permission_denied',
			"the key's role in its team does not allow this (ask a team admin)",
		);

	if (!isJson) {
		if (status === 429) return make('rate_limited');
		// A reverse proxy's 404 page for a management route: hidden, as with FastAPI's JSON 404
		// (the transport asks /v1/models before it believes the gateway is there at all).
		if (status === 404 && !isLlmRoute(route))
			return make('permission_denied', notExposedText(route));
		if (status === 502 || status === 503 || status === 504)
			return make('gateway_unavailable', `HTTP ${status}`);
		const kind =
			status >= 200 && status < 300
				? 'a page that is not JSON'
				: `HTTP ${status} with a body that is not JSON`;
		return make('invalid_response', `${route} answered with ${kind}`);
	}
	if (status >= 200 && status < 300) return undefined;

	switch (status) {
		case 401:
			// param "key" marks an unknown key; other 401s (type auth_error) are blocked keys
			// on LLM routes, and are refined by a probe on management routes.
			if (param === 'key' || (type !== 'auth_error' && type !== undefined))
				return make('invalid_key');
			return make('blocked_key');
		case 403:
			return make('permission_denied', `HTTP 403 on ${route}`);
		case 404:
			if (param === 'model') return make('unknown_model');
			if (env?.detailOnly && !type) return make('permission_denied', notExposedText(route));
			return make('bad_request', `HTTP 404 on ${route}`);
		case 400:
			return param === 'model' ? make('unknown_model') : make('bad_request');
		case 408:
			return make('timeout');
		case 429:
			return make('rate_limited');
		case 500:
			if (/\/regenerate$/.test(route) && type === 'internal_server_error')
				return make('enterprise_required');
			return make('upstream_error', 'HTTP 500');
		case 502:
		case 503:
		case 504:
			return make('gateway_unavailable', `HTTP ${status}`);
		default:
			if (status >= 500) return make('upstream_error', `HTTP ${status}`);
			return make('bad_request', `HTTP ${status}`);
	}
}

const TIMEOUT_CODES = new Set([
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'UND_ERR_HEADERS_TIMEOUT',
	'UND_ERR_BODY_TIMEOUT',
]);

/** Collects error codes down the cause chain (n8n wraps axios errors in NodeApiError). */
function errorCodes(err: unknown): string[] {
	const codes: string[] = [];
	let cur: unknown = err;
	for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
		const c = cur as { code?: unknown; cause?: unknown; errorResponse?: unknown };
		if (typeof c.code === 'string') codes.push(c.code);
		cur = c.cause ?? c.errorResponse;
	}
	return codes;
}

export function isAbort(err: unknown): boolean {
	const codes = errorCodes(err);
	return codes.includes('ERR_CANCELED') || (err as { name?: string })?.name === 'AbortError';
}

/** Classifies a request that got no HTTP answer at all. */
export function classifyNetworkError(
	err: unknown,
	route: string,
	secrets: ReadonlyArray<string | undefined> = [],
): GatewayError {
	const codes = errorCodes(err);
	const code = codes.find((c) => /^[A-Z_]+$/.test(c)) ?? codes[0];
	const raw = err instanceof Error ? err.message : String(err);
	const said = clip(redact(raw, secrets));
	const cls: ErrorClass = codes.some((c) => TIMEOUT_CODES.has(c))
		? 'timeout'
		: 'gateway_unavailable';
	const parts = [headlineOf(cls), code ? `${route}: ${code}` : route, said];
	return new GatewayError(cls, parts.filter(Boolean).join('. '), { route });
}

/** n8n's failure hint, so the engine can tell rate limits and dead keys apart (n8n ≥ 2.41). */
function failureOf(err: GatewayError): JsonObject | undefined {
	switch (err.errorClass) {
		case 'rate_limited':
			return err.details.retryAfterMs !== undefined
				? { cause: 'rate-limited', retryAfterMs: err.details.retryAfterMs }
				: { cause: 'rate-limited' };
		case 'budget_exceeded':
			return { cause: 'quota-exhausted' };
		case 'gateway_unavailable':
		case 'upstream_error':
		case 'timeout':
			return { cause: 'temporarily-unavailable' };
		case 'invalid_key':
		case 'expired_key':
		case 'blocked_key':
			return { cause: 'credential-invalid' };
		case 'bad_request':
			return err.details.field ? { cause: 'configuration-invalid' } : undefined;
		default:
			return undefined;
	}
}

/** Turns a classified failure into the n8n error a node throws. Nothing but redacted text goes in. */
export function toNodeError(
	node: INode,
	err: GatewayError,
	itemIndex?: number,
): NodeApiError | NodeOperationError {
	const failure = failureOf(err) as never;
	if (err.details.status === undefined) {
		const nodeError = new NodeOperationError(node, err.message, {
			itemIndex,
			description: err.description,
			failure,
		});
		// n8n swaps a message naming ECONNRESET & co. for its generic text; keep the classified one.
		nodeError.message = err.message;
		return nodeError;
	}
	const response: JsonObject = {
		errorClass: err.errorClass,
		status: err.details.status,
		message: err.message,
	};
	if (err.details.callId) response.callId = err.details.callId;
	return new NodeApiError(node, response, {
		message: err.message,
		description: err.description,
		httpCode: String(err.details.status),
		itemIndex,
		failure,
	});
}

/** The "Continue On Fail" item body: n8n's usual `error` plus the class. */
export function errorItemJson(
	err: unknown,
	secrets: ReadonlyArray<string | undefined> = [],
): JsonObject {
	if (err instanceof GatewayError) {
		const json: JsonObject = { error: err.message, errorType: err.errorClass };
		if (err.details.status !== undefined) json.httpCode = err.details.status;
		if (err.details.field) json.field = err.details.field;
		return json;
	}
	const message = err instanceof Error ? err.message : String(err);
	const description = (err as { description?: unknown })?.description;
	const cls = typeof description === 'string' ? description.split(':')[0] : undefined;
	const json: JsonObject = { error: redact(message, secrets) };
	json.errorType = cls && (ERROR_CLASSES as readonly string[]).includes(cls) ? cls : 'bad_request';
	return json;
}
