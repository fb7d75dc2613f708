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
const CANARY = lib.canaryKey('e2e');
const WRONG_KEY = 'sk-wrong-key-e2e-0000000000000000';
const BLOCKED_KEY = `sk-blocked-e2e-${crypto.randomBytes(8).toString('hex')}`;
const EXPIRED_KEY = `sk-expired-e2e-${crypto.randomBytes(8).toString('hex')}`;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

// Raw keys planted in workflows for the audit (test/e2e/fixtures/planted-keys.json): fresh canaries,
// none of them the credential's key. The audit's output and n8n's executions and logs must hold
// none of them (the SQLite file does: the workflows themselves, and the credentials fix mode makes).
const PLANTED_FIXTURE = JSON.parse(
	fs.readFileSync(path.join(__dirname, 'fixtures', 'planted-keys.json'), 'utf8'),
) as {
	expected: Array<{
		workflowId: string;
		nodeName: string | null;
		where: string;
		path: string;
		key: string;
	}>;
	workflows: Array<{ id: string; name: string }>;
};
const PLANTED: Record<string, string> = Object.fromEntries(
	// No 8-character piece in common with CANARY (the SQLite check looks for those) or with any name.
	['HEADER', 'BEARER', 'EXPRESSION', 'QUERY', 'CODE', 'SET', 'PIN', 'STATIC'].map((place, i) => [
		place,
		`sk-plnt-${i}-${crypto.randomBytes(12).toString('hex')}`,
	]),
);
const PLANTED_KEYS = Object.values(PLANTED);
/** The planted workflows with this run's canaries and the sandbox's address filled in. */
function plantedWorkflows(gateway: string): Array<{ id: string; name: string }> {
	let text = JSON.stringify(PLANTED_FIXTURE.workflows).split('__GATEWAY__').join(gateway);
	for (const [place, key] of Object.entries(PLANTED))
		text = text.split(`__KEY_${place}__`).join(key);
	return JSON.parse(text);
}

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
	requests: Array<{ method: string; path: string; keyHash?: string; status: number; body?: any }>;
	/** The sandbox's spend-log rows written during this execution (what LiteLLM keeps per call). */
	spendLogs: Array<{
		api_key: string;
		request_tags: string[];
		metadata: { spend_logs_metadata: Record<string, unknown> | null };
	}>;
}

const CHAIN_TYPE = '@n8n/n8n-nodes-langchain.chainLlm';
const AGENT_TYPE = '@n8n/n8n-nodes-langchain.agent';

/** One entry per call of an AI sub-node: what it put out on its ai_* connection, or its error. */
function aiCalls(run: any, nodeName: string): Array<{ json?: any; error?: any }> {
	const tasks: any[] = run.data.resultData.runData[nodeName] ?? [];
	return tasks.map((t) => {
		if (t.error) return { error: t.error };
		const outs = Object.entries(t.data ?? {})
			.filter(([k]) => k.startsWith('ai_'))
			.flatMap(([, v]) => v as any[]);
		return { json: outs.flat().find(Boolean)?.json };
	});
}

/** The package's chat-model nodes of a workflow, by name. */
const modelNodesOf = (r: { workflow: { nodes: Array<{ name: string; type: string }> } }) =>
	r.workflow.nodes.filter((n) => n.type === `${PREFIX}lmChatJlabLlm`).map((n) => n.name);

/** Where in n8n a call came from, as the model sends it in LiteLLM's metadata. */
function expectAttribution(body: any, workflowId: string, nodeName: string, tags: string[]) {
	const origin = {
		n8n_workflow_id: workflowId,
		n8n_workflow_name: expect.any(String),
		n8n_execution_id: expect.stringMatching(/\S/),
		n8n_node_name: nodeName,
	};
	expect(body.metadata).toEqual({ tags, ...origin, spend_logs_metadata: origin });
}

/**
 * What each example must produce beyond the generic checks (no node error, the package's nodes
 * ran and put out items with pairedItem). An example without an entry gets only the generic checks.
 */
/** Keys the credential held during the run: the canary, plus any key a rotation put there. */
const SECRETS: string[] = [CANARY];
const fp = (key: string) => ({ display: `sk-…${key.slice(-4)}`, hash: sha256(key).slice(0, 12) });

const EXPECTATIONS: Record<string, (r: ExampleRun) => void | Promise<void>> = {
	'embeddings-rag.json': (r) => {
		// Five documents in one batch, then the question; the retriever (top 1) passes on the helium document only.
		const embeds = r.requests.filter((q) => q.path === '/v1/embeddings');
		expect(embeds.map((q) => q.body.input.length)).toEqual([5, 1]);
		for (const q of embeds) expect(q.keyHash).toBe(sha256(CANARY));
		const chats = r.requests.filter((q) => q.path === '/v1/chat/completions');
		expect(chats).toHaveLength(1);
		const prompt = JSON.stringify(chats[0].body.messages);
		expect(prompt).toContain('The Central Helium Liquefier supplies liquid helium');
		expect(prompt).not.toContain('The cafeteria serves breakfast');
		// Each embeddings sub-node's call in the run data: the vectors' count and the gateway's token usage.
		const [insert] = aiCalls(r.run, 'JLab LLM Embeddings');
		expect(insert.json).toMatchObject({ vectors: 5, requests: 1 });
		expect(insert.json.tokenUsage.promptTokens).toBeGreaterThan(0);
		expect(aiCalls(r.run, 'JLab LLM Embeddings (Question)')[0].json).toMatchObject({
			vectors: 1,
			requests: 1,
		});
	},
	'chat-model-basic-chain.json': (r) => {
		const [chain] = r.workflow.nodes.filter((n) => n.type === CHAIN_TYPE).map((n) => n.name);
		const [model] = modelNodesOf(r);
		// The chain's answer is the gateway's (the sandbox echoes the prompt).
		const out = r.items(chain);
		expect(out).toHaveLength(1);
		expect(out[0].json.text).toMatch(
			/^Echo from openai\/gpt-oss-120b: Summarise in one sentence for a lab newsletter: /,
		);
		// One chat completion, with the credential's key, the node's options and the spend attribution.
		const chats = r.requests.filter((q) => q.path === '/v1/chat/completions');
		expect(chats).toHaveLength(1);
		expect(chats[0].keyHash).toBe(sha256(CANARY));
		expect(chats[0].body).toMatchObject({
			model: 'openai/gpt-oss-120b',
			stream: false,
			temperature: 0.2,
			max_tokens: 300,
			reasoning_effort: 'low',
		});
		expect(chats[0].body.messages.map((m: any) => m.role)).toEqual(['system', 'user']);
		expectAttribution(chats[0].body, 'jlabModelChain01', model, ['example', 'chat-model']);
		// LiteLLM's spend log keeps the attribution and the tags.
		expect(r.spendLogs).toHaveLength(1);
		expect(r.spendLogs[0].api_key).toBe(sha256(CANARY));
		expect(r.spendLogs[0].request_tags).toEqual(['example', 'chat-model']);
		expect(r.spendLogs[0].metadata.spend_logs_metadata).toMatchObject({
			n8n_workflow_id: 'jlabModelChain01',
			n8n_node_name: model,
		});
		// n8n's run data of the model node: the call with the gateway's token usage.
		const calls = aiCalls(r.run, model);
		expect(calls).toHaveLength(1);
		const usage = calls[0].json.tokenUsage;
		expect(usage.promptTokens).toBeGreaterThan(0);
		expect(usage.completionTokens).toBeGreaterThan(0);
		expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
	},
	'chat-model-agent-tool.json': (r) => {
		const [agent] = r.workflow.nodes.filter((n) => n.type === AGENT_TYPE).map((n) => n.name);
		const [model] = modelNodesOf(r);
		// The model asked for the calculator; n8n ran it; the model answered with its result.
		expect(r.run.data.resultData.runData.Calculator?.[0]?.data?.ai_tool?.[0]?.[0]?.json).toEqual({
			response: '3503326',
		});
		const out = r.items(agent);
		expect(out).toHaveLength(1);
		expect(out[0].json.output).toMatch(
			/^Echo from openai\/gpt-oss-120b: the tool returned: .*3503326/,
		);
		// The round trip as the gateway saw it: tools offered → tool call → tool result sent back.
		const chats = r.requests.filter((q) => q.path === '/v1/chat/completions');
		expect(chats).toHaveLength(2);
		for (const q of chats) {
			expect(q.keyHash).toBe(sha256(CANARY));
			expect(q.body.tools.map((t: any) => t.function.name)).toEqual(['Calculator']);
			expectAttribution(q.body, 'jlabModelAgent01', model, ['example', 'agent']);
		}
		expect(chats[0].body.messages.at(-1)).toEqual({ role: 'user', content: '(1234 * 5678) / 2' });
		const second = chats[1].body.messages;
		const call = second.find((m: any) => m.role === 'assistant')?.tool_calls?.[0];
		expect(call.function.name).toBe('Calculator');
		// n8n's agent adds the call's id to the arguments it sends back; the sandbox's own argument is there.
		expect(JSON.parse(call.function.arguments)).toMatchObject({ input: '(1234 * 5678) / 2' });
		const toolMessage = second.find((m: any) => m.role === 'tool');
		expect(toolMessage.tool_call_id).toBe(call.id);
		expect(toolMessage.content).toContain('3503326');
		// Two model calls in n8n's run data, each with token usage: the tool call, then the answer.
		const calls = aiCalls(r.run, model);
		expect(calls).toHaveLength(2);
		expect(calls[0].json.response.generations[0][0].generationInfo.finish_reason).toBe(
			'tool_calls',
		);
		expect(calls[1].json.response.generations[0][0].text).toBe(out[0].json.output);
		for (const c of calls) expect(c.json.tokenUsage.totalTokens).toBeGreaterThan(0);
	},
	'chat-batch-summaries.json': (r) => {
		const chatNodes = r.workflow.nodes
			.filter((n) => n.type === `${PREFIX}jlabLlmChat`)
			.map((n) => n.name);
		expect(chatNodes.length).toBeGreaterThan(0);
		const replies = chatNodes.flatMap((n) => r.items(n));
		expect(replies.length).toBeGreaterThan(1); // a batch, not one call
		for (const item of replies) {
			expect(
				typeof item.json.reply === 'string'
					? item.json.reply.length
					: JSON.stringify(item.json.reply ?? '').length,
			).toBeGreaterThan(0);
			expect(item.json.usage?.totalTokens).toBeGreaterThan(0);
		}
		// One chat completion per item, all with the credential's key.
		const chats = r.requests.filter((q) => q.path.endsWith('/chat/completions'));
		expect(chats.length).toBeGreaterThanOrEqual(replies.length);
		expect(chats.every((q) => q.keyHash === sha256(CANARY))).toBe(true);
	},
	'key-rotate-every-30-days.json': async (r) => {
		const keyNodes = r.workflow.nodes
			.filter((n) => n.type === `${PREFIX}jlabLlmKey`)
			.map((n) => n.name);
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
	'key-audit-workflows.json': (r) => {
		const out = r.items('Audit Workflows').map((i) => i.json);
		const findings = out.filter((j) => j.type === 'finding');
		// Every planted key, in its place, and nothing else: no false positive on the examples.
		const shape = (j: Record<string, any>) => ({
			workflowId: j.workflowId,
			nodeName: j.nodeName,
			where: j.where,
			path: j.path,
			fingerprint: j.fingerprint,
		});
		expect(findings.map(shape)).toEqual(
			PLANTED_FIXTURE.expected.map(({ key, ...rest }) => ({
				...rest,
				fingerprint: fp(PLANTED[key]),
			})),
		);
		const summary = out[out.length - 1];
		expect(summary).toMatchObject({
			type: 'summary',
			clean: false,
			findings: PLANTED_FIXTURE.expected.length,
			distinctKeys: PLANTED_KEYS.length,
		});
		// Every example and every planted workflow was read.
		expect(summary.workflowsChecked).toBe(examples.length + PLANTED_FIXTURE.workflows.length);
		// The gateway recognised the live planted keys and refused the blocked one.
		const of = (place: string) =>
			findings.find((j) => j.fingerprint.hash === fp(PLANTED[place]).hash);
		expect(of('HEADER')).toMatchObject({
			live: true,
			keyAlias: 'e2e-planted-header',
			userId: 'e2e-user',
		});
		expect(of('EXPRESSION')).toMatchObject({ live: true, keyAlias: 'e2e-planted-expression' });
		expect(of('BEARER')).toMatchObject({ live: false });
		// A key in a Code node calls no host the audit can tell: reported, never presented to the gateway.
		expect(of('CODE')).toMatchObject({ live: null });
		expect(String(of('CODE')?.liveReason)).toContain('not sent');
		expect(r.requests.filter((q) => q.keyHash === sha256(PLANTED.CODE))).toEqual([]);
		for (const key of PLANTED_KEYS) expect(lib.leakedPieces(JSON.stringify(out), key)).toEqual([]);
	},
	'usage-daily-budget-check.json': (r) => {
		const usageNodes = r.workflow.nodes
			.filter((n) => n.type === `${PREFIX}jlabLlmUsage`)
			.map((n) => n.name);
		const out = usageNodes.flatMap((n) => r.items(n));
		const checks = out.filter((i) => 'overThreshold' in i.json);
		expect(checks.length).toBeGreaterThan(0);
		for (const c of checks) {
			expect(typeof c.json.overThreshold).toBe('boolean');
			// The key is named only by its fingerprint, and it is the credential's key.
			expect(c.json.fingerprint).toEqual({
				display: `sk-…${CANARY.slice(-4)}`,
				hash: sha256(CANARY).slice(0, 12),
			});
			// The numbers are the gateway's own: the seeded $25 budget, $5 spent plus what the runs before billed.
			const spend = r.sandboxKey().spend;
			expect(spend).toBeGreaterThanOrEqual(5);
			expect(c.json.maxBudgetUsd).toBe(25);
			expect(c.json.spendUsd).toBeCloseTo(spend, 6);
			expect(c.json.overThreshold).toBe(false); // ~20 % used, threshold 80 %
		}
		expect(
			r.requests.some((q) => q.path.endsWith('/key/info') && q.keyHash === sha256(CANARY)),
		).toBe(true);
	},
};

const examples: Array<{ file: string; workflow: any }> = lib.loadExamples();

describe(`n8n ${lib.CURRENT.n8n} with the packed package`, () => {
	let stack: any;
	const runs: Record<string, any> = {};
	const cliOutput: string[] = [];

	beforeAll(async () => {
		// A known sandbox port, so the planted HTTP Request nodes can call "the gateway".
		const sandboxPort = await lib.freePort();
		stack = await lib.startStack({
			apiKey: CANARY,
			sandboxPort,
			workflows: plantedWorkflows(`http://127.0.0.1:${sandboxPort}/api`),
			logLevel: 'debug', // the strictest log for the leak check
			// Nothing listens there: n8n must refuse before it asks (see the install-API test).
			extraEnv: { N8N_COMMUNITY_PACKAGES_REGISTRY: 'http://127.0.0.1:9' },
			sandbox: {
				// Three LiteLLM workers, each with its own key cache, as at the lab: the rotation and the
				// deletions it makes must hold while other workers still cache the old key.
				workers: 3,
				keyCacheTtlMs: 5000,
				users: [{ user_id: 'e2e-user', user_role: 'internal_user' }],
				keys: [
					{ key: CANARY, key_alias: 'e2e-canary', user_id: 'e2e-user', max_budget: 25, spend: 5 },
					{ key: BLOCKED_KEY, key_alias: 'e2e-blocked', user_id: 'e2e-user', blocked: true },
					{
						key: EXPIRED_KEY,
						key_alias: 'e2e-expired',
						user_id: 'e2e-user',
						expires: '2020-01-01T00:00:00Z',
					},
					{ key: PLANTED.HEADER, key_alias: 'e2e-planted-header', user_id: 'e2e-user' },
					{ key: PLANTED.EXPRESSION, key_alias: 'e2e-planted-expression', user_id: 'e2e-user' },
					{
						key: PLANTED.BEARER,
						key_alias: 'e2e-planted-blocked',
						user_id: 'e2e-user',
						blocked: true,
					},
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
	});

	afterAll(async () => {
		if (stack) await stack.stop();
	});

	it('loads every node and credential of the tarball as n8n-nodes-jlab-llm.<name>', async () => {
		const manifest = JSON.parse(
			fs.readFileSync(
				path.join(
					stack.n8n.userFolder,
					'.n8n',
					'nodes',
					'node_modules',
					lib.PACKAGE_NAME,
					'package.json',
				),
				'utf8',
			),
		);
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
		expect(
			fs.existsSync(
				path.join(stack.n8n.userFolder, '.n8n', 'nodes', 'node_modules', lib.PACKAGE_NAME, 'nodes'),
			),
		).toBe(false);
	});

	describe('credential test endpoint', () => {
		const testWith = (apiKey: string) =>
			stack.client.request('POST', '/rest/credentials/test', {
				credentials: {
					...lib.SANDBOX_CREDENTIAL,
					data: { baseUrl: stack.sandbox.url, apiKey, allowHttp: false },
				},
			});

		it('passes for the stored credential (public API) and the good key (REST)', async () => {
			const stored = await stack.client.request(
				'POST',
				`/api/v1/credentials/${lib.SANDBOX_CREDENTIAL.id}/test`,
				undefined,
				{ auth: 'apiKey' },
			);
			expect(stored.status).toBe(200);
			expect(stored.body).toEqual({ status: 'OK', message: 'Connection successful!' });
			const rest = await testWith(CANARY);
			expect(rest.body.data).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(
				stack.sandbox.requests.some(
					(q: any) => q.path === '/v1/models' && q.keyHash === sha256(CANARY),
				),
			).toBe(true);
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
			expect(examples.map((e) => e.file)).toEqual(
				expect.arrayContaining([expect.stringMatching(/\.json$/)]),
			);
		});

		it.each(examples.map((e) => [e.file, e] as const))(
			'%s runs in n8n without a node error',
			async (file, example) => {
				const before = stack.sandbox.requests.length;
				const spendBefore = stack.sandbox.store.spendLogs.length;
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
						spendLogs: stack.sandbox.store.spendLogs.slice(spendBefore),
						sandboxKey: () => stack.sandbox.getKey(sha256(CANARY)),
						sandboxUrl: stack.sandbox.url,
						readCredential: () => lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id),
						testStoredCredential: async () =>
							(
								await stack.client.request(
									'POST',
									`/api/v1/credentials/${lib.SANDBOX_CREDENTIAL.id}/test`,
									undefined,
									{ auth: 'apiKey' },
								)
							).body,
					});
				}
			},
		);
	});

	it('the audit in fix mode moves each live key an HTTP Request node sends to the gateway into a new credential', async () => {
		const res = await lib.executeWorkflow(stack.n8n, 'plantedAuditFix01');
		cliOutput.push(res.stdout, res.stderr);
		const { items } = checkRun(
			'planted-keys.json (plantedAuditFix01)',
			res,
			{ nodes: [{ name: 'Audit And Move', type: `${PREFIX}jlabLlmKey` }] },
			PREFIX,
		);
		const out = items('Audit And Move').map((i) => i.json);
		const moved = out.filter((j) => j.type === 'finding' && j.movedToCredential);
		// The two live keys in "Planted: gateway calls"; not the blocked one, not the query key (another host).
		expect(moved.map((j) => [j.nodeName, j.fingerprint.hash])).toEqual([
			['Call With Header', fp(PLANTED.HEADER).hash],
			['Call With Expression', fp(PLANTED.EXPRESSION).hash],
		]);
		expect(out[out.length - 1]).toMatchObject({ type: 'summary', credentialsCreated: 2 });
		for (const [j, place] of [
			[moved[0], 'HEADER'],
			[moved[1], 'EXPRESSION'],
		] as const) {
			expect(j.movedToCredential.name).toBe(
				`JLab LLM (moved from Planted: gateway calls/${j.nodeName})`,
			);
			const data = await lib.readCredentialData(stack.n8n, j.movedToCredential.id);
			expect(data.apiKey).toBe(PLANTED[place]);
			expect(data.baseUrl).toBe(stack.sandbox.url);
			// HTTP Request may take the moved key only to the gateway's host.
			expect([data.allowedHttpRequestDomains, data.allowedDomains]).toEqual([
				'domains',
				'127.0.0.1',
			]);
		}
		for (const key of PLANTED_KEYS) expect(lib.leakedPieces(JSON.stringify(out), key)).toEqual([]);
	});

	it("n8n's own install API refuses a local registry without an enterprise licence (why the suites unpack into the nodes folder)", async () => {
		const res = await stack.client.request('POST', '/rest/community-packages', {
			name: lib.PACKAGE_NAME,
			version: stack.pack.version,
		});
		expect(res.status).toBeGreaterThanOrEqual(400);
		expect(res.text).toContain('feat:communityNodes:customRegistry');
		// The refused attempt leaves the package that n8n loaded from the nodes folder in place.
		expect(
			fs.existsSync(
				path.join(
					stack.n8n.userFolder,
					'.n8n',
					'nodes',
					'node_modules',
					lib.PACKAGE_NAME,
					'package.json',
				),
			),
		).toBe(true);
	});

	describe('JLab LLM Chat Model: gateway errors reach n8n classified', () => {
		// Keys of random characters only: a readable prefix such as "sk-broke" would also match harmless
		// text ("task-broker") in the leak checks, which these keys join.
		const randomKey = () => `sk-${crypto.randomBytes(16).toString('hex')}`;
		const MODEL_BLOCKED_KEY = randomKey();
		const MODEL_EXPIRED_KEY = randomKey();
		const BROKE_KEY = randomKey();
		// The sandbox credential's key now: the key-rotation example has replaced the canary.
		let credentialKey = CANARY;
		const chainExample = () =>
			examples.find((e) => e.file === 'chat-model-basic-chain.json')!.workflow;
		const cases = [
			{
				label: 'a blocked key',
				key: MODEL_BLOCKED_KEY,
				cls: 'blocked_key',
				id: 'jlabModelErrBlk1',
				model: undefined as string | undefined,
			},
			{
				label: 'an expired key',
				key: MODEL_EXPIRED_KEY,
				cls: 'expired_key',
				id: 'jlabModelErrExp1',
				model: undefined,
			},
			{
				label: 'a used-up budget',
				key: BROKE_KEY,
				cls: 'budget_exceeded',
				id: 'jlabModelErrBud1',
				model: undefined,
			},
			{
				label: 'a model the gateway does not have',
				key: 'credential',
				cls: 'unknown_model',
				id: 'jlabModelErrMod1',
				model: 'openai/no-such-model',
			},
			// The gateway takes the request and never answers; Timeout 1 s, no retries.
			{
				label: 'a gateway that does not answer in time',
				key: 'credential',
				cls: 'timeout',
				id: 'jlabModelErrTim1',
				model: undefined,
				hang: true,
			},
		] as Array<{
			label: string;
			key: string;
			cls: string;
			id: string;
			model: string | undefined;
			hang?: boolean;
		}>;
		const keyOf = (c: { key: string }) => (c.key === 'credential' ? credentialKey : c.key);

		beforeAll(async () => {
			credentialKey = (await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id)).apiKey;
			stack.sandbox.addKey({
				key: MODEL_BLOCKED_KEY,
				key_alias: 'e2e-model-blocked',
				user_id: 'e2e-user',
				blocked: true,
			});
			stack.sandbox.addKey({
				key: MODEL_EXPIRED_KEY,
				key_alias: 'e2e-model-expired',
				user_id: 'e2e-user',
				expires: '2020-01-01T00:00:00Z',
			});
			stack.sandbox.addKey({
				key: BROKE_KEY,
				key_alias: 'e2e-broke',
				user_id: 'e2e-user',
				max_budget: 1,
				spend: 2,
			});
			const credentials = cases
				.filter((c) => c.key !== 'credential')
				.map((c) => ({
					id: `${c.id}Cred`,
					name: `JLab LLM (${c.label})`,
					type: 'jlabLlmApi',
					data: { baseUrl: stack.sandbox.url, apiKey: c.key, allowHttp: false },
				}));
			const workflows = cases.map((c) => {
				const wf = JSON.parse(JSON.stringify(chainExample()));
				wf.id = c.id;
				wf.name = `JLab LLM Chat Model with ${c.label}`;
				const model = wf.nodes.find((n: any) => n.type === `${PREFIX}lmChatJlabLlm`);
				if (c.key !== 'credential')
					model.credentials = { jlabLlmApi: { id: `${c.id}Cred`, name: `JLab LLM (${c.label})` } };
				if (c.model) model.parameters.model.value = c.model;
				if (c.hang)
					model.parameters.options = { ...model.parameters.options, timeout: 1, maxRetries: 0 };
				return wf;
			});
			await lib.importData(stack.n8n, { credentials, workflows });
			for (const key of cases.map(keyOf)) if (!SECRETS.includes(key)) SECRETS.push(key);
		});

		it.each(cases.map((c) => [c.label, c.cls, c] as const))(
			'%s → %s on the model node, the chain fails, no piece of the key in the output',
			async (_label, cls, c) => {
				const before = stack.sandbox.requests.length;
				if (c.hang)
					stack.sandbox.injectFaults([{ route: '/v1/chat/completions', times: 1, kind: 'hang' }]);
				const res = await lib.executeWorkflow(stack.n8n, c.id);
				stack.sandbox.clearFaults();
				cliOutput.push(res.stdout, res.stderr);
				expect(res.run).toBeDefined();
				const model = modelNodesOf({ workflow: chainExample() })[0];
				// The model node carries the classified error…
				const calls = aiCalls(res.run, model);
				expect(calls.length).toBeGreaterThan(0);
				const failed = calls.find((x) => x.error)!;
				expect(failed.error.description).toMatch(new RegExp(`^${cls}: `));
				// …and the run failed with it.
				expect(res.run.data.resultData.error).toBeDefined();
				expect(JSON.stringify(res.run.data.resultData.error)).toContain(`${cls}: `);
				// Refusals are not retried (and the timeout case allows none): one request.
				const chats = stack.sandbox.requests
					.slice(before)
					.filter((q: any) => q.path === '/v1/chat/completions');
				expect(chats).toHaveLength(1);
				expect(chats[0].keyHash).toBe(sha256(keyOf(c)));
				expect(lib.leakedPieces(res.stdout + res.stderr, keyOf(c))).toEqual([]);
			},
		);

		it('a gateway that is unavailable twice is retried (Max Retries), and the chain gets its answer', async () => {
			const before = stack.sandbox.requests.length;
			stack.sandbox.injectFaults([
				{ route: '/v1/chat/completions', times: 2, kind: 'status', status: 503 },
			]);
			const res = await lib.executeWorkflow(stack.n8n, chainExample().id);
			stack.sandbox.clearFaults();
			cliOutput.push(res.stdout, res.stderr);
			const { items } = checkRun(
				'chat-model-basic-chain.json (after two 503s)',
				res,
				chainExample(),
				PREFIX,
			);
			expect(items('Basic LLM Chain')[0].json.text).toMatch(/^Echo from openai\/gpt-oss-120b: /);
			const chats = stack.sandbox.requests
				.slice(before)
				.filter((q: any) => q.path === '/v1/chat/completions');
			expect(chats.map((q: any) => q.status)).toEqual([503, 503, 200]);
		});
	});

	describe('JLab LLM Chat Model: streaming through a Chat Trigger set to stream', () => {
		const WEBHOOK_ID = '5f0c6a52-7a3c-4b20-9d1e-00000000e2e1';
		const streamWorkflow = {
			id: 'jlabModelStream01',
			name: 'JLab LLM Chat Model: streaming chat',
			settings: { executionOrder: 'v1' },
			nodes: [
				{
					parameters: { public: true, mode: 'webhook', options: { responseMode: 'streaming' } },
					id: 'e2e-s1',
					name: 'When chat message received',
					type: '@n8n/n8n-nodes-langchain.chatTrigger',
					typeVersion: 1.3,
					position: [0, 0],
					webhookId: WEBHOOK_ID,
				},
				{
					parameters: { options: { enableStreaming: true } },
					id: 'e2e-s2',
					name: 'AI Agent',
					type: AGENT_TYPE,
					typeVersion: 3.1,
					position: [260, 0],
				},
				{
					parameters: {
						model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' },
						options: { tags: 'e2e, streaming' },
					},
					id: 'e2e-s3',
					name: 'JLab LLM Chat Model',
					type: `${PREFIX}lmChatJlabLlm`,
					typeVersion: 1,
					position: [260, 220],
					credentials: {
						jlabLlmApi: { id: lib.SANDBOX_CREDENTIAL.id, name: lib.SANDBOX_CREDENTIAL.name },
					},
				},
			],
			connections: {
				'When chat message received': { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
				'JLab LLM Chat Model': {
					ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]],
				},
			},
		};

		let credentialKey = CANARY;

		beforeAll(async () => {
			credentialKey = (await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id)).apiKey;
			await lib.importData(stack.n8n, { workflows: [streamWorkflow] });
			const res = await stack.client.request(
				'POST',
				`/api/v1/workflows/${streamWorkflow.id}/activate`,
				undefined,
				{ auth: 'apiKey' },
			);
			expect(res.status).toBe(200);
			// The sandbox paces its SSE chunks, so that streaming (not one buffered answer) shows in the timing.
			stack.sandbox.setConfig({ chunkDelayMs: 40 });
		});

		afterAll(() => {
			stack.sandbox.setConfig({ chunkDelayMs: 0 });
		});

		it("the agent streams the gateway's SSE answer to the chat client chunk by chunk", async () => {
			const chatInput = 'Tell me about the CEBAF accelerator in a few words please';
			const before = stack.sandbox.requests.length;
			const send = () =>
				fetch(`${stack.n8n.url}/webhook/${WEBHOOK_ID}/chat`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ action: 'sendMessage', sessionId: 'streamchat01', chatInput }),
				});
			// Activation registers the webhook shortly after the API call returns.
			let res = await send();
			for (let i = 0; i < 40 && res.status === 404; i++) {
				await res.arrayBuffer();
				await lib.sleep(500);
				res = await send();
			}
			expect(res.status).toBe(200);
			const events: Array<{ type: string; content?: string; at: number }> = [];
			const reader = res.body!.getReader();
			const decoder = new TextDecoder();
			let buffer = '';
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				buffer += decoder.decode(value, { stream: true });
				let nl: number;
				while ((nl = buffer.indexOf('\n')) >= 0) {
					const line = buffer.slice(0, nl).trim();
					buffer = buffer.slice(nl + 1);
					if (line) events.push({ ...JSON.parse(line), at: Date.now() });
				}
			}
			const items = events.filter((e) => e.type === 'item');
			expect(events[0].type).toBe('begin');
			expect(events.at(-1)!.type).toBe('end');
			expect(items.length).toBeGreaterThan(2);
			expect(items.map((e) => e.content).join('')).toBe(
				`Echo from openai/gpt-oss-120b: ${chatInput}`,
			);
			// The chunks arrived over time, as the gateway sent them.
			expect(items.at(-1)!.at - items[0].at).toBeGreaterThanOrEqual(80);
			// The gateway saw one streamed chat completion with usage, the credential's key and the attribution.
			const chats = stack.sandbox.requests
				.slice(before)
				.filter((q: any) => q.path === '/v1/chat/completions');
			expect(chats).toHaveLength(1);
			expect(chats[0].keyHash).toBe(sha256(credentialKey));
			expect(chats[0].body).toMatchObject({
				stream: true,
				stream_options: { include_usage: true },
			});
			expectAttribution(chats[0].body, streamWorkflow.id, 'JLab LLM Chat Model', [
				'e2e',
				'streaming',
			]);
		});
	});

	describe('the key never reaches what n8n stores or logs', () => {
		it('stored execution data (public API, includeData) holds no piece of the key', async () => {
			const all: unknown[] = [];
			let cursor: string | undefined;
			do {
				const res = await stack.client.request(
					'GET',
					`/api/v1/executions?includeData=true&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
					undefined,
					{ auth: 'apiKey' },
				);
				expect(res.status).toBe(200);
				all.push(...res.body.data);
				cursor = res.body.nextCursor ?? undefined;
			} while (cursor);
			// Not vacuous: every example's execution is there, with its data.
			expect(all.length).toBeGreaterThanOrEqual(Object.keys(runs).length);
			expect(Object.keys(runs).length).toBe(examples.length);
			const text = JSON.stringify(all);
			expect(text).toContain('runData');
			for (const key of [...SECRETS, ...PLANTED_KEYS])
				expect(lib.leakedPieces(text, key)).toEqual([]);
			// And the sandbox did see that key, so the executions really used the credential.
			expect(stack.sandbox.requests.some((q: any) => q.keyHash === sha256(CANARY))).toBe(true);
		});

		it('the CLI output of every execution holds no piece of the key', () => {
			expect(cliOutput.length).toBeGreaterThan(0);
			for (const key of [...SECRETS, ...PLANTED_KEYS])
				expect(lib.leakedPieces(cliOutput.join('\n'), key)).toEqual([]);
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
				for (const key of SECRETS)
					expect({ file: f, leaked: lib.leakedPieces(bytes, key) }).toEqual({
						file: f,
						leaked: [],
					});
			}
			// The scan reads real content: the credential's name and the executions' data are in there.
			expect(all).toContain(lib.SANDBOX_CREDENTIAL.name);
			expect(all).toContain('runData');
			const log = fs.readFileSync(stack.n8n.logFile, 'utf8');
			expect(log.length).toBeGreaterThan(1000);
			for (const key of [...SECRETS, ...PLANTED_KEYS])
				expect(lib.leakedPieces(log, key)).toEqual([]);
		});
	});
});
