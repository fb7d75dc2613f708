/**
 * Two rotations of one credential at once (docs/architecture.md, invariant 2). Every request to the gateway
 * and to n8n is held for a seeded random time, so the two runs interleave differently each time.
 * After every request the credential must hold a key the gateway accepts; at most one run may
 * write the credential, and the other stops saying that a rotation is already in progress.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';
import { prng } from '../helpers/randomFaults';
import type { Call } from '../helpers/n8nPublicApi';
import {
	CANARY,
	CRED_ID,
	exposed,
	leaks,
	N8N_KEY,
	runKeyNode,
	sha,
	startWorld,
	type World,
	type WorldOptions,
} from './keySetup';

afterAll(async () => {
	await shutdownHarness();
});

const TUNING = { timeoutMs: 5000, maxRetries: 1, revocationWait: 5 };

type Report = IDataObject & {
	ok: boolean;
	state: string;
	newKey: { hash: string } | null;
	steps: Array<{ step: string; ok: boolean }>;
};

async function rotateTwice(world: World, params: IDataObject) {
	const runs = await Promise.all(
		[0, 1].map(() =>
			runKeyNode(
				world,
				{ operation: 'rotate', ...params, options: TUNING },
				{ continueOnFail: true },
			),
		),
	);
	return runs.map((r) => {
		expect(r.items).toHaveLength(1);
		return { run: r, r: r.items[0].json as Report };
	});
}

async function acceptedOverHttp(world: World, key: string): Promise<boolean> {
	const res = await fetch(`${world.sandbox.url}/key/info`, {
		headers: { Authorization: `Bearer ${key}` },
	});
	return res.status === 200;
}

/** What must hold after two concurrent rotations, whatever the interleaving. */
async function checkPair(
	world: World,
	pair: Awaited<ReturnType<typeof rotateTwice>>,
	label: string,
): Promise<string[]> {
	const problems: string[] = [];
	const p = (s: string) => problems.push(`${label}: ${s}`);
	if (world.violations.length)
		p(`the credential held a refused key after ${world.violations.map((v) => v.after).join(', ')}`);
	const stored = world.storedKey();
	if (!(await acceptedOverHttp(world, stored))) p('the stored key is refused by /key/info');
	const wrote = pair.filter(({ r }) => r.steps.some((s) => s.step === 'write' && s.ok));
	if (wrote.length > 1) p('both rotations wrote the credential');
	const completed = pair.filter(({ r }) => r.ok);
	if (completed.length !== 1) p(`${completed.length} rotations completed, expected exactly one`);
	for (const { r } of completed)
		if (!r.newKey || !sha(stored).startsWith(r.newKey.hash))
			p('a completed rotation whose key the credential does not hold');
	for (const { r } of pair.filter(({ r }) => !r.ok)) {
		if (
			!/already in progress|no longer holds the key this rotation started from/.test(
				String(r.error),
			)
		)
			p(`the other rotation stopped for another reason: ${String(r.error)}`);
	}
	const keys = new Set<string>([CANARY, stored, N8N_KEY]);
	for (const c of world.timeline) {
		const b = (c.body ?? {}) as IDataObject;
		for (const v of [b.key, b.new_key, (b.data as IDataObject | undefined)?.apiKey])
			if (typeof v === 'string' && v.startsWith('sk-')) keys.add(v);
	}
	for (const { run } of pair)
		for (const k of keys) if (leaks(exposed(run), k).length) p('a key leaked into the output');
	return problems;
}

describe('two rotations of one credential at once', () => {
	it('the run whose n8n check comes late cannot put back the key read at its start (issue 15.2)', async () => {
		// The first call to n8n is held until the other rotation has finished (and deleted the old key).
		let patches = 0;
		const world = await startWorld({
			delay: (c: Call) =>
				c.server === 'n8n' && c.method === 'PATCH' && ++patches === 1 ? 2500 : 0,
		});
		try {
			const pair = await rotateTwice(world, { strategy: 'replace' });
			expect(await checkPair(world, pair, 'late n8n check')).toEqual([]);
			expect(world.storedKey()).not.toBe(CANARY);
		} finally {
			await world.close();
		}
	}, 60_000);

	const cases: Array<{ name: string; world: WorldOptions; params: IDataObject }> = [
		{ name: 'replace', world: {}, params: { strategy: 'replace' } },
		{
			name: 'replace with a grace period',
			world: {},
			params: { strategy: 'replace', gracePeriod: '30m' },
		},
		{ name: 'regenerate', world: { enterprise: true }, params: { strategy: 'regenerate' } },
		{
			name: 'replace, three gateway workers',
			world: { workers: 3, keyCacheTtlMs: 300 },
			params: { strategy: 'replace' },
		},
	];
	for (const c of cases) {
		it(`${c.name}: random delays at every step, several interleavings`, async () => {
			const problems: string[] = [];
			for (const seed of [11, 23, 37, 41, 59]) {
				const rand = prng(seed);
				const world = await startWorld({ ...c.world, delay: () => Math.floor(rand() * 40) });
				try {
					problems.push(
						...(await checkPair(world, await rotateTwice(world, c.params), `seed ${seed}`)),
					);
				} finally {
					await world.close();
				}
			}
			expect(problems).toEqual([]);
		}, 120_000);
	}

	it('a later rotation is not blocked: the lock is gone once a rotation ends, in success or failure', async () => {
		const world = await startWorld({});
		try {
			world.proxy.faults.add({
				method: 'POST',
				path: '/api/key/generate',
				times: 99,
				kind: 'status',
				status: 403,
			});
			const failed = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(failed.items[0].json).toMatchObject({ ok: false, errorType: 'permission_denied' });
			world.proxy.faults.clear();
			const first = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(first.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			const second = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', gracePeriod: '10m', options: TUNING },
				{ continueOnFail: true },
			);
			expect(second.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			const third = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(third.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			// No key row keeps a live lock.
			for (const row of Object.values(world.sandbox.store.keys))
				expect((row.metadata ?? {}).jlab_llm_rotation_lock ?? null).toBeNull();
		} finally {
			await world.close();
		}
	}, 60_000);

	it('a live lock of another run stops the rotation before anything changes; an expired one does not', async () => {
		const until = new Date(Date.now() + 600_000).toISOString();
		const world = await startWorld({
			key: {
				metadata: {
					owner: 'alice',
					jlab_llm_rotation_lock: { id: 'other-run', since: new Date().toISOString(), until },
				},
			},
		});
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({
				ok: false,
				state: 'started',
				errorType: 'bad_request',
				credentialHolds: 'old',
				newKey: null,
			});
			expect(String(run.items[0].json.error)).toContain('already in progress');
			expect(String(run.items[0].json.error)).toContain(until);
			expect(world.storedKey()).toBe(CANARY);
			expect(world.timeline.filter((c) => c.method !== 'GET')).toEqual([]);
			// The lock expires: a run that died cannot block rotations for ever.
			world.sandbox.store.keys[sha(CANARY)].metadata.jlab_llm_rotation_lock = {
				id: 'other-run',
				since: '2026-01-01T00:00:00Z',
				until: '2026-01-01T00:15:00Z',
			};
			const again = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(again.items[0].json).toMatchObject({ ok: true, state: 'completed' });
		} finally {
			await world.close();
		}
	}, 60_000);

	it('the lock write failing stops the rotation with nothing changed', async () => {
		const world = await startWorld({});
		try {
			world.proxy.faults.add({
				method: 'POST',
				path: '/api/key/update',
				times: 99,
				kind: 'status',
				status: 403,
			});
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({
				ok: false,
				state: 'started',
				errorType: 'permission_denied',
				newKey: null,
			});
			expect(String(run.items[0].json.remaining)).toContain('Nothing changed');
			expect(world.storedKey()).toBe(CANARY);
			expect(world.proxy.calls.filter((c) => c.path === '/api/key/generate')).toEqual([]);
		} finally {
			await world.close();
		}
	}, 60_000);

	it('the n8n check writes no data into the credential', async () => {
		const world = await startWorld({});
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({ ok: true });
			const patches = world.n8n.calls.filter(
				(c) => c.method === 'PATCH' && c.path === `/api/v1/credentials/${CRED_ID}`,
			);
			// The check, then the one real write.
			expect(patches).toHaveLength(2);
			expect((patches[0].body as IDataObject).data).toBeUndefined();
			expect(((patches[1].body as IDataObject).data as IDataObject).apiKey).toBe(world.storedKey());
		} finally {
			await world.close();
		}
	}, 60_000);
});
