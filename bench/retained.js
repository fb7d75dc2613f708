#!/usr/bin/env node
'use strict';
/**
 * What the JLab LLM Chat node itself keeps in memory during a run (not a test): the node runs
 * in-process (n8n-core's WorkflowExecute, as in the tests) against the sandbox at 0 ms latency,
 * while the heap is collected every 250 ms and its size after collection sampled. The peak of
 * those samples over the heap before the run is what the run retained at its worst: the input
 * items, the requests not sent yet, and the results so far. What the finished run still holds
 * (input and output items in n8n's run data) is measured after it; the peak above that is the
 * node's own working memory, which should not grow with the batch. Run by `bench/run.js` at its end;
 * needs `node --expose-gc`.
 *
 *   node --expose-gc bench/retained.js 1000 5000     (item counts; default 1000 5000)
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

if (typeof global.gc !== 'function') {
	process.stderr.write('run with node --expose-gc\n');
	process.exit(2);
}
// n8n-core writes <N8N_USER_FOLDER>/.n8n/config; keep it out of $HOME (as test/setup/n8n-user-folder.js does).
if (!process.env.N8N_USER_FOLDER) {
	const dir = path.join(os.tmpdir(), 'jlab-llm-bench-n8n');
	fs.mkdirSync(dir, { recursive: true });
	process.env.N8N_USER_FOLDER = dir;
}
require('./ts-register');

const { chatParameters, itemsWorkflow } = require('./workflows');

const { runWorkflow, shutdownHarness } = require('../test/harness');
const { startSandbox } = require('../sandbox/server');

const KEY = 'sk-bench-retained-0123456789abcdef012345';
const counts = process.argv
	.slice(2)
	.map(Number)
	.filter((n) => n > 0);

function workflow(count) {
	return itemsWorkflow('bench-retained', count, {
		name: 'Chat',
		type: 'n8n-nodes-jlab-llm.jlabLlmChat',
		parameters: chatParameters(),
	});
}

async function measure(sandbox, count) {
	global.gc();
	const base = process.memoryUsage().heapUsed;
	let peak = base;
	const timer = setInterval(() => {
		global.gc();
		peak = Math.max(peak, process.memoryUsage().heapUsed);
	}, 250);
	const result = await runWorkflow(workflow(count), [
		{ id: 'bench', name: 'bench', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey: KEY } },
	]);
	clearInterval(timer);
	// What the finished run holds (its input and output items, n8n's run data): the node's own
	// memory is what the peak had beyond it.
	global.gc();
	const held = process.memoryUsage().heapUsed - base;
	const out = result.output('Chat');
	const outputJson = JSON.stringify(out.map((o) => o.json)).length;
	const failed = out.filter((o) => o.json.error !== undefined).length + (count - out.length);
	return { count, retained: peak - base, beyond: peak - base - held, held, outputJson, failed };
}

async function main() {
	const sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		maxLogEntries: 1,
		keys: [{ key: KEY, key_alias: 'bench', user_id: 'bench' }],
	});
	try {
		await measure(sandbox, 50); // warm-up: module loading and JIT
		for (const count of counts.length ? counts : [1000, 5000]) {
			const r = await measure(sandbox, count);
			const kb = (bytes) => (bytes / 1024).toFixed(1);
			process.stdout.write(
				`  ${String(count).padStart(5)} items: at most ${(r.retained / 2 ** 20).toFixed(1)} MB retained during the run ` +
					`(${kb(r.retained / count)} kB per item; the output alone is ${kb(r.outputJson / count)} kB of JSON per item); ` +
					`the finished run holds ${(r.held / 2 ** 20).toFixed(1)} MB, the peak was ${(r.beyond / 2 ** 20).toFixed(1)} MB above it; ${r.failed} failed\n`,
			);
		}
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
