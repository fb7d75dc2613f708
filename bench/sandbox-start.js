#!/usr/bin/env node
// Startup time of `npm run sandbox` (spawn → banner printed), beside a bare `node -e 0` in the same run.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const CLI = path.join(__dirname, '..', 'sandbox', 'cli.js');
const RUNS = Number(process.env.RUNS || 7);

function time(args, ready) {
	return new Promise((resolve, reject) => {
		const t = process.hrtime.bigint();
		const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
		let out = '';
		const done = () => resolve(Number(process.hrtime.bigint() - t) / 1e6);
		child.stdout.on('data', (d) => {
			out += d;
			if (ready && ready(out)) {
				const ms = Number(process.hrtime.bigint() - t) / 1e6;
				child.once('exit', () => resolve(ms));
				child.kill('SIGTERM');
			}
		});
		child.on('error', reject);
		if (!ready) child.on('exit', done);
	});
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
	const bare = [];
	const sandbox = [];
	// Interleaved so machine noise hits both columns alike.
	for (let i = 0; i < RUNS; i++) {
		bare.push(await time(['-e', '0']));
		sandbox.push(
			await time([CLI, '--port', '0', '--key', 'sk-bench-startup-0000000000'], (out) =>
				out.includes('control routes:'),
			),
		);
	}
	const b = median(bare);
	const s = median(sandbox);
	console.log(`runs: ${RUNS}, Node ${process.versions.node}`);
	console.log(`node -e 0 (process start only)   median ${b.toFixed(0)} ms`);
	console.log(
		`npm run sandbox → banner          median ${s.toFixed(0)} ms  (${(s / b).toFixed(2)}× a bare node start)`,
	);
	console.log(`target: under 1000 ms → ${s < 1000 ? 'holds' : 'MISSED'}`);
})().catch((e) => {
	console.error(e);
	process.exit(1);
});
