import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	ISupplyDataFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	classifyNetworkError,
	classifyResponse,
	GatewayError,
	inputError,
	isAbort,
	isAuthOnlyRoute,
	reclassify,
} from './errors';
import type { Pacer } from './pacing';
import { keyHash, redact } from './redact';
import { DEFAULT_MAX_WAIT_MS, retryDelayMs, withRetries, type Attempted } from './retry';

export const CREDENTIAL_TYPE = 'jlabLlmApi';
export const DEFAULT_BASE_URL = 'https://delphi.jlab.org/api';
/** The route both chat nodes call: the Chat node directly, the Chat Model through its client. */
export const CHAT_ROUTE = '/v1/chat/completions';

export type GatewayContext = IExecuteFunctions | ILoadOptionsFunctions | ISupplyDataFunctions;

export interface GatewayRequestOptions {
	method?: IHttpRequestMethods;
	/** Route below the base URL, starting with "/", e.g. "/v1/chat/completions". */
	route: string;
	qs?: IDataObject;
	body?: IDataObject;
	headers?: Record<string, string>;
	/** Per attempt; default 60 s. */
	timeoutMs?: number;
	/** Retries after the first attempt for retryable classes; default 3. */
	maxRetries?: number;
	itemIndex?: number;
	pacer?: Pacer;
	/** Extra values to scrub from errors (e.g. a key being rotated). */
	secrets?: string[];
	/** The longest wait the gateway may ask for (retry-after, reset_at); longer fails as rate_limited. Default: the pacer's, else 120 s. */
	maxWaitMs?: number;
	/**
	 * Authenticate with the credential as this node run read it (gatewaySettings) instead of letting
	 * n8n read and decrypt it from its database again for every request. For runs of many requests
	 * that never write the credential themselves; a key rotated meanwhile is picked up as soon as the
	 * gateway refuses the old one (invalid or expired key).
	 */
	reuseCredential?: boolean;
}

export interface GatewayResponse<T> {
	body: T;
	/** Lower-case header names, string values. */
	headers: Record<string, string>;
	status: number;
	attempts: number;
}

export interface GatewaySettings {
	baseUrl: string;
	/** Kept only to scrub echoes of the key from errors; never sent except by n8n's authenticate. */
	secrets: string[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The gateway root every route hangs below: http(s) only, no credentials or query in it,
 * trailing "/" and "/v1" removed, the lab's "/api" prefix kept.
 */
export function normalizeBaseUrl(raw: unknown, allowHttp = false): string {
	const field = 'Base URL';
	if (typeof raw !== 'string' || raw.trim() === '') {
		throw inputError(field, `the gateway's URL is required, e.g. ${DEFAULT_BASE_URL}`);
	}
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		throw inputError(
			field,
			`expected an http:// or https:// URL such as ${DEFAULT_BASE_URL}, got "${redact(raw.trim()).slice(0, 80)}"`,
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw inputError(field, `expected an http:// or https:// URL, got ${url.protocol}//`);
	}
	if (url.username || url.password) {
		throw inputError(
			field,
			'must not contain a user name or password; the key belongs in the API Key field',
		);
	}
	if (url.search || url.hash) {
		throw inputError(
			field,
			'must not contain a query string or fragment; keys never travel in URLs',
		);
	}
	if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !allowHttp) {
		throw inputError(
			field,
			`expected https:// for a gateway that is not on this machine (${url.host}): http:// would send the key unencrypted. Use https://, or turn on "Allow Unencrypted HTTP" for a trusted network`,
		);
	}
	const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/i, '').replace(/\/+$/, '');
	return `${url.protocol}//${url.host}${path}`;
}

/** A LiteLLM virtual key: "sk-" and no white space. Fails before any request otherwise. */
export function checkApiKey(raw: unknown): string {
	if (typeof raw !== 'string' || raw.trim() === '') {
		throw inputError(
			'API Key',
			'the key is empty; paste the virtual key from the Key Manager portal',
		);
	}
	const key = raw.trim();
	if (!key.startsWith('sk-') || /\s/.test(key)) {
		throw inputError(
			'API Key',
			"expected a LiteLLM virtual key that starts with 'sk-' (from the Key Manager portal)",
		);
	}
	return key;
}

const settingsCache = new WeakMap<object, Promise<GatewaySettings>>();
/** The decrypted credential behind a run's settings, for requests that reuse it. */
const credentialCache = new WeakMap<object, ICredentialsDecrypted>();
/** A re-read of the credential under way after the gateway refused the run's key. */
const rereads = new WeakMap<object, Promise<unknown>>();

async function readSettings(ctx: GatewayContext, itemIndex: number): Promise<GatewaySettings> {
	const creds = (await (ctx as IExecuteFunctions).getCredentials(
		CREDENTIAL_TYPE,
		itemIndex,
	)) as ICredentialDataDecryptedObject;
	const key = checkApiKey(creds.apiKey);
	const settings = {
		baseUrl: normalizeBaseUrl(creds.baseUrl, creds.allowHttp === true),
		secrets: [key],
	};
	const ref = ctx.getNode().credentials?.[CREDENTIAL_TYPE];
	credentialCache.set(ctx, {
		id: ref?.id ?? '',
		name: ref?.name ?? '',
		type: CREDENTIAL_TYPE,
		data: creds,
	});
	return settings;
}

/** Reads the credential once per node run: base URL (validated) and the key to scrub. */
export async function gatewaySettings(
	ctx: GatewayContext,
	itemIndex = 0,
): Promise<GatewaySettings> {
	let cached = settingsCache.get(ctx);
	if (!cached) {
		cached = readSettings(ctx, itemIndex);
		settingsCache.set(ctx, cached);
		// A failed read is not cached, so a corrected credential is picked up.
		cached.catch(() => settingsCache.delete(ctx));
	}
	return await cached;
}

/** SHA-256 of the credential's key, as LiteLLM stores it: recognises the key among others without a request. */
export async function credentialKeyHash(ctx: GatewayContext, itemIndex = 0): Promise<string> {
	const { secrets } = await gatewaySettings(ctx, itemIndex);
	return keyHash(secrets[0]);
}

/**
 * The gateway refused the key a request was authenticated with: reads the credential again (once
 * for all requests refused together) and tells whether it now holds another key, e.g. after a
 * rotation. The run's settings then carry the new key.
 */
async function rereadCredential(
	ctx: GatewayContext,
	used: ICredentialsDecrypted,
	itemIndex: number,
): Promise<boolean> {
	if (credentialCache.get(ctx) === used) {
		let pending = rereads.get(ctx);
		if (!pending) {
			const fresh = readSettings(ctx, itemIndex);
			pending = fresh.then(
				() => settingsCache.set(ctx, fresh),
				() => undefined,
			);
			rereads.set(ctx, pending);
			void pending.then(() => rereads.delete(ctx));
		}
		await pending;
	}
	return credentialCache.get(ctx)?.data?.apiKey !== used.data?.apiKey;
}

function plainHeaders(raw: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!raw || typeof raw !== 'object') return out;
	const source =
		typeof (raw as { toJSON?: unknown }).toJSON === 'function'
			? (raw as { toJSON: () => Record<string, unknown> }).toJSON()
			: (raw as Record<string, unknown>);
	for (const [name, value] of Object.entries(source)) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return out;
}

interface RawResponse {
	body: unknown;
	headers: unknown;
	statusCode: number;
}

/** The request as n8n's HTTP helpers take it: full response, status errors left to classify. */
function httpOptions(
	baseUrl: string,
	opts: GatewayRequestOptions,
	timeoutMs: number,
	headers?: IHttpRequestOptions['headers'],
): IHttpRequestOptions {
	const request: IHttpRequestOptions = {
		method: opts.method ?? 'GET',
		url: `${baseUrl}${opts.route}`,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: timeoutMs,
	};
	if (opts.qs) request.qs = opts.qs;
	if (opts.body) request.body = opts.body;
	if (headers) request.headers = headers;
	return request;
}

async function send(
	ctx: GatewayContext,
	settings: GatewaySettings,
	opts: GatewayRequestOptions,
	timeoutMs: number,
	credential?: ICredentialsDecrypted,
): Promise<RawResponse> {
	const request = httpOptions(settings.baseUrl, opts, timeoutMs, opts.headers);
	return (await ctx.helpers.httpRequestWithAuthentication.call(
		ctx as IExecuteFunctions,
		CREDENTIAL_TYPE,
		request,
		credential ? { credentialsDecrypted: credential } : undefined,
	)) as RawResponse;
}

/** One attempt: the answer, or its failure classified and redacted (a cancelled run throws). */
async function attemptOnce<T>(
	ctx: GatewayContext,
	opts: GatewayRequestOptions,
	secrets: string[],
	signal: AbortSignal | undefined,
	attempt: number,
	sendIt: () => Promise<RawResponse>,
): Promise<Attempted<GatewayResponse<T>>> {
	let err: GatewayError;
	try {
		const res = await sendIt();
		const headers = plainHeaders(res.headers);
		const failure = classifyResponse(res.statusCode, res.body, headers, opts.route, secrets);
		if (!failure)
			return {
				ok: { body: res.body as T, headers, status: res.statusCode, attempts: attempt + 1 },
				headers,
			};
		err = failure;
	} catch (error) {
		if (isAbort(error) || signal?.aborted) {
			throw new NodeOperationError(
				ctx.getNode(),
				'The execution was cancelled while waiting for the gateway',
				{
					itemIndex: opts.itemIndex,
				},
			);
		}
		err = classifyNetworkError(error, opts.route, secrets);
	}
	err.details.attempts = attempt + 1;
	return { err };
}

/**
 * A management route answered 401 auth_error: either the key is blocked, or it may not call
 * that route. Asking the gateway about the key itself tells them apart without reading text.
 */
async function refineAuthFailure(
	ctx: GatewayContext,
	settings: GatewaySettings,
	err: GatewayError,
	secrets: string[],
): Promise<GatewayError> {
	for (const route of ['/key/info', '/v1/models']) {
		let res: RawResponse;
		try {
			res = await send(ctx, settings, { route }, 15_000);
		} catch {
			return err;
		}
		if (res.statusCode === 404) continue;
		if (res.statusCode >= 200 && res.statusCode < 300) {
			return new GatewayError(
				'permission_denied',
				`The key may not call ${err.details.route ?? 'this route'} (HTTP ${err.details.status}); the key itself is valid. ${err.message}`,
				err.details,
			);
		}
		return (
			classifyResponse(res.statusCode, res.body, plainHeaders(res.headers), route, secrets) ?? err
		);
	}
	return err;
}

/**
 * A management route answered with an HTML 404 page: a reverse proxy that hides the route, or a
 * base URL that is no gateway at all. The model list tells them apart: a gateway answers it.
 */
async function refineHiddenRoute(
	ctx: GatewayContext,
	settings: GatewaySettings,
	err: GatewayError,
): Promise<GatewayError> {
	let res: RawResponse;
	try {
		res = await send(ctx, settings, { route: '/v1/models' }, 15_000);
	} catch {
		return err;
	}
	const isGateway =
		res.statusCode >= 200 &&
		res.statusCode < 300 &&
		res.body !== null &&
		typeof res.body === 'object';
	if (isGateway) return err;
	return reclassify(
		err,
		'invalid_response',
		`${err.details.route ?? 'The route'} answered with HTTP 404 and a page that is not JSON, and /v1/models did not answer as a LiteLLM gateway either`,
	);
}

/**
 * The one way this package speaks HTTP to the gateway: auth through the credential,
 * timeout, retries with backoff that honour retry-after, shared pacing, full response,
 * and every failure classified and redacted.
 */
export async function gatewayRequest<T = IDataObject>(
	this: GatewayContext,
	opts: GatewayRequestOptions,
): Promise<GatewayResponse<T>> {
	const itemIndex = opts.itemIndex ?? 0;
	let settings = await gatewaySettings(this, itemIndex);
	const secrets = [...settings.secrets, ...(opts.secrets ?? [])];
	const maxWaitMs = opts.maxWaitMs ?? opts.pacer?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
	const timeoutMs = opts.timeoutMs ?? 60_000;
	const signal = (this as IExecuteFunctions).getExecutionCancelSignal?.();
	let credential: ICredentialsDecrypted | undefined;
	let reread = false;
	return await withRetries<GatewayResponse<T>>(
		async (attempt) => {
			credential = opts.reuseCredential ? credentialCache.get(this) : undefined;
			return await attemptOnce<T>(this, opts, secrets, signal, attempt, () =>
				send(this, settings, opts, timeoutMs, credential),
			);
		},
		{
			maxRetries: Math.max(0, opts.maxRetries ?? 3),
			delayMs: (err, attempt) => retryDelayMs(err, attempt, Math.random, maxWaitMs),
			maxWaitMs,
			maxWaitCheck: 'first',
			pacer: opts.pacer,
			reportToPacer: true,
			// A long rate-limit window should delay a paced batch, not fail it; a gateway that
			// refuses everything still ends the item after Max Retries waits without progress.
			freeWaitsWhileProgressing: true,
			// A key refused while the run reused its credential may have been rotated meanwhile: once
			// per request, read the credential again and resend at once if it holds another key.
			onFailure: async (err) => {
				const refused = err.errorClass === 'invalid_key' || err.errorClass === 'expired_key';
				if (!credential || reread || !refused) return undefined;
				reread = true;
				if (!(await rereadCredential(this, credential, itemIndex))) throw err;
				settings = await gatewaySettings(this, itemIndex);
				secrets.push(...settings.secrets);
				return { resend: true };
			},
			explain: async (err) => {
				if (err.errorClass === 'blocked_key' && !isAuthOnlyRoute(opts.route)) {
					return await refineAuthFailure(this, settings, err, secrets);
				}
				if (
					err.errorClass === 'permission_denied' &&
					err.details.status === 404 &&
					err.details.notJson
				) {
					return await refineHiddenRoute(this, settings, err);
				}
				return err;
			},
			signal,
			onCancel: 'stop',
		},
	);
}

export interface KeyedRequestOptions extends GatewayRequestOptions {
	/** The gateway root, taken by the caller from gatewaySettings(). */
	baseUrl: string;
	/** A key that no credential holds yet (e.g. one just minted); scrubbed from every error. */
	apiKey: string;
}

/**
 * One request authenticated by an explicit key instead of the credential: only for a key that
 * is in no credential yet, which rotation must prove valid before storing it. Same
 * classification, redaction and retries as gatewayRequest(); the key goes only in the header.
 */
export async function gatewayRequestWithKey<T = IDataObject>(
	this: GatewayContext,
	opts: KeyedRequestOptions,
): Promise<GatewayResponse<T>> {
	const secrets = [opts.apiKey, ...(opts.secrets ?? [])];
	const timeoutMs = opts.timeoutMs ?? 60_000;
	const maxWaitMs = opts.maxWaitMs ?? opts.pacer?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
	const signal = (this as IExecuteFunctions).getExecutionCancelSignal?.();
	return await withRetries<GatewayResponse<T>>(
		async (attempt) => {
			const request = httpOptions(opts.baseUrl, opts, timeoutMs, {
				...(opts.headers ?? {}),
				Authorization: `Bearer ${opts.apiKey}`,
			});
			return await attemptOnce<T>(
				this,
				opts,
				secrets,
				signal,
				attempt,
				async () => (await (this as IExecuteFunctions).helpers.httpRequest(request)) as RawResponse,
			);
		},
		{
			maxRetries: Math.max(0, opts.maxRetries ?? 3),
			delayMs: (err, attempt) => retryDelayMs(err, attempt, Math.random, maxWaitMs),
			maxWaitMs,
			maxWaitCheck: 'before-wait',
			// Waited for, not told: another key's answers say nothing of the credential key's limits.
			pacer: opts.pacer,
			reportToPacer: false,
			signal,
			onCancel: 'stop',
		},
	);
}
