#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:memory` — how much of the Chat node's peak memory rise is n8n's own HTTP client
 * (not a test). In n8n's engine (in-process, as the engine tests), N items (default 5,000) at 0 ms
 * gateway latency go through either
 *   (a) JLab LLM Chat, defaults, or
 *   (r) a minimal node that only calls n8n's `this.helpers.httpRequest` for every item (the same
 *       body, 8 at a time) and keeps the reply text: the least any node using n8n's HTTP client does.
 * Each run is a fresh Node process (a 200-item warm-up, then the measured run); its resident memory
 * is sampled every 10 ms without forcing collections, as the peak RSS of `npm run bench` is (the
 * sandbox gateway runs in the same process: the same work for both variants). Runs are
 * interleaved (a r r a …); the table gives medians and the load average.
 *
 *   node bench/memory-share.js [--items N] [--runs N]
 */
const { execFileSync } = require('child_process');
const os = require('os');
const path = require('path');

const arg = (name, fallback) => {
	const at = process.argv.indexOf(name);
	return at >= 0 ? process.argv[at + 1] : fallback;
};

const { MODEL, chatParameters, itemsWorkflow } = require('./workflows');

const KEY = 'sk-bench-memory-share-0123456789abcdef';

/** (r): n8n's HTTP client and nothing else, per item. */
function rawNodeType() {
	return {
		description: {
			displayName: 'Raw HTTP',
			name: 'rawHttp',
			group: ['transform'],
			version: 1,
			description: 'bench stand-in',
			defaults: { name: 'Raw HTTP' },
			inputs: ['main'],
			outputs: ['main'],
			properties: [],
			credentials: [{ name: 'jlabLlmApi', required: true }],
		},
		async execute() {
			const items = this.getInputData();
			const { baseUrl, apiKey } = await this.getCredentials('jlabLlmApi');
			const out = new Array(items.length);
			let next = 0;
			const worker = async () => {
				while (next < items.length) {
					const i = next++;
					const res = await this.helpers.httpRequest({
						method: 'POST',
						url: `${baseUrl}/v1/chat/completions`,
						headers: { Authorization: `Bearer ${apiKey}` },
						body: { model: MODEL, messages: [{ role: 'user', content: `Summarise item ${i}` }] },
						json: true,
					});
					out[i] = { json: { reply: res.choices[0].message.content }, pairedItem: { item: i } };
				}
			};
			await Promise.all(Array.from({ length: 8 }, worker));
			return [out];
		},
	};
}

function workflow(variant, count) {
	const model =
		variant === 'a'
			? { type: 'n8n-nodes-jlab-llm.jlabLlmChat', parameters: chatParameters() }
			: { type: 'test.rawHttp', parameters: {} };
	return itemsWorkflow('bench-memory-share', count, { name: 'Model', ...model });
}

/** One measured run, in this (child) process; prints one JSON line. */
async function child(variant, count) {
	process.env.N8N_USER_FOLDER ??= path.join(os.tmpdir(), 'jlab-llm-bench-n8n');
	require('./ts-register');
	const { runWorkflow, shutdownHarness } = require('../test/harness');
	const { packageNodeTypes } = require('../test/harness/registry');
	const { startSandbox } = require('../sandbox/server');
	packageNodeTypes()['test.rawHttp'] = rawNodeType();
	const sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		latencyMs: 0,
		maxLogEntries: 1,
		keys: [{ key: KEY, key_alias: 'bench', user_id: 'bench' }],
	});
	const credentials = [
		{ id: 'bench', name: 'bench', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey: KEY } },
	];
	try {
		await runWorkflow(workflow(variant, 200), credentials);
		const base = process.memoryUsage().rss;
		let peak = base;
		const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
		const started = performance.now();
		const result = await runWorkflow(workflow(variant, count), credentials);
		clearInterval(timer);
		peak = Math.max(peak, process.memoryUsage().rss);
		const out = result.output('Model');
		const failed = out.filter((o) => o.json.error !== undefined).length + (count - out.length);
		process.stdout.write(
			`${JSON.stringify({ rise: peak - base, ms: performance.now() - started, failed })}\n`,
		);
	} finally {
		await sandbox.close();
		await shutdownHarness();
	}
}

const median = (xs) => {
	const s = [...xs].sort((x, y) => x - y);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main() {
	const count = Number(arg('--items', 5000));
	const runs = Number(arg('--runs', 3));
	const load = () => os.loadavg()[0].toFixed(1);
	const loadBefore = load();
	const results = { a: [], r: [] };
	for (let run = 0; run < runs; run++) {
		for (const variant of run % 2 ? ['r', 'a'] : ['a', 'r']) {
			const line = execFileSync(
				process.execPath,
				[__filename, '--child', variant, '--items', String(count)],
				{ encoding: 'utf8', maxBuffer: 1 << 24 },
			)
				.trim()
				.split('\n')
				.pop();
			const r = JSON.parse(line);
			results[variant].push(r);
			console.log(
				`  ${variant} run ${run + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS rise ${(r.rise / 2 ** 20).toFixed(0)} MB, ${r.failed} failed`,
			);
		}
	}
	const mb = (v) => median(results[v].map((r) => r.rise)) / 2 ** 20;
	const [a, r] = [mb('a'), mb('r')];
	console.log(
		`\n${count} items at 0 ms, in n8n's engine, medians of ${runs}; load average ${loadBefore} → ${load()}, ${os.cpus().length} cores\n` +
			`(a) JLab LLM Chat: peak RSS rise +${a.toFixed(0)} MB\n` +
			`(r) n8n's HTTP client alone: +${r.toFixed(0)} MB\n` +
			`(r)/(a) = ${(r / a).toFixed(2)}: the share of the Chat node's rise that any node calling n8n's HTTP client has`,
	);
}

if (process.argv.includes('--child')) {
	child(arg('--child'), Number(arg('--items', 5000))).then(
		() => process.exit(0),
		(error) => {
			process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
			process.exit(1);
		},
	);
} else {
	main();
}
