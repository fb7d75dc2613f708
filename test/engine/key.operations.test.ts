/**
 * Revoke, Create Key, Update Key, Block, Unblock and List Keys inside n8n's engine against the
 * sandbox gateway and the stand-in n8n public API: what they do at the gateway and in n8n,
 * what they output (fingerprints, never a key), and how permission errors are classified.
 */
import type { IDataObject } from 'n8n-workflow';

import { JlabLlmKey } from '../../nodes/JlabLlmKey/JlabLlmKey.node';
import { normalizeN8nUrl } from '../../nodes/JlabLlmKey/helpers/n8nApi';
import { shutdownHarness, testCredential } from '../harness';
import {
	ADMIN,
	CANARY,
	CRED_ID,
	exposed,
	leaks,
	N8N_KEY,
	NOUSER,
	runKeyNode,
	sha,
	startWorld,
	type World,
} from './keySetup';

afterAll(async () => {
	await shutdownHarness();
});

const TUNING = { timeoutMs: 2000, maxRetries: 1 };

function noKeys(run: Parameters<typeof exposed>[0], extra: string[] = []) {
	for (const key of [CANARY, ADMIN, NOUSER, N8N_KEY, ...extra])
		expect(leaks(exposed(run), key)).toEqual([]);
}

/** The world with the node's credential holding `key`. */
async function worldWith(
	key: string,
	options: Parameters<typeof startWorld>[0] = {},
): Promise<World> {
	return await startWorld({ ...options, credentialKey: key });
}

describe('JLab LLM Key node description', () => {
	const d = new JlabLlmKey().description;
	it('is never offered to an AI agent and names its operations', () => {
		expect(d.name).toBe('jlabLlmKey');
		expect(d.displayName).toBe('JLab LLM Key');
		expect((d as unknown as { usableAsTool: unknown }).usableAsTool).toBe(false);
		const ops = (d.properties.find((p) => p.name === 'operation')?.options ?? []).map(
			(o) => (o as { value: string }).value,
		);
		expect(ops.sort()).toEqual([
			'auditWorkflows',
			'block',
			'createKey',
			'listKeys',
			'revoke',
			'rotate',
			'unblock',
			'updateKey',
		]);
		expect(d.credentials?.map((c) => c.name)).toEqual(['jlabLlmApi', 'jlabLlmN8nApi']);
	});
});

/** Revoke on one gateway worker, and on three whose key caches (300 ms) all hold the key when it is deleted. */
const GATEWAYS: Array<{ label: string; world: Parameters<typeof startWorld>[0] }> = [
	{ label: 'one gateway worker', world: {} },
	{ label: 'three gateway workers', world: { workers: 3, keyCacheTtlMs: 300 } },
];

/** Every worker authenticates `key` once, so each one caches it. */
async function warm(world: World, key: string) {
	for (let n = 0; n < 3; n++)
		await fetch(`${world.sandbox.url}/key/info`, { headers: { Authorization: `Bearer ${key}` } });
}

for (const gateway of GATEWAYS)
	describe(`revoke (${gateway.label})`, () => {
		it('does nothing without the confirmation, and says which field', async () => {
			const world = await worldWith(CANARY, gateway.world);
			await warm(world, CANARY);
			try {
				const run = await runKeyNode(
					world,
					{ operation: 'revoke', options: TUNING },
					{ continueOnFail: true, withN8n: false },
				);
				expect(run.items[0].json).toMatchObject({
					errorType: 'bad_request',
					field: 'I Understand Workflows Using This Credential Will Stop Working',
				});
				expect(world.timeline).toEqual([]);
				expect(world.accepts(CANARY)).toBe(true);
			} finally {
				await world.close();
			}
		});

		it("deletes the credential's own key and outputs {deleted: true, fingerprint}", async () => {
			const world = await worldWith(CANARY, gateway.world);
			await warm(world, CANARY);
			try {
				const run = await runKeyNode(
					world,
					{ operation: 'revoke', confirmRevoke: true, options: TUNING },
					{ withN8n: false },
				);
				expect(run.error).toBeUndefined();
				expect(run.items.map((i) => i.json)).toEqual([
					{
						deleted: true,
						fingerprint: { display: `sk-…${CANARY.slice(-4)}`, hash: sha(CANARY).slice(0, 12) },
						keyAlias: 'alice-laptop',
					},
				]);
				expect(world.accepts(CANARY)).toBe(false);
				// The key went by hash in the body, never in a URL.
				expect(world.proxy.calls.some((c) => c.path.includes('sk-'))).toBe(false);
				noKeys(run);
			} finally {
				await world.close();
			}
		});

		it('a lost answer to the deletion still ends in {deleted: true}', async () => {
			const world = await worldWith(CANARY, gateway.world);
			await warm(world, CANARY);
			try {
				world.proxy.faults.add({ method: 'POST', path: '/api/key/delete', kind: 'lose' });
				const run = await runKeyNode(
					world,
					{ operation: 'revoke', confirmRevoke: true, options: TUNING },
					{ withN8n: false },
				);
				expect(run.error).toBeUndefined();
				expect(run.items[0].json.deleted).toBe(true);
			} finally {
				await world.close();
			}
		});
	});

describe('revoke while gateway workers still cache the key', () => {
	it('a deletion the gateway confirmed is awaited while other workers accept the key, and never read as a bad request', async () => {
		const world = await worldWith(CANARY, { workers: 3, keyCacheTtlMs: 60_000 });
		try {
			await warm(world, CANARY);
			const run = await runKeyNode(
				world,
				{ operation: 'revoke', confirmRevoke: true, options: { ...TUNING, revocationWait: 5 } },
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			// The worker that served the deletion refuses the key: the run ends as soon as a probe reaches it.
			expect(run.items[0].json).toEqual({
				deleted: true,
				fingerprint: { display: `sk-…${CANARY.slice(-4)}`, hash: sha(CANARY).slice(0, 12) },
				keyAlias: 'alice-laptop',
			});
			expect(world.accepts(CANARY)).toBe(false);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('when the wait runs out, the output says the deletion is confirmed but not yet in effect everywhere', async () => {
		const world = await worldWith(CANARY, { workers: 3, keyCacheTtlMs: 60_000 });
		try {
			await warm(world, CANARY);
			const run = await runKeyNode(
				world,
				{ operation: 'revoke', confirmRevoke: true, options: { ...TUNING, revocationWait: 0 } },
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({
				deleted: true,
				effective: false,
				keyAlias: 'alice-laptop',
			});
			expect(String(run.items[0].json.warning)).toContain(
				'some of its workers still accepted the key',
			);
			expect(world.accepts(CANARY)).toBe(false);
			expect(world.sandbox.workersHolding(CANARY)).toBeGreaterThan(0);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('refuses a revocation wait out of range before any request', async () => {
		const world = await worldWith(CANARY);
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'revoke', confirmRevoke: true, options: { ...TUNING, revocationWait: 9999 } },
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: 'Revocation Wait (Seconds)',
			});
			expect(world.timeline).toEqual([]);
		} finally {
			await world.close();
		}
	});
});

describe('createKey', () => {
	const params = {
		operation: 'createKey',
		keyAlias: 'nightly-report-bot',
		models: ['openai/gpt-oss-20b'],
		options: {
			...TUNING,
			maxBudget: 5,
			budgetDuration: '30d',
			duration: '90d',
			rpmLimit: 30,
			tpmLimit: 50000,
			metadata: '{"owner":"data-team"}',
			userId: 'alice',
		},
	};

	it('mints a key and stores it in a new jlabLlmApi credential; the item has the id, name and fingerprint only', async () => {
		const world = await worldWith(ADMIN);
		try {
			const run = await runKeyNode(world, params);
			expect(run.error).toBeUndefined();
			const out = run.items[0].json as IDataObject & {
				fingerprint: { display: string; hash: string };
			};
			expect(out).toMatchObject({
				credentialId: 'created1',
				credentialName: 'JLab LLM - nightly-report-bot',
				credentialType: 'jlabLlmApi',
				keyAlias: 'nightly-report-bot',
				models: ['openai/gpt-oss-20b'],
				maxBudget: 5,
				budgetDuration: '30d',
				rpmLimit: 30,
				tpmLimit: 50000,
				userId: 'alice',
			});
			const stored = world.store.byId.get('created1')!;
			expect(stored.type).toBe('jlabLlmApi');
			expect(stored.data.baseUrl).toBe(world.proxy.url);
			// HTTP Request may send this credential only to the gateway's host (n8n before 2.41 ignores restrictToSupportedNodes).
			expect([stored.data.allowedHttpRequestDomains, stored.data.allowedDomains]).toEqual([
				'domains',
				new URL(world.proxy.url).hostname,
			]);
			const key = String(stored.data.apiKey);
			expect(key.startsWith('sk-')).toBe(true);
			expect(sha(key).slice(0, 12)).toBe(out.fingerprint.hash);
			expect(out.fingerprint.display).toBe(`sk-…${key.slice(-4)}`);
			const row = world.sandbox.getKey(key) as IDataObject;
			expect(row).toMatchObject({
				key_alias: 'nightly-report-bot',
				max_budget: 5,
				rpm_limit: 30,
				tpm_limit: 50000,
				user_id: 'alice',
				models: ['openai/gpt-oss-20b'],
			});
			expect((row.metadata as IDataObject).owner).toBe('data-team');
			expect(
				Math.abs(Date.parse(String(out.expires)) - (Date.now() + 90 * 86_400_000)),
			).toBeLessThan(120_000);
			noKeys(run, [key]);
			// The new credential works in a workflow: the bot's own key lists itself.
			const list = await runKeyNode(
				world,
				{ operation: 'listKeys', options: TUNING },
				{ credentialId: 'created1', withN8n: false },
			);
			expect(list.error).toBeUndefined();
		} finally {
			await world.close();
		}
	});

	it('an LLM-only bot key (which may not read /key/info) is checked on /v1/models before it is stored', async () => {
		const world = await worldWith(ADMIN);
		try {
			const run = await runKeyNode(world, {
				...params,
				keyAlias: 'llm-only-bot',
				options: { ...TUNING, keyType: 'llm_api', userId: 'alice' },
			});
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({ keyType: 'llm_api', credentialId: 'created1' });
			const key = String(world.store.byId.get('created1')!.data.apiKey);
			expect(world.sandbox.getKey(key)).toMatchObject({ allowed_routes: ['llm_api_routes'] });
			const checks = world.proxy.calls
				.filter((c) => c.method === 'GET')
				.map((c) => `${c.path} ${c.status}`);
			expect(checks).toEqual(['/api/key/info 403', '/api/v1/models 200']);
		} finally {
			await world.close();
		}
	});

	it('a key without a user (no role) gets permission_denied, and nothing is created', async () => {
		const world = await worldWith(NOUSER);
		try {
			const run = await runKeyNode(world, params, { continueOnFail: true });
			expect(run.items[0].json.errorType).toBe('permission_denied');
			expect(world.store.byId.size).toBe(2);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('a user key may create a key for itself', async () => {
		const world = await worldWith(CANARY);
		try {
			const run = await runKeyNode(world, {
				...params,
				keyAlias: 'alice-bot',
				options: { ...TUNING, maxBudget: 1 },
			});
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({ userId: 'alice', keyAlias: 'alice-bot' });
		} finally {
			await world.close();
		}
	});

	it('n8n refusing the credential (no credential:create scope) deletes the key again and says so', async () => {
		const world = await worldWith(ADMIN, { n8nScopes: ['credential:update'] });
		try {
			const run = await runKeyNode(world, params, { continueOnFail: true });
			const out = run.items[0].json;
			expect(out.errorType).toBe('permission_denied');
			expect(String(out.error)).toContain('was deleted again');
			expect(
				Object.values(world.sandbox.store.keys).some((r) => r.key_alias === 'nightly-report-bot'),
			).toBe(false);
			expect(world.store.byId.size).toBe(2);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('a lost answer from n8n: the key is deleted and the output warns about the credential that may exist', async () => {
		const world = await worldWith(ADMIN);
		try {
			world.n8n.faults.add({ method: 'POST', path: '/api/v1/credentials', kind: 'lose' });
			const run = await runKeyNode(world, params, { continueOnFail: true });
			expect(String(run.items[0].json.error)).toContain(
				'if a credential named "JLab LLM - nightly-report-bot" appears, delete it',
			);
			expect(
				Object.values(world.sandbox.store.keys).some((r) => r.key_alias === 'nightly-report-bot'),
			).toBe(false);
			// The credential n8n did create holds a key the gateway no longer knows.
			const created = world.store.byId.get('created1');
			expect(created && world.accepts(String(created.data.apiKey))).toBe(false);
			noKeys(run, created ? [String(created.data.apiKey)] : []);
		} finally {
			await world.close();
		}
	});

	it('a lost answer from /key/generate is settled by trying the key', async () => {
		const world = await worldWith(ADMIN);
		try {
			world.proxy.faults.add({ method: 'POST', path: '/api/key/generate', kind: 'lose' });
			const run = await runKeyNode(world, params);
			expect(run.error).toBeUndefined();
			expect(world.accepts(String(world.store.byId.get('created1')!.data.apiKey))).toBe(true);
			expect(world.proxy.calls.filter((c) => c.path === '/api/key/generate')).toHaveLength(1);
		} finally {
			await world.close();
		}
	});

	it('bad input fails before any request', async () => {
		const world = await worldWith(ADMIN);
		try {
			for (const [options, field] of [
				[{ duration: 'forever' }, 'Expiry'],
				[{ metadata: '{not json' }, 'Metadata'],
				[{ rpmLimit: 1.5 }, 'RPM Limit'],
				[{ budgetDuration: '30 days' }, 'Budget Duration'],
			] as Array<[IDataObject, string]>) {
				const run = await runKeyNode(
					world,
					{ ...params, options: { ...TUNING, ...options } },
					{ continueOnFail: true },
				);
				expect(run.items[0].json).toMatchObject({ errorType: 'bad_request', field });
			}
			const alias = await runKeyNode(
				world,
				{ ...params, keyAlias: 'sk-looks-like-a-key' },
				{ continueOnFail: true },
			);
			expect(alias.items[0].json).toMatchObject({ errorType: 'bad_request', field: 'Key Alias' });
			expect(world.timeline).toEqual([]);
		} finally {
			await world.close();
		}
	});
});

describe('updateKey, block, unblock', () => {
	it("updates a key found by alias (admin), by fingerprint, and the credential's own key", async () => {
		const world = await worldWith(ADMIN);
		try {
			const byAlias = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'alias',
					keyAlias: 'alice-laptop',
					updateFields: { maxBudget: 25, rpmLimit: 120 },
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(byAlias.error).toBeUndefined();
			expect(byAlias.items[0].json).toMatchObject({
				updated: true,
				fingerprint: { display: `sk-…${CANARY.slice(-4)}`, hash: sha(CANARY).slice(0, 12) },
				maxBudget: 25,
				rpmLimit: 120,
				changed: ['max_budget', 'rpm_limit'],
			});
			expect(world.sandbox.getKey(CANARY)).toMatchObject({ max_budget: 25, rpm_limit: 120 });

			const byFingerprint = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'fingerprint',
					keyFingerprint: sha(CANARY).slice(0, 12),
					updateFields: { duration: '7d' },
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(byFingerprint.error).toBeUndefined();
			expect(
				Math.abs(
					Date.parse(String(world.sandbox.getKey(CANARY)!.expires)) - (Date.now() + 7 * 86_400_000),
				),
			).toBeLessThan(120_000);

			const own = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'credential',
					updateFields: { metadata: '{"role":"admin"}' },
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(own.error).toBeUndefined();
			expect((world.sandbox.getKey(ADMIN)!.metadata as IDataObject).role).toBe('admin');
			for (const run of [byAlias, byFingerprint, own]) {
				noKeys(run);
				expect(JSON.stringify(run.items)).not.toMatch(/[0-9a-f]{64}/);
			}
		} finally {
			await world.close();
		}
	});

	it("a user key may not update someone else's key: permission_denied", async () => {
		const world = await worldWith(CANARY);
		try {
			const run = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'fingerprint',
					keyFingerprint: sha(ADMIN),
					updateFields: { maxBudget: 1 },
					options: TUNING,
				},
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json.errorType).toBe('permission_denied');
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('asks for at least one field to change', async () => {
		const world = await worldWith(ADMIN);
		try {
			const run = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'alias',
					keyAlias: 'alice-laptop',
					updateFields: {},
					options: TUNING,
				},
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json).toMatchObject({ errorType: 'bad_request', field: 'Update Fields' });
			expect(world.timeline).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it('an unknown alias or fingerprint is a clear bad_request', async () => {
		const world = await worldWith(ADMIN);
		try {
			const alias = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'alias', keyAlias: 'no-such-key', options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(alias.items[0].json).toMatchObject({ errorType: 'bad_request', field: 'Key Alias' });
			const fp = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'fingerprint', keyFingerprint: 'xyz', options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(fp.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: 'Key Fingerprint',
			});
		} finally {
			await world.close();
		}
	});

	it('blocks and unblocks by fingerprint with an admin key', async () => {
		const world = await worldWith(ADMIN);
		try {
			const fp = sha(CANARY).slice(0, 12);
			const blocked = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'fingerprint', keyFingerprint: fp, options: TUNING },
				{ withN8n: false },
			);
			expect(blocked.error).toBeUndefined();
			expect(blocked.items[0].json).toMatchObject({
				blocked: true,
				keyAlias: 'alice-laptop',
				fingerprint: { hash: fp },
			});
			expect(world.accepts(CANARY)).toBe(false);
			const unblocked = await runKeyNode(
				world,
				{ operation: 'unblock', keySelect: 'alias', keyAlias: 'alice-laptop', options: TUNING },
				{ withN8n: false },
			);
			expect(unblocked.items[0].json).toMatchObject({ blocked: false });
			expect(world.accepts(CANARY)).toBe(true);
			noKeys(blocked);
			expect(JSON.stringify(blocked.items)).not.toMatch(/[0-9a-f]{64}/);
		} finally {
			await world.close();
		}
	});

	it("a user key may not unblock, even its own user's key: permission_denied", async () => {
		const blockedBot = 'sk-canary-BLOCKED-7h6g5f4e3d2c1b0a9z8y';
		const world = await worldWith(CANARY, {
			extraKeys: [{ key: blockedBot, key_alias: 'blocked-bot', user_id: 'alice', blocked: true }],
		});
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'unblock', keySelect: 'alias', keyAlias: 'blocked-bot', options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json.errorType).toBe('permission_denied');
			expect(world.accepts(blockedBot)).toBe(false);
			noKeys(run, [blockedBot]);
		} finally {
			await world.close();
		}
	});
});

describe('listKeys', () => {
	it('follows every page and outputs one item per key, fingerprints only', async () => {
		const world = await worldWith(ADMIN);
		try {
			for (let n = 0; n < 130; n++)
				world.sandbox.addKey({
					key: `sk-bulk-${String(n).padStart(4, '0')}-abcdefghijklmnop`,
					key_alias: `bulk-${n}`,
					user_id: 'bob',
				});
			const run = await runKeyNode(
				world,
				{ operation: 'listKeys', options: TUNING },
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items).toHaveLength(133);
			expect(world.proxy.calls.filter((c) => c.path === '/api/key/list')).toHaveLength(2);
			const hashes = run.items.map((i) => (i.json.fingerprint as IDataObject).hash as string);
			expect(new Set(hashes).size).toBe(133);
			expect(hashes.every((h) => /^[0-9a-f]{12}$/.test(h))).toBe(true);
			expect(
				run.items.every((i) => i.pairedItem && (i.pairedItem as { item: number }).item === 0),
			).toBe(true);
			expect(JSON.stringify(run.items)).not.toMatch(/[0-9a-f]{64}/);
			expect(JSON.stringify(run.items)).not.toContain('"token"');
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it("a user key sees only its own keys; a filter by another user's id is permission_denied", async () => {
		const world = await worldWith(CANARY);
		try {
			const own = await runKeyNode(
				world,
				{ operation: 'listKeys', options: TUNING },
				{ withN8n: false },
			);
			expect(own.items.map((i) => i.json.keyAlias)).toEqual(['alice-laptop']);
			const other = await runKeyNode(
				world,
				{ operation: 'listKeys', filters: { userId: 'root' }, options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(other.items[0].json.errorType).toBe('permission_denied');
		} finally {
			await world.close();
		}
	});

	it('a key without a user may not list keys: permission_denied', async () => {
		const world = await worldWith(NOUSER);
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'listKeys', options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json.errorType).toBe('permission_denied');
		} finally {
			await world.close();
		}
	});
});

describe('JLab LLM N8N API credential', () => {
	it('normalises the n8n URL with or without /api/v1 and refuses plain http to another machine', () => {
		expect(normalizeN8nUrl('http://localhost:5678')).toBe('http://localhost:5678/api/v1');
		expect(normalizeN8nUrl('http://127.0.0.1:5678/api/v1/')).toBe('http://127.0.0.1:5678/api/v1');
		expect(normalizeN8nUrl('https://n8n.jlab.org/sub/API/V1')).toBe(
			'https://n8n.jlab.org/sub/api/v1',
		);
		expect(() => normalizeN8nUrl('http://n8n.jlab.org')).toThrow(/n8n Base URL: expected https/);
		expect(normalizeN8nUrl('http://n8n.jlab.org', true)).toBe('http://n8n.jlab.org/api/v1');
		expect(() => normalizeN8nUrl('ftp://n8n')).toThrow(/n8n Base URL/);
		expect(() => normalizeN8nUrl('')).toThrow(/n8n Base URL/);
	});

	it('tests with one authenticated call that needs no scope', async () => {
		const world = await worldWith(CANARY, { n8nScopes: [] });
		try {
			expect(
				await testCredential('jlabLlmN8nApi', { baseUrl: world.n8n.url, apiKey: N8N_KEY }),
			).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(
				await testCredential('jlabLlmN8nApi', {
					baseUrl: `${world.n8n.url}/api/v1/`,
					apiKey: N8N_KEY,
				}),
			).toMatchObject({ status: 'OK' });
			expect(
				await testCredential('jlabLlmN8nApi', { baseUrl: world.n8n.url, apiKey: 'wrong' }),
			).toMatchObject({ status: 'Error' });
			expect(world.n8n.calls.map((c) => `${c.method} ${c.path}`)).toContain(
				'GET /api/v1/credentials/schema/jlabLlmApi',
			);
		} finally {
			await world.close();
		}
	});

	it('a wrong n8n API key is invalid_key with advice about the n8n API credential, before anything is minted', async () => {
		const world = await worldWith(CANARY);
		try {
			world.store.byId.get('jlabLlmN8nLocal01')!.data.apiKey = 'not-the-key';
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({
				errorType: 'invalid_key',
				state: 'inspected',
				newKey: null,
			});
			expect(world.storedKey()).toBe(CANARY);
			expect(world.store.byId.get(CRED_ID)!.data.apiKey).toBe(CANARY);
		} finally {
			await world.close();
		}
	});
});
