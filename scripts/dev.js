#!/usr/bin/env node
// `npm run dev`: build the package, start the sandbox gateway and a real n8n with the package
// installed, a ready "JLab LLM (sandbox)" credential and the example workflows. Ctrl-C stops all.
//
//   node scripts/dev.js [--port 5678] [--sandbox-port 4000] [--fresh] [--oldest]
const fs = require('fs');
const path = require('path');

const lib = require('./n8n/lib');

const HELP = `Usage: npm run dev -- [options]

  --port <n>           n8n's port on 127.0.0.1 (default 5678)
  --sandbox-port <n>   the sandbox gateway's port (default 4000; 0 = any free port)
  --fresh              start from an empty n8n (forget workflows and executions of earlier runs)
  --oldest             run the oldest supported n8n (${lib.OLDEST.n8n} on this machine's Node) instead of ${lib.CURRENT.n8n}
  --help               show this help

The first run installs n8n ${lib.CURRENT.n8n} and Node ${lib.CURRENT.node} into ${lib.CACHE_DIR}
(~3 GB; 4 to 15 minutes, longer on a busy machine; set JLAB_LLM_CACHE to put it elsewhere).
Later runs start in about a minute and keep your workflows (JLAB_LLM_DEV_DIR: another n8n folder).
`;

function parseArgs(argv) {
	const o = { port: 5678, sandboxPort: 4000, fresh: false, oldest: false };
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=', 2);
		const value = () => {
			const v = inline ?? argv[++i];
			if (!/^\d+$/.test(v || '')) throw new Error(`${flag} expects a port number, got ${v}`);
			return Number(v);
		};
		if (flag === '--port') o.port = value();
		else if (flag === '--sandbox-port') o.sandboxPort = value();
		else if (flag === '--fresh') o.fresh = true;
		else if (flag === '--oldest') o.oldest = true;
		else if (flag === '--help' || flag === '-h') o.help = true;
		else throw new Error(`unknown option ${argv[i]}`);
	}
	return o;
}

async function portIsFree(port) {
	const net = require('net');
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	if (o.help) return void process.stdout.write(HELP);
	if (!(await portIsFree(o.port)))
		throw new Error(`port ${o.port} is in use; pick another with: npm run dev -- --port 5679`);
	if (o.sandboxPort && !(await portIsFree(o.sandboxPort)))
		throw new Error(
			`port ${o.sandboxPort} is in use; pick another with: npm run dev -- --sandbox-port 0`,
		);

	const version = o.oldest ? lib.OLDEST : lib.CURRENT;
	// One n8n folder per n8n version, kept between runs so your own workflows survive a restart.
	const userFolder = path.resolve(
		process.env.JLAB_LLM_DEV_DIR || path.join(lib.CACHE_DIR, 'dev'),
		`n8n-${version.n8n}`,
	);
	if (o.fresh) fs.rmSync(userFolder, { recursive: true, force: true });
	fs.mkdirSync(userFolder, { recursive: true });

	const seed = JSON.parse(
		fs.readFileSync(path.join(lib.ROOT, 'sandbox', 'seed.example.json'), 'utf8'),
	);
	const demoKey =
		seed.keys.find((k) => typeof k.key === 'string' && k.key_alias === 'jdoe-n8n') ||
		seed.keys.find((k) => typeof k.key === 'string');
	// The rotation example revokes the key it rotates: it gets a key of its own, never the demo key.
	const rotationKey = seed.keys.find(
		(k) => typeof k.key === 'string' && k.key_alias === 'jdoe-rotation-demo',
	);
	const { basePath, ...sandboxSeed } = seed;

	console.log(`Starting n8n ${version.n8n} with ${lib.PACKAGE_NAME} from this checkout…`);
	const started = Date.now();
	let stack;
	let stopping;
	// Ctrl-C at any moment, also while starting: stop what has started so far, and wait for it.
	const stop = (why) =>
		(stopping ??= (async () => {
			console.log(`\n${why}: stopping n8n and the sandbox…`);
			if (stack) await stack.stop();
			process.exit(0);
		})());
	process.on('SIGINT', () => stop('Ctrl-C'));
	process.on('SIGTERM', () => stop('SIGTERM'));

	const starting = lib.startStack({
		onStack: (s) => (stack = s),
		version,
		userFolder,
		port: o.port,
		sandboxPort: o.sandboxPort,
		sandbox: sandboxSeed,
		apiKey: demoKey.key,
		rotationApiKey: rotationKey && rotationKey.key,
		encryptionKey: 'jlab-llm-dev-encryption-key-0001',
	});
	try {
		await starting;
	} catch (err) {
		// A start cut short by Ctrl-C fails on its way: the stop in progress has the last word.
		if (stopping) return await stopping;
		throw err;
	}
	if (stopping) return await stopping;
	const { sandbox, n8n } = stack;
	const line = '─'.repeat(72);
	console.log(`
${line}
 n8n ${version.n8n} with ${lib.PACKAGE_NAME}@${stack.pack.version} is ready (${lib.fmt(Date.now() - started)})

   open      ${n8n.url}
   e-mail    ${lib.OWNER.email}
   password  ${lib.OWNER.password}

 Credential  "${lib.SANDBOX_CREDENTIAL.name}" → sandbox gateway ${sandbox.url}
             demo key "${demoKey.key_alias}" (sk-…${demoKey.key.slice(-4)}): use it for your own workflows
${
	rotationKey
		? ` Credential  "${lib.ROTATION_CREDENTIAL.name}" → the same gateway
             key "${rotationKey.key_alias}" (sk-…${rotationKey.key.slice(-4)}): only for the rotation example, which
             replaces it; the demo key above keeps working. More keys in sandbox/seed.example.json
`
		: ''
} n8n API     "${lib.N8N_CREDENTIAL.name}" (used by key rotation to write the new key into the credential)
 Workflows   ${stack.examples.length ? stack.examples.map((e) => e.workflow.name || e.file).join(', ') : '(examples/ is empty)'}
 n8n log     ${n8n.logFile}
 Sandbox log ${sandbox.origin}/__sandbox/requests

 Ctrl-C stops n8n and the sandbox. Rebuild after a change: Ctrl-C and npm run dev again.
${line}`);
	// Keep running until Ctrl-C; if n8n dies on its own, say so and stop the rest.
	await n8n.exitPromise;
	if (stopping) await stopping;
	else {
		console.error(
			`n8n stopped on its own (${n8n.exited}); last lines of its log:\n${n8n.tail(20)}`,
		);
		await stop('n8n exited');
	}
}

main().catch((err) => {
	console.error(`npm run dev: ${err.message || err}`);
	process.exit(1);
});
