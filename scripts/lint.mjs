// Lints the package the way n8n's community-package scanner does: n8n's community-node rules
// on the sources (package.json, nodes/, credentials/) and on the compiled files of the packed
// tarball, with inline eslint-disable comments ignored. Exits 1 on any error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import { defineConfig } from 'eslint/config';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tsParser from '@typescript-eslint/parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function scanConfig() {
	return defineConfig(
		n8nCommunityNodesPlugin.configs.recommended,
		{ rules: { 'no-console': 'error' } },
		{ plugins: { 'n8n-nodes-base': n8nNodesBase } },
		{ files: ['package.json'], rules: { ...n8nNodesBase.configs.community.rules } },
		{
			files: ['**/credentials/**/*.ts'],
			rules: {
				...n8nNodesBase.configs.credentials.rules,
				// The scanner switches these two off for community packages.
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
				'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
			},
		},
		{
			files: ['**/nodes/**/*.ts'],
			rules: {
				...n8nNodesBase.configs.nodes.rules,
				// As in the scanner: enum connection types, and real API maxima, are fine.
				'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
				'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
				'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
			},
		},
		{ files: ['**/*.json'], languageOptions: { parser: tsParser } },
		{ files: ['**/*.ts'], languageOptions: { parser: tsParser } },
	);
}

function walk(dir, accept, out = []) {
	if (!fs.existsSync(dir)) return out;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		if (entry.name === 'node_modules') continue;
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) walk(full, accept, out);
		else if (accept(full)) out.push(full);
	}
	return out;
}

async function lint(label, cwd, files) {
	const eslint = new ESLint({
		cwd,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: scanConfig(),
	});
	const results = await eslint.lintFiles(files);
	const errors = results.reduce((n, r) => n + r.errorCount, 0);
	const warnings = results.reduce((n, r) => n + r.warningCount, 0);
	const formatter = await eslint.loadFormatter('stylish');
	const text = await formatter.format(results);
	if (text.trim()) process.stdout.write(text);
	process.stdout.write(`${label}: ${files.length} files, ${errors} errors, ${warnings} warnings\n`);
	return errors;
}

const sourceFiles = [
	path.join(root, 'package.json'),
	...walk(path.join(root, 'nodes'), (f) => /\.(js|ts|json)$/.test(f)),
	...walk(path.join(root, 'credentials'), (f) => /\.(js|ts|json)$/.test(f)),
];
let errors = await lint('source', root, sourceFiles);

if (!fs.existsSync(path.join(root, 'dist'))) {
	execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-pack-'));
try {
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
			cwd: root,
			encoding: 'utf8',
		}),
	);
	const tarball = path.join(packDir, packed[0].filename);
	execFileSync('tar', ['xzf', tarball, '-C', packDir]);
	const pkgDir = path.join(packDir, 'package');
	const tarFiles = [path.join(pkgDir, 'package.json'), ...walk(pkgDir, (f) => f.endsWith('.js'))];
	errors += await lint('tarball', pkgDir, tarFiles);
} finally {
	fs.rmSync(packDir, { recursive: true, force: true });
}
process.exit(errors > 0 ? 1 : 0);
