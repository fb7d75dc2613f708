#!/usr/bin/env node
'use strict';
/**
 * Benchmark of the JLab LLM Chat node (not a test): runs the node in-process (n8n-core's
 * WorkflowExecute, as in the tests) against the sandbox gateway and prints a table.
 *
 *   A. 200 items at 200 ms gateway latency: default settings and Concurrency 1, against the
 *      node firing all 200 at once (its pacer started at the cap: the base of the ratios);
 *      for reference also plain HTTP (no n8n) and the node at Concurrency 200 (adaptive).
 *   B. A key limited to 60 requests per minute, 120 items, the sandbox's real 60 s window.
 *
 * Usage: node bench/chat.js [--quick]   (--quick: 60 items and a 10 s window, for a smoke run)
 */
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

// n8n-core writes <N8N_USER_FOLDER>/.n8n/config; keep it out of $HOME (as test/setup/n8n-user-folder.js does).
if (!process.env.N8N_USER_FOLDER) {
	const dir = path.join(os.tmpdir(), 'jlab-llm-bench-n8n');
	fs.mkdirSync(dir, { recursive: true });
	process.env.N8N_USER_FOLDER = dir;
}
require('./ts-register');

const concurrency = require('../nodes/shared/concurrency');
const { runWorkflow, shutdownHarness } = require('../test/harness');

// For the "node, all at once" row only: the node's pacer starting at its cap, no slow start.
const Adaptive = concurrency.AdaptiveConcurrency;
let startAtCap = false;
concurrency.AdaptiveConcurrency = class extends Adaptive {
	constructor(options) {
		super(startAtCap ? { ...options, start: options.max } : options);
	}
};
const { maxOverlap, startSandbox } = require('../sandbox/server');

const { MODEL, chatParameters, itemsWorkflow } = require('./workflows');

const QUICK = process.argv.includes('--quick');
const KEY = 'sk-bench-unlimited-key-0123456789abcdef';
const RPM_KEY = 'sk-bench-rpm60-key-0123456789abcdef00';
const LATENCY_MS = 200;
const ITEMS = QUICK ? 60 : 200;
const RPM_ITEMS = QUICK ? 40 : 120;
const WINDOW_MS = QUICK ? 10_000 : 60_000;
const REPEAT = QUICK ? 1 : 5;

function workflow(count, options) {
	return itemsWorkflow('bench-chat', count, {
		name: 'Chat',
		type: 'n8n-nodes-jlab-llm.jlabLlmChat',
		parameters: chatParameters(options),
		onError: 'continueRegularOutput',
	});
}

async function runNode(sandbox, apiKey, count, options) {
	sandbox.clearRequests();
	const started = performance.now();
	const result = await runWorkflow(workflow(count, options), [
		{ id: 'bench', name: 'bench', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey } },
	]);
	const seconds = (performance.now() - started) / 1000;
	const out = result.output('Chat');
	const error = result.error('Chat');
	const chats = sandbox.requests.filter((q) => q.path === '/v1/chat/completions');
	return {
		seconds,
		items: out.length,
		failed: error
			? count
			: out.filter((o) => o.json.errorType !== undefined).length + (count - out.length),
		refusals: chats.filter((q) => q.status === 429).length,
		requests: chats.length,
		maxInFlight: maxOverlap(chats),
	};
}

/** The floor: every request fired at once over plain HTTP, no n8n in between. */
async function fireAll(sandbox, apiKey, count) {
	sandbox.clearRequests();
	const url = new URL(`${sandbox.url}/v1/chat/completions`);
	const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
	const one = (i) =>
		new Promise((resolve) => {
			const body = JSON.stringify({
				model: MODEL,
				messages: [{ role: 'user', content: `Summarise item ${i}` }],
			});
			const req = http.request(
				url,
				{
					method: 'POST',
					agent,
					headers: {
						authorization: `Bearer ${apiKey}`,
						'content-type': 'application/json',
						'content-length': Buffer.byteLength(body),
					},
				},
				(res) => {
					res.resume();
					res.on('end', () => resolve(res.statusCode));
				},
			);
			req.on('error', () => resolve(0));
			req.end(body);
		});
	const started = performance.now();
	const statuses = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
	const seconds = (performance.now() - started) / 1000;
	agent.destroy();
	const chats = sandbox.requests.filter((q) => q.path === '/v1/chat/completions');
	return {
		seconds,
		items: count,
		failed: statuses.filter((s) => s !== 200).length,
		refusals: statuses.filter((s) => s === 429).length,
		requests: count,
		maxInFlight: maxOverlap(chats),
	};
}

/** The run with the median time, its time range noted. */
function median(list) {
	const sorted = [...list].sort((a, b) => a.seconds - b.seconds);
	const mid = sorted[Math.floor(sorted.length / 2)];
	return {
		...mid,
		range: `${sorted[0].seconds.toFixed(2)}–${sorted[sorted.length - 1].seconds.toFixed(2)}`,
	};
}

function table(rows) {
	const head = [
		'scenario',
		'items',
		'time (s)',
		`range of ${REPEAT} runs`,
		'ratio',
		'failed items',
		'429s',
		'requests',
		'max in flight',
	];
	const lines = rows.map((r) => [
		r.name,
		String(r.items),
		r.seconds.toFixed(2),
		r.range ?? '(1 run)',
		r.ratio,
		String(r.failed),
		String(r.refusals),
		String(r.requests),
		String(r.maxInFlight),
	]);
	const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
	const fmt = (cells) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
	return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

async function main() {
	const sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		latencyMs: LATENCY_MS,
		rateLimitWindowMs: WINDOW_MS,
		keys: [
			{ key: KEY, key_alias: 'bench', user_id: 'bench' },
			{ key: RPM_KEY, key_alias: 'bench-rpm60', user_id: 'bench', rpm_limit: 60 },
		],
	});
	try {
		// Warm-up: module loading and JIT out of the measured runs.
		await runNode(sandbox, KEY, 20, {});
		await fireAll(sandbox, KEY, 20);

		// The fast runs take about a second each, so they are repeated (interleaved) and the
		// median is shown: on a shared machine one run can be slowed by other work.
		const runs = { all: [], nodeAll: [], node200: [], dflt: [] };
		for (let round = 0; round < REPEAT; round++) {
			runs.all.push(await fireAll(sandbox, KEY, ITEMS));
			startAtCap = true;
			runs.nodeAll.push(await runNode(sandbox, KEY, ITEMS, { concurrency: ITEMS }));
			startAtCap = false;
			runs.dflt.push(await runNode(sandbox, KEY, ITEMS, {}));
			runs.node200.push(await runNode(sandbox, KEY, ITEMS, { concurrency: ITEMS }));
		}
		const all = median(runs.all);
		const nodeAll = median(runs.nodeAll);
		const node200 = median(runs.node200);
		const dflt = median(runs.dflt);
		const seq = await runNode(sandbox, KEY, ITEMS, { concurrency: 1 });
		const waitS = ((Math.ceil(RPM_ITEMS / 60) - 1) * WINDOW_MS) / 1000;
		process.stdout.write(
			`${ITEMS} items at ${LATENCY_MS} ms latency done; the rate-limited run takes about ${waitS} s…\n`,
		);
		const rpm = await runNode(sandbox, RPM_KEY, RPM_ITEMS, {});

		const base = nodeAll.seconds;
		const rows = [
			{
				name: `plain HTTP, all ${ITEMS} at once (no n8n)`,
				...all,
				ratio: (all.seconds / base).toFixed(2),
			},
			{ name: `node, all ${ITEMS} at once (no slow start)`, ...nodeAll, ratio: '1.00 (base)' },
			{ name: 'node, default settings', ...dflt, ratio: (dflt.seconds / base).toFixed(2) },
			{ name: 'node, Concurrency 1', ...seq, ratio: (seq.seconds / base).toFixed(2) },
			{
				name: `node, Concurrency ${ITEMS} (adaptive)`,
				...node200,
				ratio: (node200.seconds / base).toFixed(2),
			},
			{
				name: `node, default, key at 60 RPM (${WINDOW_MS / 1000} s window)`,
				...rpm,
				ratio: `${(rpm.seconds / (WINDOW_MS / 1000)).toFixed(2)} windows`,
			},
		];
		process.stdout.write(
			`\nJLab LLM Chat benchmark (${os.cpus().length} CPUs, Node ${process.version}, sandbox latency ${LATENCY_MS} ms)\n\n`,
		);
		process.stdout.write(`${table(rows)}\n\n`);
		process.stdout.write(
			`time: the median of ${REPEAT} runs for the fast rows. ` +
				`ratio: time / time of the node firing all ${ITEMS} at once; for the rate-limited key, time / window ` +
				`(${RPM_ITEMS} items at 60 per window need at least ${waitS} s of waiting).\n`,
		);
	} finally {
		await sandbox.close();
		await shutdownHarness();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
		process.exit(1);
	},
);
