import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	type ErrorClass,
	GatewayError,
	type GatewayErrorDetails,
	inputError,
	isAbort,
	readEnvelope,
} from '../../shared/errors';
import { LOOPBACK_HOST } from '../../shared/keyTarget';
import { redact } from '../../shared/redact';
import { type Attempted, withRetries } from '../../shared/retry';

/**
 * The n8n public API (/api/v1, header X-N8N-API-KEY), used to write a gateway key straight
 * into a stored n8n credential. Everything goes through the jlabLlmN8nApi credential; errors
 * are classified like the gateway's and every secret passed in is scrubbed from them.
 */

export const N8N_CREDENTIAL_TYPE = 'jlabLlmN8nApi';

const LOOPBACK = LOOPBACK_HOST;

/** The public API root of an n8n instance: instance URL with or without /api/v1 → …/api/v1. */
export function normalizeN8nUrl(raw: unknown, allowHttp = false): string {
	const field = 'n8n Base URL';
	if (typeof raw !== 'string' || raw.trim() === '') {
		throw inputError(field, "this n8n instance's address is required, e.g. http://localhost:5678");
	}
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		throw inputError(
			field,
			`expected an http:// or https:// URL such as http://localhost:5678, got "${redact(raw.trim()).slice(0, 80)}"`,
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw inputError(field, `expected an http:// or https:// URL, got ${url.protocol}//`);
	}
	if (url.username || url.password || url.search || url.hash) {
		throw inputError(
			field,
			'must be a plain address: no user name, password, query string or fragment',
		);
	}
	if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !allowHttp) {
		throw inputError(
			field,
			`expected https:// for an n8n that is not on this machine (${url.host}): http:// would send the n8n API key and the new gateway key unencrypted. Use https://, or turn on "Allow Unencrypted HTTP" for a trusted network`,
		);
	}
	const path = url.pathname
		.replace(/\/+$/, '')
		.replace(/\/api\/v1$/i, '')
		.replace(/\/+$/, '');
	return `${url.protocol}//${url.host}${path}/api/v1`;
}

export interface N8nApiSettings {
	/** …/api/v1 */
	apiRoot: string;
	/** The n8n API key, kept only to scrub it from errors. */
	secrets: string[];
}

/**
 * Keys are written only into the n8n that runs the workflow: its own address as n8n knows it
 * (getInstanceBaseUrl), or this machine. Another instance needs the credential's explicit opt-in.
 */
export function assertThisInstance(
	apiRoot: string,
	instanceBaseUrl: string | undefined,
	allowOtherInstance: boolean,
): void {
	if (allowOtherInstance) return;
	const target = new URL(apiRoot);
	if (LOOPBACK.test(target.hostname)) return;
	let own: URL | undefined;
	try {
		own = instanceBaseUrl ? new URL(instanceBaseUrl) : undefined;
	} catch {
		own = undefined;
	}
	if (
		own &&
		own.protocol === target.protocol &&
		own.host.toLowerCase() === target.host.toLowerCase()
	)
		return;
	throw inputError(
		'n8n Base URL',
		`expected the address of this n8n instance${own ? ` (${own.protocol}//${own.host})` : ''} or of this machine (localhost), got ${target.protocol}//${target.host}: gateway keys are written only into the n8n that runs the workflow. To write into another n8n instance, turn on "Allow Another n8n Instance" in the "JLab LLM N8N API" credential`,
	);
}

/** Reads the n8n API credential: the API root (validated, this instance's) and the key to scrub. */
export async function n8nApiSettings(
	ctx: IExecuteFunctions,
	itemIndex = 0,
): Promise<N8nApiSettings> {
	const creds = (await ctx.getCredentials(
		N8N_CREDENTIAL_TYPE,
		itemIndex,
	)) as ICredentialDataDecryptedObject;
	if (typeof creds.apiKey !== 'string' || creds.apiKey.trim() === '') {
		throw inputError('n8n API Key', 'the key is empty; create one in n8n under Settings → n8n API');
	}
	const apiRoot = normalizeN8nUrl(creds.baseUrl, creds.allowHttp === true);
	assertThisInstance(apiRoot, ctx.getInstanceBaseUrl?.(), creds.allowOtherInstance === true);
	return { apiRoot, secrets: [creds.apiKey] };
}

const ADVICE: Partial<Record<ErrorClass, string>> = {
	invalid_key:
		'n8n refused the n8n API key of the "JLab LLM N8N API" credential (wrong, expired or deleted). Create a new one under Settings → n8n API.',
	permission_denied:
		'The n8n API key may not do this: rotation needs the scope credential:update, Create Key also credential:create, Audit Workflows workflow:list (and credential:create to move keys). Or this n8n version lacks the route (writing a credential needs n8n 2.8.4 or newer).',
	bad_request: 'n8n refused the request: check the credential ID and the message from n8n.',
	rate_limited: 'n8n asked to slow down. Try again in a minute.',
	upstream_error: 'n8n answered with a server error. Check the n8n logs.',
	gateway_unavailable:
		'n8n\'s public API could not be reached: check the n8n Base URL of the "JLab LLM N8N API" credential (the address n8n itself can reach, e.g. http://localhost:5678) and that the public API is enabled.',
	timeout: 'n8n did not answer in time. Try again, or raise the timeout.',
	invalid_response:
		"The answer did not come from n8n's public API: the n8n Base URL should be the instance address, e.g. http://localhost:5678.",
};

/** A failure of the n8n public API: same classes as the gateway's, advice about n8n. */
export class N8nApiError extends GatewayError {
	constructor(errorClass: ErrorClass, message: string, details: GatewayErrorDetails = {}) {
		super(errorClass, message, details);
		this.name = 'N8nApiError';
	}

	get description(): string {
		return `${this.errorClass}: ${ADVICE[this.errorClass] ?? super.description.replace(/^[a-z_]+: /, '')}`;
	}
}

function clip(s: string): string {
	return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** Classifies an answer of the n8n public API; undefined for a good one. */
export function classifyN8nResponse(
	status: number,
	body: unknown,
	path: string,
	secrets: ReadonlyArray<string | undefined>,
): N8nApiError | undefined {
	const isJson = body !== null && typeof body === 'object';
	if (status >= 200 && status < 300 && (isJson || status === 204)) return undefined;
	const said = (() => {
		if (typeof (body as IDataObject)?.message === 'string')
			return (body as IDataObject).message as string;
		return readEnvelope(body)?.message;
	})();
	const details: GatewayErrorDetails = { status, route: `/api/v1${path}` };
	const make = (cls: ErrorClass, headline: string) =>
		new N8nApiError(
			cls,
			[headline, said ? `n8n said: ${clip(redact(said, secrets))}` : ''].filter(Boolean).join('. '),
			details,
		);
	if (status >= 200 && status < 300)
		return make('invalid_response', `n8n ${path} answered with something that is not JSON`);
	if (!isJson && status !== 401 && status !== 403 && status !== 404) {
		if (status >= 502 && status <= 504)
			return make('gateway_unavailable', `n8n answered HTTP ${status}`);
		return make(
			'invalid_response',
			`n8n ${path} answered HTTP ${status} with a body that is not JSON`,
		);
	}
	switch (status) {
		case 401:
			return make('invalid_key', 'n8n refused the n8n API key (HTTP 401)');
		case 403:
			return make(
				'permission_denied',
				`The n8n API key may not call ${path} (HTTP 403): a scope is missing`,
			);
		case 404:
			return make(
				'bad_request',
				`n8n has nothing at ${path} (HTTP 404): no credential with that ID, or the public API is disabled`,
			);
		case 405:
			return make(
				'permission_denied',
				`This n8n does not support ${path} (HTTP 405): writing a credential needs n8n 2.8.4 or newer`,
			);
		case 408:
			return make('timeout', 'n8n timed out (HTTP 408)');
		case 429:
			return make('rate_limited', 'n8n rate-limited the request (HTTP 429)');
		case 502:
		case 503:
		case 504:
			return make('gateway_unavailable', `n8n answered HTTP ${status}`);
		default:
			if (status >= 500) return make('upstream_error', `n8n failed with HTTP ${status}`);
			return make('bad_request', `n8n refused the request (HTTP ${status})`);
	}
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

function networkFailure(
	err: unknown,
	path: string,
	secrets: ReadonlyArray<string | undefined>,
): N8nApiError {
	const codes: string[] = [];
	let cur: unknown = err;
	for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
		const c = cur as { code?: unknown; cause?: unknown };
		if (typeof c.code === 'string') codes.push(c.code);
		cur = c.cause;
	}
	const timedOut = codes.some((c) => TIMEOUT_CODES.has(c));
	const raw = err instanceof Error ? err.message : String(err);
	return new N8nApiError(
		timedOut ? 'timeout' : 'gateway_unavailable',
		`${timedOut ? 'n8n did not answer in time' : "n8n's public API could not be reached"} (${path}${codes[0] ? `: ${codes[0]}` : ''}). ${clip(redact(raw, secrets))}`,
		{ route: `/api/v1${path}` },
	);
}

export interface N8nApiRequestOptions {
	method?: IHttpRequestMethods;
	/** Below /api/v1, starting with "/". */
	path: string;
	qs?: IDataObject;
	body?: IDataObject;
	/** Per attempt; default 30 s. */
	timeoutMs?: number;
	/** Retries of transient failures; only for idempotent calls. Default 0. */
	maxRetries?: number;
	itemIndex?: number;
	/** Values to scrub from errors, e.g. the gateway key being written. */
	secrets?: string[];
}

export interface N8nApiResponse<T> {
	body: T;
	status: number;
	attempts: number;
}

/** One attempt: the answer, or its failure classified and redacted (a cancelled run throws). */
async function attemptOnce<T>(
	ctx: IExecuteFunctions,
	apiRoot: string,
	opts: N8nApiRequestOptions,
	secrets: string[],
	signal: AbortSignal | undefined,
	attempt: number,
): Promise<Attempted<N8nApiResponse<T>>> {
	let err: N8nApiError;
	try {
		const request: IHttpRequestOptions = {
			method: opts.method ?? 'GET',
			url: `${apiRoot}${opts.path}`,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: opts.timeoutMs ?? 30_000,
		};
		if (opts.qs) request.qs = opts.qs;
		if (opts.body) request.body = opts.body;
		const res = (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			N8N_CREDENTIAL_TYPE,
			request,
		)) as {
			body: unknown;
			statusCode: number;
		};
		const failure = classifyN8nResponse(res.statusCode, res.body, opts.path, secrets);
		if (!failure)
			return { ok: { body: res.body as T, status: res.statusCode, attempts: attempt + 1 } };
		err = failure;
	} catch (error) {
		if (isAbort(error) || signal?.aborted) {
			throw new NodeOperationError(
				ctx.getNode(),
				'The execution was cancelled while waiting for n8n',
				{
					itemIndex: opts.itemIndex,
				},
			);
		}
		err = networkFailure(error, opts.path, secrets);
	}
	err.details.attempts = attempt + 1;
	return { err };
}

/** One call of the n8n public API through the jlabLlmN8nApi credential. */
export async function n8nApiRequest<T = IDataObject>(
	this: IExecuteFunctions,
	opts: N8nApiRequestOptions,
): Promise<N8nApiResponse<T>> {
	const settings = await n8nApiSettings(this, opts.itemIndex ?? 0);
	const secrets = [...settings.secrets, ...(opts.secrets ?? [])];
	const signal = this.getExecutionCancelSignal?.();
	return await withRetries<N8nApiResponse<T>>(
		async (attempt) => await attemptOnce<T>(this, settings.apiRoot, opts, secrets, signal, attempt),
		{
			maxRetries: Math.max(0, opts.maxRetries ?? 0),
			// n8n sends no retry-after: plain exponential backoff, no jitter, no wait limit.
			delayMs: (_err, attempt) => Math.min(8_000, 500 * 2 ** attempt),
			signal,
			onCancel: 'stop',
		},
	);
}

/** Every page of a cursor-paginated list (`{data, nextCursor}`), e.g. /credentials or /workflows. */
export async function n8nApiList<T = IDataObject>(
	this: IExecuteFunctions,
	opts: Omit<N8nApiRequestOptions, 'method' | 'body'> & { maxPages?: number },
): Promise<T[]> {
	const out: T[] = [];
	let cursor: string | undefined;
	for (let page = 0; page < (opts.maxPages ?? 100); page++) {
		const qs: IDataObject = { limit: 100, ...(opts.qs ?? {}) };
		if (cursor) qs.cursor = cursor;
		const res = (await n8nApiRequest.call(this, {
			...opts,
			method: 'GET',
			qs,
			maxRetries: opts.maxRetries ?? 2,
		})) as N8nApiResponse<IDataObject>;
		const data = Array.isArray(res.body?.data) ? (res.body.data as T[]) : [];
		out.push(...data);
		cursor =
			typeof res.body?.nextCursor === 'string' && res.body.nextCursor
				? res.body.nextCursor
				: undefined;
		if (!cursor) break;
	}
	return out;
}

/** The fields n8n adds to every credential with `authenticate`: its domain restriction. */
function domainFieldsOf(current: IDataObject | undefined): IDataObject {
	const out: IDataObject = {};
	if (!current) return out;
	const mode = current.allowedHttpRequestDomains;
	if (typeof mode !== 'string' || mode === '') return out;
	out.allowedHttpRequestDomains = mode;
	if (mode === 'domains' && current.allowedDomains !== undefined)
		out.allowedDomains = current.allowedDomains;
	return out;
}

/**
 * The body shapes to try for a credential write. n8n 2.8.x wrongly requires the injected
 * domain field even in partial writes (docs/architecture.md, "Writing a credential through n8n's public API"), newer ones accept it
 * too, so the credential's current value goes first; a 400 (nothing applied) tries the other.
 */
export function credentialDataShapes(data: IDataObject, current?: IDataObject): IDataObject[] {
	const domain = domainFieldsOf(current);
	if (Object.keys(domain).length) return [{ ...data, ...domain }, { ...data }];
	return [{ ...data }, { ...data, allowedHttpRequestDomains: 'all' }];
}

export interface CredentialWriteOptions {
	credentialId: string;
	/** The fields to change; other fields of the credential are kept (isPartialData). */
	data: IDataObject;
	/** The credential's current data, for the domain-field workaround. */
	current?: IDataObject;
	/** Shape index that worked before in this run (from a previous write), tried first. */
	preferShape?: number;
	secrets: string[];
	itemIndex?: number;
	timeoutMs?: number;
	maxRetries?: number;
}

/**
 * PATCH /credentials/{id} with isPartialData: merges `data` into the stored credential
 * (scope credential:update). Idempotent, so transient failures are retried. Returns the
 * index of the body shape n8n accepted.
 */
export async function updateCredentialData(
	this: IExecuteFunctions,
	opts: CredentialWriteOptions,
): Promise<number> {
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.credentialId)) {
		throw inputError(
			'Credential ID',
			`expected an n8n credential ID (letters, digits, - and _), got "${redact(opts.credentialId).slice(0, 70)}"`,
		);
	}
	const shapes = credentialDataShapes(opts.data, opts.current);
	const order = opts.preferShape === 1 ? [1, 0] : [0, 1];
	let last: unknown;
	// A retried attempt failed without a clear refusal: n8n may have applied it before it failed.
	let uncertain = false;
	for (const index of order) {
		last = undefined;
		await n8nApiRequest
			.call(this, {
				method: 'PATCH',
				path: `/credentials/${encodeURIComponent(opts.credentialId)}`,
				body: { data: shapes[index], isPartialData: true },
				secrets: opts.secrets,
				itemIndex: opts.itemIndex,
				timeoutMs: opts.timeoutMs,
				maxRetries: opts.maxRetries ?? 2,
			})
			.catch((error: unknown) => {
				last = error;
				if (!(error instanceof GatewayError) || (error.details.attempts ?? 1) > 1) uncertain = true;
			});
		if (last === undefined) return index;
		// Only a validation refusal (nothing applied) is worth the other shape.
		if (!(last instanceof GatewayError) || last.details.status !== 400) break;
	}
	if (uncertain && last instanceof GatewayError) last.details.mayHaveApplied = true;
	throw last;
}

export interface CredentialCreateOptions {
	name: string;
	type: string;
	data: IDataObject;
	/** The only host n8n's HTTP Request node may send this credential to (its "Allowed Domains"). */
	restrictToHost: string;
	projectId?: string;
	secrets: string[];
	itemIndex?: number;
	timeoutMs?: number;
}

export interface CreatedCredential {
	id: string;
	name: string;
	type: string;
}

/**
 * POST /credentials (scope credential:create). Not retried on an ambiguous failure: a second
 * create could leave two credentials. The caller decides what a lost answer means.
 */
export async function createCredential(
	this: IExecuteFunctions,
	opts: CredentialCreateOptions,
): Promise<CreatedCredential> {
	// Restricted to the gateway's host, where n8n ignores restrictToSupportedNodes (before 2.41).
	const shapes = [
		{ ...opts.data, allowedHttpRequestDomains: 'domains', allowedDomains: opts.restrictToHost },
	];
	let last: unknown;
	for (const data of shapes) {
		const body: IDataObject = { name: opts.name, type: opts.type, data };
		if (opts.projectId) body.projectId = opts.projectId;
		last = undefined;
		const res = (await n8nApiRequest
			.call(this, {
				method: 'POST',
				path: '/credentials',
				body,
				secrets: opts.secrets,
				itemIndex: opts.itemIndex,
				timeoutMs: opts.timeoutMs,
				maxRetries: 0,
			})
			.catch((error: unknown) => {
				last = error;
				return undefined;
			})) as N8nApiResponse<IDataObject> | undefined;
		if (res) {
			const id = res.body?.id;
			if (typeof id !== 'string' && typeof id !== 'number') {
				throw new N8nApiError(
					'invalid_response',
					'n8n answered the credential creation without an ID',
					{
						status: res.status,
						route: '/api/v1/credentials',
					},
				);
			}
			return {
				id: String(id),
				name: typeof res.body.name === 'string' ? res.body.name : opts.name,
				type: typeof res.body.type === 'string' ? res.body.type : opts.type,
			};
		}
		if (!(last instanceof GatewayError) || last.details.status !== 400) break;
	}
	throw last;
}

/**
 * Proves that n8n would take a write to the credential (the ID exists, the n8n API key has
 * credential:update) without writing any data: a PATCH without `data` leaves the stored data as it
 * is (n8n's updateCredential validates and merges data only when it is sent), so it can never put
 * back a key that another run replaced meanwhile. An n8n whose schema refuses that body (400,
 * nothing applied) is asked for its credential list instead, where the ID must appear.
 */
export async function checkCredentialWritable(
	this: IExecuteFunctions,
	opts: {
		credentialId: string;
		itemIndex?: number;
		timeoutMs?: number;
		maxRetries?: number;
		secrets: string[];
	},
): Promise<void> {
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.credentialId)) {
		throw inputError(
			'Credential ID',
			`expected an n8n credential ID (letters, digits, - and _), got "${redact(opts.credentialId).slice(0, 70)}"`,
		);
	}
	const common = {
		secrets: opts.secrets,
		itemIndex: opts.itemIndex,
		timeoutMs: opts.timeoutMs,
		maxRetries: opts.maxRetries ?? 2,
	};
	const refused = await n8nApiRequest
		.call(this, {
			...common,
			method: 'PATCH',
			path: `/credentials/${encodeURIComponent(opts.credentialId)}`,
			body: { isPartialData: true },
		})
		.then(
			() => undefined,
			(error: unknown) => error,
		);
	if (refused === undefined) return;
	if (!(refused instanceof GatewayError) || refused.details.status !== 400) throw refused;
	const listed = await n8nApiList.call(this, { ...common, path: '/credentials' });
	if (!listed.some((c) => String((c as IDataObject).id) === opts.credentialId)) {
		throw new N8nApiError(
			'bad_request',
			`n8n lists no credential with ID ${opts.credentialId} for this n8n API key`,
			{
				route: '/api/v1/credentials',
			},
		);
	}
}
