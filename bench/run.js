#!/usr/bin/env node
'use strict';
/**
 * `npm run bench` — the JLab LLM Chat node against the two built-in ways lab users call the gateway
 * today, side by side in a real n8n 2.41.1 (the pinned install of scripts/n8n) and against the
 * sandbox gateway. Not a test: it measures and prints one table.
 *
 * Every workflow has the same shape: Manual Trigger → "Items" (a Code node making N items) → model node:
 *   (a) JLab LLM Chat, default settings (only Model and Prompt set);
 *   (b) n8n's OpenAI node, typeVersion 1.8, Text → Message a Model, credential `openAiApi` whose Base
 *       URL is the sandbox's …/api/v1;
 *   (c) the HTTP Request node, typeVersion 4.5 (what the editor adds today), POSTing to
 *       …/api/v1/chat/completions with a Header Auth credential (Authorization: Bearer …); in
 *       workload 2 also (c, 1/s): throttled by hand with its Batching option (1 item per batch,
 *       1000 ms interval).
 * Every model node has Continue On Fail on ("continueRegularOutput"), so a failure is counted per item.
 *
 * Workloads: 1) 200 items at 200 ms gateway latency; 2) 120 items, a key limited to 60 requests per
 * minute with the sandbox's real 60 s fixed window (200 ms latency; each run starts in a fresh window);
 * 3) 1,000 items at 0 ms latency (per-item overhead); 4) 5,000 items at 0 ms (peak memory). Workloads
 * 3 and 4 run each execution in a fresh n8n process, warmed up with 200 items of every variant, so no
 * earlier run has grown the heap whose peak is measured; 3 and 4 together give the growth per item.
 *
 * Each execution runs inside the n8n server: started like the editor's "Execute workflow" button
 * (POST /rest/workflows/:id/run, manual mode), timed by its own stored startedAt/stoppedAt (public API
 * GET /api/v1/executions/:id), failed items counted from its stored run data; 429s and requests in
 * flight come from the sandbox's request log, and so does the time to first request: the first chat
 * request's arrival at the sandbox minus the model node's stored startTime (one clock: same machine). The server's main process is sampled every 25 ms:
 * /proc/<pid>/status VmRSS (VmHWM reset through clear_refs before each run) and /proc/<pid>/stat CPU
 * time. At the end, bench/retained.js shows what the Chat node itself keeps in memory (in-process).
 *
 *   node bench/run.js                 3 runs of every workload (~20 min on 2 cores)
 *   node bench/run.js --quick         1 run, small N and a 15 s window (smoke check, ~6 min)
 *   options: --runs <n>  --workloads 1,3  --variants a,c  --json <file> (raw results)
 *            --no-load (skip workloads 5–8)  --load-only (only 5–8); BENCH_RUNS=<n> as --runs
 *            --cpu-prof <dir> (V8 CPU profiles of n8n, written when it stops)
 *            JLAB_LLM_TARBALL=<tgz> uses a packed tarball instead of building and packing now
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const lib = require('../scripts/n8n/lib');
const { maxOverlap } = require('../sandbox/server');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
	const i = argv.indexOf(name);
	return i >= 0 ? argv[i + 1] : undefined;
};

const QUICK = flag('--quick');
const RUNS = Number(option('--runs') ?? process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const LOAD = !flag('--no-load');
const LOAD_ONLY = flag('--load-only');
const ONLY_WORKLOADS = option('--workloads')?.split(',').map(Number);
const ONLY_VARIANTS = option('--variants')?.split(',');
const JSON_OUT = option('--json');
// Writes V8 CPU profiles of the n8n process (and its task runner) into this folder when n8n exits.
const CPU_PROF = option('--cpu-prof');

const MODEL = 'openai/gpt-oss-120b';
// Unlimited key (workloads 1, 3, 4) and the 60-per-window key (workload 2); neither is a real key.
const KEY = 'sk-bench-unlimited-0123456789abcdef0123';
const RPM_KEY = 'sk-bench-rpm-limited-0123456789abcdef01';

const W2 = QUICK
	? { items: 30, limit: 15, windowMs: 15_000 }
	: { items: 120, limit: 60, windowMs: 60_000 };

const BASE_WORKLOADS = [
	{
		id: 1,
		title: `${QUICK ? 50 : 200} items, 200 ms latency`,
		items: QUICK ? 50 : 200,
		latencyMs: 200,
		variants: ['a', 'b', 'c'],
	},
	{
		id: 2,
		title: `${W2.items} items, key limited to ${W2.limit} requests per ${W2.windowMs / 1000} s window`,
		items: W2.items,
		latencyMs: 200,
		rateLimited: true,
		variants: ['a', 'b', 'c', 'c1'],
	},
	{
		id: 3,
		title: `${QUICK ? 200 : 1000} items, 0 ms latency`,
		items: QUICK ? 200 : 1000,
		latencyMs: 0,
		variants: ['a', 'b', 'c', 'n'],
		perItem: true,
		freshN8n: true,
	},
	{
		id: 4,
		title: `${QUICK ? 1000 : 5000} items, 0 ms latency, peak memory`,
		items: QUICK ? 1000 : 5000,
		latencyMs: 0,
		variants: ['a', 'b', 'c', 'n'],
		perItem: true,
		memory: true,
		freshN8n: true,
	},
];
// The same four under a CPU load generator that keeps every core busy.
const UNDER_LOAD = BASE_WORKLOADS.map((w) => ({
	...w,
	id: w.id + 4,
	title: `${w.title}, under CPU load`,
	base: w.id,
	underLoad: true,
}));
const WORKLOADS = [...(LOAD_ONLY ? [] : BASE_WORKLOADS), ...(LOAD ? UNDER_LOAD : [])].filter(
	(w) => !ONLY_WORKLOADS || ONLY_WORKLOADS.includes(w.id),
);

const VARIANT_NAMES = {
	a: '(a) JLab LLM Chat, defaults',
	b: '(b) OpenAI node 1.8',
	c: '(c) HTTP Request node',
	c1: '(c) HTTP Request, 1 item/s by hand',
	n: '(n) n8n alone: No Operation node, no request',
};

// ---------------------------------------------------------------------------------------------
// Credentials and workflows

const CRED = {
	jlab: { id: 'benchJlabKey0001', name: 'Bench: JLab LLM', type: 'jlabLlmApi' },
	jlabRpm: { id: 'benchJlabRpm0001', name: 'Bench: JLab LLM (60 RPM key)', type: 'jlabLlmApi' },
	openai: { id: 'benchOpenAi00001', name: 'Bench: OpenAI → sandbox', type: 'openAiApi' },
	openaiRpm: {
		id: 'benchOpenAiRpm01',
		name: 'Bench: OpenAI → sandbox (60 RPM key)',
		type: 'openAiApi',
	},
	header: { id: 'benchHeader00001', name: 'Bench: Header Auth', type: 'httpHeaderAuth' },
	headerRpm: {
		id: 'benchHeaderRpm01',
		name: 'Bench: Header Auth (60 RPM key)',
		type: 'httpHeaderAuth',
	},
};

function credentials(gatewayUrl) {
	const jlab = (key) => ({ baseUrl: gatewayUrl, apiKey: key, allowHttp: false });
	const openai = (key) => ({
		apiKey: key,
		organizationId: '',
		url: `${gatewayUrl}/v1`,
		header: false,
	});
	const header = (key) => ({ name: 'Authorization', value: `Bearer ${key}` });
	return [
		{ ...CRED.jlab, data: jlab(KEY) },
		{ ...CRED.jlabRpm, data: jlab(RPM_KEY) },
		{ ...CRED.openai, data: openai(KEY) },
		{ ...CRED.openaiRpm, data: openai(RPM_KEY) },
		{ ...CRED.header, data: header(KEY) },
		{ ...CRED.headerRpm, data: header(RPM_KEY) },
	];
}

const ref = (c) => ({ id: c.id, name: c.name });

/** The model node of one variant; every one sends the same prompt, built from the item. */
function modelNode(variant, limited, gatewayUrl) {
	const base = { id: 'model', name: 'Model', position: [440, 0], onError: 'continueRegularOutput' };
	if (variant === 'a') {
		return {
			...base,
			type: `${lib.PACKAGE_NAME}.jlabLlmChat`,
			typeVersion: 1,
			parameters: {
				model: { __rl: true, mode: 'id', value: MODEL },
				prompt: '=Summarise item {{ $json.i }}',
				options: {},
			},
			credentials: { jlabLlmApi: ref(limited ? CRED.jlabRpm : CRED.jlab) },
		};
	}
	if (variant === 'b') {
		return {
			...base,
			type: '@n8n/n8n-nodes-langchain.openAi',
			typeVersion: 1.8,
			parameters: {
				resource: 'text',
				operation: 'message',
				modelId: { __rl: true, mode: 'id', value: MODEL },
				messages: { values: [{ content: '=Summarise item {{ $json.i }}', role: 'user' }] },
				options: {},
			},
			credentials: { openAiApi: ref(limited ? CRED.openaiRpm : CRED.openai) },
		};
	}
	if (variant === 'n') {
		// n8n's own share of time, CPU and memory: the same items, the same saved run, no request.
		return { ...base, type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} };
	}
	const options =
		variant === 'c1' ? { batching: { batch: { batchSize: 1, batchInterval: 1000 } } } : {};
	return {
		...base,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.5,
		parameters: {
			method: 'POST',
			url: `${gatewayUrl}/v1/chat/completions`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpHeaderAuth',
			sendBody: true,
			specifyBody: 'json',
			jsonBody: `={{ JSON.stringify({ model: '${MODEL}', messages: [{ role: 'user', content: 'Summarise item ' + $json.i }] }) }}`,
			options,
		},
		credentials: { httpHeaderAuth: ref(limited ? CRED.headerRpm : CRED.header) },
	};
}

function workflow(w, variant, gatewayUrl) {
	return {
		id: `bench${w.id}${variant}${String(w.items).padStart(6, '0')}`.slice(0, 16).padEnd(16, '0'),
		name: `Bench ${w.id}${variant}: ${w.title} — ${VARIANT_NAMES[variant]}`,
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
				id: 'items',
				name: 'Items',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: {
					jsCode: `return Array.from({ length: ${w.items} }, (_, i) => ({ json: { i } }));`,
				},
			},
			modelNode(variant, Boolean(w.rateLimited), gatewayUrl),
		],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
			Items: { main: [[{ node: 'Model', type: 'main', index: 0 }]] },
		},
		settings: {
			executionOrder: 'v1',
			saveManualExecutions: true,
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
		},
	};
}

// ---------------------------------------------------------------------------------------------
// Measuring one execution

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on Linux unless told otherwise).
const CLOCK_TICKS = (() => {
	try {
		return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	} catch {
		return 100;
	}
})();

/** Samples the resident memory and CPU time of one process. */
class RssSampler {
	constructor(pid) {
		this.pid = pid;
	}

	read(field) {
		try {
			const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
				fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'),
			);
			return m ? Number(m[1]) * 1024 : undefined;
		} catch {
			return undefined;
		}
	}

	/** CPU time (user + system) the process has used, in seconds. */
	cpuSeconds() {
		try {
			const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
		} catch {
			return Number.NaN;
		}
	}

	start() {
		this.cpu = this.cpuSeconds();
		// Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (Linux ≥ 4.0).
		try {
			fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
		} catch {
			/* not allowed here: the sampled maximum still counts */
		}
		this.base = this.read('VmRSS') ?? 0;
		this.peak = this.base;
		this.timer = setInterval(() => {
			const rss = this.read('VmRSS');
			if (rss !== undefined && rss > this.peak) this.peak = rss;
		}, 25);
	}

	stop() {
		clearInterval(this.timer);
		const hwm = this.read('VmHWM');
		if (hwm !== undefined && hwm > this.peak) this.peak = hwm;
		return { baseRss: this.base, peakRss: this.peak, cpuSeconds: this.cpuSeconds() - this.cpu };
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Items the model node put out, from the stored execution (public API, includeData). */
function modelItems(execution) {
	const data = execution.data;
	const runs = data?.resultData?.runData?.Model;
	if (!Array.isArray(runs) || runs.length === 0)
		return { items: [], error: data?.resultData?.error?.message ?? 'the model node did not run' };
	const run = runs[runs.length - 1];
	return {
		items: run.data?.main?.[0] ?? [],
		error: run.error?.message,
		startTime: run.startTime,
		executionTime: run.executionTime,
	};
}

async function runOnce(ctx, w, variant, round) {
	const { client, sandbox, pid } = ctx;
	sandbox.clearRequests();
	// A fresh rate-limit window for every run, as if each ran a minute after the last.
	for (const hash of Object.keys(sandbox.store.rateLimits)) delete sandbox.store.rateLimits[hash];
	const sampler = new RssSampler(pid);
	sampler.start();
	const started = await client.request(
		'POST',
		`/rest/workflows/${ctx.ids[`${w.id}${variant}`]}/run`,
		{ triggerToStartFrom: { name: 'Manual Trigger' } },
	);
	const executionId = started.body?.data?.executionId;
	if (started.status !== 200 || !executionId) {
		sampler.stop();
		throw new Error(
			`starting workflow ${w.id}${variant} failed: HTTP ${started.status} ${started.text.slice(0, 300)}`,
		);
	}
	const deadline = Date.now() + 20 * 60_000;
	let execution;
	for (let failures = 0; ; ) {
		let res;
		try {
			res = await client.request('GET', `/api/v1/executions/${executionId}`, undefined, {
				auth: 'apiKey',
			});
			failures = 0;
		} catch (error) {
			// A kept-alive connection the busy server closed meanwhile: ask again on a new one.
			if (++failures > 10)
				throw new Error(
					`polling execution ${executionId}: ${error.message} (${error.cause?.message ?? 'no cause'})`,
				);
			await sleep(200);
			continue;
		}
		execution = res.body;
		if (
			res.status === 200 &&
			execution?.stoppedAt &&
			execution.status !== 'running' &&
			execution.status !== 'new'
		)
			break;
		if (Date.now() > deadline)
			throw new Error(`execution ${executionId} did not finish in 20 minutes`);
		await sleep(200);
	}
	const memory = sampler.stop();
	const full = await client.request(
		'GET',
		`/api/v1/executions/${executionId}?includeData=true`,
		undefined,
		{ auth: 'apiKey', expect: 200 },
	);
	const { items, error, startTime, executionTime } = modelItems(full.body);
	const erroredItems = items.filter(
		(it) => it.json && (it.json.error !== undefined || it.json.errorType !== undefined),
	).length;
	// The issue's last line: whether each item says what its call cost, as a number.
	const costed = items.filter((it) => typeof it.json?.costUsd === 'number').length;
	const chats = sandbox.requests.filter((q) => q.path === '/v1/chat/completions');
	// From the model node's start to the first chat request the gateway saw (one machine, one clock).
	const firstArrival = chats.length ? Math.min(...chats.map((q) => q.time)) : undefined;
	const result = {
		workload: w.id,
		variant,
		round,
		executionId,
		status: execution.status,
		seconds: (Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt)) / 1000,
		items: items.length,
		costed,
		failed:
			error && items.length === 0 ? w.items : erroredItems + Math.max(0, w.items - items.length),
		nodeError: error,
		requests: chats.length,
		refusals: chats.filter((q) => q.status === 429).length,
		maxInFlight: maxOverlap(chats),
		firstRequestSeconds:
			firstArrival !== undefined && typeof startTime === 'number'
				? (firstArrival - startTime) / 1000
				: Number.NaN,
		load: os.loadavg()[0],
		...memory,
	};
	// BENCH_TIMELINE=1: where an execution's time went, in ms from its startedAt.
	if (process.env.BENCH_TIMELINE && chats.length) {
		const t0 = Date.parse(execution.startedAt);
		const ends = chats.map((q) => q.time + (q.durationMs ?? 0));
		console.log(
			`  ${w.id}${variant}#${round}: node start ${startTime - t0}, first request ${firstArrival - t0}, ` +
				`last request ${Math.max(...chats.map((q) => q.time)) - t0}, last answer ${Math.max(...ends) - t0}, ` +
				`node end ${startTime + executionTime - t0}, stopped ${Date.parse(execution.stoppedAt) - t0}`,
		);
	}
	// Stored executions of thousands of items are large: keep the DB (and n8n's memory) small.
	await client.request('DELETE', `/api/v1/executions/${executionId}`, undefined, {
		auth: 'apiKey',
	});
	return result;
}

// ---------------------------------------------------------------------------------------------
// Report

/** Seconds shown in milliseconds: the first requests of (a) and (c) are milliseconds apart. */
const ms = (seconds) => `${Math.round(seconds * 1000)} ms`;

const median = (xs) => {
	const s = [...xs].sort((x, y) => x - y);
	const n = s.length;
	return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(0);

function summarize(results) {
	const rows = [];
	for (const w of WORKLOADS) {
		const of = (v) => results.filter((r) => r.workload === w.id && r.variant === v);
		const a = of('a');
		const aTime = a.length ? median(a.map((r) => r.seconds)) : undefined;
		for (const v of w.variants) {
			const rs = of(v);
			if (rs.length === 0) continue;
			const seconds = median(rs.map((r) => r.seconds));
			rows.push({
				workload: w,
				variant: v,
				seconds,
				ratio: aTime ? seconds / aTime : undefined,
				msPerItem: (seconds * 1000) / w.items,
				cpuMsPerItem: (median(rs.map((r) => r.cpuSeconds)) * 1000) / w.items,
				failed: rs.map((r) => r.failed),
				costed: Math.min(...rs.map((r) => r.costed)),
				refusals: median(rs.map((r) => r.refusals)),
				maxInFlight: median(rs.map((r) => r.maxInFlight)),
				firstRequest: median(rs.map((r) => r.firstRequestSeconds)),
				load: median(rs.map((r) => r.load)),
				peakRss: median(rs.map((r) => r.peakRss)),
				growth: median(rs.map((r) => r.peakRss - r.baseRss)),
			});
		}
	}
	return rows;
}

function table(rows) {
	const head = [
		'workload',
		'variant',
		'first request',
		'median time',
		'ratio to (a)',
		'ms per item (n8n CPU)',
		'failed items per run',
		'429s',
		'max in flight',
		'peak RSS (rise)',
		'load',
	];
	const lines = rows.map((r) => [
		`${r.workload.id}. ${r.workload.title}`,
		VARIANT_NAMES[r.variant],
		Number.isFinite(r.firstRequest) ? ms(r.firstRequest) : '—',
		`${r.seconds.toFixed(2)} s`,
		r.variant === 'a' ? '1.00' : r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
		r.workload.perItem ? `${r.msPerItem.toFixed(2)} (${r.cpuMsPerItem.toFixed(2)})` : '',
		r.failed.join(', '),
		String(r.refusals),
		String(r.maxInFlight),
		r.workload.memory || r.workload.perItem ? `${mb(r.peakRss)} MB (+${mb(r.growth)})` : '',
		r.load.toFixed(1),
	]);
	const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
	const fmtRow = (cells) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
	return [fmtRow(head), fmtRow(widths.map((wd) => '-'.repeat(wd))), ...lines.map(fmtRow)].join(
		'\n',
	);
}

function verdicts(rows) {
	const get = (id, v) => rows.find((r) => r.workload.id === id && r.variant === v);
	const out = [];
	const yes = (ok) => (ok ? 'holds' : 'DOES NOT HOLD');
	const [a1, b1, c1] = [get(1, 'a'), get(1, 'b'), get(1, 'c')];
	if (a1 && b1 && c1) {
		const vsC = a1.seconds / c1.seconds;
		const vsB = b1.seconds / a1.seconds;
		out.push(
			`1. (a) ${a1.seconds.toFixed(2)} s = ${vsC.toFixed(2)}× (c) [target ≤ 1.5×], (b) is ${vsB.toFixed(1)}× slower [target ≥ 25×]: ${yes(vsC <= 1.5 && vsB >= 25)}`,
		);
	}
	const a2 = get(2, 'a');
	if (a2) {
		const windows = Math.ceil(W2.items / W2.limit) - 1;
		const bound = (windows * W2.windowMs) / 1000;
		const ratio = a2.seconds / bound;
		const failed = Math.max(...a2.failed);
		const byHand = get(2, 'c1');
		out.push(
			`2. (a) ${a2.seconds.toFixed(2)} s = ${ratio.toFixed(2)}× the window bound of ${bound} s [target ≤ 1.25×], failed items per run ${a2.failed.join(', ')} [target 0]: ${yes(ratio <= 1.25 && failed === 0)}` +
				(byHand
					? ` ((c) throttled by hand: ${byHand.seconds.toFixed(2)} s, ${(byHand.seconds / a2.seconds).toFixed(2)}× (a))`
					: ''),
		);
	}
	const [a3, c3] = [get(3, 'a'), get(3, 'c')];
	if (a3 && c3) {
		out.push(
			`3. (a) ${a3.msPerItem.toFixed(2)} ms per item, (c) ${c3.msPerItem.toFixed(2)} ms [target (a) ≤ (c)]: ${yes(a3.msPerItem <= c3.msPerItem)}` +
				` (n8n CPU per item: (a) ${a3.cpuMsPerItem.toFixed(2)} ms, (c) ${c3.cpuMsPerItem.toFixed(2)} ms)`,
		);
	}
	const [a4, c4] = [get(4, 'a'), get(4, 'c')];
	if (a4) {
		// Two fresh-process sizes give the growth per item without n8n's fixed cost of a run.
		const slope = (small, big) =>
			(big.growth - small.growth) / (big.workload.items - small.workload.items) / 1024;
		const describe = (name, small, big) =>
			`${name} +${mb(big.growth)} MB at ${big.workload.items} items` +
			(small
				? `, +${mb(small.growth)} MB at ${small.workload.items}: ${slope(small, big).toFixed(1)} kB per extra item`
				: '');
		out.push(
			`4. peak RSS rise of a fresh n8n over the run: ${describe('(a)', a3, a4)}` +
				(c4 ? `; ${describe('(c)', c3, c4)}` : ''),
		);
	}
	out.push(...pipelineVerdicts(rows, get, yes));
	const costs = rows
		.filter((r) => r.workload.id === 1)
		.map((r) => `${VARIANT_NAMES[r.variant].split(' ')[0]} ${r.costed} of ${r.workload.items}`);
	if (costs.length)
		out.push(
			`cost per call in the output (items with a numeric costUsd, workload 1): ${costs.join(', ')}`,
		);
	return out;
}

/** The targets of time to first request, CPU per item and memory, quiet and under load. */
function pipelineVerdicts(rows, get, yes) {
	const out = [];
	const firsts = [];
	let firstOk = true;
	for (const w of WORKLOADS) {
		const [a, c] = [get(w.id, 'a'), get(w.id, 'c')];
		if (!a || !c) continue;
		firstOk &&= a.firstRequest <= c.firstRequest;
		firsts.push(`${w.id}: ${ms(a.firstRequest)} vs ${ms(c.firstRequest)}`);
	}
	if (firsts.length)
		out.push(
			`first request, (a) vs (c) [target (a) ≤ (c) on every workload]: ${firsts.join('; ')}: ${yes(firstOk)}`,
		);
	const a1 = get(1, 'a');
	if (a1)
		out.push(
			`first request on workload 1 (quiet) ${ms(a1.firstRequest)} [target ≤ 0.3 s]: ${yes(a1.firstRequest <= 0.3)}`,
		);
	for (const id of [1, 5]) {
		const [a, b, c] = [get(id, 'a'), get(id, 'b'), get(id, 'c')];
		if (!a || !c) continue;
		const vsC = a.seconds / c.seconds;
		const vsB = b ? b.seconds / a.seconds : undefined;
		out.push(
			`${id}. (a) ${vsC.toFixed(2)}× (c) [target ≤ 0.8×]` +
				(vsB !== undefined ? `, (b) ${vsB.toFixed(1)}× slower than (a) [target ≥ 25×]` : '') +
				`: ${yes(vsC <= 0.8 && (vsB === undefined || vsB >= 25))}`,
		);
	}
	for (const id of [3, 7]) {
		const [a, c] = [get(id, 'a'), get(id, 'c')];
		if (!a || !c) continue;
		const cpu = a.cpuMsPerItem / c.cpuMsPerItem;
		const time = a.seconds / c.seconds;
		out.push(
			`${id}. n8n CPU per item (a) ${a.cpuMsPerItem.toFixed(2)} ms = ${cpu.toFixed(2)}× (c) [target ≤ 0.35×], time ${time.toFixed(2)}× (c) [target ≤ 0.7×]: ${yes(cpu <= 0.35 && time <= 0.7)}`,
		);
	}
	for (const id of [4, 8]) {
		const [a, c, n] = [get(id, 'a'), get(id, 'c'), get(id, 'n')];
		if (!a || !c) continue;
		const rise = a.growth / c.growth;
		// n8n's own rise for the same items (No Operation node): what is left is the node's share.
		const own = n
			? `; above n8n alone (n, +${mb(n.growth)} MB): (a) +${mb(a.growth - n.growth)} MB, (c) +${mb(c.growth - n.growth)} MB = ${((a.growth - n.growth) / (c.growth - n.growth)).toFixed(2)}×`
			: '';
		out.push(
			`${id}. peak RSS rise (a) +${mb(a.growth)} MB = ${rise.toFixed(2)}× (c)'s +${mb(c.growth)} MB [target ≤ 0.5×]: ${yes(rise <= 0.5)}${own}`,
		);
	}
	return out;
}

/** Keeps every core busy: one spinning child process per core, stopped by PID. */
class LoadGenerator {
	constructor() {
		this.children = [];
	}

	start() {
		for (let n = 0; n < os.cpus().length; n++) {
			const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
			this.children.push(child);
		}
	}

	stop() {
		for (const child of this.children.splice(0)) {
			try {
				process.kill(child.pid, 'SIGKILL');
			} catch {
				/* already gone */
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------

async function startN8n(ctx) {
	await ctx.stack.n8n.start();
	await ctx.client.signIn();
	await ctx.client.createApiKey(`jlab-llm-bench-${Date.now()}`);
	ctx.pid = ctx.stack.n8n.child.pid;
	const cmdline = fs.readFileSync(`/proc/${ctx.pid}/cmdline`, 'utf8').split('\0').join(' ');
	if (!/node/.test(cmdline) || !/n8n/.test(cmdline))
		throw new Error(`PID ${ctx.pid} is not n8n's node process: ${cmdline}`);
}

/**
 * Builds and packs the package in a private copy of the sources (other builds in this tree clean
 * dist/ at any time), or takes $JLAB_LLM_TARBALL. n8n refuses a whole package when one file its
 * package.json lists is missing, which happens while a node is still being written in this tree:
 * such entries are dropped from the tarball with a warning — never the Chat node or its credential.
 */
async function benchTarball(log, cleanups) {
	let tarball = process.env.JLAB_LLM_TARBALL && path.resolve(process.env.JLAB_LLM_TARBALL);
	if (!tarball) {
		const src = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-bench-src-'));
		cleanups.push(() => fs.rmSync(src, { recursive: true, force: true }));
		for (const entry of [
			'package.json',
			'.npmrc',
			'tsconfig.json',
			'gulpfile.js',
			'index.js',
			'LICENSE',
			'README.md',
			'CHANGELOG.md',
			'scripts/clean.js',
			'nodes',
			'credentials',
		]) {
			const from = path.join(lib.ROOT, entry);
			if (fs.existsSync(from)) fs.cpSync(from, path.join(src, entry), { recursive: true });
		}
		fs.symlinkSync(path.join(lib.ROOT, 'node_modules'), path.join(src, 'node_modules'));
		const pack = await lib.buildAndPack({ log, root: src });
		cleanups.push(() => fs.rmSync(pack.dir, { recursive: true, force: true }));
		tarball = pack.tarball;
	}
	const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
	const manifest = JSON.parse(
		execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
	);
	const present = (f) => listed.includes(`package/${f}`);
	const missing = [...(manifest.n8n?.nodes ?? []), ...(manifest.n8n?.credentials ?? [])].filter(
		(f) => !present(f),
	);
	if (missing.length === 0) return tarball;
	const needed = missing.filter((f) =>
		/JlabLlmChat\.node\.js$|JlabLlmApi\.credentials\.js$/.test(f),
	);
	if (needed.length > 0) throw new Error(`the packed package lacks ${needed.join(', ')}`);
	log(
		`  ! package.json lists files the build does not have (work in progress?): ${missing.join(', ')}; benchmarking without them`,
	);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-bench-pack-'));
	cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
	execFileSync('tar', ['-xzf', tarball, '-C', dir]);
	manifest.n8n.nodes = manifest.n8n.nodes.filter(present);
	manifest.n8n.credentials = manifest.n8n.credentials.filter(present);
	fs.writeFileSync(path.join(dir, 'package', 'package.json'), JSON.stringify(manifest, null, 2));
	const fixed = path.join(dir, path.basename(tarball));
	execFileSync('tar', ['-czf', fixed, '-C', dir, 'package']);
	return fixed;
}

async function main() {
	const log = (line) => process.stderr.write(`${line}\n`);
	const t0 = Date.now();
	const loadAtStart = os.loadavg()[0];
	const sandboxPort = await lib.freePort();
	const gatewayUrl = `http://127.0.0.1:${sandboxPort}/api`;
	const workflows = [];
	const ids = {};
	const warmUp = {
		id: 0,
		title: 'warm-up, 200 items, 0 ms latency',
		items: QUICK ? 50 : 200,
		latencyMs: 0,
		variants: ['a', 'b', 'c'],
	};
	for (const v of warmUp.variants) {
		const wf = workflow(warmUp, v, gatewayUrl);
		ids[`0${v}`] = wf.id;
		workflows.push(wf);
	}
	for (const w of WORKLOADS) {
		w.variants = w.variants.filter(
			(v) =>
				!ONLY_VARIANTS || ONLY_VARIANTS.includes(v) || (v === 'c1' && ONLY_VARIANTS.includes('c')),
		);
		for (const v of w.variants) {
			const wf = workflow(w, v, gatewayUrl);
			ids[`${w.id}${v}`] = wf.id;
			workflows.push(wf);
		}
	}
	const emptyExamples = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-bench-examples-'));
	log(
		`JLab LLM benchmark${QUICK ? ' (quick)' : ''}: starting the sandbox and n8n ${lib.CURRENT.n8n}…`,
	);
	const packCleanups = [];
	const tarball = await benchTarball(log, packCleanups);
	const stack = await lib.startStack({
		tarball,
		sandboxPort,
		examplesDir: emptyExamples,
		workflows,
		logLevel: 'warn',
		log: (l) => log(l),
		extraEnv: CPU_PROF
			? {
					NODE_OPTIONS: `--max-old-space-size=2048 --cpu-prof --cpu-prof-dir=${path.resolve(CPU_PROF)}`,
				}
			: {},
		sandbox: {
			latencyMs: 0,
			rateLimitWindowMs: W2.windowMs,
			maxLogEntries: 50_000,
			keys: [
				{ key: KEY, key_alias: 'bench-unlimited', user_id: 'bench' },
				{ key: RPM_KEY, key_alias: 'bench-rpm-limited', user_id: 'bench', rpm_limit: W2.limit },
			],
		},
	});
	const ctx = { stack, sandbox: stack.sandbox, client: stack.client, ids };
	const results = [];
	const load = new LoadGenerator();
	process.on('exit', () => load.stop());
	try {
		ctx.pid = stack.n8n.child.pid;
		await lib.importData(stack.n8n, { credentials: credentials(gatewayUrl) });
		log(`  ✓ bench credentials imported; n8n main process PID ${ctx.pid}`);
		// Warm-up, not measured: loads every node type and JITs the paths once (again after a restart).
		const warm = async () => {
			stack.sandbox.setConfig({ latencyMs: 0 });
			for (const v of warmUp.variants)
				await runOnce(ctx, warmUp, v, 0).catch((e) => log(`  warm-up ${v}: ${e.message}`));
		};
		await warm();
		for (const w of WORKLOADS) {
			stack.sandbox.setConfig({ latencyMs: w.latencyMs });
			for (let round = 1; round <= RUNS; round++) {
				for (const v of w.variants) {
					if (w.freshN8n) {
						// Peak memory means little in a process whose heap earlier runs already grew.
						await stack.n8n.stop();
						stack.n8n.exited = null;
						await startN8n(ctx);
						await warm();
						stack.sandbox.setConfig({ latencyMs: w.latencyMs });
					}
					if (w.underLoad) {
						load.start();
						await sleep(500);
					}
					let r;
					try {
						r = await runOnce(ctx, w, v, round);
					} finally {
						load.stop();
					}
					results.push(r);
					log(
						`  workload ${w.id} ${VARIANT_NAMES[v].padEnd(36)} run ${round}: ${r.seconds.toFixed(2)} s, ${r.failed} failed, ` +
							`first request ${ms(r.firstRequestSeconds)}, ${r.requests} requests (${r.refusals} × 429), max ${r.maxInFlight} in flight, n8n CPU ${r.cpuSeconds.toFixed(2)} s, ` +
							`peak RSS ${mb(r.peakRss)} MB (+${mb(r.peakRss - r.baseRss)}), load ${os.loadavg()[0].toFixed(1)}` +
							(r.nodeError ? `, node error: ${r.nodeError}` : ''),
					);
				}
			}
		}
	} catch (error) {
		if (stack.n8n.output) error.message += `\n--- n8n log (tail) ---\n${stack.n8n.tail(40)}`;
		throw error;
	} finally {
		await stack.stop();
		fs.rmSync(emptyExamples, { recursive: true, force: true });
		for (const fn of packCleanups) fn();
	}

	// The node's own retained heap, which RSS cannot show: a separate process with --expose-gc.
	let retained = '';
	if (WORKLOADS.some((w) => w.memory) && (!ONLY_VARIANTS || ONLY_VARIANTS.includes('a'))) {
		log('  … measuring what the Chat node retains, in-process');
		const sizes = QUICK ? ['200', '1000'] : ['1000', '5000'];
		try {
			retained = execFileSync(
				process.execPath,
				['--expose-gc', path.join(__dirname, 'retained.js'), ...sizes],
				{ encoding: 'utf8', cwd: lib.ROOT },
			);
		} catch (error) {
			retained = `  (failed: ${error.message.split('\n')[0]})\n`;
		}
	}

	const rows = summarize(results);
	const cpu =
		(/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] ||
		os.cpus()[0]?.model;
	const pkg = stack.pack;
	process.stdout.write(
		`\nJLab LLM Chat vs. n8n's built-in ways, in n8n ${lib.CURRENT.n8n} (Node ${lib.CURRENT.node}), ${pkg.name}@${pkg.version}, ` +
			`sandbox profile v1.9x; ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB; ` +
			`median of ${RUNS} run${RUNS > 1 ? 's' : ''}${QUICK ? ' (--quick)' : ''}; times from each execution's startedAt/stoppedAt; ` +
			`load average ${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end\n\n`,
	);
	process.stdout.write(`${table(rows)}\n\n`);
	if (QUICK)
		process.stdout.write('Targets (they are set for the full sizes; --quick is a smoke check):\n');
	for (const line of verdicts(rows)) process.stdout.write(`${line}\n`);
	if (retained)
		process.stdout.write(
			`\nWhat the Chat node keeps (in-process run, heap sampled after forced collections):\n${retained}`,
		);
	process.stdout.write(`\nbench time ${lib.fmt(Date.now() - t0)}\n`);
	if (JSON_OUT)
		fs.writeFileSync(JSON_OUT, JSON.stringify({ quick: QUICK, runs: RUNS, results }, null, 2));
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
		process.exit(1);
	},
);
