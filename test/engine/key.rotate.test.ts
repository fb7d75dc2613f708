/**
 * Rotation (docs/architecture.md, invariants 1 and 2) inside n8n's engine, against the sandbox gateway
 * behind a fault-injecting proxy and a stand-in n8n public API. Every scenario runs once
 * cleanly to learn its calls; then each call in turn is refused, fails, hangs, or is applied
 * with its answer lost. After every request of every run the credential must hold a key the
 * gateway accepts; after the run the stored key must pass /key/info, the output must name a
 * state that matches what the stores hold, and no key may show in any output or error.
 */
import type { IDataObject } from 'n8n-workflow';

import { ROTATION_STATES } from '../../nodes/JlabLlmKey/rotation';
import { shutdownHarness } from '../harness';
import type { Call, Fault, FaultKind } from '../helpers/n8nPublicApi';
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

interface Scenario {
	name: string;
	world: WorldOptions;
	params: IDataObject;
	/** The strategy a clean run ends with, or null when the gateway allows none. */
	strategy: 'replace' | 'regenerate' | null;
	/** Also let every step hang past the timeout (slow: about 25 s per scenario). */
	hang?: boolean;
}

const TUNING = { timeoutMs: 1000, maxRetries: 1 };

const SCENARIOS: Scenario[] = [
	{
		name: 'replace on open-source LiteLLM',
		world: {},
		params: { strategy: 'replace' },
		strategy: 'replace',
		hang: true,
	},
	{
		name: 'replace with a grace period',
		world: {},
		params: { strategy: 'replace', gracePeriod: '30m' },
		strategy: 'replace',
	},
	{
		name: 'auto on an Enterprise gateway (replace)',
		world: { enterprise: true },
		params: { strategy: 'auto' },
		strategy: 'replace',
	},
	{
		name: 'regenerate on an Enterprise gateway',
		world: { enterprise: true },
		params: { strategy: 'regenerate' },
		strategy: 'regenerate',
		hang: true,
	},
	{
		name: 'auto, one key per person, Enterprise (regenerate)',
		world: { enterprise: true, oneKeyPerUser: true },
		params: { strategy: 'auto' },
		strategy: 'regenerate',
	},
	{
		name: 'auto, one key per person, open source (nothing possible)',
		world: { oneKeyPerUser: true },
		params: { strategy: 'auto' },
		strategy: null,
	},
	{
		name: 'regenerate on open-source LiteLLM (nothing possible)',
		world: {},
		params: { strategy: 'regenerate' },
		strategy: null,
	},
	{
		name: 'replace on LiteLLM 1.83 that echoes keys in its errors',
		world: { echoKeyInErrors: true, profile: 'v1.83' },
		params: { strategy: 'replace' },
		strategy: 'replace',
	},
	{
		name: 'regenerate on LiteLLM 1.83 that echoes keys in its errors',
		world: { echoKeyInErrors: true, profile: 'v1.83', enterprise: true },
		params: { strategy: 'regenerate', gracePeriod: '2h' },
		strategy: 'regenerate',
	},
];

// The same runs on a gateway of three LiteLLM workers whose key caches (300 ms) outlive a deletion.
const MULTI_WORKER: Scenario[] = [SCENARIOS[0], SCENARIOS[3]].map((s) => ({
	...s,
	name: `${s.name}, three gateway workers`,
	world: { ...s.world, workers: 3, keyCacheTtlMs: 300 },
	hang: false,
}));

const keysBefore = new WeakMap<World, string[]>();
const keyRows = (world: World) => Object.keys(world.sandbox.store.keys).sort();

async function rotate(world: World, scenario: Scenario, continueOnFail = true) {
	keysBefore.set(world, keyRows(world));
	const run = await runKeyNode(
		world,
		{ operation: 'rotate', ...scenario.params, options: TUNING },
		{ continueOnFail },
	);
	// The checks below ask /key/info once: let the workers' caches of a deleted or swapped key expire first.
	if (scenario.world.workers)
		await new Promise((r) => setTimeout(r, (scenario.world.keyCacheTtlMs ?? 0) + 50));
	return run;
}

/** Every gateway key the run handled: the canary and whatever new key it sent anywhere. */
function keysSeen(world: World): string[] {
	const keys = new Set<string>([CANARY]);
	for (const c of world.timeline) {
		const b = (c.body ?? {}) as IDataObject;
		for (const v of [b.key, b.new_key, (b.data as IDataObject | undefined)?.apiKey]) {
			if (typeof v === 'string' && v.startsWith('sk-')) keys.add(v);
		}
	}
	keys.add(world.storedKey());
	return [...keys];
}

async function acceptedOverHttp(world: World, key: string): Promise<boolean> {
	const res = await fetch(`${world.sandbox.url}/key/info`, {
		headers: { Authorization: `Bearer ${key}` },
	});
	return res.status === 200;
}

/** Rows of the sandbox that this rotation minted (its id is in their metadata). */
function mintedRows(world: World, rotationId: unknown) {
	return Object.values(world.sandbox.store.keys).filter(
		(r) =>
			(r.metadata?.jlab_llm_rotation as IDataObject | undefined)?.id === rotationId &&
			r.token !== sha(CANARY),
	);
}

/** What must hold after any run, faulted or not. Returns the problems found. */
async function checkRun(
	world: World,
	run: Awaited<ReturnType<typeof rotate>>,
	label: string,
): Promise<string[]> {
	const problems: string[] = [];
	const p = (s: string) => problems.push(`${label}: ${s}`);
	if (world.violations.length)
		p(`the credential held a refused key after ${world.violations.map((v) => v.after).join(', ')}`);
	const stored = world.storedKey();
	if (!(await acceptedOverHttp(world, stored))) p('the stored key is refused by /key/info');
	for (const key of [...keysSeen(world), N8N_KEY]) {
		const found = leaks(exposed(run), key);
		if (found.length) p(`a key leaked into the output: ${found[0]}…`);
	}
	if (run.items.length !== 1) {
		p(
			`expected one item, got ${run.items.length}${run.error ? ` (error: ${run.error.message})` : ''}`,
		);
		return problems;
	}
	const r = run.items[0].json as IDataObject & {
		oldKey: { hash: string };
		newKey: { hash: string; display: string } | null;
	};
	if (!ROTATION_STATES.includes(r.state as never)) p(`unknown state ${String(r.state)}`);
	const storedIsOld = stored === CANARY;
	const storedIsNew = !!r.newKey && sha(stored).startsWith(r.newKey.hash);
	if (r.ok === true) {
		if (r.state !== 'completed') p(`ok but state ${String(r.state)}`);
		if (!storedIsNew) p('ok but the credential does not hold the new key');
		if (r.remaining !== null) p('ok but something remains to do');
	} else {
		if (typeof r.error !== 'string' || typeof r.errorType !== 'string')
			p('a failed run without error and errorType');
		if (typeof r.remaining !== 'string' || !r.remaining)
			p('a failed run that does not say what remains to do');
	}
	if (r.credentialHolds === 'old' && !storedIsOld)
		p('says the credential holds the old key, but it does not');
	if (r.credentialHolds === 'new' && !storedIsNew)
		p('says the credential holds the new key, but it does not');
	if (r.credentialHolds === 'unknown' && !storedIsOld && !storedIsNew)
		p('the credential holds a third key');
	if (['credential_verified', 'old_revoked', 'completed'].includes(String(r.state)) && !storedIsNew)
		p(`state ${String(r.state)} but the credential does not hold the new key`);
	if (
		['started', 'inspected', 'n8n_ready', 'rolled_back', 'rollback_failed'].includes(
			String(r.state),
		) &&
		!storedIsOld
	) {
		p(`state ${String(r.state)} but the credential does not hold the old key`);
	}
	const nothingChanged = typeof r.remaining === 'string' && r.remaining.includes('Nothing changed');
	if (nothingChanged) {
		if (!storedIsOld) p('"nothing changed" but the credential changed');
		// The gateway holds exactly the keys it held before: no stray new key, no swap.
		if (JSON.stringify(keyRows(world)) !== JSON.stringify(keysBefore.get(world)))
			p('"nothing changed" but the gateway\'s keys changed');
	}
	if (r.state === 'rollback_failed' && !String(r.remaining).includes(String(r.newKey?.hash)))
		p('rollback_failed without the new fingerprint');
	if (
		r.ok !== true &&
		storedIsNew &&
		r.strategy === 'replace' &&
		world.accepts(CANARY) &&
		!r.gracePeriod
	) {
		if (!String(r.remaining).includes(r.oldKey.hash))
			p('the old key is still valid but the output does not name it for revocation');
	}
	return problems;
}

interface Step {
	server: string;
	method: string;
	path: string;
	/** 1-based: the how-many-th call with this server, method and path. */
	nth: number;
}

function stepsOf(timeline: Call[]): Step[] {
	const counts = new Map<string, number>();
	return timeline.map((c) => {
		const sig = `${c.server} ${c.method} ${c.path}`;
		const nth = (counts.get(sig) ?? 0) + 1;
		counts.set(sig, nth);
		return { server: c.server, method: c.method, path: c.path, nth };
	});
}

type Kind = 'down' | 'refuse' | 'echo' | 'lose' | 'hang' | 'appliedThenRefused';

function faultFor(step: Step, kind: Kind): Fault[] {
	const base = { method: step.method, path: step.path, skip: step.nth - 1 };
	// Applied but answered 500, and every retry refused: the last answer says "no", the first one did it.
	if (kind === 'appliedThenRefused')
		return [
			{ ...base, kind: 'applied_error', times: 1 },
			{ ...base, kind: 'status', status: 403, times: 99 },
		];
	const map: Record<
		Exclude<Kind, 'appliedThenRefused'>,
		{ kind: FaultKind; status?: number; times: number; echo?: boolean }
	> = {
		down: { kind: 'status', status: 503, times: 99 },
		refuse: { kind: 'status', status: 403, times: 99 },
		echo: { kind: 'status', status: 400, times: 99, echo: true },
		lose: { kind: 'lose', times: 1 },
		hang: { kind: 'hang', times: 99 },
	};
	return [{ ...base, ...map[kind] }];
}

async function faultedRun(scenario: Scenario, step: Step, kind: Kind): Promise<string[]> {
	const world = await startWorld(scenario.world);
	try {
		(step.server === 'n8n' ? world.n8n : world.proxy).faults.add(...faultFor(step, kind));
		const run = await rotate(world, scenario);
		return await checkRun(
			world,
			run,
			`${kind} at ${step.server} ${step.method} ${step.path} #${step.nth}`,
		);
	} finally {
		await world.close();
	}
}

for (const scenario of [...SCENARIOS, ...MULTI_WORKER]) {
	describe(`rotate: ${scenario.name}`, () => {
		let steps: Step[] = [];

		it('runs cleanly, with the state and fingerprints in the output and no key anywhere', async () => {
			const world = await startWorld(scenario.world);
			try {
				const run = await rotate(world, scenario);
				expect(await checkRun(world, run, 'clean')).toEqual([]);
				steps = stepsOf(world.timeline);
				const r = run.items[0].json as IDataObject & {
					newKey: { hash: string } | null;
					oldKey: { hash: string };
				};
				expect(r.oldKey.hash).toBe(sha(CANARY).slice(0, 12));
				if (scenario.strategy === null) {
					expect(r.ok).toBe(false);
					expect(r.errorType).toBe('enterprise_required');
					expect(r.state).toBe('n8n_ready');
					expect(world.storedKey()).toBe(CANARY);
					expect(world.sandbox.getKey(CANARY)).toBeDefined();
					return;
				}
				expect(r).toMatchObject({
					ok: true,
					state: 'completed',
					strategy: scenario.strategy,
					credentialHolds: 'new',
				});
				const stored = world.storedKey();
				expect(stored).not.toBe(CANARY);
				expect(sha(stored).startsWith(r.newKey!.hash)).toBe(true);
				const row = world.sandbox.getKey(stored) as IDataObject;
				// A rotation id and the old fingerprint in the new key's metadata.
				expect((row.metadata as IDataObject).jlab_llm_rotation).toMatchObject({
					id: r.rotationId,
					rotated_from: r.oldKey.hash,
				});
				expect((row.metadata as IDataObject).owner).toBe('alice');
				// Same models, budget (and spend), limits, team; the alias comes back.
				expect(row).toMatchObject({
					models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b'],
					max_budget: 10,
					spend: 1.5,
					budget_duration: '30d',
					rpm_limit: 60,
					tpm_limit: 100000,
					team_id: 'physics',
					user_id: 'alice',
					key_alias: 'alice-laptop',
				});
				if (scenario.strategy === 'replace' && !scenario.params.gracePeriod) {
					expect(await acceptedOverHttp(world, CANARY)).toBe(false);
					expect(r.oldKeyRevoked).toBe(true);
					// A revoked key shows no "valid until" date.
					expect(r.oldKeyValidUntil).toBeNull();
				} else {
					// Regenerate, or replace with a grace period: the old key works until the grace period ends.
					expect(await acceptedOverHttp(world, CANARY)).toBe(true);
					const until = Date.parse(String(r.oldKeyValidUntil));
					const grace =
						{ '30m': 30 * 60_000, '2h': 120 * 60_000 }[String(scenario.params.gracePeriod)] ??
						60 * 60_000;
					expect(Math.abs(until - (Date.now() + grace))).toBeLessThan(60_000);
				}
				if (scenario.world.oneKeyPerUser) expect(String(r.fallbackReason)).toContain('bad_request');
				// The old key's expiry date carries over.
				expect(
					Math.abs(Date.parse(String(r.newKeyExpires)) - (Date.now() + 60 * 86_400_000)),
				).toBeLessThan(120_000);
			} finally {
				await world.close();
			}
		});

		const kinds: Kind[] = ['down', 'refuse', 'echo', 'lose', 'appliedThenRefused'];
		if (scenario.hang) kinds.push('hang');
		for (const kind of kinds) {
			const what = {
				down: 'down (503)',
				refuse: 'refused (403)',
				echo: 'refused with the keys it was sent echoed in the message (400)',
				lose: 'applied with its answer lost',
				appliedThenRefused: 'applied but answered 500, then refused on every retry (403)',
				hang: 'hanging past the timeout',
			}[kind];
			it(`keeps invariant 2 when each step is ${what}`, async () => {
				expect(steps.length).toBeGreaterThan(0);
				const problems: string[] = [];
				for (const step of steps) problems.push(...(await faultedRun(scenario, step, kind)));
				expect(problems).toEqual([]);
			}, 300_000);
		}
	});
}

describe('rotate: what each fault leaves behind', () => {
	const replace = SCENARIOS[0];
	const regenerate = SCENARIOS[3];

	async function withFault(scenario: Scenario, fault: Fault & { server: 'gateway' | 'n8n' }) {
		const world = await startWorld(scenario.world);
		(fault.server === 'n8n' ? world.n8n : world.proxy).faults.add(fault);
		const run = await rotate(world, scenario);
		return {
			world,
			run,
			r: run.items[0].json as IDataObject & {
				newKey: { hash: string; display: string } | null;
				oldKey: { hash: string; display: string };
			},
		};
	}

	it('a lost answer to the write is recovered: n8n applied it, the run completes', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'n8n',
			method: 'PATCH',
			path: `/api/v1/credentials/${CRED_ID}`,
			skip: 1,
			kind: 'lose',
		});
		try {
			expect(await checkRun(world, run, 'lost write')).toEqual([]);
			expect(r).toMatchObject({ ok: true, state: 'completed' });
		} finally {
			await world.close();
		}
	});

	it('a write applied with a 500, whose retry is then refused (403), is not rolled back: the credential holds the new key', async () => {
		const patch = {
			server: 'n8n' as const,
			method: 'PATCH',
			path: `/api/v1/credentials/${CRED_ID}`,
		};
		const world = await startWorld(replace.world);
		// The no-op write passes; the real one is applied but answered 500; its retry gets a 403.
		world.n8n.faults.add(
			{ ...patch, skip: 1, times: 1, kind: 'applied_error' },
			{ ...patch, skip: 1, times: 1, kind: 'status', status: 403, body: { message: 'Forbidden' } },
		);
		const run = await rotate(world, replace);
		const r = run.items[0].json as IDataObject & { newKey: { hash: string } | null };
		try {
			expect(await checkRun(world, run, 'applied write, refused retry')).toEqual([]);
			expect(r).toMatchObject({ ok: true, state: 'completed', credentialHolds: 'new' });
			expect(sha(world.storedKey()).startsWith(r.newKey!.hash)).toBe(true);
		} finally {
			await world.close();
		}
	});

	it('n8n refusing the write (missing scope) rolls the replace back: new key deleted, old key kept', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'n8n',
			method: 'PATCH',
			path: `/api/v1/credentials/${CRED_ID}`,
			skip: 1,
			kind: 'status',
			status: 403,
			body: { message: 'Forbidden' },
		});
		try {
			expect(await checkRun(world, run, 'refused write')).toEqual([]);
			expect(r).toMatchObject({
				ok: false,
				state: 'rolled_back',
				credentialHolds: 'old',
				errorType: 'permission_denied',
			});
			expect(mintedRows(world, r.rotationId)).toEqual([]);
			expect(world.storedKey()).toBe(CANARY);
			expect(String(r.error)).toContain('Rotation stopped in state "rolled_back"');
		} finally {
			await world.close();
		}
	});

	it('n8n refusing the no-op write stops before anything is minted', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'n8n',
			method: 'PATCH',
			path: `/api/v1/credentials/${CRED_ID}`,
			kind: 'status',
			status: 401,
			body: { message: 'unauthorized' },
		});
		try {
			expect(await checkRun(world, run, 'refused preflight')).toEqual([]);
			expect(r).toMatchObject({
				ok: false,
				state: 'inspected',
				errorType: 'invalid_key',
				newKey: null,
			});
			expect(world.proxy.calls.filter((c) => c.path === '/api/key/generate')).toEqual([]);
			expect(String(r.error)).toContain('n8n refused the n8n API key');
		} finally {
			await world.close();
		}
	});

	it('regenerate: a refused write keeps the swapped key; the old key works until the grace period ends', async () => {
		const { world, run, r } = await withFault(regenerate, {
			server: 'n8n',
			method: 'PATCH',
			path: `/api/v1/credentials/${CRED_ID}`,
			skip: 1,
			times: 99,
			kind: 'status',
			status: 403,
		});
		try {
			expect(await checkRun(world, run, 'regenerate refused write')).toEqual([]);
			expect(r).toMatchObject({
				ok: false,
				state: 'new_verified',
				credentialHolds: 'old',
				strategy: 'regenerate',
			});
			expect(world.storedKey()).toBe(CANARY);
			expect(await acceptedOverHttp(world, CANARY)).toBe(true);
			expect(String(r.remaining)).toContain(String(r.oldKeyValidUntil));
			// Running Rotate again inside the grace period (n8n fixed) recovers from the old key.
			world.n8n.faults.clear();
			const again = await rotate(world, regenerate);
			expect(await checkRun(world, again, 'second regenerate')).toEqual([]);
			expect(again.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			expect((again.items[0].json.warnings as string[]).join(' ')).toContain('grace period');
		} finally {
			await world.close();
		}
	});

	it('a failed revocation leaves the new key in place and names the old key to revoke by hand', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'gateway',
			method: 'POST',
			path: '/api/key/delete',
			times: 99,
			kind: 'status',
			status: 403,
		});
		try {
			expect(await checkRun(world, run, 'refused delete')).toEqual([]);
			expect(r).toMatchObject({
				ok: false,
				state: 'credential_verified',
				credentialHolds: 'new',
				oldKeyRevoked: false,
			});
			expect(String(r.remaining)).toContain('revoke it by hand');
			expect(String(r.remaining)).toContain(r.oldKey.hash);
			expect(await acceptedOverHttp(world, CANARY)).toBe(true);
		} finally {
			await world.close();
		}
	});

	it('the new key not verifying rolls the replace back', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'gateway',
			method: 'GET',
			path: '/api/key/info',
			skip: 2,
			times: 2,
			kind: 'status',
			status: 503,
		});
		try {
			expect(await checkRun(world, run, 'verify new down')).toEqual([]);
			expect(r).toMatchObject({ ok: false, state: 'rolled_back', credentialHolds: 'old' });
		} finally {
			await world.close();
		}
	});

	it('a lost answer to /key/generate is settled by trying the new key; the run completes', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'gateway',
			method: 'POST',
			path: '/api/key/generate',
			kind: 'lose',
		});
		try {
			expect(await checkRun(world, run, 'lost generate')).toEqual([]);
			expect(r).toMatchObject({ ok: true, state: 'completed' });
			expect((r.warnings as string[]).join(' ')).toContain('answer to /key/generate was lost');
			expect(world.proxy.calls.filter((c) => c.path === '/api/key/generate')).toHaveLength(1);
		} finally {
			await world.close();
		}
	});

	it('a lost answer to /key/regenerate is settled by trying the new key; the run completes', async () => {
		const { world, run, r } = await withFault(regenerate, {
			server: 'gateway',
			method: 'POST',
			path: '/api/key/regenerate',
			kind: 'lose',
		});
		try {
			expect(await checkRun(world, run, 'lost regenerate')).toEqual([]);
			expect(r).toMatchObject({ ok: true, state: 'completed', strategy: 'regenerate' });
		} finally {
			await world.close();
		}
	});

	it('verification through the credential failing keeps both keys', async () => {
		const { world, run, r } = await withFault(replace, {
			server: 'gateway',
			method: 'GET',
			path: '/api/key/info',
			skip: 4,
			times: 99,
			kind: 'status',
			status: 503,
		});
		try {
			expect(await checkRun(world, run, 'verify credential down')).toEqual([]);
			expect(r).toMatchObject({ ok: false, state: 'written', credentialHolds: 'unknown' });
			expect(await acceptedOverHttp(world, CANARY)).toBe(true);
			expect(String(r.remaining)).toContain('both keys were kept');
		} finally {
			await world.close();
		}
	});

	it('without Continue On Fail the run fails with the state, the class and the remedy, and no key', async () => {
		const world = await startWorld({});
		try {
			world.proxy.faults.add({
				method: 'POST',
				path: '/api/key/delete',
				times: 99,
				kind: 'status',
				status: 403,
			});
			const run = await rotate(world, replace, false);
			expect(run.items).toEqual([]);
			expect(run.error?.message).toContain('Rotation stopped in state "credential_verified"');
			expect(run.error?.message).toContain('revoke it by hand');
			expect(run.error?.description).toMatch(/^permission_denied: /);
			for (const key of keysSeen(world)) expect(leaks(exposed(run), key)).toEqual([]);
			expect(world.violations).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it("n8n 2.8's schema bug: the write carries the credential's domain field, and still works when n8n demands it", async () => {
		const world = await startWorld({ requireDomainField: true });
		try {
			world.store.byId.get(CRED_ID)!.data.allowedHttpRequestDomains = 'all';
			const run = await rotate(world, replace);
			expect(await checkRun(world, run, '2.8 bug')).toEqual([]);
			expect(run.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			// The writes (the n8n check before them sends no data).
			const patches = world.n8n.calls.filter(
				(c) => c.method === 'PATCH' && (c.body as IDataObject).data !== undefined,
			);
			expect(
				patches.every(
					(c) => ((c.body as IDataObject).data as IDataObject).allowedHttpRequestDomains === 'all',
				),
			).toBe(true);
			expect(patches.every((c) => (c.body as IDataObject).isPartialData === true)).toBe(true);
			// The merge kept the other fields.
			expect(world.store.byId.get(CRED_ID)!.data.baseUrl).toBe(world.proxy.url);
		} finally {
			await world.close();
		}
	});

	it('a credential whose stored data lacks the domain field still gets through a 2.8-style n8n (second body shape)', async () => {
		const world = await startWorld({ requireDomainField: true });
		try {
			const run = await rotate(world, replace);
			expect(await checkRun(world, run, '2.8 bug, no field')).toEqual([]);
			expect(run.items[0].json).toMatchObject({ ok: true });
		} finally {
			await world.close();
		}
	});

	it('refuses a regenerate grace period under one minute before any request', async () => {
		const world = await startWorld({ enterprise: true });
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'regenerate', gracePeriod: '30s', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({ errorType: 'bad_request', field: 'Grace Period' });
			expect(String(run.items[0].json.error)).toContain('at least 1m');
			expect(world.timeline).toEqual([]);
			expect(world.storedKey()).toBe(CANARY);
		} finally {
			await world.close();
		}
	});

	it('rotates once per input item, each from the key the credential holds by then', async () => {
		const world = await startWorld({});
		try {
			keysBefore.set(world, keyRows(world));
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ continueOnFail: true, items: [{}, {}] },
			);
			expect(run.items).toHaveLength(2);
			const [first, second] = run.items.map(
				(i) => i.json as IDataObject & { oldKey: { hash: string }; newKey: { hash: string } },
			);
			expect(first).toMatchObject({ ok: true, state: 'completed' });
			expect(second).toMatchObject({ ok: true, state: 'completed' });
			expect(second.oldKey.hash).toBe(first.newKey.hash);
			expect(sha(world.storedKey()).startsWith(second.newKey.hash)).toBe(true);
			expect(run.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(world.violations).toEqual([]);
			expect(Object.keys(world.sandbox.store.keys)).toHaveLength(3);
			for (const key of keysSeen(world)) expect(leaks(exposed(run), key)).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it('bad input fails before any request, naming the field', async () => {
		const world = await startWorld({});
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', newKeyDuration: 'soon', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: 'New Key Expiry',
			});
			const other = await runKeyNode(
				world,
				{
					operation: 'rotate',
					strategy: 'replace',
					options: { ...TUNING, credentialId: 'someOtherCred' },
				},
				{ continueOnFail: true },
			);
			expect(other.items[0].json).toMatchObject({
				errorType: 'bad_request',
				field: 'Credential ID',
			});
			expect(world.timeline).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it('a key that lives on a grace period after an earlier rotation is rotated from the key that replaced it', async () => {
		const world = await startWorld({ enterprise: true });
		try {
			// A swap the credential never heard of (e.g. the gateway's scheduled rotation, with a grace period).
			const res = await fetch(`${world.sandbox.url}/key/regenerate`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${CANARY}`, 'content-type': 'application/json' },
				body: JSON.stringify({ key: CANARY, grace_period: '1h' }),
			});
			expect(res.status).toBe(200);
			const run = await rotate(world, SCENARIOS[0]);
			expect(await checkRun(world, run, 'deprecated')).toEqual([]);
			expect(run.items[0].json).toMatchObject({ ok: true, state: 'completed' });
			expect((run.items[0].json.warnings as string[]).join(' ')).toContain('grace period');
			expect(Object.keys(world.sandbox.store.keys)).toHaveLength(3);
		} finally {
			await world.close();
		}
	});
});

describe('rotate: gateway workers and key values the gateway already has', () => {
	it('a deleted old key that some gateway workers still accept is awaited; when the wait runs out the rotation completes and says so', async () => {
		const world = await startWorld({ workers: 3, keyCacheTtlMs: 60_000 });
		try {
			for (let n = 0; n < 3; n++)
				await fetch(`${world.sandbox.url}/key/info`, {
					headers: { Authorization: `Bearer ${CANARY}` },
				});
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: { ...TUNING, revocationWait: 0 } },
				{ continueOnFail: true },
			);
			const r = run.items[0].json as IDataObject & { oldKey: { hash: string } };
			expect(r).toMatchObject({
				ok: true,
				state: 'completed',
				oldKeyRevoked: true,
				credentialHolds: 'new',
			});
			expect((r.warnings as string[]).join(' ')).toContain(
				'some of its workers still accepted the key',
			);
			// An upper bound for the cached copies, not "now".
			expect(Date.parse(String(r.oldKeyValidUntil))).toBeGreaterThan(Date.now() + 30_000);
			expect(world.accepts(CANARY)).toBe(false);
			expect(world.sandbox.workersHolding(CANARY)).toBeGreaterThan(0);
			expect(world.violations).toEqual([]);
			for (const key of keysSeen(world)) expect(leaks(exposed(run), key)).toEqual([]);
		} finally {
			await world.close();
		}
	});

	for (const scenario of [SCENARIOS[0], SCENARIOS[3]]) {
		it(`${scenario.params.strategy}: a new key value the gateway already has (500, unique constraint) is not read as "needs Enterprise" nor taken for this run's key`, async () => {
			let taken: string | undefined;
			// Before the gateway sees the first mint, another key with the same value appears (bob's).
			const world = await startWorld({
				...scenario.world,
				delay: (c) => {
					const b = (c.body ?? {}) as IDataObject;
					const value = (b.new_key ?? (c.path === '/api/key/generate' ? b.key : undefined)) as
						| string
						| undefined;
					if (!taken && typeof value === 'string' && /\/key\/(generate|regenerate)$/.test(c.path)) {
						taken = value;
						world.sandbox.addKey({ key: value, user_id: 'bob', key_alias: 'bob-laptop' });
					}
					return 0;
				},
			});
			try {
				const run = await rotate(world, scenario);
				expect(await checkRun(world, run, 'duplicate value')).toEqual([]);
				const r = run.items[0].json as IDataObject;
				expect(r).toMatchObject({ ok: true, state: 'completed', strategy: scenario.strategy });
				expect((r.warnings as string[]).join(' ')).toContain('already had a key with the value');
				expect(taken).toBeDefined();
				expect(world.storedKey()).not.toBe(taken);
				expect((world.sandbox.getKey(world.storedKey()) as IDataObject).user_id).toBe('alice');
				// Bob's key is untouched.
				expect((world.sandbox.getKey(taken!) as IDataObject).key_alias).toBe('bob-laptop');
				for (const key of [...keysSeen(world), taken!])
					expect(leaks(exposed(run), key)).toEqual([]);
			} finally {
				await world.close();
			}
		});
	}
});
