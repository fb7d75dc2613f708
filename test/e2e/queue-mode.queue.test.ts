/**
 * The package in n8n's queue mode: Redis (Debian's redis-server) and PostgreSQL (Debian's
 * postgresql 15) on 127.0.0.1, one n8n 2.41.1 main and two workers (`n8n worker --concurrency=1`),
 * the package installed from the packed tarball into every process. Executions are enqueued by the
 * main (production webhooks of activated copies of the examples) and run on the workers; the suite
 * records which worker ran each one, checks rotation across workers, and runs an RPM-limited chat
 * batch on both workers at once.
 *
 *   npm run test:queue   (= jest --selectProjects queue --runInBand)
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';

import type { Item } from './lib/checkRun';

const lib = require('../../scripts/n8n/lib');
const queue = require('../../scripts/n8n/queue');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CANARY = lib.canaryKey('queue');
// A canary too (its readable prefix ends in an upper-case letter): it is searched for like the credential's key.
const RPM_KEY = lib.canaryKey('rpm');
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const fp = (key: string) => ({ display: `sk-…${key.slice(-4)}`, hash: sha256(key).slice(0, 12) });

// The key both batches share: 12 requests per 3-second window (the sandbox's window, shortened so the
// suite stays short; LiteLLM's is a minute), 24 items per batch, one batch per worker at once.
const RPM_LIMIT = 12;
const WINDOW_MS = 3000;
const BATCH_ITEMS = 24;
const RPM_CREDENTIAL = {
	id: 'jlabLlmRpmLim01',
	name: 'JLab LLM (rpm-limited)',
	type: 'jlabLlmApi',
};

const examples: Array<{ file: string; workflow: any }> = lib.loadExamples();
const hooks = examples.map((e, i) => ({
	file: e.file,
	original: e.workflow,
	workflow: queue.asWebhookWorkflow(e.workflow, {
		id: `jlabQueueEx${i}`,
		name: `${e.workflow.name} (queue)`,
		path: `jlab-queue-ex-${i}`,
	}),
	path: `jlab-queue-ex-${i}`,
}));
const byFile = (file: string) => hooks.find((h) => h.file === file)!;

const BATCH = {
	id: 'jlabQueueBatch1',
	name: 'JLab LLM: RPM-limited batch (queue)',
	nodes: [
		{
			id: 'qb-1',
			name: 'Batch',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'jlab-queue-batch-hook',
			parameters: {
				httpMethod: 'POST',
				path: 'jlab-queue-batch',
				responseMode: 'onReceived',
				options: {},
			},
		},
		{
			id: 'qb-2',
			name: 'Rows',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
			parameters: {
				jsCode: `const tag = $input.first().json.body?.tag ?? 'x';\nreturn Array.from({ length: ${BATCH_ITEMS} }, (_, n) => ({ json: { n, tag } }));`,
			},
		},
		{
			id: 'qb-3',
			name: 'Chat',
			type: `${PREFIX}jlabLlmChat`,
			typeVersion: 1,
			position: [440, 0],
			parameters: {
				model: { __rl: true, mode: 'id', value: 'openai/gpt-oss-20b' },
				inputMode: 'prompt',
				prompt: '=Batch {{ $json.tag }}, row {{ $json.n }}: one word, please.',
				options: { maxTokens: 16 },
			},
			credentials: { jlabLlmApi: { id: RPM_CREDENTIAL.id, name: RPM_CREDENTIAL.name } },
		},
	],
	connections: {
		Batch: { main: [[{ node: 'Rows', type: 'main', index: 0 }]] },
		Rows: { main: [[{ node: 'Chat', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

interface Execution {
	id: string;
	status: string;
	startedAt: string;
	stoppedAt: string;
	data: any;
	workflowId: string;
}

describe(`n8n ${lib.CURRENT.n8n} in queue mode (Redis, PostgreSQL, a main and two workers)`, () => {
	let stack: any;
	const seen = new Set<string>();
	/** Who ran what: the closing table. */
	const ledger: Array<{
		what: string;
		execution: string;
		jobId: string;
		worker: string;
		workerId: string;
		status: string;
		key?: string;
	}> = [];
	const secrets: string[] = [CANARY, RPM_KEY];
	let batchReport: unknown;

	const api = (method: string, route: string, body?: unknown) =>
		stack.client.request(method, route, body, { auth: 'apiKey' });

	async function trigger(hookPath: string, body: Record<string, unknown> = {}) {
		const res = await fetch(`${stack.main.url}/webhook/${hookPath}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await res.text();
		if (res.status !== 200)
			throw new Error(`POST /webhook/${hookPath} → HTTP ${res.status}: ${text.slice(0, 300)}`);
	}

	/** Waits for `n` new finished executions of a workflow; returns them with their data. */
	async function finished(workflowId: string, n: number, timeoutMs = 120000): Promise<Execution[]> {
		const t0 = Date.now();
		for (;;) {
			const res = await api('GET', `/api/v1/executions?workflowId=${workflowId}&limit=100`);
			expect(res.status).toBe(200);
			const fresh = (res.body.data as Array<{ id: string | number; status: string }>).filter(
				(e) => !seen.has(String(e.id)),
			);
			const done = fresh.filter((e) => !['new', 'running', 'waiting'].includes(e.status));
			if (done.length >= n) {
				const out: Execution[] = [];
				for (const e of done.slice(0, n).sort((a, b) => Number(a.id) - Number(b.id))) {
					seen.add(String(e.id));
					const full = await api('GET', `/api/v1/executions/${e.id}?includeData=true`);
					expect(full.status).toBe(200);
					out.push({ ...full.body, id: String(full.body.id) });
				}
				return out;
			}
			if (Date.now() - t0 > timeoutMs)
				throw new Error(
					`${n} execution(s) of ${workflowId} did not finish within ${timeoutMs / 1000}s (fresh: ${JSON.stringify(fresh)})`,
				);
			await lib.sleep(300);
		}
	}

	/** The worker process whose log says it started the execution, and the host id the main logged for it. */
	async function ranOn(executionId: string) {
		const t0 = Date.now();
		for (;;) {
			const procs = stack.workers.filter((w: any) => w.executions().includes(executionId));
			const main = queue.workerIdsFromMainLog(stack.main.output)[executionId];
			if (procs.length === 1 && main?.workerId) {
				// Two sources agree: the worker process that logged the start, and the id the main got with the job.
				// (Without a UTS namespace to give each worker its hostname, n8n's id is worker-<container
				// hostname> in a container and worker-<random> elsewhere; then only the prefix is checked.)
				if (stack.ownHostnames) expect(main.workerId).toBe(`worker-${procs[0].hostname}`);
				else expect(main.workerId).toMatch(/^worker-/);
				return {
					worker: procs[0].name as string,
					workerId: main.workerId as string,
					jobId: main.jobId as string,
				};
			}
			if (procs.length > 1)
				throw new Error(`execution ${executionId} was started by ${procs.length} workers`);
			if (Date.now() - t0 > 10000)
				throw new Error(
					`no worker/main log line names execution ${executionId} (workers: ${procs.length}, main: ${JSON.stringify(main)})`,
				);
			await lib.sleep(200);
		}
	}

	/**
	 * The single-process suite's generic checks (test/e2e/lib/checkRun.ts) on an execution read back
	 * from the public API, widened to sub-nodes: a JLab LLM Chat Model puts its output on
	 * ai_languageModel, not main. No workflow or node error; the package's nodes ran and put out
	 * something; main items carry pairedItem.
	 */
	function checkExecution(
		file: string,
		e: Execution,
		workflow: { nodes: Array<{ name: string; type: string }> },
	) {
		expect({ file, status: e.status }).toEqual({ file, status: 'success' });
		const resultData = e.data.resultData;
		expect(resultData.error).toBeUndefined();
		const runData: Record<
			string,
			Array<{ error?: { message?: string }; data?: Record<string, Array<Item[] | null>> }>
		> = resultData.runData;
		for (const [name, tasks] of Object.entries(runData)) {
			for (const task of tasks)
				expect({ node: name, error: task.error?.message }).toEqual({
					node: name,
					error: undefined,
				});
		}
		const items = (nodeName: string): Item[] =>
			(runData[nodeName] ?? []).flatMap((t) => (t.data?.main ?? []).flatMap((out) => out ?? []));
		const anyOutput = (nodeName: string): Item[] =>
			(runData[nodeName] ?? []).flatMap((t) =>
				Object.values(t.data ?? {}).flatMap((conn) => conn.flatMap((out) => out ?? [])),
			);
		const ran = workflow.nodes
			.filter((n) => n.type.startsWith(PREFIX) && runData[n.name])
			.map((n) => n.name);
		expect({ file, packageNodesRan: ran.length > 0 }).toEqual({ file, packageNodesRan: true });
		for (const name of ran) {
			expect({ node: name, output: anyOutput(name).length > 0 }).toEqual({
				node: name,
				output: true,
			});
			for (const item of items(name)) expect(item.pairedItem).toBeDefined();
		}
		return { items };
	}

	beforeAll(async () => {
		stack = await queue.startQueueStack({
			workers: 2,
			workerConcurrency: 1,
			sandbox: {
				rateLimitWindowMs: WINDOW_MS,
				// Answers take a while, as a model's do, so requests of a run overlap.
				latencyMs: 100,
				users: [{ user_id: 'queue-user', user_role: 'internal_user' }],
				keys: [
					{
						key: CANARY,
						key_alias: 'queue-canary',
						user_id: 'queue-user',
						max_budget: 25,
						spend: 5,
					},
					{ key: RPM_KEY, key_alias: 'queue-rpm', user_id: 'queue-user', rpm_limit: RPM_LIMIT },
				],
			},
			credentials: (s: any) => [
				{
					...lib.SANDBOX_CREDENTIAL,
					data: { baseUrl: s.sandbox.url, apiKey: CANARY, allowHttp: false },
				},
				{ ...RPM_CREDENTIAL, data: { baseUrl: s.sandbox.url, apiKey: RPM_KEY, allowHttp: false } },
			],
			workflows: [...hooks.map((h) => h.workflow), BATCH],
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
	});

	afterAll(async () => {
		if (ledger.length > 0) {
			const lines = ledger.map(
				(r) =>
					`  ${r.what.padEnd(44)} execution ${r.execution.padStart(3)}  job ${String(r.jobId).padStart(3)}  ${r.worker}  ${r.workerId}  ${r.status}${r.key ? `  key ${r.key}` : ''}`,
			);
			process.stdout.write(`\nExecutions and the workers that ran them:\n${lines.join('\n')}\n`);
			fs.mkdirSync(path.join(lib.ROOT, '.tmp'), { recursive: true });
			fs.writeFileSync(
				path.join(lib.ROOT, '.tmp', 'queue-executions.json'),
				JSON.stringify({ executions: ledger, batch: batchReport }, null, 2),
			);
		}
		if (stack) await stack.stop();
	});

	it('runs a main and two workers in queue mode on Redis and PostgreSQL, the package loaded', async () => {
		expect(stack.workers).toHaveLength(2);
		for (const w of stack.workers) {
			expect(w.proc.exited).toBeNull();
			expect(w.proc.output).toMatch(/n8n worker is now ready/);
		}
		// The main says which mode and database it runs on (its log is JSON lines).
		const settings = await stack.client.request('GET', '/rest/settings');
		expect(settings.status).toBe(200);
		expect(settings.body.data.executionMode).toBe('queue');
		const loaded: string[] = await stack.client.nodeTypeNames();
		for (const t of ['jlabLlmChat', 'jlabLlmUsage', 'jlabLlmKey'])
			expect(loaded).toContain(`${PREFIX}${t}`);
	});

	it('activates the webhook copies of the examples and the batch workflow', async () => {
		for (const wf of [...hooks.map((h) => h.workflow), BATCH]) {
			const res = await api('POST', `/api/v1/workflows/${wf.id}/activate`);
			expect({
				id: wf.id,
				status: res.status,
				text: res.status === 200 ? '' : res.text.slice(0, 300),
			}).toEqual({ id: wf.id, status: 200, text: '' });
		}
	});

	describe('the examples run on the workers', () => {
		const nonRotating = hooks.filter((h) => !lib.rotatesKey(h.original));

		it.each(nonRotating.map((h) => [h.file, h] as const))(
			'%s (enqueued by the main, run by a worker)',
			async (file, h) => {
				const before = stack.sandbox.requests.length;
				await trigger(h.path);
				const [e] = await finished(h.workflow.id, 1);
				const who = await ranOn(e.id);
				// Whatever reached the gateway carried the credential's key (an audit of workflows asks only n8n).
				const requests = stack.sandbox.requests.slice(before);
				const hashes = [...new Set(requests.map((q: any) => String(q.keyHash).slice(0, 12)))];
				ledger.push({
					what: file,
					execution: e.id,
					...who,
					status: e.status,
					key: hashes.join(', ') || '(no gateway request)',
				});
				expect(e.status).toBe('success');
				const { items } = checkExecution(file, e, h.workflow);
				expect(requests.every((q: any) => q.keyHash === sha256(CANARY))).toBe(true);
				if (file === 'chat-batch-summaries.json') {
					const replies: Item[] = h.workflow.nodes
						.filter((n: any) => n.type === `${PREFIX}jlabLlmChat`)
						.flatMap((n: any) => items(n.name));
					expect(replies.length).toBeGreaterThan(1);
					expect(
						requests.filter((q: any) => q.path.endsWith('/chat/completions') && q.status === 200)
							.length,
					).toBeGreaterThanOrEqual(replies.length);
					for (const r of replies) {
						expect(String(r.json.reply).length).toBeGreaterThan(0);
						expect(r.json.usage?.totalTokens).toBeGreaterThan(0);
					}
				}
				if (file === 'usage-daily-budget-check.json') {
					const checks = h.workflow.nodes
						.filter((n: any) => n.type === `${PREFIX}jlabLlmUsage`)
						.flatMap((n: any) => items(n.name));
					expect(checks.length).toBeGreaterThan(0);
					for (const c of checks) {
						expect(c.json.fingerprint).toEqual(fp(CANARY));
						expect(c.json.maxBudgetUsd).toBe(25);
						expect(c.json.overThreshold).toBe(false);
					}
					expect(requests.some((q: any) => q.path.endsWith('/key/info'))).toBe(true);
				}
			},
		);
	});

	it(`an RPM-limited chat batch on each worker at once: ${BATCH_ITEMS} items each, ${RPM_LIMIT} requests per ${WINDOW_MS / 1000} s window shared, no failed item`, async () => {
		const before = stack.sandbox.requests.length;
		await Promise.all([
			trigger('jlab-queue-batch', { tag: 'A' }),
			trigger('jlab-queue-batch', { tag: 'B' }),
		]);
		const runs = await finished(BATCH.id, 2, 180000);
		const workers = new Set<string>();
		for (const e of runs) {
			const who = await ranOn(e.id);
			workers.add(who.worker);
			ledger.push({
				what: 'RPM-limited chat batch',
				execution: e.id,
				...who,
				status: e.status,
				key: fp(RPM_KEY).hash,
			});
			expect(e.status).toBe('success');
			const { items } = checkExecution('batch', e, BATCH);
			const replies = items('Chat');
			expect(replies).toHaveLength(BATCH_ITEMS);
			for (const r of replies) {
				expect(r.json.error).toBeUndefined();
				expect(String(r.json.reply).length).toBeGreaterThan(0);
			}
		}
		// One batch per worker (each takes one job at a time), and the two ran at the same time.
		expect(workers.size).toBe(2);
		const [a, b] = runs.map((e) => [Date.parse(e.startedAt), Date.parse(e.stoppedAt)]);
		expect(a[0] < b[1] && b[0] < a[1]).toBe(true);
		const chats = stack.sandbox.requests
			.slice(before)
			.filter((q: any) => q.path.endsWith('/chat/completions'));
		const ok = chats.filter((q: any) => q.status === 200);
		const limited = chats.filter((q: any) => q.status === 429);
		expect(ok).toHaveLength(2 * BATCH_ITEMS);
		// Not vacuous: the shared limit did bite, and the nodes waited it out instead of failing.
		expect(limited.length).toBeGreaterThan(0);
		expect(chats.every((q: any) => q.keyHash === sha256(RPM_KEY))).toBe(true);
		// Per worker (batch): all answered, the 429s it met, and how many of its requests were in flight at once.
		const perBatch = ['A', 'B'].map((tag) => {
			const mine = chats.filter((q: any) => JSON.stringify(q.body).includes(`Batch ${tag},`));
			const spans = mine.map((q: any) => [q.time, q.time + q.durationMs] as const);
			const inFlight = Math.max(
				...spans.map(
					([t]: readonly [number, number]) =>
						spans.filter(([s0, s1]: readonly [number, number]) => s0 <= t && t < s1).length,
				),
			);
			return {
				tag,
				ok: mine.filter((q: any) => q.status === 200).length,
				limited: mine.filter((q: any) => q.status === 429).length,
				inFlight,
			};
		});
		for (const b of perBatch) {
			expect(b.ok).toBe(BATCH_ITEMS);
			// Paced, not a retry storm: the 429s stay in the order of the items (a retry loop without the
			// gateway's retry-after would make hundreds in these ~10 s). The split between the two batches
			// is not fair (whoever asks first gets the window): one may meet most of them.
			expect(b.limited).toBeLessThanOrEqual(4 * BATCH_ITEMS);
			expect(b.inFlight).toBeGreaterThanOrEqual(1);
			// At most the node's starting concurrency (16, README, JLab LLM Chat → Concurrency) before the first answer,
			// then what the gateway says remains in the window (≤ the key's limit).
			expect(b.inFlight).toBeLessThanOrEqual(Math.max(16, RPM_LIMIT));
		}
		const spans = ok.concat(limited).map((q: any) => [q.time, q.time + q.durationMs]);
		const bothInFlight = Math.max(
			...spans.map(
				([t]: number[]) => spans.filter(([s0, s1]: number[]) => s0 <= t && t < s1).length,
			),
		);
		batchReport = {
			perBatch,
			bothInFlight,
			ok: ok.length,
			limited: limited.length,
			runs: runs.map((e) => ({ id: e.id, startedAt: e.startedAt, stoppedAt: e.stoppedAt })),
		};
		process.stdout.write(`  batch: ${JSON.stringify(batchReport)}\n`);
	});

	describe('key rotation on one worker, the next execution on the other worker', () => {
		let rotatedBy: string;
		let newKey: string;

		it('key-rotate-every-30-days.json rotates on a worker and writes the new key through the main', async () => {
			const h = hooks.find((x) => lib.rotatesKey(x.original))!;
			expect(h).toBeDefined();
			await trigger(h.path);
			const [e] = await finished(h.workflow.id, 1);
			const who = await ranOn(e.id);
			rotatedBy = who.worker;
			expect(e.status).toBe('success');
			const { items } = checkExecution(h.file, e, h.workflow);
			const reports = h.workflow.nodes
				.filter((n: any) => n.type === `${PREFIX}jlabLlmKey`)
				.flatMap((n: any) => items(n.name));
			expect(reports).toHaveLength(1);
			const report = reports[0].json;
			expect(report.state).toBe('completed');
			expect(report.oldKey).toEqual(fp(CANARY));
			const stored = await lib.readCredentialData(stack.main, lib.SANDBOX_CREDENTIAL.id);
			newKey = stored.apiKey;
			secrets.push(newKey);
			expect(fp(newKey)).toEqual(report.newKey);
			expect(report.newKey.hash).not.toBe(report.oldKey.hash);
			ledger.push({
				what: `${h.file} (rotation)`,
				execution: e.id,
				...who,
				status: e.status,
				key: `${report.oldKey.hash} → ${report.newKey.hash}`,
			});
		});

		it('two executions right after it (one per worker): both carry the new key, the other worker included', async () => {
			expect(newKey).toBeDefined();
			const usage = byFile('usage-daily-budget-check.json');
			const before = stack.sandbox.requests.length;
			await Promise.all([trigger(usage.path), trigger(usage.path)]);
			const runs = await finished(usage.workflow.id, 2);
			const workers: string[] = [];
			for (const e of runs) {
				const who = await ranOn(e.id);
				workers.push(who.worker);
				expect(e.status).toBe('success');
				const { items } = checkExecution(usage.file, e, usage.workflow);
				const checks = items('Check budget');
				expect(checks.length).toBeGreaterThan(0);
				// What the node itself reports: the key it used is the new one.
				for (const c of checks) expect(c.json.fingerprint).toEqual(fp(newKey));
				ledger.push({
					what: `${usage.file} after rotation`,
					execution: e.id,
					...who,
					status: e.status,
					key: c0(checks).fingerprint.hash,
				});
			}
			expect(new Set(workers).size).toBe(2);
			expect(workers).toContain(stack.workers.find((w: any) => w.name !== rotatedBy).name);
			// What the gateway saw: every request after the rotation carried the new key's hash.
			const requests = stack.sandbox.requests.slice(before);
			expect(requests.length).toBeGreaterThanOrEqual(2);
			expect(requests.map((q: any) => q.keyHash)).toEqual(requests.map(() => sha256(newKey)));
		});
	});

	it('no piece of any key is in the stored executions, the shared PostgreSQL database or the logs of the main and the workers', async () => {
		const all: unknown[] = [];
		let cursor: string | undefined;
		do {
			const res = await api(
				'GET',
				`/api/v1/executions?includeData=true&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
			);
			expect(res.status).toBe(200);
			all.push(...res.body.data);
			cursor = res.body.nextCursor ?? undefined;
		} while (cursor);
		expect(all.length).toBeGreaterThanOrEqual(ledger.length);
		const text = JSON.stringify(all);
		expect(text).toContain('runData');
		const logs = [stack.main.output, ...stack.workers.map((w: any) => w.proc.output)].join('\n');
		expect(logs).toMatch(/Worker started execution/);
		// The shared database, dumped whole: credentials (encrypted), executions, workflows.
		const db = stack.pg.dump();
		expect(db).toContain(lib.SANDBOX_CREDENTIAL.name);
		expect(db).toContain('runData');
		for (const key of secrets) {
			expect({ where: 'executions (public API)', leaked: lib.leakedPieces(text, key) }).toEqual({
				where: 'executions (public API)',
				leaked: [],
			});
			expect({ where: 'main and worker logs', leaked: lib.leakedPieces(logs, key) }).toEqual({
				where: 'main and worker logs',
				leaked: [],
			});
			expect({ where: 'PostgreSQL dump', leaked: lib.leakedPieces(db, key) }).toEqual({
				where: 'PostgreSQL dump',
				leaked: [],
			});
		}
	});
});

function c0(items: Item[]) {
	return items[0].json;
}
