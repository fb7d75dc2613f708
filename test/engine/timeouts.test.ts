/**
 * "Timeout (Seconds)" on the Key and Usage nodes, inside n8n's engine against a sandbox gateway
 * that answers later than the timeout: the item fails as `timeout` after about the configured
 * time, not after the gateway's delay. The Key node's version 1 keeps its "Timeout (Ms)" field
 * (saved workflows run as before); version 1.1 shows the seconds field instead.
 */
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { JlabLlmKey } from '../../nodes/JlabLlmKey/JlabLlmKey.node';
import { shutdownHarness } from '../harness';
import { ADMIN, runKeyNode, startWorld, type World } from './keySetup';
import { runUsage, startUsageSandbox, type UsageSandbox } from './usageSetup';

/** Far longer than every timeout below: a run that waited for the answer would take this long. */
const DELAY_MS = 6000;
const USAGE_KEY = 'sk-canary-TIMEOUTS-7c1e5a9b3d2f4e6a8b0c';

afterAll(async () => {
	await shutdownHarness();
});

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
	const started = Date.now();
	const result = await run();
	return { result, ms: Date.now() - started };
}

describe('Key node description: the timeout field by version', () => {
	const d = new JlabLlmKey().description;
	const collections = d.properties.filter((p) => p.name === 'options' && p.type === 'collection');
	const field = (c: INodeProperties, name: string) =>
		(c.options as INodeProperties[]).find((o) => o.name === name) as INodeProperties;
	const shown = (c: INodeProperties, name: string, typeVersion: number) =>
		NodeHelpers.displayParameter({}, field(c, name), { typeVersion }, d);

	it('has versions 1 and 1.1, and new nodes get 1.1', () => {
		expect(d.version).toEqual([1, 1.1]);
		expect(d.defaultVersion).toBe(1.1);
	});

	it('every operation: version 1 shows "Timeout (Ms)", version 1.1 "Timeout (Seconds)"', () => {
		expect(collections.length).toBeGreaterThanOrEqual(8);
		for (const c of collections) {
			expect(field(c, 'timeoutMs').displayName).toBe('Timeout (Ms)');
			expect(field(c, 'timeout')).toMatchObject({
				displayName: 'Timeout (Seconds)',
				default: 30,
				typeOptions: { minValue: 1, maxValue: 600 },
			});
			expect(shown(c, 'timeoutMs', 1)).toBe(true);
			expect(shown(c, 'timeout', 1)).toBe(false);
			expect(shown(c, 'timeoutMs', 1.1)).toBe(false);
			expect(shown(c, 'timeout', 1.1)).toBe(true);
		}
	});

	it('a saved workflow keeps the field of its own version', () => {
		const saved = { operation: 'listKeys', options: { timeoutMs: 5000, timeout: 5 } };
		const at = (typeVersion: number) =>
			(
				NodeHelpers.getNodeParameters(d.properties, saved, false, false, { typeVersion }, d) as {
					options: IDataObject;
				}
			).options;
		expect(at(1)).toEqual({ timeoutMs: 5000 });
		expect(at(1.1)).toEqual({ timeout: 5 });
	});
});

describe('Key node: the timeout ends a request the gateway holds', () => {
	let world: World;

	beforeAll(async () => {
		world = await startWorld({ credentialKey: ADMIN });
		// A first run loads the engine, so the timed runs below measure only the request.
		await runKeyNode(world, { operation: 'listKeys' }, { withN8n: false });
	});

	afterAll(async () => {
		await world.close();
	});

	it.each([
		['version 1, Timeout (Ms) 1000', 1, { timeoutMs: 1000 }],
		['version 1.1, Timeout (Seconds) 1', 1.1, { timeout: 1 }],
	])('%s: fails as timeout after about 1 s', async (_label, typeVersion, timeout) => {
		world.sandbox.injectFaults([{ route: '/key/list', kind: 'delay', ms: DELAY_MS, times: 1 }]);
		const { result: run, ms } = await timed(() =>
			runKeyNode(
				world,
				{ operation: 'listKeys', options: { maxRetries: 0, ...timeout } },
				{ withN8n: false, continueOnFail: true, typeVersion },
			),
		);
		expect(run.items[0].json).toMatchObject({ errorType: 'timeout' });
		expect(String(run.items[0].json.error)).toMatch(/did not answer in time/);
		expect(ms).toBeGreaterThanOrEqual(950);
		expect(ms).toBeLessThan(3000);
	});

	it('version 1.1: a timeout outside 1 to 600 seconds is refused, naming the field', async () => {
		const run = await runKeyNode(
			world,
			{ operation: 'listKeys', options: { timeout: 0.5 } },
			{ withN8n: false, continueOnFail: true, typeVersion: 1.1 },
		);
		expect(String(run.items[0].json.error)).toMatch(
			/^Timeout \(Seconds\): expected a number from 1 to 600/,
		);
	});
});

describe('Usage node: Timeout (Seconds)', () => {
	let sandbox: UsageSandbox;

	beforeAll(async () => {
		sandbox = await startUsageSandbox({
			keys: [{ key: USAGE_KEY, key_alias: 'timeouts', user_id: 'alice', max_budget: 10 }],
		});
		await runUsage(sandbox, { operation: 'getKeyInfo' }, { apiKey: USAGE_KEY });
	});

	afterAll(async () => {
		await sandbox.close();
	});

	beforeEach(() => {
		sandbox.clearRequests();
	});

	it('List Models (one retry): fails as timeout after about 2 × 1 s', async () => {
		sandbox.injectFaults([{ route: '/v1/models', kind: 'delay', ms: DELAY_MS, times: 2 }]);
		const { result: run, ms } = await timed(() =>
			runUsage(
				sandbox,
				{ operation: 'listModels', options: { timeout: 1 } },
				{ apiKey: USAGE_KEY, continueOnFail: true },
			),
		);
		expect(run.items[0].json).toMatchObject({ errorType: 'timeout' });
		// Two attempts of 1 s and a backoff of at most 0.5 s between them.
		expect(ms).toBeGreaterThanOrEqual(1900);
		expect(ms).toBeLessThan(4500);
	});

	it('Get Key Info: a slow first answer is given up after 1 s and the retry answers', async () => {
		sandbox.injectFaults([{ route: '/key/info', kind: 'delay', ms: DELAY_MS, times: 1 }]);
		const { result: run, ms } = await timed(() =>
			runUsage(
				sandbox,
				{ operation: 'getKeyInfo', options: { timeout: 1 } },
				{ apiKey: USAGE_KEY, continueOnFail: true },
			),
		);
		expect(run.items[0].json.errorType).toBeUndefined();
		expect(run.items[0].json.alias).toBe('timeouts');
		expect(ms).toBeGreaterThanOrEqual(950);
		expect(ms).toBeLessThan(3500);
	});

	it('a timeout outside 1 to 600 seconds is refused, naming the field', async () => {
		const run = await runUsage(
			sandbox,
			{ operation: 'listModels', options: { timeout: 601 } },
			{ apiKey: USAGE_KEY, continueOnFail: true },
		);
		expect(String(run.items[0].json.error)).toMatch(
			/^Timeout \(Seconds\): a number of seconds from 1 to 600/,
		);
	});
});
