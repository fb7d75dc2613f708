/**
 * The package in a real, pinned n8n (2.41.1 on Node 24), installed from the packed tarball.
 * Starts the sandbox gateway and n8n on 127.0.0.1, imports the "JLab LLM (sandbox)" credential and
 * every workflow in examples/, executes each with `n8n execute --id`, and checks what n8n stored.
 *
 *   npm run test:e2e      (first run installs n8n into the cache folder: ~4 min, ~3 GB)
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';

import { checkRun, type Item } from './lib/checkRun';

// Plain-JS process management shared with the browser suite and `npm run dev`.
const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
// A fresh canary per run: nothing stale can make the leak checks pass or fail.
const CANARY = `sk-canary-e2e-${crypto.randomBytes(12).toString('hex')}`;
const WRONG_KEY = 'sk-wrong-key-e2e-0000000000000000';
const BLOCKED_KEY = `sk-blocked-e2e-${crypto.randomBytes(8).toString('hex')}`;
const EXPIRED_KEY = `sk-expired-e2e-${crypto.randomBytes(8).toString('hex')}`;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

interface ExampleRun {
	file: string;
	workflow: { nodes: Array<{ name: string; type: string }> };
	run: any;
	/** Every item a node put out, over all its runs and outputs. */
	items(nodeName: string): Item[];
	/** Names of the package's nodes that ran. */
	packageNodesRan: string[];
	/** The decrypted data of the stored "JLab LLM (sandbox)" credential. */
	readCredential(): Promise<{ apiKey: string; baseUrl: string }>;
	/** n8n's public-API credential test of the stored "JLab LLM (sandbox)" credential. */
	testStoredCredential(): Promise<unknown>;
	sandboxUrl: string;
	/** The sandbox's record of the canary key now. */
	sandboxKey(): { spend: number };
	/** Requests the sandbox saw during this execution. */
	requests: Array<{ method: string; path: string; keyHash?: string; status: number }>;
}

/**
 * What each example must produce beyond the generic checks (no node error, the package's nodes
 * ran and put out items with pairedItem). An example without an entry gets only the generic checks.
 */
/** Keys the credential held during the run: the canary, plus any key a rotation put there. */
const SECRETS: string[] = [CANARY];
const fp = (key: string) => ({ display: `sk-…${key.slice(-4)}`, hash: sha256(key).slice(0, 12) });

const EXPECTATIONS: Record<string, (r: ExampleRun) => void | Promise<void>> = {
	'chat-batch-summaries.json': (r) => {
		const chatNodes = r.workflow.nodes.filter((n) => n.type === `${PREFIX}jlabLlmChat`).map((n) => n.name);
		expect(chatNodes.length).toBeGreaterThan(0);
		const replies = chatNodes.flatMap((n) => r.items(n));
		expect(replies.length).toBeGreaterThan(1); // a batch, not one call
		for (const item of replies) {
			expect(typeof item.json.reply === 'string' ? item.json.reply.length : JSON.stringify(item.json.reply ?? '').length).toBeGreaterThan(0);
			expect(item.json.usage?.totalTokens).toBeGreaterThan(0);
		}
		// One chat completion per item, all with the credential's key.
		const chats = r.requests.filter((q) => q.path.endsWith('/chat/completions'));
		expect(chats.length).toBeGreaterThanOrEqual(replies.length);
		expect(chats.every((q) => q.keyHash === sha256(CANARY))).toBe(true);
	},
	'key-rotate-every-30-days.json': async (r) => {
		const keyNodes = r.workflow.nodes.filter((n) => n.type === `${PREFIX}jlabLlmKey`).map((n) => n.name);
		const reports = keyNodes.flatMap((n) => r.items(n));
		expect(reports).toHaveLength(1);
		const report = reports[0].json;
		expect(report.state).toBe('completed');
		expect(report.oldKey).toEqual(fp(CANARY));
		expect(report.newKey.hash).not.toBe(report.oldKey.hash);
		// n8n's stored credential now holds the new key, the one the report names.
		const stored = await r.readCredential();
		expect(typeof stored.apiKey).toBe('string');
		SECRETS.push(stored.apiKey);
		expect(fp(stored.apiKey)).toEqual(report.newKey);
		expect(stored.baseUrl).toBe(r.sandboxUrl);
		// And n8n's own credential test passes with it.
		const test = await r.testStoredCredential();
		expect(test).toEqual({ status: 'OK', message: 'Connection successful!' });
	},
	'usage-daily-budget-check.json': (r) => {
		const usageNodes = r.workflow.nodes.filter((n) => n.type === `${PREFIX}jlabLlmUsage`).map((n) => n.name);
		const out = usageNodes.flatMap((n) => r.items(n));
		const checks = out.filter((i) => 'overThreshold' in i.json);
		expect(checks.length).toBeGreaterThan(0);
		for (const c of checks) {
			expect(typeof c.json.overThreshold).toBe('boolean');
			// The key is named only by its fingerprint, and it is the credential's key.
			expect(c.json.fingerprint).toEqual({ display: `sk-…${CANARY.slice(-4)}`, hash: sha256(CANARY).slice(0, 12) });
			// The numbers are the gateway's own: the seeded $25 budget, $5 spent plus what the runs before billed.
			const spend = r.sandboxKey().spend;
			expect(spend).toBeGreaterThanOrEqual(5);
			expect(c.json.maxBudgetUsd).toBe(25);
			expect(c.json.spendUsd).toBeCloseTo(spend, 6);
			expect(c.json.overThreshold).toBe(false); // ~20 % used, threshold 80 %
		}
		expect(r.requests.some((q) => q.path.endsWith('/key/info') && q.keyHash === sha256(CANARY))).toBe(true);
	},
};

const examples: Array<{ file: string; workflow: any }> = lib.loadExamples();

describe(`n8n ${lib.CURRENT.n8n} with the packed package`, () => {
	let stack: any;
	const runs: Record<string, any> = {};
	const cliOutput: string[] = [];

	beforeAll(async () => {
		stack = await lib.startStack({
			apiKey: CANARY,
			logLevel: 'debug', // the strictest log for the leak check
			// Nothing listens there: n8n must refuse before it asks (see the install-API test).
			extraEnv: { N8N_COMMUNITY_PACKAGES_REGISTRY: 'http://127.0.0.1:9' },
			sandbox: {
				users: [{ user_id: 'e2e-user', user_role: 'internal_user' }],
				keys: [
					{ key: CANARY, key_alias: 'e2e-canary', user_id: 'e2e-user', max_budget: 25, spend: 5 },
					{ key: BLOCKED_KEY, key_alias: 'e2e-blocked', user_id: 'e2e-user', blocked: true },
					{ key: EXPIRED_KEY, key_alias: 'e2e-expired', user_id: 'e2e-user', expires: '2020-01-01T00:00:00Z' },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
	});

	afterAll(async () => {
		if (stack) await stack.stop();
	});

	it('loads every node and credential of the tarball as n8n-nodes-jlab-llm.<name>', async () => {
		const manifest = JSON.parse(fs.readFileSync(path.join(stack.n8n.userFolder, '.n8n', 'nodes', 'node_modules', lib.PACKAGE_NAME, 'package.json'), 'utf8'));
		const expected = (manifest.n8n.nodes as string[]).map((p) => {
			const stem = path.basename(p, '.node.js');
			return `${PREFIX}${stem[0].toLowerCase()}${stem.slice(1)}`;
		});
		expect(expected.length).toBeGreaterThan(0);
		const loaded: string[] = await stack.client.nodeTypeNames();
		for (const type of expected) expect(loaded).toContain(type);
		const creds = await stack.client.request('GET', '/types/credentials.json');
		expect(creds.status).toBe(200);
		expect(creds.body.map((c: { name: string }) => c.name)).toContain('jlabLlmApi');
		// The install is the tarball's content, not the checkout: no sources, no tests.
		expect(fs.existsSync(path.join(stack.n8n.userFolder, '.n8n', 'nodes', 'node_modules', lib.PACKAGE_NAME, 'nodes'))).toBe(false);
	});

	describe('credential test endpoint', () => {
		const testWith = (apiKey: string) =>
			stack.client.request('POST', '/rest/credentials/test', {
				credentials: { ...lib.SANDBOX_CREDENTIAL, data: { baseUrl: stack.sandbox.url, apiKey, allowHttp: false } },
			});

		it('passes for the stored credential (public API) and the good key (REST)', async () => {
			const stored = await stack.client.request('POST', `/api/v1/credentials/${lib.SANDBOX_CREDENTIAL.id}/test`, undefined, { auth: 'apiKey' });
			expect(stored.status).toBe(200);
			expect(stored.body).toEqual({ status: 'OK', message: 'Connection successful!' });
			const rest = await testWith(CANARY);
			expect(rest.body.data).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(stack.sandbox.requests.some((q: any) => q.path === '/key/info' && q.keyHash === sha256(CANARY))).toBe(true);
		});

		it.each([
			['a wrong key', WRONG_KEY, 'invalid_key: '],
			['a blocked key', BLOCKED_KEY, 'blocked_key: '],
			['an expired key', EXPIRED_KEY, 'expired_key: '],
		])('fails for %s with the classified message', async (_label, key, prefix) => {
			const res = await testWith(key);
			expect(res.status).toBe(200);
			expect(res.body.data.status).toBe('Error');
			expect(res.body.data.message.startsWith(prefix)).toBe(true);
			expect(lib.leakedPieces(res.text, key)).toEqual([]);
		});
	});

	describe('example workflows', () => {
		it('examples/ holds workflows to run', () => {
			expect(examples.map((e) => e.file)).toEqual(expect.arrayContaining([expect.stringMatching(/\.json$/)]));
		});

		it.each(examples.map((e) => [e.file, e] as const))('%s runs in n8n without a node error', async (file, example) => {
			const before = stack.sandbox.requests.length;
			const res = await lib.executeWorkflow(stack.n8n, example.workflow.id);
			cliOutput.push(res.stdout, res.stderr);
			const { items, packageNodesRan } = checkRun(file, res, example.workflow, PREFIX);
			runs[file] = res.run;
			const check = EXPECTATIONS[file];
			if (check) {
				await check({
					file,
					workflow: example.workflow,
					run: res.run,
					items,
					packageNodesRan,
					requests: stack.sandbox.requests.slice(before),
					sandboxKey: () => stack.sandbox.getKey(sha256(CANARY)),
					sandboxUrl: stack.sandbox.url,
					readCredential: () => lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id),
					testStoredCredential: async () =>
						(await stack.client.request('POST', `/api/v1/credentials/${lib.SANDBOX_CREDENTIAL.id}/test`, undefined, { auth: 'apiKey' })).body,
				});
			}
		});
	});

	it("n8n's own install API refuses a local registry without an enterprise licence (why the suites unpack into the nodes folder)", async () => {
		const res = await stack.client.request('POST', '/rest/community-packages', { name: lib.PACKAGE_NAME, version: stack.pack.version });
		expect(res.status).toBeGreaterThanOrEqual(400);
		expect(res.text).toContain('feat:communityNodes:customRegistry');
		// The refused attempt leaves the package that n8n loaded from the nodes folder in place.
		expect(fs.existsSync(path.join(stack.n8n.userFolder, '.n8n', 'nodes', 'node_modules', lib.PACKAGE_NAME, 'package.json'))).toBe(true);
	});

	describe('the key never reaches what n8n stores or logs', () => {
		it('stored execution data (public API, includeData) holds no piece of the key', async () => {
			const all: unknown[] = [];
			let cursor: string | undefined;
			do {
				const res = await stack.client.request('GET', `/api/v1/executions?includeData=true&limit=100${cursor ? `&cursor=${cursor}` : ''}`, undefined, { auth: 'apiKey' });
				expect(res.status).toBe(200);
				all.push(...res.body.data);
				cursor = res.body.nextCursor ?? undefined;
			} while (cursor);
			// Not vacuous: every example's execution is there, with its data.
			expect(all.length).toBeGreaterThanOrEqual(Object.keys(runs).length);
			expect(Object.keys(runs).length).toBe(examples.length);
			const text = JSON.stringify(all);
			expect(text).toContain('runData');
			for (const key of SECRETS) expect(lib.leakedPieces(text, key)).toEqual([]);
			// And the sandbox did see that key, so the executions really used the credential.
			expect(stack.sandbox.requests.some((q: any) => q.keyHash === sha256(CANARY))).toBe(true);
		});

		it('the CLI output of every execution holds no piece of the key', () => {
			expect(cliOutput.length).toBeGreaterThan(0);
			for (const key of SECRETS) expect(lib.leakedPieces(cliOutput.join('\n'), key)).toEqual([]);
		});

		it("n8n's SQLite files and log hold no piece of the key once n8n has stopped", async () => {
			await stack.n8n.stop();
			const dir = path.join(stack.n8n.userFolder, '.n8n');
			const dbFiles = fs.readdirSync(dir).filter((f) => f.startsWith('database.sqlite'));
			expect(dbFiles).toContain('database.sqlite');
			let all = '';
			for (const f of dbFiles) {
				const bytes = fs.readFileSync(path.join(dir, f)).toString('latin1');
				all += bytes;
				for (const key of SECRETS) expect({ file: f, leaked: lib.leakedPieces(bytes, key) }).toEqual({ file: f, leaked: [] });
			}
			// The scan reads real content: the credential's name and the executions' data are in there.
			expect(all).toContain(lib.SANDBOX_CREDENTIAL.name);
			expect(all).toContain('runData');
			const log = fs.readFileSync(stack.n8n.logFile, 'utf8');
			expect(log.length).toBeGreaterThan(1000);
			for (const key of SECRETS) expect(lib.leakedPieces(log, key)).toEqual([]);
		});
	});
});
