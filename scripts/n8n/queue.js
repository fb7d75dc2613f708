// n8n in queue mode for the queue suite (test/e2e/queue-mode.queue.test.ts): Redis and PostgreSQL
// from Debian's packages, one n8n main and several workers, all on 127.0.0.1, every process
// started and stopped by its PID. Builds on lib.js (same install, tarball, credentials, workflows).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');

const lib = require('./lib');

/** The bin folder of Debian's newest installed PostgreSQL (bookworm: 15), or undefined. */
function pgBin() {
	const root = '/usr/lib/postgresql';
	let versions = [];
	try {
		versions = fs
			.readdirSync(root)
			.filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')));
	} catch {
		/* not installed */
	}
	versions.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

function haveCommand(cmd) {
	return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Installs a Debian package when a command is missing (the suites run as root in CI). */
function aptInstall(pkg, probe, log) {
	if (probe()) return;
	if (process.getuid && process.getuid() !== 0)
		throw new Error(`${pkg} is missing and this is not root: apt-get install -y ${pkg}`);
	log(`  … apt-get install -y ${pkg}`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	let r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { env, encoding: 'utf8' });
	if (r.status !== 0) {
		spawnSync('apt-get', ['update', '-qq'], { env });
		r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { env, encoding: 'utf8' });
	}
	if (r.status !== 0 || !probe())
		throw new Error(`apt-get install ${pkg} failed:\n${(r.stderr || '').slice(-1500)}`);
}

/** Starts a long-running child in its own process group; resolves once `ready(output)` is true. */
function startProcess(
	label,
	cmd,
	args,
	{ env, cwd, logFile, ready, timeoutMs = 120000, uid, gid },
) {
	const proc = lib.spawnInto({ label, logFile }, cmd, args, { cwd, env, logFile, uid, gid });
	proc.tail = (n = 30) => proc.output.split('\n').slice(-n).join('\n');
	proc.stop = (graceMs) => lib.stopProcess(proc, graceMs);
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const poll = setInterval(() => {
			if (ready(proc.output)) {
				clearInterval(poll);
				proc.startMs = Date.now() - t0;
				resolve(proc);
			} else if (proc.exited || Date.now() - t0 > timeoutMs) {
				clearInterval(poll);
				const why = proc.exited
					? `exited (${proc.exited})`
					: `not ready within ${timeoutMs / 1000}s`;
				lib.killGroup(proc.pid, 'SIGKILL');
				reject(new Error(`${label} ${why}; last lines:\n${proc.tail(40)}`));
			}
		}, 200);
	});
}

/** redis-server from Debian's package on 127.0.0.1, a free port, no persistence. */
async function startRedis({ dir, log = console.log }) {
	aptInstall('redis-server', () => haveCommand('redis-server'), log);
	const port = await lib.freePort();
	const version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
	const proc = await startProcess(
		'redis-server',
		'redis-server',
		[
			'--bind',
			'127.0.0.1',
			'--port',
			String(port),
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
			'--dir',
			dir,
			'--protected-mode',
			'yes',
		],
		{
			cwd: dir,
			env: process.env,
			logFile: path.join(dir, 'redis.log'),
			ready: (o) => /Ready to accept connections/.test(o),
		},
	);
	return Object.assign(proc, { port, version: /v=(\S+)/.exec(version)?.[1] ?? version });
}

/**
 * PostgreSQL 15 from Debian's package: a throw-away cluster in a temp folder (owned by the
 * `postgres` user, since the server refuses to run as root), trust auth, 127.0.0.1 only, fsync off.
 */
async function startPostgres({ dir, log = console.log }) {
	aptInstall('postgresql', () => pgBin() !== undefined, log);
	const PG_BIN = pgBin();
	const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
	const gw = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
	if (pw.status !== 0)
		throw new Error('the postgres system user is missing (it comes with the postgresql package)');
	const uid = Number(pw.stdout.trim());
	const gid = Number(gw.stdout.trim());
	const data = path.join(dir, 'pgdata');
	fs.mkdirSync(data, { recursive: true, mode: 0o700 });
	fs.chownSync(dir, uid, gid);
	fs.chownSync(data, uid, gid);
	const init = spawnSync(
		path.join(PG_BIN, 'initdb'),
		['-D', data, '-A', 'trust', '-U', 'n8n', '-E', 'UTF8', '--no-sync'],
		{ uid, gid, cwd: dir, encoding: 'utf8' },
	);
	if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
	const port = await lib.freePort();
	const args = [
		'-D',
		data,
		'-p',
		String(port),
		'-k',
		dir,
		'-c',
		'listen_addresses=127.0.0.1',
		'-c',
		'fsync=off',
		'-c',
		'synchronous_commit=off',
		'-c',
		'full_page_writes=off',
		'-c',
		'max_connections=100',
	];
	const proc = await startProcess('postgres', path.join(PG_BIN, 'postgres'), args, {
		cwd: dir,
		env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
		uid,
		gid,
		logFile: path.join(dir, 'postgres.log'),
		ready: (o) => /ready to accept connections/.test(o),
	});
	const version = execFileSync(path.join(PG_BIN, 'postgres'), ['--version'], {
		encoding: 'utf8',
	}).trim();
	/** The whole database as SQL text (pg_dump), for leak checks. */
	const dump = () => {
		const r = spawnSync(
			path.join(PG_BIN, 'pg_dump'),
			['-h', '127.0.0.1', '-p', String(port), '-U', 'n8n', 'postgres'],
			{ uid, gid, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
		);
		if (r.status !== 0) throw new Error(`pg_dump failed: ${r.stderr}`);
		return r.stdout;
	};
	return Object.assign(proc, { port, user: 'n8n', database: 'postgres', version, dump });
}

/** The environment every n8n process of the queue stack shares (queue mode, Redis, PostgreSQL). */
function queueEnv(redis, pg) {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(pg.port),
		DB_POSTGRESDB_USER: pg.user,
		DB_POSTGRESDB_PASSWORD: '',
		DB_POSTGRESDB_DATABASE: pg.database,
		DB_POSTGRESDB_POOL_SIZE: '4',
		// JSON log lines: the main's "Execution N (job J) finished" carries the worker's id.
		N8N_LOG_FORMAT: 'json',
		// Manual runs from the editor go to the workers as well (the default in 2.x; said out loud).
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
	};
}

/** Parses n8n's JSON log lines (N8N_LOG_FORMAT=json); other lines are skipped. */
function jsonLogLines(text) {
	const out = [];
	for (const line of text.split('\n')) {
		const t = line.trim();
		if (!t.startsWith('{')) continue;
		try {
			out.push(JSON.parse(t));
		} catch {
			/* a multi-line message */
		}
	}
	return out;
}

/**
 * Redis + PostgreSQL + sandbox + n8n main + `workers` n8n workers (`n8n worker --concurrency=N`),
 * the package unpacked into every process's nodes folder from the same tarball, the example
 * credentials and `workflows` imported. Returns { redis, pg, sandbox, main, workers, client, stop }.
 */
async function startQueueStack(o = {}) {
	const log = o.log || console.log;
	const cleanups = [];
	const stack = { cleanups, workers: [] };
	stack.stop = async () => {
		while (cleanups.length > 0) {
			const fn = cleanups.pop();
			try {
				await fn();
			} catch (err) {
				log(`cleanup failed: ${err.message}`);
			}
		}
	};
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-queue-'));
	fs.chmodSync(tmp, 0o755);
	stack.tmp = tmp;
	cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
	try {
		let t0 = Date.now();
		const redisDir = path.join(tmp, 'redis');
		fs.mkdirSync(redisDir);
		stack.redis = await startRedis({ dir: redisDir, log });
		cleanups.push(() => stack.redis.stop());
		log(
			`  ✓ redis-server ${stack.redis.version} on 127.0.0.1:${stack.redis.port} (pid ${stack.redis.pid}, ${lib.fmt(Date.now() - t0)})`,
		);

		t0 = Date.now();
		const pgDir = path.join(tmp, 'pg');
		fs.mkdirSync(pgDir);
		stack.pg = await startPostgres({ dir: pgDir, log });
		cleanups.push(() => stack.pg.stop());
		log(
			`  ✓ ${stack.pg.version} on 127.0.0.1:${stack.pg.port} (pid ${stack.pg.pid}, ${lib.fmt(Date.now() - t0)})`,
		);

		let pack;
		if (o.tarball || process.env.JLAB_LLM_TARBALL) {
			const tarball = path.resolve(o.tarball || process.env.JLAB_LLM_TARBALL);
			pack = {
				tarball,
				...JSON.parse(
					execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
				),
			};
			log(`  ✓ using ${tarball}`);
		} else {
			pack = await lib.buildAndPack({ log });
			cleanups.push(() => fs.rmSync(pack.dir, { recursive: true, force: true }));
		}
		// The working tree is shared: a build running elsewhere at the same moment can leave a tarball
		// without its compiled files. Refuse it here rather than fail later with "unknown node type".
		const entries = new Set(
			execFileSync('tar', ['-tzf', pack.tarball], { encoding: 'utf8' }).split('\n'),
		);
		const manifest = JSON.parse(
			execFileSync('tar', ['-xzOf', pack.tarball, 'package/package.json'], { encoding: 'utf8' }),
		);
		const missing = [...(manifest.n8n?.nodes || []), ...(manifest.n8n?.credentials || [])].filter(
			(f) => !entries.has(`package/${f}`),
		);
		if (missing.length > 0)
			throw new Error(
				`${pack.tarball} lacks ${missing.join(', ')} (a build ran at the same time?); pack again`,
			);
		stack.pack = pack;

		const { startSandbox } = require(path.join(lib.ROOT, 'sandbox', 'server'));
		stack.sandbox = await startSandbox({
			port: 0,
			embeddingModels: true,
			...(o.sandbox || {}),
			basePath: '/api',
		});
		cleanups.push(() => stack.sandbox.close());
		log(`  ✓ sandbox gateway on ${stack.sandbox.url}`);

		const shared = queueEnv(stack.redis, stack.pg);
		const encryptionKey = 'jlab-llm-queue-encryption-key-0001';
		const main = await lib.prepareN8n({
			userFolder: path.join(tmp, 'main'),
			logLevel: o.logLevel,
			encryptionKey,
			extraEnv: { ...shared, ...(o.extraEnv || {}) },
			log,
		});
		stack.main = main;
		stack.client = main.client;
		lib.installIntoNodesFolder(main.userFolder, pack.tarball);

		// The schema and the data live in PostgreSQL; the CLI import migrates it on first use.
		t0 = Date.now();
		// Credentials may depend on the sandbox's URL: a function of the stack is called here.
		const credentials =
			typeof o.credentials === 'function' ? o.credentials(stack) : o.credentials || [];
		await lib.importData(main, { credentials, workflows: o.workflows || [] });
		log(
			`  ✓ imported ${credentials.length} credential(s) and ${(o.workflows || []).length} workflow(s) into PostgreSQL (${lib.fmt(Date.now() - t0)})`,
		);

		cleanups.push(() => main.stop());
		await main.start();
		await main.client.signIn();
		await main.client.createApiKey('jlab-llm-queue');
		await lib.importData(main, {
			credentials: [
				{
					...lib.N8N_CREDENTIAL,
					data: { baseUrl: main.url, apiKey: main.client.apiKey, allowHttp: false },
				},
			],
		});
		log(`  ✓ credential "${lib.N8N_CREDENTIAL.name}" → the main's public API`);

		const n = o.workers ?? 2;
		const ownHostname = spawnSync('unshare', ['--uts', 'true'], { stdio: 'ignore' }).status === 0;
		stack.ownHostnames = ownHostname;
		const concurrency = o.workerConcurrency ?? 1;
		for (let i = 1; i <= n; i++) {
			t0 = Date.now();
			const w = await lib.prepareN8n({
				userFolder: path.join(tmp, `worker${i}`),
				logLevel: o.logLevel,
				encryptionKey,
				extraEnv: { ...shared, ...(o.extraEnv || {}) },
				log,
			});
			lib.installIntoNodesFolder(w.userFolder, pack.tarball);
			// n8n names a worker `worker-<hostname>` inside a container (a random id elsewhere); give each
			// worker its own hostname, as its own container would, when a UTS namespace can be made.
			const hostname = `jlab-queue-worker-${i}`;
			const workerArgs = ['worker', `--concurrency=${concurrency}`];
			const [cmd, args] = ownHostname
				? [
						'unshare',
						['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, w.n8n.bin, ...workerArgs],
					]
				: [w.n8n.bin, workerArgs];
			const proc = await startProcess(`n8n worker ${i}`, cmd, args, {
				cwd: w.userFolder,
				env: w.env(),
				logFile: path.join(w.userFolder, 'n8n-worker.log'),
				ready: (out) => /n8n worker is now ready/.test(out),
				timeoutMs: 180000,
			});
			const worker = {
				name: `worker${i}`,
				index: i,
				inst: w,
				proc,
				concurrency,
				logFile: proc.logFile,
				hostname: ownHostname ? hostname : os.hostname(),
			};
			/** Execution ids this worker started ("Worker started execution N (job J)"). */
			worker.executions = () =>
				jsonLogLines(proc.output)
					.map((l) => /^Worker started execution (\S+) \(job (\S+)\)/.exec(String(l.message || '')))
					.filter(Boolean)
					.map((m) => m[1]);
			stack.workers.push(worker);
			cleanups.push(() => proc.stop());
			log(
				`  ✓ n8n worker ${i} (pid ${proc.pid}, hostname ${worker.hostname}, --concurrency=${concurrency}) ready (${lib.fmt(Date.now() - t0)})`,
			);
		}
		return stack;
	} catch (err) {
		if (stack.main && stack.main.output)
			err.message += `\n--- n8n main log (tail) ---\n${stack.main.tail(30)}`;
		await stack.stop();
		throw err;
	}
}

/**
 * The main's record of who ran an execution: its log line "Execution N (job J) finished" carries
 * the worker's host id (instanceSettings.hostId, `worker-<nanoid>`), sent with the Bull job's progress.
 */
function workerIdsFromMainLog(mainOutput) {
	const byExecution = {};
	for (const l of jsonLogLines(mainOutput)) {
		const m = /^Execution (\S+) \(job (\S+)\) finished/.exec(String(l.message || ''));
		if (!m) continue;
		const meta = l.metadata || l;
		byExecution[m[1]] = { workerId: meta.workerId, jobId: m[2] };
	}
	return byExecution;
}

/**
 * Turns an example into a copy the main can enqueue: its manual triggers become POST webhooks of
 * the same name (so connections still hold) and its schedule triggers are dropped (nothing fires
 * by the clock during the suite).
 */
function asWebhookWorkflow(workflow, { id, name, path: hookPath }) {
	const dropped = new Set();
	const nodes = [];
	for (const n of workflow.nodes) {
		if (n.type === 'n8n-nodes-base.scheduleTrigger') {
			dropped.add(n.name);
			continue;
		}
		if (n.type === 'n8n-nodes-base.manualTrigger') {
			nodes.push({
				id: n.id,
				name: n.name,
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: n.position,
				webhookId: `${hookPath}-hook`,
				parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} },
			});
			continue;
		}
		nodes.push(n);
	}
	const connections = {};
	for (const [from, c] of Object.entries(workflow.connections || {}))
		if (!dropped.has(from)) connections[from] = c;
	return { ...workflow, id, name, nodes, connections, active: false };
}

module.exports = {
	startQueueStack,
	startRedis,
	startPostgres,
	queueEnv,
	jsonLogLines,
	workerIdsFromMainLog,
	asWebhookWorkflow,
};
