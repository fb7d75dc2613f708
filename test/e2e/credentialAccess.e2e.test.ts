/**
 * Who may get a key, in a real n8n (2.41.1) with the packed package:
 * - a user who may only use the JLab LLM API credential cannot read its key through n8n's HTTP
 *   Request node (restrictToSupportedNodes), while the package's own nodes still use it;
 * - the credential test sends no key over plain http:// to a host that is not this machine;
 * - the credential test passes a valid key where the gateway hides /key/info (only /v1 exposed);
 * - a rotation whose n8n API credential names another n8n is refused before any key is minted.
 *
 *   JLAB_LLM_TARBALL=… npx jest --selectProjects e2e --runInBand test/e2e/credentialAccess.e2e.test.ts
 */
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo } from 'net';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CANARY = lib.canaryKey('access');
const BLOCKED_KEY = `sk-${crypto.randomBytes(16).toString('hex')}`;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

// [::ffff:127.0.0.1] reaches a listener on 127.0.0.1 but is not spelt as this machine: it plays a
// host on the network, so whatever n8n would send there is really received and counted.
const NETWORK_HOST = '[::ffff:127.0.0.1]';

interface Echo {
	port: number;
	seen: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
	close(): Promise<void>;
}

/** An HTTP server that answers every request with the request's own headers, as httpbin does. */
async function startEcho(): Promise<Echo> {
	const seen: Echo['seen'] = [];
	const server = http.createServer((req, res) => {
		seen.push({ url: req.url ?? '', headers: req.headers });
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ headers: req.headers, data: [] }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		seen,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

const trigger = {
	id: 't',
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const sandboxCredential = {
	jlabLlmApi: { id: lib.SANDBOX_CREDENTIAL.id, name: lib.SANDBOX_CREDENTIAL.name },
};
const after = (name: string) => ({ Start: { main: [[{ node: name, type: 'main', index: 0 }]] } });

/** A user's attempt: an HTTP Request node with the shared credential, calling a server that echoes headers. */
function httpRequestWorkflow(echoUrl: string) {
	return {
		id: 'accessHttpReq01',
		name: 'HTTP Request with the JLab LLM API credential',
		nodes: [
			trigger,
			{
				id: 'h',
				name: 'Echo',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [200, 0],
				parameters: {
					url: echoUrl,
					authentication: 'predefinedCredentialType',
					nodeCredentialType: 'jlabLlmApi',
					options: {},
				},
				credentials: sandboxCredential,
			},
		],
		connections: after('Echo'),
	};
}

const chatWorkflow = {
	id: 'accessChat0001',
	name: 'JLab LLM Chat with the same credential',
	nodes: [
		trigger,
		{
			id: 'c',
			name: 'Chat',
			type: `${PREFIX}jlabLlmChat`,
			typeVersion: 1,
			position: [200, 0],
			parameters: {
				model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' },
				inputMode: 'prompt',
				prompt: 'Say hello',
				options: {},
			},
			credentials: sandboxCredential,
		},
	],
	connections: after('Chat'),
};

const ELSEWHERE_N8N = { id: 'accessN8nElse01', name: 'n8n API (elsewhere)', type: 'jlabLlmN8nApi' };
const rotateWorkflow = {
	id: 'accessRotate01',
	name: 'Rotation writing into another n8n',
	nodes: [
		trigger,
		{
			id: 'k',
			name: 'Rotate',
			type: `${PREFIX}jlabLlmKey`,
			typeVersion: 1,
			position: [200, 0],
			parameters: { operation: 'rotate', strategy: 'replace', options: {} },
			credentials: {
				...sandboxCredential,
				jlabLlmN8nApi: { id: ELSEWHERE_N8N.id, name: ELSEWHERE_N8N.name },
			},
		},
	],
	connections: after('Rotate'),
};

const nodeError = (run: any, name: string) => run?.data?.resultData?.runData?.[name]?.[0]?.error;

describe(`n8n ${lib.CURRENT.n8n}: who may get a key`, () => {
	let stack: any;
	let echo: Echo;
	const output: string[] = [];

	beforeAll(async () => {
		echo = await startEcho();
		stack = await lib.startStack({
			apiKey: CANARY,
			workflows: [
				httpRequestWorkflow(`http://127.0.0.1:${echo.port}/anything`),
				chatWorkflow,
				rotateWorkflow,
			],
			sandbox: {
				users: [{ user_id: 'access-user', user_role: 'internal_user' }],
				keys: [
					{ key: CANARY, key_alias: 'access-canary', user_id: 'access-user' },
					{ key: BLOCKED_KEY, key_alias: 'access-blocked', user_id: 'access-user', blocked: true },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
		// The n8n API credential names this very n8n, spelt as another host: only the check can tell.
		await lib.importData(stack.n8n, {
			credentials: [
				{
					...ELSEWHERE_N8N,
					data: {
						baseUrl: `http://${NETWORK_HOST}:${stack.n8n.port}`,
						apiKey: stack.client.apiKey,
						allowHttp: true,
					},
				},
			],
		});
	});

	afterAll(async () => {
		if (stack) {
			// Nothing any run produced, n8n's log included, holds a piece of the key.
			expect(lib.leakedPieces([...output, stack.n8n.tail(100000)].join('\n'), CANARY)).toEqual([]);
			await stack.stop();
		}
		if (echo) await echo.close();
	});

	it('an HTTP Request node given the JLab LLM API credential gets no key: n8n refuses the credential, nothing is sent', async () => {
		const res = await lib.executeWorkflow(stack.n8n, 'accessHttpReq01');
		output.push(res.stdout, res.stderr);
		expect(res.run).toBeDefined();
		expect(echo.seen).toEqual([]);
		expect(lib.leakedPieces(JSON.stringify(res.run), CANARY)).toEqual([]);
		expect(nodeError(res.run, 'Echo')?.message).toBe(
			'Credential type "jlabLlmApi" is restricted to specific nodes',
		);
	});

	it('the JLab LLM Chat node with the same credential still works', async () => {
		const before = stack.sandbox.requests.length;
		const res = await lib.executeWorkflow(stack.n8n, 'accessChat0001');
		output.push(res.stdout, res.stderr);
		expect(nodeError(res.run, 'Chat')).toBeUndefined();
		const chats = stack.sandbox.requests
			.slice(before)
			.filter((q: any) => q.path === '/v1/chat/completions');
		expect(chats.map((q: any) => [q.status, q.keyHash])).toEqual([[200, sha256(CANARY)]]);
		expect(lib.leakedPieces(JSON.stringify(res.run), CANARY)).toEqual([]);
	});

	describe('credential test (POST /rest/credentials/test)', () => {
		const testJlab = (data: Record<string, unknown>) =>
			stack.client.request('POST', '/rest/credentials/test', {
				credentials: { ...lib.SANDBOX_CREDENTIAL, data },
			});

		it('sends no key over http:// to a host that is not this machine, and says why', async () => {
			const seenBefore = echo.seen.length;
			const res = await testJlab({
				baseUrl: `http://${NETWORK_HOST}:${echo.port}`,
				apiKey: CANARY,
				allowHttp: false,
			});
			expect(res.status).toBe(200);
			expect(res.body.data.status).toBe('Error');
			expect(res.body.data.message).toMatch(
				/^bad_request: Base URL: expected https:\/\/ .*"Allow Unencrypted HTTP"/,
			);
			expect(echo.seen.length).toBe(seenBefore);
			expect(lib.leakedPieces(res.text, CANARY)).toEqual([]);
		});

		it('the n8n API credential test also sends nothing there', async () => {
			const seenBefore = echo.seen.length;
			const res = await stack.client.request('POST', '/rest/credentials/test', {
				credentials: {
					...ELSEWHERE_N8N,
					data: {
						baseUrl: `http://${NETWORK_HOST}:${echo.port}`,
						apiKey: stack.client.apiKey,
						allowHttp: false,
					},
				},
			});
			expect(res.body.data.status).toBe('Error');
			expect(res.body.data.message).toMatch(/^bad_request: n8n Base URL: expected https:\/\/ /);
			expect(echo.seen.length).toBe(seenBefore);
		});

		it.each([
			['exposed', { exposeManagement: true }],
			['hidden as JSON 404', { exposeManagement: false, hiddenRoutes: 'json' }],
			['hidden as HTML 404', { exposeManagement: false, hiddenRoutes: 'html' }],
		])(
			'management routes %s: a valid key passes, a blocked key fails naming its case',
			async (_label, exposure) => {
				stack.sandbox.setConfig(exposure);
				try {
					const good = await testJlab({
						baseUrl: stack.sandbox.url,
						apiKey: CANARY,
						allowHttp: false,
					});
					expect(good.body.data).toEqual({ status: 'OK', message: 'Connection successful!' });
					const blocked = await testJlab({
						baseUrl: stack.sandbox.url,
						apiKey: BLOCKED_KEY,
						allowHttp: false,
					});
					expect(blocked.body.data.status).toBe('Error');
					expect(blocked.body.data.message).toMatch(/^blocked_key: /);
					expect(lib.leakedPieces(good.text + blocked.text, BLOCKED_KEY)).toEqual([]);
				} finally {
					stack.sandbox.setConfig({ exposeManagement: true, hiddenRoutes: 'json' });
				}
			},
		);
	});

	it('a rotation whose n8n API credential names another n8n is refused before any key is minted', async () => {
		const before = stack.sandbox.requests.length;
		const res = await lib.executeWorkflow(stack.n8n, 'accessRotate01');
		output.push(res.stdout, res.stderr);
		expect(nodeError(res.run, 'Rotate')?.message).toMatch(
			/^n8n Base URL: expected the address of this n8n instance \(http:\/\/127\.0\.0\.1:\d+\) or of this machine \(localhost\), got http:\/\/\[::ffff:7f00:1\]:\d+: .*"Allow Another n8n Instance"/,
		);
		expect(stack.sandbox.requests.slice(before).filter((q: any) => q.method === 'POST')).toEqual(
			[],
		);
		expect((await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id)).apiKey).toBe(
			CANARY,
		);
	});
});
