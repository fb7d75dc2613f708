// `node sandbox/cli.js`: flags, the banner (fingerprints only), and a clean stop on SIGTERM/SIGINT.
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as path from 'path';
import { hashKey } from './helpers';

const CLI = path.join(__dirname, '..', '..', 'sandbox', 'cli.js');
const KEY = 'sk-test-aaaaaaaaaaaaaaaaaaaa';

interface Running {
	child: ChildProcess;
	banner: string;
	url: string;
	exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
	for (const c of children.splice(0))
		if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startCli(args: string[]): Promise<Running> {
	const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
	children.push(child);
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	return new Promise((resolve, reject) => {
		let out = '';
		let err = '';
		child.stderr!.on('data', (d) => (err += d));
		child.stdout!.on('data', (d) => {
			out += d;
			if (out.includes('control routes:')) {
				const m = /gateway: (http:\/\/127\.0\.0\.1:\d+\S*)/.exec(out);
				if (m) resolve({ child, banner: out, url: m[1], exited });
			}
		});
		child.on('exit', (code) => reject(new Error(`cli exited with ${code}: ${err}`)));
	});
}

describe('sandbox CLI', () => {
	it('starts, prints URL, profile and key fingerprints only; serves LiteLLM answers; stops on SIGTERM', async () => {
		const run = await startCli([
			'--port',
			'0',
			'--key',
			KEY,
			'--base-path',
			'/api',
			'--budget',
			'5',
			'--rpm',
			'10',
		]);
		expect(run.url).toMatch(/\/api$/);
		expect(run.banner).toContain('profile v1.9x');
		expect(run.banner).toContain(`sk-…aaaa ${hashKey(KEY).slice(0, 12)}`);
		expect(run.banner).not.toContain(KEY);
		const auth = { authorization: `Bearer ${KEY}` };
		const models = await fetch(`${run.url}/v1/models`, { headers: auth });
		expect(models.status).toBe(200);
		const info: any = await (await fetch(`${run.url}/key/info`, { headers: auth })).json();
		expect(info.info).toMatchObject({
			key_alias: 'cli-key-1',
			max_budget: 5,
			rpm_limit: 10,
			user_id: 'sandbox-user-1',
		});
		const wrong = await fetch(`${run.url}/key/info`, {
			headers: { authorization: 'Bearer sk-test-bbbbbbbbbbbbbbbbbbbb' },
		});
		expect(wrong.status).toBe(401);
		const body: any = await wrong.json();
		expect(body.error).toMatchObject({ type: 'token_not_found_in_db', param: 'key', code: '401' });
		run.child.kill('SIGTERM');
		expect(await run.exited).toBe(0);
	});

	it('honours --profile, --enterprise, --no-management, --seed and stops on SIGINT', async () => {
		const seed = path.join(__dirname, '..', '..', 'sandbox', 'seed.example.json');
		const run = await startCli([
			'--port',
			'0',
			'--profile',
			'v1.83',
			'--no-management',
			'--seed',
			seed,
		]);
		expect(run.banner).toContain('profile v1.83');
		expect(run.banner).toContain('hidden (404)');
		expect(run.banner).toContain('jdoe-n8n');
		expect(run.banner).not.toMatch(/sk-sandbox-demo-[a-z]+-key-\d{4}/);
		const h = { authorization: 'Bearer sk-sandbox-demo-user-key-0001' };
		const r = await fetch(`${run.url}/v1/models`, { headers: h });
		expect(r.status).toBe(200);
		expect(r.headers.get('x-litellm-version')).toBe('1.83.4');
		expect((await fetch(`${run.url}/key/info`, { headers: h })).status).toBe(404);
		run.child.kill('SIGINT');
		expect(await run.exited).toBe(0);
	});

	it('--help prints usage; unknown flags and non-loopback hosts are refused', () => {
		const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
		expect(help.status).toBe(0);
		for (const flag of [
			'--port',
			'--base-path',
			'--latency',
			'--profile',
			'--enterprise',
			'--no-enterprise',
			'--seed',
			'--key',
			'--budget',
			'--rpm',
			'--tpm',
			'--one-key-per-user',
			'--no-management',
		]) {
			expect(help.stdout).toContain(flag);
		}
		const bad = spawnSync(process.execPath, [CLI, '--frobnicate'], { encoding: 'utf8' });
		expect(bad.status).toBe(2);
		expect(bad.stderr).toMatch(/unknown option --frobnicate/);
		const host = spawnSync(process.execPath, [CLI, '--host', '0.0.0.0'], { encoding: 'utf8' });
		expect(host.status).toBe(2);
		const key = spawnSync(process.execPath, [CLI, '--key', 'not-a-key'], { encoding: 'utf8' });
		expect(key.status).toBe(2);
	});
});
