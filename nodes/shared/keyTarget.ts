import type { IHttpRequestOptions } from 'n8n-workflow';

/**
 * Where a credential's `authenticate` may put its key. It runs for every request n8n sends
 * with the credential (the package's nodes, the credential test, and on n8n without
 * `restrictToSupportedNodes` the HTTP Request node too), so refusing here means the key is
 * never attached, and nothing is sent.
 */

export const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export interface KeyTargetRule {
	/** The credential as the UI names it, e.g. "JLab LLM API". */
	credential: string;
	/** The URL field as the UI names it. */
	urlField: string;
	/** The credential's own URL: the only origin its key goes to. */
	baseUrl: unknown;
	allowHttp: boolean;
}

/** The absolute URL a request will go to, as axios joins baseURL and url; undefined when it cannot tell (e.g. legacy `uri` requests), which is refused. */
export function requestTarget(
	options: Pick<IHttpRequestOptions, 'url' | 'baseURL'>,
): URL | undefined {
	const url = String(options.url ?? '');
	const joined =
		/^[a-z][a-z0-9+.-]*:/i.test(url) || !options.baseURL
			? url
			: `${String(options.baseURL).replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
	try {
		return new URL(joined);
	} catch {
		return undefined;
	}
}

function originOf(raw: unknown): URL | undefined {
	if (typeof raw !== 'string' || raw.trim() === '') return undefined;
	try {
		return new URL(raw.trim());
	} catch {
		return undefined;
	}
}

/**
 * Throws (before any header is set) unless the request goes to the credential's own origin
 * over https://, or over http:// to this machine or with "Allow Unencrypted HTTP" on.
 */
export function assertKeyTarget(
	rule: KeyTargetRule,
	options: Pick<IHttpRequestOptions, 'url' | 'baseURL'>,
): void {
	const own = originOf(rule.baseUrl);
	if (!own || (own.protocol !== 'https:' && own.protocol !== 'http:')) {
		throw new Error(
			`bad_request: ${rule.urlField} of the "${rule.credential}" credential: expected an http:// or https:// URL; the key was not sent`,
		);
	}
	const target = requestTarget(options);
	if (
		!target ||
		target.protocol !== own.protocol ||
		target.host.toLowerCase() !== own.host.toLowerCase()
	) {
		throw new Error(
			`permission_denied: The "${rule.credential}" credential sends its key only to its own ${rule.urlField} (${own.protocol}//${own.host}), not to ${target ? `${target.protocol}//${target.host}` : 'a request whose address it cannot check'}; the key was not sent. Use the JLab LLM nodes with this credential.`,
		);
	}
	if (target.protocol === 'http:' && !LOOPBACK_HOST.test(target.hostname) && !rule.allowHttp) {
		throw new Error(
			`bad_request: ${rule.urlField}: expected https:// for a host that is not this machine (${target.host}): http:// would send the key unencrypted, so it was not sent. Use https://, or turn on "Allow Unencrypted HTTP" in the "${rule.credential}" credential for a trusted network`,
		);
	}
}
