/**
 * Two executions of a real n8n (2.41.1) rotating the same credential at once, against a sandbox
 * gateway of three LiteLLM workers whose key caches outlive a deletion. Both start from the same
 * webhook call at the same moment. At most one may write the credential; the other stops saying
 * that a rotation is already in progress; the stored key is one the gateway accepts; and a later
 * rotation runs (the lock is gone).
 *
 *   npx jest --selectProjects e2e --runInBand test/e2e/rotationRace.e2e.test.ts   (JLAB_LLM_TARBALL set)
 */
import crypto from 'crypto';

const lib = require('../../scripts/n8n/lib');

const CANARY = lib.canaryKey('race');
const HOOK = `jlab-rotation-race-${crypto.randomBytes(4).toString('hex')}`;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

const workflow = {
	id: 'jlabRotationRace1',
	name: 'JLab LLM: rotation race (e2e)',
	nodes: [
		{
			id: 'rr-1',
			name: 'Hook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: HOOK,
			parameters: { httpMethod: 'POST', path: HOOK, responseMode: 'lastNode', options: {} },
		},
		{
			id: 'rr-2',
			name: 'Rotate Key',
			type: `${lib.PACKAGE_NAME}.jlabLlmKey`,
			typeVersion: 1,
			position: [260, 0],
			continueOnFail: true,
			parameters: {
				operation: 'rotate',
				strategy: 'replace',
				gracePeriod: '',
				newKeyDuration: '',
				options: { revocationWait: 10 },
			},
			credentials: {
				jlabLlmApi: { id: lib.SANDBOX_CREDENTIAL.id, name: lib.SANDBOX_CREDENTIAL.name },
				jlabLlmN8nApi: { id: 'jlabLlmN8nLocal01', name: 'n8n API (local)' },
			},
		},
	],
	connections: { Hook: { main: [[{ node: 'Rotate Key', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
};

describe(`n8n ${lib.CURRENT.n8n}: two rotations of one credential at once (three gateway workers)`, () => {
	let stack: any;
	const secrets = new Set<string>([CANARY]);

	beforeAll(async () => {
		stack = await lib.startStack({
			apiKey: CANARY,
			workflows: [workflow],
			sandbox: {
				workers: 3,
				keyCacheTtlMs: 3000,
				users: [{ user_id: 'race-user', user_role: 'internal_user' }],
				keys: [{ key: CANARY, key_alias: 'race-canary', user_id: 'race-user' }],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
		const res = await stack.client.request(
			'POST',
			`/api/v1/workflows/${workflow.id}/activate`,
			undefined,
			{ auth: 'apiKey' },
		);
		expect(res.status).toBe(200);
	});

	afterAll(async () => {
		if (stack) await stack.stop();
	});

	async function rotateViaHook(): Promise<Record<string, any>> {
		// Activation registers the webhook shortly after the API call returns.
		for (let attempt = 0; ; attempt++) {
			const res = await fetch(`${stack.n8n.url}/webhook/${HOOK}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{}',
			});
			const text = await res.text();
			if (res.status === 404 && attempt < 20) {
				await lib.sleep(500);
				continue;
			}
			expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status: 200 });
			for (const key of secrets) expect(lib.leakedPieces(text, key)).toEqual([]);
			return JSON.parse(text);
		}
	}

	it('one execution rotates, the other stops ("already in progress"); the stored key works', async () => {
		const [a, b] = await Promise.all([rotateViaHook(), rotateViaHook()]);
		const reports = [a, b];
		const completed = reports.filter((r) => r.ok === true);
		expect(completed).toHaveLength(1);
		expect(completed[0]).toMatchObject({ state: 'completed', credentialHolds: 'new' });
		const other = reports.find((r) => r.ok !== true)!;
		expect(String(other.error)).toMatch(
			/already in progress|no longer holds the key this rotation started from/,
		);
		// At most one wrote the credential.
		const wrote = reports.filter((r) =>
			(r.steps ?? []).some((s: any) => s.step === 'write' && s.ok),
		);
		expect(wrote).toHaveLength(1);
		const stored = (await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id))
			.apiKey as string;
		secrets.add(stored);
		expect(sha256(stored).slice(0, 12)).toBe(completed[0].newKey.hash);
		expect(stack.sandbox.getKey(stored)).toBeDefined();
		// The old key is gone from the gateway's database (workers may still cache it a moment).
		expect(stack.sandbox.getKey(CANARY)).toBeUndefined();
	});

	it('a later rotation runs: the lock did not outlive the runs', async () => {
		const r = await rotateViaHook();
		expect(r).toMatchObject({ ok: true, state: 'completed' });
		const stored = (await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id))
			.apiKey as string;
		secrets.add(stored);
		expect(sha256(stored).slice(0, 12)).toBe(r.newKey.hash);
		expect(stack.sandbox.getKey(stored)).toBeDefined();
	});
});
