/** The published package: what n8n and its scanner read (needs a build: `npm test` builds first). */
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
	it('is a community node package with no runtime dependencies', () => {
		expect(pkg.name).toBe('n8n-nodes-jlab-llm');
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.license).toBe('MIT');
		expect(pkg.dependencies ?? {}).toEqual({});
		expect(pkg.peerDependencies['n8n-workflow']).toBe('*');
		// npm 11 no longer adds CHANGELOG.md by itself, so it is listed.
		expect(pkg.files).toEqual(['dist', 'CHANGELOG.md']);
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
		expect(pkg.n8n.strict).toBe(true);
		expect(pkg.n8n.credentials).toContain('dist/credentials/JlabLlmApi.credentials.js');
	});

	it('pins every dev dependency to an exact version', () => {
		for (const [name, version] of Object.entries(pkg.devDependencies as Record<string, string>)) {
			expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
		}
	});
});

describe('npm pack', () => {
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' }),
	)[0];
	const files: string[] = packed.files.map((f: { path: string }) => f.path);

	it('holds only dist/ and the files npm always adds (including the "main" entry)', () => {
		const always = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', pkg.main];
		const extra = files.filter((f) => !f.startsWith('dist/') && !always.includes(f));
		expect(extra).toEqual([]);
		for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'])
			expect(files).toContain(f);
	});

	it('contains every file the n8n block lists, and their icons', () => {
		for (const f of [...pkg.n8n.credentials, ...pkg.n8n.nodes]) expect(files).toContain(f);
		expect(files.filter((f) => f.endsWith('.svg')).length).toBeGreaterThanOrEqual(2);
	});

	it('ships no test, sandbox or source files', () => {
		expect(
			files.filter(
				(f) => /(^|\/)(test|sandbox)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
			),
		).toEqual([]);
	});
});
