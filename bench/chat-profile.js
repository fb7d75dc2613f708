#!/usr/bin/env node
'use strict';
/**
 * The Chat node's per-item CPU, in-process (n8n-core's WorkflowExecute, as in the engine tests):
 * N items (default 1,000) at 0 ms gateway latency, a warm-up run, then the measured runs.
 * With `node --cpu-prof --cpu-prof-dir=<dir> bench/chat-profile.js` the V8 profile shows where
 * the time goes; `node bench/chat-profile.js --top <file.cpuprofile>` prints its top self times.
 *
 * Usage: node bench/chat-profile.js [--items N] [--runs N]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const arg = (name, fallback) => {
	const at = process.argv.indexOf(name);
	return at >= 0 ? process.argv[at + 1] : fallback;
};

/** Top self-time entries of a V8 CPU profile, by function and file. */
function top(file, count = 25) {
	const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
	const self = new Map();
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const dt = new Map();
	profile.samples.forEach((id, k) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0)));
	let total = 0;
	for (const [id, us] of dt) {
		const { functionName, url, lineNumber } = byId.get(id).callFrame;
		const where = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(nodes|test|sandbox)\//, '$1/')}:${lineNumber + 1}`;
		self.set(where, (self.get(where) ?? 0) + us);
		total += us;
	}
	const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, count);
	console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
	for (const [where, us] of rows)
		console.log(
			`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${where}`,
		);
}

async function main() {
	if (!process.env.N8N_USER_FOLDER) {
		const dir = path.join(os.tmpdir(), 'jlab-llm-bench-n8n');
		fs.mkdirSync(dir, { recursive: true });
		process.env.N8N_USER_FOLDER = dir;
	}
	require('./ts-register');
	const { runWorkflow, shutdownHarness } = require('../test/harness');
	const { startSandbox } = require('../sandbox/server');
	const { chatParameters, itemsWorkflow } = require('./workflows');
	const count = Number(arg('--items', 1000));
	const runs = Number(arg('--runs', 3));
	const key = 'sk-bench-profile-key-0123456789abcdef';
	const sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		latencyMs: 0,
		keys: [{ key, key_alias: 'profile', user_id: 'bench' }],
	});
	const workflow = itemsWorkflow('bench-profile', count, {
		name: 'Chat',
		type: 'n8n-nodes-jlab-llm.jlabLlmChat',
		parameters: chatParameters(),
		onError: 'continueRegularOutput',
	});
	const credentials = [
		{ id: 'bench', name: 'bench', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey: key } },
	];
	try {
		for (let run = 0; run <= runs; run++) {
			const cpu = process.cpuUsage();
			const started = performance.now();
			const result = await runWorkflow(workflow, credentials);
			const ms = performance.now() - started;
			const used = process.cpuUsage(cpu);
			const failed = result.output('Chat').filter((o) => o.json.errorType !== undefined).length;
			console.log(
				`${run === 0 ? 'warm-up' : `run ${run}`}: ${count} items, ${(ms / count).toFixed(3)} ms per item, CPU ${((used.user + used.system) / 1000 / count).toFixed(3)} ms per item, ${failed} failed`,
			);
		}
	} finally {
		await sandbox.close();
		await shutdownHarness();
	}
}

/** Time under each named function (itself and what it calls, counted once per sample). */
function inclusive(file, names) {
	const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
	const parent = new Map();
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const sum = new Map(names.map((n) => [n, 0]));
	profile.samples.forEach((id, k) => {
		const seen = new Set();
		for (let at = id; at !== undefined; at = parent.get(at)) {
			const name = byId.get(at).callFrame.functionName;
			if (sum.has(name) && !seen.has(name)) {
				seen.add(name);
				sum.set(name, sum.get(name) + (profile.timeDeltas[k] ?? 0));
			}
		}
	});
	for (const [name, us] of sum) console.log(`${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
}

if (process.argv.includes('--top')) top(arg('--top'), Number(arg('--count', 25)));
else if (process.argv.includes('--inclusive'))
	inclusive(arg('--inclusive'), arg('--names', '').split(','));
else
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
