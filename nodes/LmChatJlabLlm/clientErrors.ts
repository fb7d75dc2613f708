import {
	classifyNetworkError,
	classifyResponse,
	GatewayError,
	headlineOf,
	isAbort,
	readEnvelope,
} from '../shared/errors';
import { redact } from '../shared/redact';

/**
 * What an OpenAI-compatible client (the `openai` package under n8n's AI node SDK) throws:
 * `status` and `headers` of the answer, and `error`, the body's "error" member as sent.
 */
interface ClientErrorShape {
	status?: unknown;
	headers?: unknown;
	error?: unknown;
	message?: unknown;
	name?: unknown;
}

function lowerCaseHeaders(raw: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!raw || typeof raw !== 'object') return out;
	const entries =
		typeof (raw as { entries?: unknown }).entries === 'function' && !Array.isArray(raw)
			? Array.from((raw as { entries: () => Iterable<[string, unknown]> }).entries())
			: Object.entries(raw as Record<string, unknown>);
	for (const [name, value] of entries) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = String(value);
	}
	return out;
}

/** The client drops a JSON body without an "error" member; its message then says so. */
function bodyOf(e: ClientErrorShape, status: number): unknown {
	if (e.error !== undefined && e.error !== null) return { error: e.error };
	const message = typeof e.message === 'string' ? e.message : '';
	if (message === '' || message === `${status} status code (no body)`) return {};
	// A body that was not JSON (an HTML page, plain text) comes back as the message.
	return message.startsWith(`${status} `) ? message.slice(String(status).length + 1) : message;
}

/** A timeout of the client itself (LangChain renames the OpenAI client's to TimeoutError). */
function isClientTimeout(e: ClientErrorShape, raw: unknown): boolean {
	const ctor = (raw as { constructor?: { name?: string } })?.constructor?.name;
	return e.name === 'TimeoutError' || ctor === 'APIConnectionTimeoutError';
}

/** True when the request was given up because the execution was cancelled. */
export function isCancellation(err: unknown, signal?: AbortSignal): boolean {
	if (signal?.aborted) return true;
	const e = err as ClientErrorShape;
	const ctor = (err as { constructor?: { name?: string } })?.constructor?.name;
	return (
		isAbort(err) ||
		ctor === 'APIUserAbortError' ||
		(typeof e?.message === 'string' && /^(Cancel|AbortError)/.test(e.message))
	);
}

/**
 * Classifies a failure thrown by an OpenAI-compatible client into the package's error classes:
 * by LiteLLM's error.type and the HTTP status (classifyResponse), or as a network failure.
 * `midStream`: the failure came after the answer had started (an SSE error event, a cut).
 */
export function classifyClientError(
	err: unknown,
	route: string,
	secrets: ReadonlyArray<string | undefined>,
	midStream = false,
): GatewayError {
	if (err instanceof GatewayError) return err;
	const e = (err ?? {}) as ClientErrorShape;
	const status = typeof e.status === 'number' ? e.status : undefined;
	if (status !== undefined && !midStream) {
		const classified = classifyResponse(
			status,
			bodyOf(e, status),
			lowerCaseHeaders(e.headers),
			route,
			secrets,
		);
		if (classified) return classified;
	}
	if (midStream || (status === undefined && e.error !== undefined && e.error !== null)) {
		// An error event inside the stream (LiteLLM sends {"error": {…}} as an SSE data line).
		const env = readEnvelope(e.error !== undefined ? { error: e.error } : {});
		const text = env?.message ?? (typeof e.message === 'string' ? e.message : String(err));
		const said = redact(text, secrets).slice(0, 400);
		return new GatewayError(
			'stream_error',
			`${headlineOf('stream_error')}. Gateway said: ${said}`,
			{
				route,
				gatewayType: env?.type,
			},
		);
	}
	if (isClientTimeout(e, err)) {
		return new GatewayError(
			'timeout',
			`${headlineOf('timeout')}. ${route}: no answer within the timeout`,
			{ route },
		);
	}
	return classifyNetworkError(err, route, secrets);
}
