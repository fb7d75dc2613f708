/**
 * One classification, one message, in every node: LiteLLM 1.83's unknown model (400, type "None",
 * param "None") is unknown_model with that class's headline in the Chat node and the Chat Model;
 * a management route hidden behind a reverse proxy's HTML 404 page is "this gateway does not
 * expose …" (permission_denied) in the Usage and Key nodes, never "check the Base URL"; a base URL
 * that serves HTML 404 pages everywhere still is invalid_response.
 */
import { shutdownHarness } from '../harness';
import { leakedPieces } from '../helpers/leaks';

import { runChat, startSandbox, type Sandbox } from './chatSetup';
import { runModel } from './chatModelSetup';
import { ADMIN, runKeyNode, startWorld } from './keySetup';
import { runUsage } from './usageSetup';

const KEY = 'sk-canary-ERRCASES-8b1d4f7a2c9e6b3d0f5a';
const UNKNOWN_MODEL = { __rl: true, mode: 'id', value: 'openai/gpt-5' };

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'errcases', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearFaults();
	sandbox.clearRequests();
	sandbox.setConfig({ profile: 'v1.9x', exposeManagement: true, hiddenRoutes: 'json' });
});

/** The message leads with the class's own headline, and reads cleanly. */
function clean(message: unknown, headline: string) {
	expect(String(message)).toMatch(new RegExp(`^${headline}\\. `));
	expect(String(message)).not.toMatch(/\.\./);
	expect(leakedPieces(String(message), KEY)).toEqual([]);
}

describe('an unknown model on LiteLLM 1.83 (400, type "None", param "None")', () => {
	it('Chat: unknown_model, with its own headline, never "refused as invalid"', async () => {
		sandbox.setConfig({ profile: 'v1.83' });
		const r = await runChat(
			sandbox,
			{ prompt: 'Hello', model: UNKNOWN_MODEL },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].errorType).toBe('unknown_model');
		clean(r.items[0].error, 'The gateway has no such model');
		expect(String(r.items[0].error)).not.toContain('refused as invalid');
		expect(String(r.items[0].error)).toContain(
			'"openai/gpt-5" is not in the gateway\'s model list for this key',
		);
	});

	it('Chat Model: unknown_model too, with the same headline', async () => {
		sandbox.setConfig({ profile: 'v1.83' });
		const r = await runModel(sandbox as never, {
			apiKey: KEY,
			parameters: { model: UNKNOWN_MODEL },
		});
		expect(r.items[0].description).toMatch(/^unknown_model: /);
		clean(r.items[0].message, 'The gateway has no such model');
		expect(String(r.items[0].message)).toContain(
			'"openai/gpt-5" is not in the gateway\'s model list for this key',
		);
	});

	it('a model the gateway lists but refuses with a bare 400 stays bad_request', async () => {
		sandbox.setConfig({ profile: 'v1.83' });
		const r = await runChat(
			sandbox,
			{ prompt: 'Hello', options: { imageUrls: 'https://example.org/a.jpg' } },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].errorType).toBe('bad_request');
		clean(r.items[0].error, 'The request was refused as invalid');
	});
});

describe("a management route hidden behind a reverse proxy's HTML 404 page", () => {
	const hidden = () => sandbox.setConfig({ exposeManagement: false, hiddenRoutes: 'html' });

	it('Usage → Get Key Info: "this gateway does not expose /key/info", not "check the Base URL"', async () => {
		hidden();
		const r = await runUsage(
			sandbox as never,
			{ operation: 'getKeyInfo' },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].json).toMatchObject({ errorType: 'permission_denied' });
		expect(String(r.items[0].json.error)).toContain('does not expose /key/info');
		expect(String(r.items[0].json.error)).not.toMatch(/Base URL/i);
	});

	it('Usage → Get Activity: "this gateway does not expose /user/daily/activity"', async () => {
		hidden();
		const r = await runUsage(
			sandbox as never,
			{ operation: 'getActivity', scope: 'user' },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].json).toMatchObject({ errorType: 'permission_denied' });
		expect(String(r.items[0].json.error)).toMatch(
			/does not expose \/(key\/info|user\/daily\/activity)/,
		);
		expect(String(r.items[0].json.error)).not.toMatch(/Base URL/i);
	});

	it('Key → List Keys: "this gateway does not expose /key/list"', async () => {
		const world = await startWorld({ credentialKey: ADMIN });
		try {
			world.sandbox.setConfig({ exposeManagement: false, hiddenRoutes: 'html' });
			const run = await runKeyNode(
				world,
				{ operation: 'listKeys', options: { maxRetries: 0, timeoutMs: 5000 } },
				{ withN8n: false, continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({ errorType: 'permission_denied' });
			clean(run.items[0].json.error, 'The key may not call this gateway route');
			expect(String(run.items[0].json.error)).toContain(
				'This gateway does not expose /key/list (HTTP 404)',
			);
			expect(String(run.items[0].json.error)).not.toMatch(/Base URL/i);
		} finally {
			await world.close();
		}
	});

	it('a base URL that serves HTML 404 pages for every route is still invalid_response (check the Base URL)', async () => {
		sandbox.injectFaults([{ route: '*', kind: 'html', status: 404, times: -1 }]);
		const r = await runUsage(
			sandbox as never,
			{ operation: 'getKeyInfo' },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].json).toMatchObject({ errorType: 'invalid_response' });
		expect(String(r.items[0].json.error)).toContain('HTTP 404');
	});
});
