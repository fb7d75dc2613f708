/**
 * A stand-in for n8n's public API (/api/v1, header X-N8N-API-KEY) that writes into the
 * harness's CredentialStore, so the engine's next request through a credential sees the
 * change, as in n8n. It can refuse, fail, hang, or apply a change and then drop the
 * connection ("lose" the answer), at any call. 127.0.0.1 only.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import type { Socket } from 'net';

import type { CredentialStore } from '../harness';

export type FaultKind =
	/** Answer `status` without applying anything. */
	| 'status'
	/** Never answer, apply nothing (the client times out). */
	| 'hang'
	/** Close the connection without applying anything. */
	| 'reset'
	/** Apply the change, then close the connection: the answer is lost. */
	| 'lose'
	/** Apply the change, then answer 500. */
	| 'applied_error';

export interface Fault {
	method?: string;
	/** Exact path (without query), or a RegExp. */
	path?: string | RegExp;
	/** Matching calls to let through first. */
	skip?: number;
	/** Matching calls to fault (default 1). */
	times?: number;
	kind: FaultKind;
	status?: number;
	body?: unknown;
	/** With kind "status": the error message repeats the request's body and credentials, as careless servers do. */
	echo?: boolean;
}

export interface Call {
	server: string;
	method: string;
	path: string;
	status: number | null;
	fault?: FaultKind;
	body?: unknown;
}

/** Faults matched per call, shared by the n8n stand-in and the gateway proxy. */
export class FaultBook {
	private faults: Array<Fault & { seen: number; hits: number }> = [];

	add(...faults: Fault[]): void {
		for (const f of faults) this.faults.push({ times: 1, skip: 0, ...f, seen: 0, hits: 0 });
	}

	clear(): void {
		this.faults = [];
	}

	take(method: string, path: string): Fault | undefined {
		for (const f of this.faults) {
			if (f.method && f.method !== method) continue;
			if (typeof f.path === 'string' && f.path !== path) continue;
			if (f.path instanceof RegExp && !f.path.test(path)) continue;
			f.seen++;
			if (f.seen <= (f.skip ?? 0)) continue;
			if (f.hits >= (f.times ?? 1)) continue;
			f.hits++;
			return f;
		}
		return undefined;
	}
}

export interface N8nApiOptions {
	store: CredentialStore;
	apiKey: string;
	/** Scopes the API key has (n8n ≥ 2.41 enforces them); default: every credential scope. */
	scopes?: string[];
	/** n8n 2.8.4's schema bug: writes without allowedHttpRequestDomains get a 400. */
	requireDomainField?: boolean;
	/** A shared timeline of calls (with the gateway proxy's), in order. */
	timeline?: Call[];
	/** Called after every request that reached a handler, once the answer is settled. */
	afterEach?: (call: Call) => void;
	/** Workflows GET /api/v1/workflows lists (as n8n 2.41 returns them: nodes, pinData, staticData, …). */
	workflows?: Array<Record<string, unknown>>;
	/** The most workflows one page holds, whatever `limit` asks (n8n: 250). */
	maxPageSize?: number;
	/** Milliseconds to hold each call before handling it (races between concurrent runs). */
	delay?: (call: Call) => number;
}

export interface N8nApiStandIn {
	/** The instance URL (what a user types as n8n Base URL), without /api/v1. */
	url: string;
	calls: Call[];
	faults: FaultBook;
	setScopes(scopes: string[]): void;
	close(): Promise<void>;
}

const ALL_SCOPES = [
	'credential:create',
	'credential:update',
	'credential:list',
	'credential:read',
	'credential:delete',
	'workflow:list',
	'workflow:read',
];

export async function startN8nApi(options: N8nApiOptions): Promise<N8nApiStandIn> {
	const calls: Call[] = [];
	const faults = new FaultBook();
	let scopes = options.scopes ?? ALL_SCOPES;
	let nextId = 1;
	const sockets = new Set<Socket>();
	const { store } = options;

	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			void handle(req, res, Buffer.concat(chunks).toString('utf8'));
		});
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});

	async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const method = req.method ?? 'GET';
		let body: unknown = undefined;
		try {
			body = raw ? JSON.parse(raw) : undefined;
		} catch {
			body = raw;
		}
		const call: Call = { server: 'n8n', method, path: url.pathname, status: null, body };
		const hold = options.delay?.(call) ?? 0;
		if (hold > 0) await new Promise((r) => setTimeout(r, hold));
		calls.push(call);
		options.timeline?.push(call);
		const send = (status: number, payload: unknown) => {
			call.status = status;
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(payload));
		};

		if (req.headers['x-n8n-api-key'] !== options.apiKey) {
			send(401, { message: 'unauthorized' });
			return;
		}
		const fault = faults.take(method, url.pathname);
		if (fault) call.fault = fault.kind;
		if (fault?.kind === 'status') {
			const echoed = `request.body ${raw} is not valid for X-N8N-API-KEY ${String(req.headers['x-n8n-api-key'])}`;
			send(
				fault.status ?? 500,
				fault.body ?? { message: fault.echo ? echoed : 'Internal Server Error' },
			);
			options.afterEach?.(call);
			return;
		}
		if (fault?.kind === 'hang') return;
		if (fault?.kind === 'reset') {
			req.socket.destroy();
			options.afterEach?.(call);
			return;
		}

		const result = apply(method, url.pathname, body, url.searchParams);
		if (fault?.kind === 'lose') {
			req.socket.destroy();
		} else if (fault?.kind === 'applied_error') {
			send(500, { message: 'Internal Server Error' });
		} else {
			send(result.status, result.body);
		}
		options.afterEach?.(call);
	}

	function need(scope: string) {
		return scopes.includes(scope) ? undefined : { status: 403, body: { message: 'Forbidden' } };
	}

	function apply(
		method: string,
		path: string,
		body: unknown,
		query: URLSearchParams,
	): { status: number; body: unknown } {
		const b = (body ?? {}) as Record<string, unknown>;
		if (path === '/api/v1/workflows' && method === 'GET') {
			const denied = need('workflow:list');
			if (denied) return denied;
			// n8n's cursor: base64 of {offset, limit}; the limit in the cursor wins over the query's.
			let offset = 0;
			let limit = Number(query.get('limit') ?? 100);
			const cursor = query.get('cursor');
			if (cursor) {
				try {
					const decoded = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as {
						offset: number;
						limit: number;
					};
					offset = decoded.offset;
					limit = decoded.limit ?? limit;
				} catch {
					return { status: 400, body: { message: 'An invalid cursor was provided' } };
				}
			}
			if (!Number.isInteger(limit) || limit < 1 || limit > 250)
				return { status: 400, body: { message: 'request/query/limit must be <= 250' } };
			limit = Math.min(limit, options.maxPageSize ?? 250);
			const all = options.workflows ?? [];
			const data = all.slice(offset, offset + limit);
			const next =
				offset + limit < all.length
					? Buffer.from(JSON.stringify({ offset: offset + limit, limit })).toString('base64')
					: null;
			return { status: 200, body: { data, nextCursor: next } };
		}
		let m = /^\/api\/v1\/credentials\/schema\/([^/]+)$/.exec(path);
		if (m && method === 'GET')
			return { status: 200, body: { type: 'object', additionalProperties: false, properties: {} } };
		if (path === '/api/v1/credentials' && method === 'GET') {
			return (
				need('credential:list') ?? {
					status: 200,
					body: {
						data: [...store.byId.values()].map((c) => ({ id: c.id, name: c.name, type: c.type })),
						nextCursor: null,
					},
				}
			);
		}
		if (path === '/api/v1/credentials' && method === 'POST') {
			const denied = need('credential:create');
			if (denied) return denied;
			if (
				typeof b.name !== 'string' ||
				typeof b.type !== 'string' ||
				!b.data ||
				typeof b.data !== 'object'
			) {
				return {
					status: 400,
					body: { message: 'request.body requires property "name", "type", "data"' },
				};
			}
			const data = b.data as Record<string, unknown>;
			if (options.requireDomainField && !('allowedHttpRequestDomains' in data)) {
				return {
					status: 400,
					body: { message: 'request.body.data requires property "allowedDomains"' },
				};
			}
			const id = `created${nextId++}`;
			store.byId.set(id, {
				id,
				name: b.name,
				type: b.type,
				data: { ...(data as object) } as never,
			});
			const t = new Date().toISOString();
			return { status: 200, body: { id, name: b.name, type: b.type, createdAt: t, updatedAt: t } };
		}
		m = /^\/api\/v1\/credentials\/([^/]+)$/.exec(path);
		if (m && method === 'PATCH') {
			const denied = need('credential:update');
			if (denied) return denied;
			const stored = store.byId.get(decodeURIComponent(m[1]));
			if (!stored) return { status: 404, body: { message: 'Not Found' } };
			// As n8n's updateCredential: data is validated and written only when it is sent.
			if (b.data !== undefined) {
				const data = b.data as Record<string, unknown>;
				if (typeof data !== 'object' || data === null)
					return { status: 400, body: { message: 'request.body.data must be object' } };
				if (options.requireDomainField && !('allowedHttpRequestDomains' in data)) {
					return {
						status: 400,
						body: { message: 'request.body.data requires property "allowedDomains"' },
					};
				}
				const merged = b.isPartialData === true ? { ...stored.data, ...data } : { ...data };
				void store.updateCredentials(
					{ id: stored.id, name: stored.name },
					stored.type,
					merged as never,
				);
			}
			const t = new Date().toISOString();
			return {
				status: 200,
				body: { id: stored.id, name: stored.name, type: stored.type, createdAt: t, updatedAt: t },
			};
		}
		return { status: 404, body: { message: 'Not Found' } };
	}

	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}`,
		calls,
		faults,
		setScopes: (s) => {
			scopes = s;
		},
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise<void>((r) => server.close(() => r()));
		},
	};
}
