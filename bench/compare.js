#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:compare` — this checkout's nodes against an earlier commit's, side by side in one
 * run (not a test): did a change make the nodes slower or hungrier?
 *
 * The earlier commit is checked out into a temporary git worktree (its node_modules a link to this
 * one's). Each measured run is a fresh Node process that loads one tree's nodes and n8n-core
 * harness (test/harness, TypeScript transpiled on require) and runs one workflow "Items → node"
 * in n8n's engine; both trees talk to the same sandbox gateways, started here, so only the nodes
 * differ. Runs are interleaved (base, head, then head, base, …); the table gives medians, the
 * ratio head/base and the load average before and after.
 *
 * Per run: wall time of the workflow, CPU time of the process during it (the gateway is in the
 * parent, so its CPU is not counted) per item, and the process's peak RSS.
 *
 *   node bench/compare.js --base <git rev> [--runs 3] [--quick]
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { chatParameters, itemsWorkflow } = require('./workflows');

const KEY = 'sk-bench-compare-key-0123456789abcdef';

const WORKLOADS = [
	{ name: 'Chat, 200 items at 200 ms', node: 'chat', items: 200, slow: true },
	{ name: 'Chat, 1,000 items at 0 ms', node: 'chat', items: 1000, slow: false },
	{ name: 'Usage Get Key Info, 500 items at 0 ms', node: 'usage', items: 500, slow: false },
];

function workflow(kind, count) {
	const node =
		kind === 'chat'
			? { type: 'n8n-nodes-jlab-llm.jlabLlmChat', parameters: chatParameters() }
			: { type: 'n8n-nodes-jlab-llm.jlabLlmUsage', parameters: { operation: 'getKeyInfo' } };
	return itemsWorkflow('bench-compare', count, {
		name: 'Node',
		onError: 'continueRegularOutput',
		...node,
	});
}

/** One measured run in this process: `--worker <root> <kind> <items> <gateway url>`. */
async function worker([root, kind, items, url]) {
	process.env.N8N_USER_FOLDER ??= fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-compare-'));
	require('./ts-register');
	const { runWorkflow, shutdownHarness } = require(path.join(root, 'test', 'harness'));
	const creds = [
		{ id: 'bench', name: 'bench', type: 'jlabLlmApi', data: { baseUrl: url, apiKey: KEY } },
	];
	// Warm-up: module loading and JIT out of the measured run.
	await runWorkflow(workflow(kind, 50), creds);
	const cpu = process.cpuUsage();
	const started = performance.now();
	const result = await runWorkflow(workflow(kind, Number(items)), creds);
	const seconds = (performance.now() - started) / 1000;
	const used = process.cpuUsage(cpu);
	const out = result.output('Node');
	// Nothing lost: a run that does not give every item back is not a measurement.
	if (out.length !== Number(items)) throw new Error(`${out.length} of ${items} items came out`);
	const failed = out.filter((o) => o.json.errorType !== undefined || o.json.error).length;
	process.stdout.write(
		JSON.stringify({
			seconds,
			cpuMsPerItem: (used.user + used.system) / 1000 / Number(items),
			peakRssMb: process.resourceUsage().maxRSS / 1024,
			items: out.length,
			failed,
		}) + '\n',
	);
	await shutdownHarness();
}

function runWorker(root, w, url) {
	return new Promise((resolve, reject) => {
		const child = spawn(
			process.execPath,
			[__filename, '--worker', root, w.node, String(w.items), url],
			{ stdio: ['ignore', 'pipe', 'inherit'] },
		);
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.on('exit', (code) => {
			const line = out.trim().split('\n').pop();
			if (code !== 0 || !line) return reject(new Error(`worker for ${root} exited ${code}`));
			resolve(JSON.parse(line));
		});
	});
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
	os
		.loadavg()
		.map((l) => l.toFixed(2))
		.join(' ');

function table(rows) {
	const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
	const fmt = (cells) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
	return [fmt(rows[0]), fmt(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(fmt)].join(
		'\n',
	);
}

async function main(argv) {
	const option = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
	const quick = argv.includes('--quick');
	const runs = Number(option('--runs', quick ? 1 : 3));
	const base = option('--base');
	if (!base) throw new Error('--base <git rev>: the commit to compare against is required');
	const head = path.resolve(__dirname, '..');
	const sha = execFileSync('git', ['rev-parse', '--short', base], { cwd: head }).toString().trim();
	const baseRoot = path.join(os.tmpdir(), `jlab-llm-compare-${sha}`);
	if (!fs.existsSync(baseRoot)) {
		execFileSync('git', ['worktree', 'add', '--detach', baseRoot, sha], {
			cwd: head,
			stdio: 'ignore',
		});
		fs.symlinkSync(path.join(head, 'node_modules'), path.join(baseRoot, 'node_modules'));
	}
	const { startSandbox } = require('../sandbox/server');
	const keys = [{ key: KEY, key_alias: 'bench', user_id: 'bench' }];
	const fast = await startSandbox({ port: 0, basePath: '/api', keys });
	const slow = await startSandbox({ port: 0, basePath: '/api', latencyMs: 200, keys });
	const loadBefore = load();
	const results = new Map();
	try {
		for (let r = 0; r < runs; r++)
			for (const w of WORKLOADS) {
				const order = r % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
				for (const side of order) {
					const root = side === 'base' ? baseRoot : head;
					const m = await runWorker(
						root,
						quick ? { ...w, items: Math.ceil(w.items / 4) } : w,
						(w.slow ? slow : fast).url,
					);
					const k = `${w.name}|${side}`;
					results.set(k, [...(results.get(k) ?? []), m]);
				}
			}
	} finally {
		await fast.close();
		await slow.close();
		execFileSync('git', ['worktree', 'remove', '--force', baseRoot], {
			cwd: head,
			stdio: 'ignore',
		});
	}
	const rows = [
		[
			'workload',
			'base s',
			'head s',
			'head/base time',
			'base CPU ms/item',
			'head CPU ms/item',
			'head/base CPU',
			'base RSS MB',
			'head RSS MB',
			'failed (base/head)',
		],
	];
	for (const w of WORKLOADS) {
		const pick = (side, f) => median(results.get(`${w.name}|${side}`).map(f));
		const b = (f) => pick('base', f);
		const h = (f) => pick('head', f);
		rows.push([
			w.name,
			b((m) => m.seconds).toFixed(2),
			h((m) => m.seconds).toFixed(2),
			(h((m) => m.seconds) / b((m) => m.seconds)).toFixed(2),
			b((m) => m.cpuMsPerItem).toFixed(3),
			h((m) => m.cpuMsPerItem).toFixed(3),
			(h((m) => m.cpuMsPerItem) / b((m) => m.cpuMsPerItem)).toFixed(2),
			b((m) => m.peakRssMb).toFixed(0),
			h((m) => m.peakRssMb).toFixed(0),
			`${b((m) => m.failed)}/${h((m) => m.failed)}`,
		]);
	}
	console.log(`\nbase ${sha} against head (this checkout), medians of ${runs} interleaved run(s)`);
	console.log(
		`load average (1, 5, 15 min): before ${loadBefore}, after ${load()}; ${os.cpus().length} cores\n`,
	);
	console.log(table(rows));
}

const argv = process.argv.slice(2);
(argv[0] === '--worker' ? worker(argv.slice(1)) : main(argv)).catch((e) => {
	console.error(e);
	process.exit(1);
});
