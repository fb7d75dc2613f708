/**
 * Keys are written only into the n8n that runs the workflow. A JLab LLM N8N API credential
 * that names another host is refused before any request (no key minted, nothing sent to
 * that host), unless the credential opts in with "Allow Another n8n Instance".
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';
import { N8N_CRED_ID, runKeyNode, startWorld, type World } from './keySetup';

const TUNING = { timeoutMs: 2000, maxRetries: 0 };

// [::ffff:127.0.0.1] reaches the stand-in n8n on 127.0.0.1 but is not spelt as this machine, so it
// plays another n8n on the network: whatever the check lets through really arrives and is counted.
const elsewhere = (world: World) => `http://[::ffff:127.0.0.1]:${new URL(world.n8n.url).port}`;

function pointN8nCredential(world: World, data: IDataObject): void {
	const cred = world.store.byId.get(N8N_CRED_ID) as { data: IDataObject };
	cred.data = { ...cred.data, ...data };
}

const minted = (world: World) =>
	world.sandbox.requests.filter(
		(r) => r.method === 'POST' && /\/key\/(generate|.*regenerate)$/.test(r.path),
	);

afterAll(async () => {
	await shutdownHarness();
});

describe('the n8n API credential must name this n8n instance', () => {
	it.each([
		['rotate', { operation: 'rotate', strategy: 'replace', options: TUNING }],
		['createKey', { operation: 'createKey', keyAlias: 'bot', options: TUNING }],
		['auditWorkflows', { operation: 'auditWorkflows', moveKeys: true, options: TUNING }],
	])(
		'%s: another host is refused before any key is minted or anything is sent to it',
		async (_op, params) => {
			const world = await startWorld();
			try {
				pointN8nCredential(world, { baseUrl: elsewhere(world), allowHttp: true });
				const run = await runKeyNode(world, params);
				expect(run.error?.message).toMatch(
					/^n8n Base URL: expected the address of this n8n instance \(http:\/\/127\.0\.0\.1:5678\) or of this machine \(localhost\), got http:\/\/\[::ffff:7f00:1\]:\d+: .*"Allow Another n8n Instance"/,
				);
				expect(run.error?.description).toMatch(/^bad_request: /);
				expect(world.n8n.calls).toEqual([]);
				expect(minted(world)).toEqual([]);
			} finally {
				await world.close();
			}
		},
	);

	it('a host name that is neither this instance nor this machine is refused without any lookup or request', async () => {
		const world = await startWorld();
		try {
			pointN8nCredential(world, { baseUrl: 'https://n8n.elsewhere.example.org' });
			const run = await runKeyNode(world, {
				operation: 'rotate',
				strategy: 'replace',
				options: TUNING,
			});
			expect(run.error?.message).toMatch(
				/^n8n Base URL: expected the address of this n8n instance .* got https:\/\/n8n\.elsewhere\.example\.org: /,
			);
			expect(world.sandbox.requests).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it('rotation writes into another instance when the credential allows it (the refusal above is what stopped it)', async () => {
		const world = await startWorld();
		try {
			pointN8nCredential(world, {
				baseUrl: elsewhere(world),
				allowHttp: true,
				allowOtherInstance: true,
			});
			const run = await runKeyNode(world, {
				operation: 'rotate',
				strategy: 'replace',
				options: TUNING,
			});
			expect(run.error).toBeUndefined();
			expect(world.n8n.calls.some((c) => c.method === 'PATCH')).toBe(true);
		} finally {
			await world.close();
		}
	});

	it("this instance's own address (getInstanceBaseUrl) is accepted without the option, even when it is not loopback", async () => {
		const world = await startWorld();
		try {
			pointN8nCredential(world, { baseUrl: `${elsewhere(world)}/api/v1`, allowHttp: true });
			const run = await runKeyNode(
				world,
				{ operation: 'rotate', strategy: 'replace', options: TUNING },
				{ instanceBaseUrl: `${elsewhere(world)}/` },
			);
			expect(run.error).toBeUndefined();
			expect(world.n8n.calls.some((c) => c.method === 'PATCH')).toBe(true);
		} finally {
			await world.close();
		}
	});
});
