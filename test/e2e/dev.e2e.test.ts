/**
 * `npm run dev` on one machine, again and again: a second start on the folder the first one left, a
 * start after a Ctrl-C in the middle of starting, and `--fresh`. Also: the rotation example runs on its
 * own credential and key, so the demo key the banner names keeps working after it.
 * Each start is a real `node scripts/dev.js` (own n8n folder under a temp dir), stopped with SIGINT
 * as Ctrl-C would; what it started must be gone afterwards (its ports free).
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

const lib = require('../../scripts/n8n/lib');

const ROOT = path.resolve(__dirname, '..', '..');
const SEED = JSON.parse(fs.readFileSync(path.join(ROOT, 'sandbox', 'seed.example.json'), 'utf8'));
const DEMO_KEY: string = SEED.keys.find(
	(k: { key_alias?: string }) => k.key_alias === 'jdoe-n8n',
).key;
const ROTATION_KEY: string = SEED.keys.find(
	(k: { key_alias?: string }) => k.key_alias === 'jdoe-rotation-demo',
).key;
// A bound on one start, so a hang fails the test instead of blocking the suite (not a timing check).
const START_BOUND_MS = 10 * 60 * 1000;

interface DevRun {
	child: ChildProcess;
	output: () => string;
	exited: Promise<number | string>;
}

let devDir: string;
let tarball: string | undefined;
let packDir: string | undefined;
const running = new Set<DevRun>();

function startDev(port: number, ...args: string[]): DevRun {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		JLAB_LLM_DEV_DIR: devDir,
		JLAB_LLM_TARBALL: tarball,
	};
	delete env.NODE_ENV;
	const child = spawn(
		process.execPath,
		[path.join(ROOT, 'scripts', 'dev.js'), '--port', String(port), '--sandbox-port', '0', ...args],
		{
			cwd: ROOT,
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let out = '';
	child.stdout!.on('data', (d) => (out += d));
	child.stderr!.on('data', (d) => (out += d));
	const run: DevRun = {
		child,
		output: () => out,
		exited: new Promise((resolve) =>
			child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
		),
	};
	running.add(run);
	void run.exited.then(() => running.delete(run));
	return run;
}

/** Resolves when the output matches `pattern`; fails if the process exits first or the bound passes. */
async function waitFor(run: DevRun, pattern: RegExp): Promise<void> {
	const started = Date.now();
	while (!pattern.test(run.output())) {
		if (run.child.exitCode !== null || run.child.signalCode !== null)
			throw new Error(`npm run dev exited before ${pattern}:\n${run.output()}`);
		if (Date.now() - started > START_BOUND_MS)
			throw new Error(`no ${pattern} within the bound:\n${run.output()}`);
		await lib.sleep(500);
	}
}

const portIsFree = (port: number) =>
	new Promise<boolean>((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});

/** Ctrl-C: SIGINT to the dev script; it must exit 0 and leave n8n's and the sandbox's ports free. */
async function ctrlC(run: DevRun, ports: number[]) {
	run.child.kill('SIGINT');
	expect(await run.exited).toBe(0);
	for (const port of ports) expect([port, await portIsFree(port)]).toEqual([port, true]);
}

const sandboxPortOf = (run: DevRun) =>
	Number(/sandbox gateway on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output())?.[1]);
const sandboxUrlOf = (run: DevRun) =>
	/sandbox gateway on (http:\/\/127\.0\.0\.1:\d+\/api)/.exec(run.output())?.[1];

async function keyAccepted(sandboxUrl: string, key: string): Promise<number> {
	const res = await fetch(`${sandboxUrl}/key/info`, {
		headers: { authorization: `Bearer ${key}` },
	});
	await res.arrayBuffer();
	return res.status;
}

beforeAll(async () => {
	devDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-dev-twice-'));
	tarball = process.env.JLAB_LLM_TARBALL;
	if (!tarball) {
		const pack = await lib.buildAndPack({ log: () => undefined });
		tarball = pack.tarball;
		packDir = pack.dir;
	}
});

afterAll(async () => {
	// Anything still running (a failed test): Ctrl-C first, then SIGKILL, by PID.
	for (const run of running) {
		run.child.kill('SIGINT');
		const done = await Promise.race([
			run.exited.then(() => true),
			lib.sleep(60_000).then(() => false),
		]);
		if (!done) run.child.kill('SIGKILL');
	}
	fs.rmSync(devDir, { recursive: true, force: true });
	if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

describe('npm run dev, started again and again on one machine', () => {
	let port: number;
	beforeAll(async () => {
		port = await lib.freePort();
	});

	it('first start: ready; the rotation example rotates its own key and the demo key keeps working', async () => {
		const run = startDev(port);
		await waitFor(run, /is ready/);
		expect(run.output()).toContain(`"${lib.SANDBOX_CREDENTIAL.name}"`);
		expect(run.output()).toContain(`"${lib.ROTATION_CREDENTIAL.name}"`);
		// The banner shows fingerprints, never a whole key.
		expect(run.output()).not.toContain(DEMO_KEY);
		expect(run.output()).not.toContain(ROTATION_KEY);

		const sandboxUrl = sandboxUrlOf(run)!;
		const inst = await lib.prepareN8n({
			userFolder: path.join(devDir, `n8n-${lib.CURRENT.n8n}`),
			port,
			encryptionKey: 'jlab-llm-dev-encryption-key-0001',
			log: () => undefined,
		});
		const rotation = lib
			.loadExamples()
			.find((e: { workflow: object }) => lib.rotatesKey(e.workflow));
		const r = await lib.executeWorkflow(inst, rotation.workflow.id);
		const reports = Object.values(r.run?.data?.resultData?.runData ?? {})
			.flat()
			.flatMap((t: any) => t.data?.main?.[0] ?? [])
			.filter((i: any) => i.json?.state !== undefined);
		expect(reports.map((i: any) => i.json.state)).toContain('completed');
		// The rotated key is gone; the demo key, in the credential every other example uses, still works.
		expect(await keyAccepted(sandboxUrl, ROTATION_KEY)).toBe(401);
		expect(await keyAccepted(sandboxUrl, DEMO_KEY)).toBe(200);
		expect((await lib.readCredentialData(inst, lib.SANDBOX_CREDENTIAL.id)).apiKey).toBe(DEMO_KEY);
		await ctrlC(run, [port, sandboxPortOf(run)]);
	});

	it('a start interrupted by Ctrl-C right after n8n listens stops everything it started', async () => {
		const run = startDev(port);
		await waitFor(run, /n8n [\d.]+ listening on/);
		await ctrlC(run, [port, sandboxPortOf(run)]);
	});

	it('the next start on the same folder is ready (its n8n API key replaces the earlier one)', async () => {
		const run = startDev(port);
		await waitFor(run, /is ready/);
		await ctrlC(run, [port, sandboxPortOf(run)]);
	});

	it('--fresh starts from an empty n8n and is ready', async () => {
		const run = startDev(port, '--fresh');
		await waitFor(run, /is ready/);
		await ctrlC(run, [port, sandboxPortOf(run)]);
	});
});
