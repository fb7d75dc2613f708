/**
 * Create Key gives every key an owner its maker can manage, Block cannot lock its caller out by
 * accident, and Update Key / Block read LiteLLM's replies as LiteLLM sends them (objects as JSON
 * strings). Against the sandbox on each LiteLLM profile, inside n8n's engine.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';
import {
	ADMIN,
	CANARY,
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

const gatewayCalls = (world: World) =>
	world.timeline.filter((c) => c.server === 'gateway').map((c) => `${c.method} ${c.path}`);

/** The gateway user's own key deletes `key` (by hash), as LiteLLM lets a key's owner do. */
async function deleteAs(world: World, ownerKey: string, key: string): Promise<number> {
	const res = await fetch(`${world.sandbox.url}/key/delete`, {
		method: 'POST',
		headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ keys: [sha(key)] }),
	});
	return res.status;
}

const createParams = {
	operation: 'createKey',
	keyAlias: 'alice-bot',
	options: { ...TUNING, maxBudget: 1 },
};

describe('createKey: the new key always has an owner', () => {
	it.each(['v1.83', 'v1.9x', 'next'])(
		'%s: a user key with User ID empty makes a key its user owns and can delete',
		async (profile) => {
			const world = await startWorld({ profile });
			try {
				const run = await runKeyNode(world, createParams);
				expect(run.error).toBeUndefined();
				expect(run.items[0].json).toMatchObject({ userId: 'alice', keyAlias: 'alice-bot' });
				const key = String(world.store.byId.get('created1')!.data.apiKey);
				expect(world.sandbox.getKey(key)).toMatchObject({ user_id: 'alice' });
				const generate = world.timeline.find((c) => c.path === '/api/key/generate');
				expect(generate).toBeDefined();
				expect(await deleteAs(world, CANARY, key)).toBe(200);
				noKeys(run, [key]);
			} finally {
				await world.close();
			}
		},
	);

	it("a user in several teams: the team of the credential's own key is named, so newer LiteLLM does not refuse", async () => {
		const world = await startWorld({ profile: 'next' });
		try {
			(world.sandbox as unknown as { addTeam(t: IDataObject): void }).addTeam({
				team_id: 'ops',
				members: ['alice'],
			});
			const run = await runKeyNode(world, createParams);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({ userId: 'alice', teamId: 'physics' });
			const key = String(world.store.byId.get('created1')!.data.apiKey);
			expect(world.sandbox.getKey(key)).toMatchObject({ user_id: 'alice', team_id: 'physics' });
			expect(await deleteAs(world, CANARY, key)).toBe(200);
		} finally {
			await world.close();
		}
	});

	it('a user in several teams whose key has no team is asked for Team ID before anything is minted', async () => {
		const world = await startWorld({ profile: 'next', key: { team_id: null } });
		try {
			(world.sandbox as unknown as { addTeam(t: IDataObject): void }).addTeam({
				team_id: 'ops',
				members: ['alice'],
			});
			const run = await runKeyNode(world, createParams, { continueOnFail: true });
			expect(run.items[0].json).toMatchObject({ errorType: 'bad_request', field: 'Team ID' });
			expect(String(run.items[0].json.error)).toMatch(
				/belongs to 2 teams \((physics, ops|ops, physics)\).*name the team/,
			);
			expect(gatewayCalls(world).some((c) => c.startsWith('POST'))).toBe(false);
			expect(world.store.byId.size).toBe(2);
			// With Team ID set, the key is made.
			const named = await runKeyNode(world, {
				...createParams,
				options: { ...createParams.options, teamId: 'ops' },
			});
			expect(named.items[0].json).toMatchObject({ userId: 'alice', teamId: 'ops' });
		} finally {
			await world.close();
		}
	});

	it('a key without a user and User ID empty: a clear error before anything is minted', async () => {
		const world = await startWorld({ credentialKey: NOUSER });
		try {
			const run = await runKeyNode(world, createParams, { continueOnFail: true });
			expect(run.items[0].json.errorType).toBe('permission_denied');
			expect(String(run.items[0].json.error)).toMatch(/belongs to no gateway user/);
			expect(gatewayCalls(world)).toEqual(['GET /api/key/info']);
			expect(world.store.byId.size).toBe(2);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('an admin key with User ID empty leaves the key without owner, as before', async () => {
		const world = await startWorld({ credentialKey: ADMIN });
		try {
			const run = await runKeyNode(world, { ...createParams, keyAlias: 'shared-bot' });
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({ userId: null, teamId: null });
			const generate = world.timeline.find((c) => c.path === '/api/key/generate');
			expect(generate).toBeDefined();
		} finally {
			await world.close();
		}
	});
	it('the master key (no row, /key/info 404) sends no owner and the gateway answers for itself', async () => {
		const master = 'sk-canary-MASTER-2b4d6f8h0j1k3m5n7p9q';
		const world = await startWorld({ masterKey: master, credentialKey: master });
		try {
			const run = await runKeyNode(world, { ...createParams, keyAlias: 'master-bot' });
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({ userId: null });
			expect(gatewayCalls(world).slice(0, 2)).toEqual([
				'GET /api/key/info',
				'POST /api/key/generate',
			]);
			noKeys(run, [master]);
		} finally {
			await world.close();
		}
	});
});

describe('block: the caller cannot lock itself out by accident', () => {
	const ownFp = sha(CANARY).slice(0, 12);

	it("blocking the credential's own key by fingerprint without the confirmation fails before any request", async () => {
		const world = await startWorld();
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'fingerprint', keyFingerprint: ownFp, options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: "Block This Credential's Own Key",
			});
			expect(String(run.items[0].json.error)).toMatch(
				/own key.*only a gateway admin can unblock it/,
			);
			expect(world.timeline).toEqual([]);
			expect(world.accepts(CANARY)).toBe(true);
		} finally {
			await world.close();
		}
	});

	it('by alias it is found in the key list, and refused before /key/block', async () => {
		const world = await startWorld();
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'alias', keyAlias: 'alice-laptop', options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(run.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: "Block This Credential's Own Key",
			});
			expect(gatewayCalls(world)).toEqual(['GET /api/key/list']);
			expect(world.accepts(CANARY)).toBe(true);
		} finally {
			await world.close();
		}
	});

	it('with the confirmation it blocks, and the output says only an admin can unblock it', async () => {
		const world = await startWorld();
		try {
			const run = await runKeyNode(
				world,
				{
					operation: 'block',
					keySelect: 'fingerprint',
					keyFingerprint: ownFp,
					confirmBlockOwnKey: true,
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({
				blocked: true,
				ownKey: true,
				keyAlias: 'alice-laptop',
				fingerprint: { hash: ownFp },
			});
			expect(String(run.items[0].json.notice)).toMatch(/Only a gateway admin .* can unblock it/);
			expect(world.accepts(CANARY)).toBe(false);
			// The credential cannot undo it.
			const undo = await runKeyNode(
				world,
				{ operation: 'unblock', keySelect: 'fingerprint', keyFingerprint: ownFp, options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(undo.items[0].json.errorType).toBe('blocked_key');
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('a user key blocks another key without confirmation, but may not unblock it', async () => {
		const world = await startWorld();
		try {
			// A user key sees only its own keys in the list: the full hash names another one.
			const fp = sha(NOUSER);
			const run = await runKeyNode(
				world,
				{ operation: 'block', keySelect: 'fingerprint', keyFingerprint: fp, options: TUNING },
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({
				blocked: true,
				keyAlias: 'orphan-bot',
				fingerprint: { hash: fp.slice(0, 12) },
			});
			expect(run.items[0].json.ownKey).toBeUndefined();
			expect(world.accepts(NOUSER)).toBe(false);
			const undo = await runKeyNode(
				world,
				{ operation: 'unblock', keySelect: 'fingerprint', keyFingerprint: fp, options: TUNING },
				{ continueOnFail: true, withN8n: false },
			);
			expect(undo.items[0].json.errorType).toBe('permission_denied');
			expect(world.accepts(NOUSER)).toBe(false);
		} finally {
			await world.close();
		}
	});
});

describe('updateKey reads /key/update as LiteLLM answers it', () => {
	it('metadata sent comes back as a JSON string and is output as an object', async () => {
		const world = await startWorld();
		try {
			const run = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'credential',
					updateFields: { metadata: '{"role": "bot", "tags": ["a"]}' },
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({
				updated: true,
				metadata: { role: 'bot', tags: ['a'] },
				changed: ['metadata'],
			});
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('without metadata in the change, the stored metadata comes back (as a JSON string) and is output as an object', async () => {
		const world = await startWorld({ credentialKey: ADMIN });
		try {
			const run = await runKeyNode(
				world,
				{
					operation: 'updateKey',
					keySelect: 'alias',
					keyAlias: 'alice-laptop',
					updateFields: { maxBudget: 20 },
					options: TUNING,
				},
				{ withN8n: false },
			);
			expect(run.error).toBeUndefined();
			expect(run.items[0].json).toMatchObject({
				maxBudget: 20,
				metadata: { owner: 'alice', purpose: 'nightly summaries' },
			});
			expect(JSON.stringify(run.items)).not.toMatch(/[0-9a-f]{64}/);
		} finally {
			await world.close();
		}
	});
});
