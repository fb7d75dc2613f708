/**
 * Rotation under fire (docs/architecture.md, invariant 2), in-process: 50 rotations in a row of the same
 * credential, with seeded random faults on every call to the gateway and to the n8n public API
 * (refusals, 5xx, resets, hangs past the timeout, changes applied with their answer lost or
 * followed by a 500). After every request the credential must hold a key the gateway accepts
 * (the world's observer); after every rotation a Chat workflow through the credential succeeds,
 * the output names a known state, and no key shows in anything the run produced.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { ROTATION_STATES } from '../../nodes/JlabLlmKey/rotation';
import { runWorkflow, shutdownHarness } from '../harness';
import { prng, randomFaults } from '../helpers/randomFaults';
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
} from './keySetup';

const ROTATIONS = 50;
const FAULT_RATE = 0.25;
const TUNING = { timeoutMs: 1000, maxRetries: 1 };

afterAll(async () => {
	await shutdownHarness();
});

/** Every gateway key this world has handled: the canary and whatever new key travelled anywhere. */
function keysSeen(world: World): string[] {
	const keys = new Set<string>([CANARY, world.storedKey()]);
	for (const c of world.timeline) {
		const b = (c.body ?? {}) as IDataObject;
		for (const v of [b.key, b.new_key, (b.data as IDataObject | undefined)?.apiKey]) {
			if (typeof v === 'string' && v.startsWith('sk-')) keys.add(v);
		}
	}
	return [...keys];
}

async function chatThroughCredential(world: World, n: number) {
	const nodes: INode[] = [
		{
			id: 's',
			name: 'Items',
			type: 'test.items',
			typeVersion: 1,
			position: [0, 0],
			parameters: { items: JSON.stringify([{ text: `after rotation ${n}` }]) },
		},
		{
			id: 'c',
			name: 'Chat',
			type: 'n8n-nodes-jlab-llm.jlabLlmChat',
			typeVersion: 1,
			position: [200, 0],
			parameters: {
				model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-20b' },
				prompt: '={{ $json.text }}',
				options: { maxRetries: 0 },
			},
			credentials: { jlabLlmApi: { id: CRED_ID, name: 'JLab LLM (sandbox)' } },
		},
	];
	const result = await runWorkflow(
		{ nodes, connections: { Items: { main: [[{ node: 'Chat', type: 'main', index: 0 }]] } } },
		[],
		{ store: world.store },
	);
	return { error: result.error('Chat'), items: result.output('Chat') };
}

// Also on a gateway of three LiteLLM workers whose key caches (300 ms) outlive a deletion (fewer rotations: slower).
const GATEWAYS = [
	{ label: 'one gateway worker', rotations: ROTATIONS, world: {} },
	{ label: 'three gateway workers', rotations: 20, world: { workers: 3, keyCacheTtlMs: 300 } },
];

for (const gateway of GATEWAYS)
	describe(`rotation under fire (${gateway.label}): ${gateway.rotations} rotations in a row, random faults at every step`, () => {
		const ROTATIONS = gateway.rotations;
		it('the credential always holds an accepted key, and a workflow through it works after every rotation', async () => {
			// No rate limit on the key: 50 rotations in a minute would otherwise meet its RPM limit.
			const world = await startWorld({
				...gateway.world,
				key: { rpm_limit: null, tpm_limit: null },
			});
			const rand = prng(20260528);
			const injected: Record<string, number> = {};
			const states: Record<string, number> = {};
			const problems: string[] = [];
			let requests = 0;
			try {
				const faultsFor = randomFaults(rand, injected, FAULT_RATE);
				const quiet = () => undefined;
				for (let n = 1; n <= ROTATIONS; n++) {
					const before = world.timeline.length;
					const violationsBefore = world.violations.length;
					world.proxy.faults.take = faultsFor('gateway');
					world.n8n.faults.take = faultsFor('n8n');
					let run;
					try {
						run = await runKeyNode(
							world,
							{ operation: 'rotate', strategy: 'replace', options: TUNING },
							{ continueOnFail: true },
						);
					} finally {
						world.proxy.faults.take = quiet;
						world.n8n.faults.take = quiet;
					}
					requests += world.timeline.length - before;
					const label = `rotation ${n}`;
					if (world.violations.length > violationsBefore) {
						problems.push(
							`${label}: the credential held a refused key after ${world.violations
								.slice(violationsBefore)
								.map((v) => v.after)
								.join(', ')}`,
						);
					}
					if (run.items.length !== 1)
						problems.push(
							`${label}: ${run.items.length} items${run.error ? ` (${run.error.message})` : ''}`,
						);
					const r = (run.items[0]?.json ?? {}) as IDataObject;
					if (!ROTATION_STATES.includes(r.state as never))
						problems.push(`${label}: unknown state ${String(r.state)}`);
					states[String(r.state)] = (states[String(r.state)] ?? 0) + 1;
					for (const key of [...keysSeen(world), N8N_KEY]) {
						const found = leaks(exposed(run), key);
						if (found.length)
							problems.push(`${label}: a key leaked into the output (${found[0]}…)`);
					}
					const stored = world.storedKey();
					if (!world.accepts(stored))
						problems.push(`${label}: the stored key ${sha(stored).slice(0, 12)} is refused`);
					// The proof that counts: a workflow through the credential, right after.
					const chat = await chatThroughCredential(world, n);
					if (
						chat.error ||
						chat.items.length !== 1 ||
						typeof chat.items[0].json.reply !== 'string'
					) {
						problems.push(
							`${label}: the chat after it failed: ${chat.error?.message ?? JSON.stringify(chat.items[0]?.json).slice(0, 200)}`,
						);
					}
					if (problems.length > 5) break;
				}
			} finally {
				await world.close();
			}
			const faults = Object.values(injected).reduce((a, b) => a + b, 0);
			process.stdout.write(
				`rotation under fire: ${ROTATIONS} rotations, ${requests} requests, ${faults} faults injected ${JSON.stringify(injected)}; end states ${JSON.stringify(states)}\n`,
			);
			expect(problems).toEqual([]);
			// Not vacuous: faults struck, some rotations completed and some did not.
			expect(faults).toBeGreaterThan(ROTATIONS);
			expect(states.completed ?? 0).toBeGreaterThan(0);
			expect(ROTATIONS - (states.completed ?? 0)).toBeGreaterThan(0);
		}, 240_000);
	});
