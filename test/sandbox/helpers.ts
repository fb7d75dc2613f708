// Shared helpers for the sandbox tests (not a test file itself).
const server = require('../../sandbox/server');

export const { startSandbox, hashKey, DEFAULT_MODELS, DEFAULT_PRICES, PROFILES } = server;

export const T0 = Date.UTC(2026, 4, 15, 12, 0, 0); // 2026-05-15T12:00:00Z

export const KEYS = {
	user: 'sk-user-key-0000000000000001',
	other: 'sk-other-key-000000000000002',
	admin: 'sk-admin-key-000000000000003',
	noUser: 'sk-nouser-key-00000000000004',
	viewer: 'sk-viewer-key-00000000000005',
	teamMate: 'sk-teammate-key-000000000006',
	master: 'sk-master-key-0000000000000M',
};

export interface Clock {
	now: () => number;
	t: number;
	advance(ms: number): void;
}

export function makeClock(start = T0): Clock {
	const c: Clock = {
		t: start,
		now: () => c.t,
		advance(ms: number) {
			c.t += ms;
		},
	};
	return c;
}

const open: any[] = [];

/** Start a sandbox that the test file's afterEach will close. */
export async function sandbox(options: any = {}): Promise<any> {
	const sb = await startSandbox(options);
	open.push(sb);
	return sb;
}

export async function closeAll(): Promise<void> {
	await Promise.all(open.splice(0).map((s) => s.close()));
}

/** A sandbox with a small cast of users and keys, on a controllable clock. */
export async function standardSandbox(extra: any = {}, clock: Clock = makeClock()): Promise<any> {
	return sandbox({
		now: clock.now,
		masterKey: KEYS.master,
		users: [
			{ user_id: 'alice', user_role: 'internal_user', user_email: 'alice@example.org' },
			{ user_id: 'bob', user_role: 'internal_user' },
			{ user_id: 'root', user_role: 'proxy_admin' },
			{ user_id: 'vera', user_role: 'internal_user_viewer' },
			{ user_id: 'carol', user_role: 'internal_user' },
		],
		teams: [
			{
				team_id: 'team-a',
				team_alias: 'Team A',
				members_with_roles: [
					{ user_id: 'alice', role: 'admin' },
					{ user_id: 'carol', role: 'user' },
				],
			},
		],
		keys: [
			{ key: KEYS.user, key_alias: 'alice-key', user_id: 'alice' },
			{ key: KEYS.other, key_alias: 'bob-key', user_id: 'bob' },
			{ key: KEYS.admin, key_alias: 'admin-key', user_id: 'root' },
			{ key: KEYS.noUser, key_alias: 'no-user-key' },
			{ key: KEYS.viewer, key_alias: 'viewer-key', user_id: 'vera' },
			{ key: KEYS.teamMate, key_alias: 'carol-key', user_id: 'carol' },
		],
		...extra,
	});
}

export interface Reply {
	status: number;
	headers: Headers;
	text: string;
	json: any;
}

export async function call(
	sb: any,
	method: string,
	path: string,
	opts: {
		key?: string | null;
		body?: any;
		headers?: Record<string, string>;
		signal?: AbortSignal;
		base?: string;
	} = {},
): Promise<Reply> {
	const headers: Record<string, string> = { ...(opts.headers || {}) };
	if (opts.key) headers.authorization = `Bearer ${opts.key}`;
	let body: string | undefined;
	if (opts.body !== undefined) {
		headers['content-type'] = 'application/json';
		body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
	}
	const res = await fetch((opts.base ?? sb.url) + path, {
		method,
		headers,
		body,
		signal: opts.signal,
	});
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

export function chatBody(extra: any = {}): any {
	return {
		model: 'meta-llama/Llama-3.3-70B-Instruct',
		messages: [{ role: 'user', content: 'Hello sandbox' }],
		...extra,
	};
}

export function chat(
	sb: any,
	key: string | null,
	extra: any = {},
	headers?: Record<string, string>,
): Promise<Reply> {
	return call(sb, 'POST', '/v1/chat/completions', { key, body: chatBody(extra), headers });
}

/** Parse an SSE body into events (JSON objects, or the string '[DONE]'). */
export function sse(text: string): any[] {
	return text
		.split('\n\n')
		.filter((block) => block.startsWith('data: '))
		.map((block) => {
			const data = block.slice(6);
			return data === '[DONE]' ? '[DONE]' : JSON.parse(data);
		});
}

export function errorOf(r: Reply): any {
	return r.json && r.json.error;
}
