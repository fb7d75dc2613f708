#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:embeddings` — the JLab LLM Embeddings sub-node against n8n's own "Embeddings OpenAI"
 * sub-node pointed at the sandbox (its Base URL option), in a real n8n 2.41.1 (the pinned install of
 * scripts/n8n). Not a test: it measures and prints one table.
 *
 * Both workflows: Manual Trigger → "Texts" (a Code node making N short lab texts) → Simple Vector
 * Store, insert (cleared first), with n8n's Default Data Loader and the embeddings sub-node:
 *   (a) JLab LLM Embeddings, defaults (Batch Size 256, Concurrency 8);
 *   (b) Embeddings OpenAI 1.2, defaults (Batch Size 512), credential `openAiApi` and Base URL option
 *       pointing at the sandbox's …/api/v1.
 * Workloads: 1) 1,000 texts at 200 ms gateway latency; 2) 1,000 texts at 0 ms; 3) 1,000 texts with a
 * key limited to 60 requests per minute (the sandbox's real 60 s window, 200 ms latency).
 * Each execution runs inside the n8n server (POST /rest/workflows/:id/run, as the editor's button
 * does) and is timed by its own stored startedAt/stoppedAt; failed texts are texts without a vector:
 * N minus the documents the vector store put out. The embeddings requests are timed from the
 * sandbox's request log, which tells how much of a run the embeddings take and how much the rest.
 * n8n's insert hands the texts to the embeddings sub-node in calls of its "Embedding Batch Size" (200 by
 * default), one call after another: --store-batch 1000 gives the sub-node all texts in one call.
 *
 *   node bench/embeddings.js             3 runs of every workload
 *   node bench/embeddings.js --quick     1 run, 200 texts (smoke check)
 *   options: --runs <n>  --workloads 1,3  --store-batch <n>   JLAB_LLM_TARBALL=<tgz> uses a packed tarball
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const lib = require('../scripts/n8n/lib');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
	const i = argv.indexOf(name);
	return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const RUNS = Number(option('--runs') ?? (QUICK ? 1 : 3));
const ONLY = option('--workloads')?.split(',').map(Number);
const TEXTS = QUICK ? 200 : 1000;
// The Simple Vector Store's own "Embedding Batch Size" (n8n's default 200): how many texts it hands the
// embeddings sub-node per call; the calls come one after another.
const STORE_BATCH = option('--store-batch') ? Number(option('--store-batch')) : undefined;
const MODEL = 'nomic-ai/nomic-embed-text-v1.5';
const KEY = 'sk-bench-embed-unlimited-0123456789abcdef';
const RPM_KEY = 'sk-bench-embed-rpm-limited-0123456789abcd';

const WORKLOADS = [
	{ id: 1, title: `${TEXTS} texts, 200 ms latency`, latencyMs: 200 },
	{ id: 2, title: `${TEXTS} texts, 0 ms latency`, latencyMs: 0 },
	{
		id: 3,
		title: `${TEXTS} texts, key limited to 60 requests per minute`,
		latencyMs: 200,
		rateLimited: true,
	},
].filter((w) => !ONLY || ONLY.includes(w.id));
const VARIANTS = {
	a: '(a) JLab LLM Embeddings, defaults',
	b: '(b) Embeddings OpenAI 1.2 → sandbox',
};

const CRED = {
	jlab: { id: 'benchEmbJlab0001', name: 'Bench: JLab LLM', type: 'jlabLlmApi' },
	jlabRpm: { id: 'benchEmbJlabRpm1', name: 'Bench: JLab LLM (60 RPM key)', type: 'jlabLlmApi' },
	openai: { id: 'benchEmbOpenAi01', name: 'Bench: OpenAI → sandbox', type: 'openAiApi' },
	openaiRpm: {
		id: 'benchEmbOpenAiR1',
		name: 'Bench: OpenAI → sandbox (60 RPM key)',
		type: 'openAiApi',
	},
};
const ref = (c) => ({ id: c.id, name: c.name });

function credentials(gatewayUrl) {
	const jlab = (key) => ({ baseUrl: gatewayUrl, apiKey: key, allowHttp: false });
	const openai = (key) => ({
		apiKey: key,
		organizationId: '',
		url: `${gatewayUrl}/v1`,
		header: false,
	});
	return [
		{ ...CRED.jlab, data: jlab(KEY) },
		{ ...CRED.jlabRpm, data: jlab(RPM_KEY) },
		{ ...CRED.openai, data: openai(KEY) },
		{ ...CRED.openaiRpm, data: openai(RPM_KEY) },
	];
}

function embeddingsNode(variant, limited, gatewayUrl) {
	const base = { id: 'embeddings', name: 'Embeddings', position: [440, 220] };
	if (variant === 'a') {
		return {
			...base,
			type: `${lib.PACKAGE_NAME}.embeddingsJlabLlm`,
			typeVersion: 1,
			parameters: { model: { __rl: true, mode: 'id', value: MODEL }, options: {} },
			credentials: { jlabLlmApi: ref(limited ? CRED.jlabRpm : CRED.jlab) },
		};
	}
	return {
		...base,
		type: '@n8n/n8n-nodes-langchain.embeddingsOpenAi',
		typeVersion: 1.2,
		parameters: { model: MODEL, options: { baseURL: `${gatewayUrl}/v1` } },
		credentials: { openAiApi: ref(limited ? CRED.openaiRpm : CRED.openai) },
	};
}

function workflow(w, variant, gatewayUrl) {
	const texts = `const topics = ['cryogenics', 'beam', 'detector', 'computing', 'safety', 'magnet', 'target', 'vacuum'];
return Array.from({ length: ${TEXTS} }, (_, i) => ({ json: { text: 'Document ' + i + ' about the ' + topics[i % 8] + ' system of hall ' + 'ABCD'[i % 4] + ', shift ' + (i % 3) + ', run ' + i } }));`;
	return {
		id: `benchEmb${w.id}${variant}`.padEnd(16, '0'),
		name: `Bench embeddings ${w.id}${variant}: ${w.title} — ${VARIANTS[variant]}`,
		nodes: [
			{
				id: 'trigger',
				name: 'Manual Trigger',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'texts',
				name: 'Texts',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: { jsCode: texts },
			},
			{
				id: 'store',
				name: 'Store',
				type: '@n8n/n8n-nodes-langchain.vectorStoreInMemory',
				typeVersion: 1.3,
				position: [440, 0],
				parameters: {
					mode: 'insert',
					memoryKey: { __rl: true, mode: 'id', value: `bench_${w.id}${variant}` },
					clearStore: true,
					...(STORE_BATCH && { embeddingBatchSize: STORE_BATCH }),
				},
			},
			{
				id: 'loader',
				name: 'Loader',
				type: '@n8n/n8n-nodes-langchain.documentDefaultDataLoader',
				typeVersion: 1.1,
				position: [600, 220],
				parameters: { jsonMode: 'expressionData', jsonData: '={{ $json.text }}', options: {} },
			},
			embeddingsNode(variant, Boolean(w.rateLimited), gatewayUrl),
		],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Texts', type: 'main', index: 0 }]] },
			Texts: { main: [[{ node: 'Store', type: 'main', index: 0 }]] },
			Loader: { ai_document: [[{ node: 'Store', type: 'ai_document', index: 0 }]] },
			Embeddings: { ai_embedding: [[{ node: 'Store', type: 'ai_embedding', index: 0 }]] },
		},
		settings: {
			executionOrder: 'v1',
			saveManualExecutions: true,
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
		},
	};
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
	const s = [...xs].sort((x, y) => x - y);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Wall time during which at least one embeddings request was in flight (from the sandbox's log). */
function embeddingSeconds(requests) {
	const spans = requests
		.map((q) => [q.time, q.time + (q.durationMs ?? 0)])
		.sort((x, y) => x[0] - y[0]);
	let total = 0;
	let [start, end] = spans[0] ?? [0, 0];
	for (const [s, e] of spans.slice(1)) {
		if (s > end) {
			total += end - start;
			[start, end] = [s, e];
		} else end = Math.max(end, e);
	}
	return (total + end - start) / 1000;
}

async function runOnce(ctx, w, variant, round) {
	const { client, sandbox } = ctx;
	sandbox.clearRequests();
	for (const hash of Object.keys(sandbox.store.rateLimits)) delete sandbox.store.rateLimits[hash];
	const started = await client.request(
		'POST',
		`/rest/workflows/${workflow(w, variant, '').id}/run`,
		{ triggerToStartFrom: { name: 'Manual Trigger' } },
	);
	const executionId = started.body?.data?.executionId;
	if (started.status !== 200 || !executionId)
		throw new Error(
			`starting ${w.id}${variant} failed: HTTP ${started.status} ${started.text.slice(0, 300)}`,
		);
	let execution;
	for (const deadline = Date.now() + 15 * 60_000; ; ) {
		const res = await client
			.request('GET', `/api/v1/executions/${executionId}`, undefined, { auth: 'apiKey' })
			.catch(() => undefined);
		execution = res?.body;
		if (
			res?.status === 200 &&
			execution?.stoppedAt &&
			execution.status !== 'running' &&
			execution.status !== 'new'
		)
			break;
		if (Date.now() > deadline)
			throw new Error(`execution ${executionId} did not finish in 15 minutes`);
		await sleep(200);
	}
	const full = await client.request(
		'GET',
		`/api/v1/executions/${executionId}?includeData=true`,
		undefined,
		{ auth: 'apiKey', expect: 200 },
	);
	const runData = full.body.data?.resultData?.runData ?? {};
	const stored = (runData.Store?.[0]?.data?.main?.[0] ?? []).length;
	const embeds = sandbox.requests.filter((q) => q.path === '/v1/embeddings');
	const result = {
		workload: w.id,
		variant,
		round,
		status: execution.status,
		seconds: (Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt)) / 1000,
		failed: TEXTS - stored,
		error: full.body.data?.resultData?.error?.message,
		requests: embeds.length,
		refusals: embeds.filter((q) => q.status === 429).length,
		embeddingSeconds: embeddingSeconds(embeds),
	};
	await client.request('DELETE', `/api/v1/executions/${executionId}`, undefined, {
		auth: 'apiKey',
	});
	return result;
}

async function main() {
	const log = (line) => process.stderr.write(`${line}\n`);
	const t0 = Date.now();
	const loadAtStart = os.loadavg()[0];
	const sandboxPort = await lib.freePort();
	const gatewayUrl = `http://127.0.0.1:${sandboxPort}/api`;
	const warmUp = { id: 0, title: 'warm-up', latencyMs: 0 };
	const workflows = [
		...[warmUp, ...WORKLOADS].flatMap((w) =>
			Object.keys(VARIANTS).map((v) => workflow(w, v, gatewayUrl)),
		),
	];
	const emptyExamples = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-bench-emb-examples-'));
	log(
		`JLab LLM Embeddings benchmark${QUICK ? ' (quick)' : ''}: starting the sandbox and n8n ${lib.CURRENT.n8n}…`,
	);
	const stack = await lib.startStack({
		sandboxPort,
		examplesDir: emptyExamples,
		workflows,
		logLevel: 'warn',
		log,
		sandbox: {
			latencyMs: 0,
			rateLimitWindowMs: 60_000,
			maxLogEntries: 50_000,
			keys: [
				{ key: KEY, key_alias: 'bench-embed-unlimited', user_id: 'bench' },
				{ key: RPM_KEY, key_alias: 'bench-embed-rpm-limited', user_id: 'bench', rpm_limit: 60 },
			],
		},
	});
	const ctx = { stack, sandbox: stack.sandbox, client: stack.client };
	const results = [];
	try {
		await lib.importData(stack.n8n, { credentials: credentials(gatewayUrl) });
		for (const v of Object.keys(VARIANTS))
			await runOnce(ctx, warmUp, v, 0).catch((e) => log(`  warm-up ${v}: ${e.message}`));
		for (const w of WORKLOADS) {
			stack.sandbox.setConfig({ latencyMs: w.latencyMs });
			for (let round = 1; round <= RUNS; round++) {
				for (const v of Object.keys(VARIANTS)) {
					const r = await runOnce(ctx, w, v, round);
					results.push(r);
					log(
						`  workload ${w.id} ${VARIANTS[v].padEnd(38)} run ${round}: ${r.seconds.toFixed(2)} s (embeddings ${r.embeddingSeconds.toFixed(2)} s), ` +
							`${r.failed} failed, ${r.requests} requests (${r.refusals} × 429), load ${os.loadavg()[0].toFixed(1)}${r.error ? `, error: ${r.error}` : ''}`,
					);
				}
			}
		}
	} finally {
		await stack.stop();
		fs.rmSync(emptyExamples, { recursive: true, force: true });
	}
	const head = [
		'workload',
		'variant',
		'median time',
		'ratio (a)/(b)',
		'embeddings in flight',
		'rest of the run',
		'failed texts per run',
		'requests',
		'429s',
	];
	const rows = [];
	const verdicts = [];
	for (const w of WORKLOADS) {
		const of = (v) => results.filter((r) => r.workload === w.id && r.variant === v);
		const [a, b] = [median(of('a').map((r) => r.seconds)), median(of('b').map((r) => r.seconds))];
		for (const v of Object.keys(VARIANTS)) {
			const rs = of(v);
			const t = median(rs.map((r) => r.seconds));
			const e = median(rs.map((r) => r.embeddingSeconds));
			rows.push([
				`${w.id}. ${w.title}`,
				VARIANTS[v],
				`${t.toFixed(2)} s`,
				v === 'a' ? `${(a / b).toFixed(2)}` : '',
				`${e.toFixed(2)} s`,
				`${(t - e).toFixed(2)} s`,
				rs.map((r) => r.failed).join(', '),
				String(median(rs.map((r) => r.requests))),
				String(median(rs.map((r) => r.refusals))),
			]);
		}
		const failedA = Math.max(...of('a').map((r) => r.failed));
		verdicts.push(
			`${w.id}. (a)/(b) = ${(a / b).toFixed(2)} [target ≤ 1.00]${
				w.rateLimited
					? `, failed texts of (a) per run ${of('a')
							.map((r) => r.failed)
							.join(', ')} [target 0]`
					: ''
			}: ${a / b <= 1 && (!w.rateLimited || failedA === 0) ? 'holds' : 'DOES NOT HOLD'}`,
		);
	}
	const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
	const fmtRow = (cells) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
	process.stdout.write(
		`\nJLab LLM Embeddings vs. n8n's Embeddings OpenAI, Simple Vector Store insert, in n8n ${lib.CURRENT.n8n}; ${os.cpus().length} cores; ` +
			`median of ${RUNS} run${RUNS > 1 ? 's' : ''}${QUICK ? ' (--quick)' : ''}; vector store Embedding Batch Size ${STORE_BATCH ?? '200 (default)'}; load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end\n\n`,
	);
	process.stdout.write(
		`${[fmtRow(head), fmtRow(widths.map((wd) => '-'.repeat(wd))), ...rows.map(fmtRow)].join('\n')}\n\n${verdicts.join('\n')}\n`,
	);
	process.stdout.write(`\nbench time ${lib.fmt(Date.now() - t0)}\n`);
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
		process.exit(1);
	},
);
