// Process management for a real n8n with this package installed: used by the e2e, browser and
// compat suites (test/e2e, test/browser) and by `npm run dev`. Plain Node, no dependencies.
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const { ROOT, CACHE_DIR, CURRENT, OLDEST, PACKAGE_NAME } = require('./config');
const { ensureN8n, runtimeEnv, cleanEnv, run, fmt, npmCommand } = require('./install');

/** The owner of every test/dev instance. n8n wants 8+ characters, a digit and an upper-case letter. */
const OWNER = {
	email: 'owner@example.com',
	firstName: 'JLab',
	lastName: 'Developer',
	password: 'JlabLlm-dev-2026',
};

/** The credential every example workflow refers to. */
const SANDBOX_CREDENTIAL = {
	id: 'jlabLlmSandbox01',
	name: 'JLab LLM (sandbox)',
	type: 'jlabLlmApi',
};
/** `npm run dev` only: the rotation example's own credential and key, so rotating leaves the demo key working. */
const ROTATION_CREDENTIAL = {
	id: 'jlabLlmSandboxRot01',
	name: 'JLab LLM (sandbox, rotation demo)',
	type: 'jlabLlmApi',
};
/** The n8n API credential the key-rotation examples write the new key through (this n8n itself). */
const N8N_CREDENTIAL = { id: 'jlabLlmN8nLocal01', name: 'n8n API (local)', type: 'jlabLlmN8nApi' };
const API_KEY_LABEL = 'jlab-llm-examples';

// JLAB_LLM_EXAMPLES points the suites and `npm run dev` at another folder of workflows.
const EXAMPLES_DIR = path.resolve(process.env.JLAB_LLM_EXAMPLES || path.join(ROOT, 'examples'));

// Every child we start, so an abrupt exit of the parent still takes them down (by PID, never by name).
const children = new Set();
process.on('exit', () => {
	for (const pid of children) killGroup(pid, 'SIGKILL');
});

function killGroup(pid, signal) {
	try {
		process.kill(-pid, signal); // the child was started detached: it leads its own process group
	} catch {
		try {
			process.kill(pid, signal);
		} catch {
			/* already gone */
		}
	}
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `npm run build` then `npm pack`: the tarball users would get from the registry. */
async function buildAndPack({ log = console.log, outDir, root = ROOT } = {}) {
	const dest = outDir || fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-pack-'));
	fs.mkdirSync(dest, { recursive: true });
	const logFile = path.join(dest, 'build.log');
	// Build with the project's own settings (its .npmrc and the system Node), not the cache's Node 24.
	const env = { ...process.env };
	delete env.npm_config_ignore_scripts;
	await run('npm run build', npmCommand(), ['run', 'build'], { cwd: root, env, logFile, log });
	const out = execFileSync(npmCommand(), ['pack', '--json', '--pack-destination', dest], {
		cwd: root,
		env,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const info = JSON.parse(out.slice(out.indexOf('[')))[0];
	const tarball = path.join(dest, info.filename);
	log(`  ✓ npm pack → ${path.basename(tarball)} (${info.entryCount} files)`);
	return {
		tarball,
		dir: dest,
		name: info.name,
		version: info.version,
		files: info.files.map((f) => f.path),
	};
}

/**
 * The nodes folder n8n scans (<userFolder>/.n8n/nodes/node_modules/<name>), filled from the tarball the
 * way n8n's own installer does it: extract, drop dev/peer/optional dependencies (so no second
 * n8n-workflow appears beside n8n's), record the dependency in nodes/package.json.
 */
function installIntoNodesFolder(userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const manifest = manifestOf(tarball);
	const target = path.join(nodesDir, 'node_modules', manifest.name);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
	const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = manifest;
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2));
	if (Object.keys(pkg.dependencies || {}).length > 0) {
		throw new Error(
			`${manifest.name} has runtime dependencies; install them with npm here before relying on this path`,
		);
	}
	const hostFile = path.join(nodesDir, 'package.json');
	let host = { name: 'installed-nodes', private: true, dependencies: {} };
	try {
		host = JSON.parse(fs.readFileSync(hostFile, 'utf8'));
	} catch {
		/* first package */
	}
	host.dependencies = { ...(host.dependencies || {}), [manifest.name]: manifest.version };
	fs.writeFileSync(hostFile, JSON.stringify(host, null, 2));
	return { dir: target, name: manifest.name, version: manifest.version };
}

/** Reads package/package.json out of a .tgz. */
function manifestOf(tarball) {
	return JSON.parse(
		execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
	);
}

/** The environment of one n8n instance (server or CLI). */
function n8nEnv(inst, extra = {}) {
	return runtimeEnv(inst.n8n.nodeBin, {
		N8N_USER_FOLDER: inst.userFolder,
		N8N_ENCRYPTION_KEY: inst.encryptionKey,
		N8N_PORT: String(inst.port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${inst.port}`,
		N8N_RUNNERS_BROKER_PORT: String(inst.brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		DB_SQLITE_POOL_SIZE: '2',
		N8N_LOG_LEVEL: inst.logLevel || 'info',
		N8N_LOG_OUTPUT: 'console',
		NODE_OPTIONS: '--max-old-space-size=2048',
		...inst.extraEnv,
		...extra,
	});
}

/** Minimal HTTP client for n8n's REST (cookie) and public (X-N8N-API-KEY) APIs. */
class N8nClient {
	constructor(baseUrl) {
		this.baseUrl = baseUrl;
		this.cookie = '';
		this.apiKey = '';
	}

	async request(method, route, body, { auth = 'cookie', expect } = {}) {
		const headers = { accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (auth === 'cookie' && this.cookie) headers.cookie = this.cookie;
		if (auth === 'apiKey' && this.apiKey) headers['x-n8n-api-key'] = this.apiKey;
		const res = await fetch(this.baseUrl + route, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = res.headers.get('set-cookie');
		if (setCookie) {
			const m = /n8n-auth=[^;]+/.exec(setCookie);
			if (m) this.cookie = m[0];
		}
		const text = await res.text();
		let json;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		if (expect !== undefined && res.status !== expect) {
			throw new Error(`${method} ${route} → HTTP ${res.status}: ${text.slice(0, 500)}`);
		}
		return { status: res.status, body: json, text };
	}

	/** Signs in as the owner; sets the owner up first on a fresh instance. */
	async signIn(owner = OWNER) {
		const login = () =>
			this.request('POST', '/rest/login', {
				emailOrLdapLoginId: owner.email,
				email: owner.email,
				password: owner.password,
			});
		let res = await login();
		if (res.status === 200) return res.body?.data;
		const setup = () =>
			this.request('POST', '/rest/owner/setup', {
				email: owner.email,
				firstName: owner.firstName,
				lastName: owner.lastName,
				password: owner.password,
			});
		res = await setup();
		// n8n 2.8 may answer /rest/settings a moment before it mounts the owner route ("Cannot POST"): wait for it.
		for (let tries = 0; res.status === 404 && tries < 60; tries++) {
			await sleep(500);
			res = await setup();
		}
		if (res.status !== 200)
			throw new Error(`owner setup failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
		res = await login();
		if (res.status !== 200)
			throw new Error(`login failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
		return res.body?.data;
	}

	/** A public-API key with every scope the owner may grant; replaces earlier keys of the same label. */
	async createApiKey(label = `jlab-llm-${Date.now()}`) {
		// n8n 2.8 lists the keys as an array; later versions as { items, counts, … }. A key left by an
		// earlier start (same label) must go, or n8n refuses the new one ("already an entry with this name").
		const existing = await this.request('GET', '/rest/api-keys', undefined, { expect: 200 });
		const data = existing.body?.data;
		const keys = Array.isArray(data) ? data : Array.isArray(data?.items) ? data.items : undefined;
		if (!keys)
			throw new Error(`GET /rest/api-keys: unexpected answer ${existing.text.slice(0, 200)}`);
		for (const k of keys) {
			if (k.label === label)
				await this.request('DELETE', `/rest/api-keys/${k.id}`, undefined, { expect: 200 });
		}
		const scopes = await this.request('GET', '/rest/api-keys/scopes');
		const body = { label, expiresAt: null };
		if (scopes.status === 200 && Array.isArray(scopes.body?.data)) body.scopes = scopes.body.data;
		const res = await this.request('POST', '/rest/api-keys', body);
		if (res.status !== 200)
			throw new Error(`creating an API key failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
		this.apiKey = res.body.data.rawApiKey;
		return this.apiKey;
	}

	/** Node types the running instance has loaded (needs the cookie). */
	async nodeTypeNames() {
		const res = await this.request('GET', '/types/nodes.json');
		if (res.status !== 200 || !Array.isArray(res.body))
			throw new Error(`GET /types/nodes.json → HTTP ${res.status}`);
		return res.body.map((t) => t.name);
	}
}

/** Waits until n8n's REST API answers (both 2.8.x and 2.41.x), or the process dies. */
async function waitForN8n(inst, timeoutMs = 180000) {
	const started = Date.now();
	while (Date.now() - started < timeoutMs) {
		if (inst.exited)
			throw new Error(`n8n exited early (${inst.exited}); last log lines:\n${inst.tail(40)}`);
		try {
			const res = await fetch(`${inst.url}/rest/settings`);
			if (res.status === 200) {
				await res.arrayBuffer();
				const ready = await fetch(`${inst.url}/healthz/readiness`).catch(() => undefined);
				if (!ready || ready.status === 200) return Date.now() - started;
			}
		} catch {
			/* not listening yet */
		}
		await sleep(500);
	}
	throw new Error(
		`n8n did not become ready within ${timeoutMs / 1000}s; last log lines:\n${inst.tail(40)}`,
	);
}

/**
 * Prepares (does not start) one n8n instance: folders, ports, environment.
 * @param {object} o { version: CURRENT|OLDEST, userFolder?, port?, logLevel?, extraEnv?, log? }
 */
async function prepareN8n(o = {}) {
	const spec = o.version || CURRENT;
	const log = o.log || console.log;
	const n8n = await ensureN8n(spec, log);
	const userFolder =
		o.userFolder || fs.mkdtempSync(path.join(os.tmpdir(), `jlab-llm-n8n-${spec.n8n}-`));
	fs.mkdirSync(path.join(userFolder, '.n8n'), { recursive: true });
	const inst = {
		n8n,
		spec,
		userFolder,
		port: o.port || (await freePort()),
		brokerPort: o.brokerPort || (await freePort()),
		encryptionKey: o.encryptionKey || 'jlab-llm-test-encryption-key-0001',
		logLevel: o.logLevel,
		extraEnv: o.extraEnv || {},
		logFile: path.join(userFolder, 'n8n.log'),
		log,
		output: '',
		exited: null,
		child: null,
	};
	inst.url = `http://127.0.0.1:${inst.port}`;
	inst.client = new N8nClient(inst.url);
	inst.tail = (n = 30) => inst.output.split('\n').slice(-n).join('\n');
	inst.env = (extra) => n8nEnv(inst, extra);
	inst.cli = (args, opts) => runCli(inst, args, opts);
	inst.start = () => startServer(inst);
	inst.stop = () => stopProcess(inst);
	return inst;
}

/** Runs one n8n CLI command with its own task-broker port (the server may be running). */
async function runCli(inst, args, { timeoutMs = 300000 } = {}) {
	const brokerPort = await freePort();
	const env = n8nEnv(inst, {
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_PORT: String(await freePort()),
	});
	return new Promise((resolve, reject) => {
		const child = spawn(inst.n8n.bin, args, {
			cwd: inst.userFolder,
			env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		children.add(child.pid);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), timeoutMs);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			children.delete(child.pid);
			// The CLI's own task-runner child may outlive it: end the whole group we started.
			killGroup(child.pid, 'SIGKILL');
			fs.appendFileSync(
				inst.logFile,
				`\n$ n8n ${args.join(' ')}  (exit ${code ?? signal})\n${stdout}\n${stderr}\n`,
			);
			resolve({ code: code ?? signal, stdout, stderr });
		});
	});
}

/**
 * Starts a long-running child in its own process group (ended by PID when this process exits).
 * Its output goes to `into.output` and is appended to `logFile`; `into` gains child, pid,
 * exited (null while it runs) and exitPromise.
 */
function spawnInto(into, cmd, args, { cwd, env, logFile, uid, gid }) {
	const out = fs.openSync(logFile, 'a');
	const child = spawn(cmd, args, {
		cwd,
		env,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		uid,
		gid,
	});
	children.add(child.pid);
	Object.assign(into, { child, pid: child.pid, exited: null });
	if (typeof into.output !== 'string') into.output = '';
	const onData = (d) => {
		into.output += d;
		fs.writeSync(out, d);
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	into.exitPromise = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			into.exited = `exit ${code ?? signal}`;
			children.delete(child.pid);
			try {
				fs.closeSync(out);
			} catch {
				/* closed */
			}
			resolve();
		});
	});
	return into;
}

async function startServer(inst) {
	const started = Date.now();
	spawnInto(inst, inst.n8n.bin, ['start'], {
		cwd: inst.userFolder,
		env: n8nEnv(inst),
		logFile: inst.logFile,
	});
	await waitForN8n(inst);
	inst.log(`  ✓ n8n ${inst.spec.n8n} listening on ${inst.url} (${fmt(Date.now() - started)})`);
	return inst;
}

/** Ends what spawnInto started: SIGTERM to its group, SIGKILL after `graceMs`, then the group's leftovers. */
async function stopProcess(proc, graceMs = 20000) {
	if (!proc.child || proc.exited) return;
	const { pid } = proc.child;
	killGroup(pid, 'SIGTERM');
	let timer;
	const done = await Promise.race([
		proc.exitPromise.then(() => true),
		new Promise((r) => (timer = setTimeout(() => r(false), graceMs))),
	]);
	clearTimeout(timer);
	if (!done) {
		killGroup(pid, 'SIGKILL');
		await proc.exitPromise;
	}
	// Children in the same group (n8n's task runner): make sure nothing of it is left.
	killGroup(pid, 'SIGKILL');
}

/**
 * Parses the JSON that `n8n execute --rawOutput` prints among log lines. At log level debug it
 * comes through n8n's coloured logger: `hh:mm:ss.mmm   info    {` … `} { "file": … }`.
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
	const start = lines.findIndex((l) => /^(?:[\d:.]+\s+info\s+)?\{\s*$/.test(l));
	if (start < 0) return undefined;
	const end = lines.findIndex((l, i) => i > start && /^\}/.test(l));
	if (end < 0) return undefined;
	try {
		return JSON.parse(['{', ...lines.slice(start + 1, end), '}'].join('\n'));
	} catch {
		return undefined;
	}
}

/** Example workflows: every examples/*.json, with a stable id if the file has none. */
function loadExamples(dir = EXAMPLES_DIR) {
	if (!fs.existsSync(dir)) return [];
	return fs
		.readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((file) => {
			const workflow = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
			if (!workflow.id)
				workflow.id = `jlabex${crypto.createHash('sha256').update(file).digest('hex').slice(0, 10)}`;
			return { file, workflow };
		})
		.sort(
			(a, b) =>
				Number(rotatesKey(a.workflow)) - Number(rotatesKey(b.workflow)) ||
				a.file.localeCompare(b.file),
		);
}

/** Imports credentials (plain data is encrypted by n8n) and workflows with the CLI. */
async function importData(inst, { credentials = [], workflows = [] }) {
	const dir = fs.mkdtempSync(path.join(inst.userFolder, 'import-'));
	try {
		if (credentials.length > 0) {
			const file = path.join(dir, 'credentials.json');
			fs.writeFileSync(file, JSON.stringify(credentials));
			const r = await inst.cli(['import:credentials', `--input=${file}`]);
			if (r.code !== 0)
				throw new Error(
					`import:credentials failed (${r.code}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`,
				);
		}
		if (workflows.length > 0) {
			const wfDir = path.join(dir, 'workflows');
			fs.mkdirSync(wfDir);
			for (const wf of workflows)
				fs.writeFileSync(
					path.join(wfDir, `${wf.id}.json`),
					JSON.stringify({ active: false, settings: {}, pinData: {}, ...wf }),
				);
			const r = await inst.cli(['import:workflow', '--separate', `--input=${wfDir}`]);
			if (r.code !== 0)
				throw new Error(
					`import:workflow failed (${r.code}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`,
				);
		}
	} finally {
		// The plain credential file held the key: never leave it on disk.
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** Executes a stored workflow with `n8n execute --id` and returns { code, run (parsed), stdout, stderr }. */
async function executeWorkflow(inst, id) {
	let r = await inst.cli(['execute', `--id=${id}`, '--rawOutput']);
	if (r.code === 'SIGSEGV' && parseExecuteOutput(r.stdout) === undefined) {
		// n8n's CLI process (Node 24 + isolated-vm) crashed once under heavy load before printing a result; say so and try once more.
		process.stderr.write(
			`warning: \`n8n execute --id=${id}\` died with SIGSEGV before printing a result; running it once more\n`,
		);
		r = await inst.cli(['execute', `--id=${id}`, '--rawOutput']);
	}
	return { ...r, run: parseExecuteOutput(r.stdout) };
}

/** The decrypted data of a stored credential (`n8n export:credentials --decrypted`); the file is removed at once. */
async function readCredentialData(inst, id) {
	const dir = fs.mkdtempSync(path.join(inst.userFolder, 'export-'));
	const file = path.join(dir, 'credential.json');
	try {
		const r = await inst.cli([
			'export:credentials',
			`--id=${id}`,
			'--decrypted',
			`--output=${file}`,
		]);
		if (r.code !== 0)
			throw new Error(`export:credentials failed (${r.code}): ${r.stdout.slice(-1000)}`);
		const list = JSON.parse(fs.readFileSync(file, 'utf8'));
		return (Array.isArray(list) ? list[0] : list).data;
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** Key rotation changes the credential's key, so examples that rotate run after the others. */
function rotatesKey(workflow) {
	return (workflow.nodes || []).some(
		(n) =>
			n.type === `${PACKAGE_NAME}.jlabLlmKey` && (n.parameters?.operation ?? 'rotate') === 'rotate',
	);
}

/** A copy of a rotating workflow whose JLab LLM nodes use the rotation demo's credential instead of the sandbox one. */
function onRotationCredential(workflow) {
	if (!rotatesKey(workflow)) return workflow;
	const { id, name } = ROTATION_CREDENTIAL;
	const nodes = workflow.nodes.map((n) =>
		n.credentials?.jlabLlmApi?.id === SANDBOX_CREDENTIAL.id
			? { ...n, credentials: { ...n.credentials, jlabLlmApi: { id, name } } }
			: n,
	);
	return { ...workflow, nodes };
}

/** Leftovers of an import or export that an interrupted start (Ctrl-C) could not remove: they may hold keys. */
function removeStaleTransfers(userFolder) {
	if (!fs.existsSync(userFolder)) return;
	for (const e of fs.readdirSync(userFolder)) {
		if (/^(import|export)-/.test(e))
			fs.rmSync(path.join(userFolder, e), { recursive: true, force: true });
	}
}

/**
 * Sandbox gateway + real n8n with the package installed, a "JLab LLM (sandbox)" credential and the
 * example workflows. Used by the e2e and browser suites and by `npm run dev`.
 * @param {object} o
 *   version      CURRENT (default) or OLDEST
 *   tarball      a packed tarball to install (default: $JLAB_LLM_TARBALL, else build + pack now)
 *   sandbox      options for startSandbox ({ keys, users, … }); basePath is /api
 *   apiKey       the key stored in the sandbox credential (must be one of the sandbox's keys)
 *   rotationApiKey  if set: a second credential (ROTATION_CREDENTIAL) with this key, used by the
 *                examples that rotate, so that rotating never revokes the key of apiKey
 *   workflows    extra workflows to import besides examples/*.json
 *   onStack      called at once with the (still starting) stack, whose stop() ends what has started so far
 *   userFolder, port, sandboxPort, logLevel, extraEnv, log, keepUserFolder
 *
 * The package goes where n8n's own installer puts it: <userFolder>/.n8n/nodes/node_modules/<name>,
 * which n8n scans at start (2.8.4 and 2.41.1 alike), so node types are n8n-nodes-jlab-llm.<name>.
 * n8n's install API (POST /rest/community-packages, what Settings → Community Nodes calls) cannot be
 * used for a package under test: it installs from the public npm registry, and pointing it at a local
 * one (N8N_COMMUNITY_PACKAGES_REGISTRY) needs an enterprise licence
 * ("feat:communityNodes:customRegistry") in both versions; test/e2e pins that refusal.
 */
async function startStack(o = {}) {
	const log = o.log || console.log;
	const spec = o.version || CURRENT;
	const cleanups = [];
	const stack = { spec, cleanups };
	// The caller may need to stop a stack that is still starting (Ctrl-C in `npm run dev`).
	if (o.onStack) o.onStack(stack);
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
	try {
		const { startSandbox } = require(path.join(ROOT, 'sandbox', 'server'));
		let pack;
		if (o.tarball || process.env.JLAB_LLM_TARBALL) {
			const tarball = path.resolve(o.tarball || process.env.JLAB_LLM_TARBALL);
			pack = { tarball, ...manifestOf(tarball) };
			log(`  ✓ using ${tarball}`);
		} else {
			pack = await buildAndPack({ log });
			cleanups.push(() => fs.rmSync(pack.dir, { recursive: true, force: true }));
		}
		stack.pack = pack;

		const sandbox = await startSandbox({
			port: o.sandboxPort || 0,
			embeddingModels: true,
			...(o.sandbox || {}),
			basePath: '/api',
		});
		cleanups.push(() => sandbox.close());
		stack.sandbox = sandbox;
		log(`  ✓ sandbox gateway on ${sandbox.url}`);

		const inst = await prepareN8n({
			version: spec,
			userFolder: o.userFolder,
			port: o.port,
			logLevel: o.logLevel,
			extraEnv: o.extraEnv,
			encryptionKey: o.encryptionKey,
			log,
		});
		stack.n8n = inst;
		stack.client = inst.client;
		if (!o.userFolder && !o.keepUserFolder)
			cleanups.push(() => fs.rmSync(inst.userFolder, { recursive: true, force: true }));

		removeStaleTransfers(inst.userFolder);
		const examples = loadExamples(o.examplesDir);
		const onRotation = o.rotationApiKey ? onRotationCredential : (w) => w;
		const workflows = [...examples.map((e) => onRotation(e.workflow)), ...(o.workflows || [])];
		stack.examples = examples;
		const credentials = [];
		if (o.apiKey)
			credentials.push({
				...SANDBOX_CREDENTIAL,
				data: { baseUrl: sandbox.url, apiKey: o.apiKey, allowHttp: false },
			});
		if (o.rotationApiKey)
			credentials.push({
				...ROTATION_CREDENTIAL,
				data: { baseUrl: sandbox.url, apiKey: o.rotationApiKey, allowHttp: false },
			});

		installIntoNodesFolder(inst.userFolder, pack.tarball);
		log(
			`  ✓ ${pack.name}@${pack.version} unpacked into ${path.join(inst.userFolder, '.n8n', 'nodes', 'node_modules')}`,
		);

		// The CLI import works without a server and keeps the ids the workflows refer to.
		const t0 = Date.now();
		await importData(inst, { credentials, workflows });
		log(
			`  ✓ imported ${credentials.map((c) => `credential "${c.name}"`).join(', ') || 'no credential'} and ${workflows.length} workflow(s) (${fmt(Date.now() - t0)})`,
		);

		cleanups.push(() => inst.stop());
		await inst.start();
		await inst.client.signIn();
		// A public-API key for the suites and for the "n8n API (local)" credential that key rotation
		// writes through; imported while the server runs (the CLI has its own broker port).
		await inst.client.createApiKey(API_KEY_LABEL);
		await importData(inst, {
			credentials: [
				{
					...N8N_CREDENTIAL,
					data: { baseUrl: inst.url, apiKey: inst.client.apiKey, allowHttp: false },
				},
			],
		});
		log(`  ✓ credential "${N8N_CREDENTIAL.name}" → this n8n's public API`);
		return stack;
	} catch (err) {
		if (stack.n8n && stack.n8n.output)
			err.message += `\n--- n8n log (tail) ---\n${stack.n8n.tail(30)}`;
		await stack.stop();
		throw err;
	}
}

/** Every substring of `secret` of length `n` (the canary must not appear even in part). */
function piecesOf(secret, n = 8) {
	const out = [];
	for (let i = 0; i + n <= secret.length; i++) out.push(secret.slice(i, i + n));
	return out;
}

/** The pieces of `secret` found in `text` (empty when none). */
/**
 * A canary key for the real-n8n suites: a readable tag, then an upper-case letter and random
 * letters and digits, so no 8-character piece of it can match ordinary text the tests produce
 * (a random hex tail once made "-queue-e" of "sk-canary-queue-e…", which "jlab-queue-example" holds).
 */
function canaryKey(tag) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	const tail = Array.from(crypto.randomBytes(24), (b) => alphabet[b % alphabet.length]).join('');
	return `sk-canary-${tag}-Q${tail}`;
}

function leakedPieces(text, secret, n = 8) {
	return piecesOf(secret, n).filter((p) => text.includes(p));
}

module.exports = {
	startStack,
	piecesOf,
	leakedPieces,
	canaryKey,
	spawnInto,
	stopProcess,
	ROOT,
	CACHE_DIR,
	CURRENT,
	OLDEST,
	PACKAGE_NAME,
	OWNER,
	SANDBOX_CREDENTIAL,
	ROTATION_CREDENTIAL,
	N8N_CREDENTIAL,
	EXAMPLES_DIR,
	readCredentialData,
	rotatesKey,
	N8nClient,
	buildAndPack,
	installIntoNodesFolder,
	prepareN8n,
	importData,
	executeWorkflow,
	parseExecuteOutput,
	loadExamples,
	freePort,
	killGroup,
	cleanEnv,
	fmt,
	sleep,
};
