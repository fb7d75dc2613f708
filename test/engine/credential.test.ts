/**
 * The credentials' test and `authenticate`, as n8n runs them (declarative test through n8n-core's
 * RoutingNode): every LiteLLM profile, with the management routes exposed or hidden behind a
 * reverse proxy (JSON or HTML 404), for valid and refused keys; and where the keys may go.
 */
import http from 'http';
import type { AddressInfo } from 'net';

import { JlabLlmApi } from '../../credentials/JlabLlmApi.credentials';
import { JlabLlmN8nApi } from '../../credentials/JlabLlmN8nApi.credentials';
import { shutdownHarness, testCredential } from '../harness';
import { leakedPieces } from '../helpers/leaks';

import { startSandbox, type Sandbox } from '../../sandbox/server';

const MASTER = 'sk-master-CRED0000000000000000000';
const VALID = 'sk-canary-CREDTST0a1b2c3d4e5f6g7h8';
const EXPIRED = 'sk-expired-CREDTST000000000000001';
const BLOCKED = 'sk-blocked-CREDTST000000000000002';
const BROKE = 'sk-broke-CREDTST00000000000000003';
const UNKNOWN = 'sk-never-issued-CREDTST0000000004';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		masterKey: MASTER,
		keys: [
			{ key: VALID, key_alias: 'valid', user_id: 'alice' },
			{ key: EXPIRED, key_alias: 'old', user_id: 'alice', expires: '2020-01-01T00:00:00Z' },
			{ key: BLOCKED, key_alias: 'blocked', user_id: 'alice', blocked: true },
			{ key: BROKE, key_alias: 'broke', user_id: 'bob', max_budget: 1, spend: 2 },
		],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.setConfig({
		profile: 'v1.9x',
		exposeManagement: true,
		hiddenRoutes: 'json',
		enterprise: false,
	});
});

const EXPOSURES = [
	['management routes exposed', { exposeManagement: true }],
	['/key/info hidden (JSON 404)', { exposeManagement: false, hiddenRoutes: 'json' }],
	['/key/info hidden (HTML 404)', { exposeManagement: false, hiddenRoutes: 'html' }],
] as const;

const CASES: Array<[string, string, string | null]> = [
	['a valid key', VALID, null],
	['an unknown key', UNKNOWN, 'invalid_key'],
	['an expired key', EXPIRED, 'expired_key'],
	['a blocked key', BLOCKED, 'blocked_key'],
	['an over-budget key', BROKE, 'budget_exceeded'],
];

describe.each(['v1.83', 'v1.9x', 'next'])(
	'JLab LLM API credential test, LiteLLM profile %s',
	(profile) => {
		describe.each(EXPOSURES)('%s', (_label, exposure) => {
			it.each(CASES)('%s', async (_case, key, cls) => {
				sandbox.setConfig({ profile, ...exposure });
				const result = await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: key });
				if (cls === null) {
					expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
				} else {
					expect(result.status).toBe('Error');
					expect(result.message.startsWith(`${cls}: `)).toBe(true);
				}
				expect(leakedPieces(result, key)).toEqual([]);
				// One request, on a route every LiteLLM exposes and authenticates: the model list.
				expect(sandbox.requests.map((r) => [r.path, r.authorization])).toEqual([
					['/v1/models', `Bearer ${key}`],
				]);
			});
		});
	},
);

describe('JLab LLM API credential test: other answers', () => {
	it('a key in a regenerate grace period passes until the period ends: it still authenticates, and no key row is read', async () => {
		sandbox.setConfig({ enterprise: true });
		const old = 'sk-rotating-CREDTST00000000000005';
		sandbox.addKey({ key: old, key_alias: 'rotating', user_id: 'alice' });
		const res = await fetch(`${sandbox.url}/key/${old}/regenerate`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${MASTER}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ grace_period: '1h', new_key: 'sk-rotated-CREDTST000000000000006' }),
		});
		expect(res.status).toBe(200);
		sandbox.clearRequests();
		expect(await testCredential('jlabLlmApi', { baseUrl: sandbox.url, apiKey: old })).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(sandbox.requests.map((r) => r.path)).toEqual(['/v1/models']);
	});

	it('a Base URL that is not the gateway root fails as invalid_response (JSON and HTML 404)', async () => {
		expect(
			(await testCredential('jlabLlmApi', { baseUrl: `${sandbox.url}/nope`, apiKey: VALID }))
				.message,
		).toMatch(/^invalid_response: /);
		sandbox.setConfig({ exposeManagement: false, hiddenRoutes: 'html' });
		expect(
			(await testCredential('jlabLlmApi', { baseUrl: `${sandbox.url}/nope`, apiKey: VALID }))
				.message,
		).toMatch(/^invalid_response: /);
	});
});

/** A listener on 127.0.0.1 that records whether anything arrived, and with which headers. */
async function listener(): Promise<{
	port: number;
	seen: http.IncomingHttpHeaders[];
	close(): Promise<void>;
}> {
	const seen: http.IncomingHttpHeaders[] = [];
	const server = http.createServer((req, res) => {
		seen.push(req.headers);
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end('{"data":[]}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		seen,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

// [::ffff:127.0.0.1] reaches the listener on 127.0.0.1, but is not spelt as this machine: it stands
// for a host on the network, so the test can see whether anything would have been sent.
const NETWORK_HOST = '[::ffff:127.0.0.1]';

describe.each([
	['jlabLlmApi', 'Base URL', VALID],
	['jlabLlmN8nApi', 'n8n Base URL', 'n8n-api-key-CREDTST-0000000000000007'],
])('%s credential test over plain http://', (type, field, key) => {
	it('refuses a host that is not this machine while "Allow Unencrypted HTTP" is off, and sends nothing', async () => {
		const l = await listener();
		try {
			const result = await testCredential(type, {
				baseUrl: `http://${NETWORK_HOST}:${l.port}`,
				apiKey: key,
			});
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				new RegExp(`^bad_request: ${field}: expected https:// .*Allow Unencrypted HTTP`),
			);
			expect(l.seen).toEqual([]);
			expect(leakedPieces(result, key)).toEqual([]);
		} finally {
			await l.close();
		}
	});

	it('sends the test there once "Allow Unencrypted HTTP" is on (so the refusal above is what stopped it)', async () => {
		const l = await listener();
		try {
			await testCredential(type, {
				baseUrl: `http://${NETWORK_HOST}:${l.port}`,
				apiKey: key,
				allowHttp: true,
			});
			expect(l.seen).toHaveLength(1);
		} finally {
			await l.close();
		}
	});
});

describe("authenticate: the key goes only to the credential's own address", () => {
	const gateway = { baseUrl: 'https://delphi.jlab.org/api', apiKey: VALID, allowHttp: false };

	it.each([
		['another host', 'https://echo.example.org/anything'],
		['the same host over http://', 'http://delphi.jlab.org/api/v1/models'],
		['another port', 'https://delphi.jlab.org:8443/api/v1/models'],
		['a look-alike host', 'https://delphi.jlab.org.example.org/api/v1/models'],
	])('JLab LLM API refuses %s and sets no header', async (_label, url) => {
		const options = { url, headers: {} as Record<string, string> };
		await expect(new JlabLlmApi().authenticate(gateway, options)).rejects.toThrow(
			/^permission_denied: The "JLab LLM API" credential sends its key only to its own Base URL \(https:\/\/delphi\.jlab\.org\)/,
		);
		expect(options.headers).toEqual({});
	});

	it('JLab LLM API refuses a request whose address it cannot check (a legacy `uri` request, as HTTP Request sends on n8n before 2.41)', async () => {
		const options = {
			uri: 'https://delphi.jlab.org/api/v1/models',
			headers: {} as Record<string, string>,
		} as unknown as { url: string; headers: Record<string, string> };
		await expect(new JlabLlmApi().authenticate(gateway, options)).rejects.toThrow(
			/^permission_denied: .*not to a request whose address it cannot check/,
		);
		expect(options.headers).toEqual({});
	});

	it('JLab LLM API adds the Bearer header for its own gateway (absolute URL, or baseURL + path)', async () => {
		expect(
			(
				await new JlabLlmApi().authenticate(gateway, {
					url: 'https://delphi.jlab.org/api/v1/models',
				})
			).headers,
		).toEqual({ Authorization: `Bearer ${VALID}` });
		expect(
			(
				await new JlabLlmApi().authenticate(gateway, {
					baseURL: 'https://delphi.jlab.org/api',
					url: '/key/info',
				})
			).headers,
		).toEqual({ Authorization: `Bearer ${VALID}` });
	});

	it('JLab LLM N8N API sends X-N8N-API-KEY only to its own n8n Base URL', async () => {
		const n8n = { baseUrl: 'https://n8n.jlab.org', apiKey: 'n8n-key', allowHttp: false };
		expect(
			(
				await new JlabLlmN8nApi().authenticate(n8n, {
					url: 'https://n8n.jlab.org/api/v1/credentials/1',
				})
			).headers,
		).toEqual({ 'X-N8N-API-KEY': 'n8n-key' });
		const options = {
			url: 'https://elsewhere.example.org/api/v1/credentials/1',
			headers: {} as Record<string, string>,
		};
		await expect(new JlabLlmN8nApi().authenticate(n8n, options)).rejects.toThrow(
			/^permission_denied: /,
		);
		expect(options.headers).toEqual({});
	});

	it("both credentials may be used only by this package's nodes (n8n 2.41 refuses any other node, HTTP Request included)", () => {
		expect(new JlabLlmApi()).toMatchObject({
			restrictToSupportedNodes: true,
			supportedNodes: [
				'jlabLlmChat',
				'jlabLlmUsage',
				'jlabLlmKey',
				'lmChatJlabLlm',
				'embeddingsJlabLlm',
			],
		});
		expect(new JlabLlmN8nApi()).toMatchObject({
			restrictToSupportedNodes: true,
			supportedNodes: ['jlabLlmKey'],
		});
	});
});
