/**
 * A gateway that asks for an absurd wait (retry-after 1e8, a reset_at years away) must not stall a
 * run: every node caps the wait at its "Max Wait (Seconds)" (default 120 s) and fails the item as
 * rate_limited, naming how long the gateway asked for. Within the cap it still waits and retries.
 * Node's timers hold at most 2^31-1 ms: no TimeoutOverflowWarning may ever be raised.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';

import { runChat, startSandbox, type Sandbox } from './chatSetup';
import { runModel } from './chatModelSetup';
import { ADMIN, runKeyNode, startWorld } from './keySetup';
import { runUsage } from './usageSetup';

const KEY = 'sk-canary-MAXWAIT-2d7f0b9c4e1a8d3f6b5c';
const ROUTE = '/v1/chat/completions';

let sandbox: Sandbox;
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(w.name);

beforeAll(async () => {
	process.on('warning', onWarning);
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'maxwait', user_id: 'alice' }],
	});
});

afterAll(async () => {
	process.off('warning', onWarning);
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearFaults();
	sandbox.clearRequests();
});

afterEach(async () => {
	// A timer overflow is reported on the next tick.
	await new Promise((resolve) => setImmediate(resolve));
	expect(warnings.filter((w) => w === 'TimeoutOverflowWarning')).toEqual([]);
});

describe('Max Wait (Seconds)', () => {
	it('retry-after 1e8: the Chat item fails as rate_limited at once, naming the asked wait', async () => {
		sandbox.injectFaults([{ route: ROUTE, kind: 'rate_limit', retryAfter: 1e8, times: 5 }]);
		const r = await runChat(
			sandbox,
			{ prompt: 'Hello', options: { maxRetries: 3 } },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0]).toMatchObject({ errorType: 'rate_limited', httpCode: 429 });
		expect(r.items[0].error).toContain(
			'The gateway asked to wait 1.00e+8 s (about 1157 days), longer than Max Wait (Seconds) allows (120 s)',
		);
		expect(r.items[0].error).not.toMatch(/\.\./);
		expect(r.chatRequests).toHaveLength(1);
	});

	it('retry-after 200 over the default cap of 120 s: fails without waiting', async () => {
		sandbox.injectFaults([{ route: ROUTE, kind: 'rate_limit', retryAfter: 200, times: 5 }]);
		const r = await runChat(sandbox, { prompt: 'Hello' }, { apiKey: KEY, continueOnFail: true });
		expect(r.items[0]).toMatchObject({ errorType: 'rate_limited' });
		expect(r.items[0].error).toContain('asked to wait 200 s');
		expect(r.chatRequests).toHaveLength(1);
	});

	it('a short cap fails a wait just over it; a raised cap waits and the item succeeds', async () => {
		sandbox.injectFaults([{ route: ROUTE, kind: 'rate_limit', retryAfter: 1, times: 1 }]);
		const short = await runChat(
			sandbox,
			{ prompt: 'Hello', options: { maxWait: 0.5 } },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(short.items[0]).toMatchObject({ errorType: 'rate_limited' });
		expect(short.items[0].error).toContain(
			'asked to wait 1 s, longer than Max Wait (Seconds) allows (0.5 s)',
		);

		sandbox.clearFaults();
		sandbox.injectFaults([{ route: ROUTE, kind: 'rate_limit', retryAfter: 1, times: 1 }]);
		const raised = await runChat(
			sandbox,
			{ prompt: 'Hello', options: { maxWait: 2 } },
			{ apiKey: KEY },
		);
		expect(raised.error('Chat')).toBeUndefined();
		expect(raised.chatRequests.map((q) => q.status)).toEqual([429, 200]);
		expect(raised.chatRequests[1].time - raised.chatRequests[0].time).toBeGreaterThanOrEqual(990);
	});

	it('the Chat Model fails the call as rate_limited instead of waiting 1e8 s', async () => {
		sandbox.injectFaults([{ route: ROUTE, kind: 'rate_limit', retryAfter: 1e8, times: 5 }]);
		const r = await runModel(sandbox as never, {
			apiKey: KEY,
			parameters: { options: { maxRetries: 2 } },
		});
		expect(r.items[0].description).toMatch(/^rate_limited: /);
		expect(String(r.items[0].message)).toContain('asked to wait 1.00e+8 s');
		expect(r.chatRequests).toHaveLength(1);
	});

	it('the Usage node (default cap) fails Get Key Info as rate_limited', async () => {
		sandbox.injectFaults([{ route: '/key/info', kind: 'rate_limit', retryAfter: 1e8, times: 5 }]);
		const r = await runUsage(
			sandbox as never,
			{ operation: 'getKeyInfo' },
			{ apiKey: KEY, continueOnFail: true },
		);
		expect(r.items[0].json).toMatchObject({ errorType: 'rate_limited' });
		expect(String(r.items[0].json.error)).toContain('asked to wait 1.00e+8 s');
	});

	it('the Key node fails List Keys as rate_limited, and its Max Wait option raises the cap', async () => {
		const world = await startWorld({ credentialKey: ADMIN });
		try {
			world.sandbox.injectFaults([
				{ route: '/key/list', kind: 'rate_limit', retryAfter: 200, times: 1 },
			]);
			const run = await runKeyNode(
				world,
				{ operation: 'listKeys', options: { maxRetries: 2, timeoutMs: 5000 } },
				{ withN8n: false, continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({ errorType: 'rate_limited' });
			expect(String(run.items[0].json.error)).toContain('asked to wait 200 s');

			world.sandbox.injectFaults([
				{ route: '/key/list', kind: 'rate_limit', retryAfter: 1, times: 1 },
			]);
			const ok = await runKeyNode(
				world,
				{ operation: 'listKeys', options: { maxRetries: 2, timeoutMs: 5000, maxWait: 2 } },
				{ withN8n: false },
			);
			expect(ok.error).toBeUndefined();
			expect(ok.items.length).toBeGreaterThan(0);
			expect((ok.items[0].json as IDataObject).errorType).toBeUndefined();
		} finally {
			await world.close();
		}
	});
});
