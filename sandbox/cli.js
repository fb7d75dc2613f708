#!/usr/bin/env node
'use strict';
// `npm run sandbox`: start the LiteLLM-compatible sandbox gateway on 127.0.0.1.
// Prints only fingerprints of keys (sk-…abcd + first 12 hex of the hash), never a whole key.

const fs = require('fs');
const path = require('path');
const { startSandbox, fingerprint, hashKey, PROFILES } = require('./server');

const HELP = `Usage: node sandbox/cli.js [options]

A LiteLLM-compatible sandbox gateway (127.0.0.1 only) for tests, demos and benchmarks.

Options:
  --port <n>            port to listen on (default 4000; 0 = a random free port)
  --base-path <path>    hang every route below this prefix, e.g. /api (like https://delphi.jlab.org/api)
  --latency <ms|a-b>    simulated upstream latency for LLM routes, fixed or a min-max range
  --profile <name>      LiteLLM version profile: ${Object.keys(PROFILES).join(' | ')} (default v1.9x)
  --enterprise          enable enterprise features (/key/regenerate)
  --no-enterprise       disable them (default)
  --seed <file.json>    seed keys, users, teams, activity (see sandbox/seed.example.json)
  --key <sk-…>          seed one user key (repeatable); each gets its own user sandbox-user-<n>
  --budget <usd>        max_budget for keys seeded with --key
  --rpm <n>             rpm_limit for keys seeded with --key
  --tpm <n>             tpm_limit for keys seeded with --key
  --master-key <sk-…>   a proxy-admin (master) key
  --one-key-per-user    /key/generate refuses a second live key for the same user
  --no-management       hide management routes (/key/*, /user/*, /spend/*, /model/info …): all 404
  --hidden-routes <how> how hidden routes answer: json ({"detail":"Not Found"}, default) or html (a proxy's page)
  --workers <n>         n LiteLLM workers, each with its own in-memory key cache (deletions reach the others late)
  --key-cache-ttl-ms <n> how long a worker caches a key row (default 60000, LiteLLM's 60 s)
  --help                show this help

Control routes (not LiteLLM): /__sandbox/requests, /__sandbox/faults, /__sandbox/keys,
/__sandbox/config, /__sandbox/stats — see sandbox/README.md.
`;

function fail(msg) {
	process.stderr.write(`sandbox: ${msg}\nTry --help.\n`);
	process.exit(2);
}

function parseArgs(argv) {
	const opts = { port: 4000, keys: [] };
	const takesValue = new Set([
		'--port',
		'--base-path',
		'--latency',
		'--profile',
		'--seed',
		'--key',
		'--budget',
		'--rpm',
		'--tpm',
		'--master-key',
		'--host',
		'--hidden-routes',
		'--workers',
		'--key-cache-ttl-ms',
	]);
	for (let i = 0; i < argv.length; i++) {
		let arg = argv[i];
		let value;
		const eq = arg.indexOf('=');
		if (arg.startsWith('--') && eq > 0) {
			value = arg.slice(eq + 1);
			arg = arg.slice(0, eq);
		}
		if (takesValue.has(arg) && value === undefined) {
			value = argv[++i];
			if (value === undefined) fail(`${arg} needs a value`);
		}
		const int = (v, name) => {
			if (!/^\d+$/.test(v)) fail(`${name} expects a whole number, got ${v}`);
			return parseInt(v, 10);
		};
		switch (arg) {
			case '--help':
			case '-h':
				opts.help = true;
				break;
			case '--port':
				opts.port = int(value, '--port');
				break;
			case '--host':
				if (value !== '127.0.0.1') fail('the sandbox binds to 127.0.0.1 only');
				break;
			case '--base-path':
				opts.basePath = value;
				break;
			case '--latency':
				if (!/^\d+(-\d+)?$/.test(value)) fail(`--latency expects ms or min-max, got ${value}`);
				opts.latencyMs = value;
				break;
			case '--profile':
				if (!PROFILES[value])
					fail(`unknown profile ${value}; use ${Object.keys(PROFILES).join(', ')}`);
				opts.profile = value;
				break;
			case '--enterprise':
				opts.enterprise = true;
				break;
			case '--no-enterprise':
				opts.enterprise = false;
				break;
			case '--seed':
				opts.seed = value;
				break;
			case '--key':
				if (!value.startsWith('sk-')) fail('--key expects a key starting with sk-');
				opts.keys.push(value);
				break;
			case '--budget': {
				const b = Number(value);
				if (!Number.isFinite(b) || b < 0)
					fail(`--budget expects a non-negative number, got ${value}`);
				opts.budget = b;
				break;
			}
			case '--rpm':
				opts.rpm = int(value, '--rpm');
				break;
			case '--tpm':
				opts.tpm = int(value, '--tpm');
				break;
			case '--master-key':
				if (!value.startsWith('sk-')) fail('--master-key expects a key starting with sk-');
				opts.masterKey = value;
				break;
			case '--one-key-per-user':
				opts.oneKeyPerUser = true;
				break;
			case '--no-management':
				opts.exposeManagement = false;
				break;
			case '--workers':
				opts.workers = int(value, '--workers');
				break;
			case '--key-cache-ttl-ms':
				opts.keyCacheTtlMs = int(value, '--key-cache-ttl-ms');
				break;
			case '--hidden-routes':
				if (value !== 'json' && value !== 'html') fail('--hidden-routes expects json or html');
				opts.hiddenRoutes = value;
				break;
			default:
				fail(`unknown option ${arg}`);
		}
	}
	return opts;
}

function loadSeed(file) {
	const full = path.resolve(process.cwd(), file);
	let data;
	try {
		data = JSON.parse(fs.readFileSync(full, 'utf8'));
	} catch (e) {
		fail(`cannot read seed file ${full}: ${e.message}`);
	}
	if (!data || typeof data !== 'object' || Array.isArray(data))
		fail('the seed file must hold a JSON object');
	return data;
}

function describeKey(seed) {
	const alias = seed.key_alias || '(no alias)';
	if (typeof seed.key === 'string') return `${alias}  ${fingerprint(seed.key)}`;
	return `${alias}  ${seed.key_name || 'sk-…????'} ${String(seed.token).slice(0, 12)}`;
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (opts.help) {
		process.stdout.write(HELP);
		return;
	}
	const seed = opts.seed ? loadSeed(opts.seed) : {};
	const cliKeys = opts.keys.map((key, i) => ({
		key,
		key_alias: `cli-key-${i + 1}`,
		user_id: `sandbox-user-${i + 1}`,
		...(opts.budget !== undefined && { max_budget: opts.budget }),
		...(opts.rpm !== undefined && { rpm_limit: opts.rpm }),
		...(opts.tpm !== undefined && { tpm_limit: opts.tpm }),
	}));
	const keys = [...(seed.keys || []), ...cliKeys];
	const sandboxOptions = {
		port: opts.port,
		basePath: opts.basePath ?? seed.basePath,
		latencyMs: opts.latencyMs ?? seed.latencyMs,
		profile: opts.profile ?? seed.profile,
		enterprise: opts.enterprise ?? seed.enterprise,
		oneKeyPerUser: opts.oneKeyPerUser ?? seed.oneKeyPerUser,
		exposeManagement: opts.exposeManagement ?? seed.exposeManagement,
		hiddenRoutes: opts.hiddenRoutes ?? seed.hiddenRoutes,
		workers: opts.workers ?? seed.workers,
		keyCacheTtlMs: opts.keyCacheTtlMs ?? seed.keyCacheTtlMs,
		masterKey: opts.masterKey ?? seed.masterKey,
		keys,
		users: seed.users,
		teams: seed.teams,
		activity: seed.activity,
		models: seed.models,
		// The CLI serves the embedding models too (npm run dev, the RAG example); seeds may say false.
		embeddingModels: seed.embeddingModels ?? true,
		prices: seed.prices,
	};
	for (const k of Object.keys(sandboxOptions))
		if (sandboxOptions[k] === undefined) delete sandboxOptions[k];

	let sandbox;
	try {
		sandbox = await startSandbox(sandboxOptions);
	} catch (e) {
		fail(e.code === 'EADDRINUSE' ? `port ${opts.port} is in use (try --port 0)` : e.message);
	}
	const cfg = sandbox.config;
	const lines = [
		`LiteLLM sandbox gateway: ${sandbox.url}`,
		`profile ${cfg.profile} (x-litellm-version ${PROFILES[cfg.profile].version}), enterprise ${cfg.enterprise ? 'on' : 'off'}, ` +
			`management routes ${cfg.exposeManagement ? 'exposed' : `hidden (${cfg.hiddenRoutes === 'html' ? 'HTML 404' : '404'})`}${cfg.oneKeyPerUser ? ', one key per user' : ''}`,
	];
	if (sandboxOptions.masterKey) lines.push(`master key  ${fingerprint(sandboxOptions.masterKey)}`);
	if (keys.length) {
		lines.push('keys (alias, fingerprint, hash prefix):');
		for (const k of keys) lines.push(`  ${describeKey(k)}`);
	} else {
		lines.push('no keys seeded (use --key sk-… or --seed file.json)');
	}
	lines.push(`control routes: ${sandbox.origin}/__sandbox/{requests,faults,keys,config,stats}`);
	process.stdout.write(lines.join('\n') + '\n');

	let stopping = false;
	const stop = (signal) => {
		if (stopping) return;
		stopping = true;
		process.stdout.write(`\n${signal}: stopping the sandbox\n`);
		sandbox.close().then(() => process.exit(0));
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

// hashKey is re-exported for scripts that want to compute a seed `token` offline.
module.exports = { parseArgs, hashKey };

if (require.main === module) {
	main().catch((e) => fail(e && e.message));
}
