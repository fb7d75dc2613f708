/**
 * The user's manual stays short and its links hold: README.md under 400 lines, and every relative
 * link and #anchor in README.md and docs/*.md — and the documentation links the nodes and
 * credentials show in the editor — resolve to a file or a heading in this repository.
 */
import fs from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const REPO_URL = 'https://github.com/jlab/n8n-nodes-jlab-llm';

/** Markdown without fenced code blocks (links and headings there are examples, not links). */
function prose(text: string): string {
	return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
	const text = prose(fs.readFileSync(file, 'utf8'));
	const anchors = new Set<string>();
	const seen = new Map<string, number>();
	for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
		const base = m[1]
			.toLowerCase()
			.replace(/[^\p{L}\p{N}\s_-]/gu, '')
			.replace(/\s/g, '-');
		const n = seen.get(base) ?? 0;
		seen.set(base, n + 1);
		anchors.add(n === 0 ? base : `${base}-${n}`);
	}
	for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
	return anchors;
}

function linksOf(file: string): string[] {
	const text = prose(fs.readFileSync(file, 'utf8')).replace(/`[^`\n]*`/g, '');
	return [...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

const docs = [
	'README.md',
	...fs
		.readdirSync(path.join(ROOT, 'docs'))
		.filter((f) => f.endsWith('.md'))
		.map((f) => `docs/${f}`),
];

/** What is wrong with one link from `from`, or undefined when it resolves. */
function brokenLink(from: string, link: string): string | undefined {
	if (/^(https?:|mailto:)/.test(link)) return undefined;
	const [target, anchor] = link.split('#', 2);
	const file =
		target === ''
			? path.join(ROOT, from)
			: path.resolve(path.dirname(path.join(ROOT, from)), decodeURI(target));
	if (!file.startsWith(ROOT + path.sep) && file !== ROOT)
		return `${link}: points outside the repository`;
	if (!fs.existsSync(file)) return `${link}: no such file`;
	if (anchor !== undefined && !anchorsOf(file).has(anchor))
		return `${link}: no heading or anchor "#${anchor}" in ${path.relative(ROOT, file)}`;
	return undefined;
}

describe('the manual', () => {
	it('README.md is a user’s manual: under 400 lines', () => {
		expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(
			400,
		);
	});

	it.each(docs)('every relative link and anchor in %s resolves', (file) => {
		const broken = linksOf(path.join(ROOT, file))
			.map((link) => brokenLink(file, link))
			.filter(Boolean);
		expect(broken).toEqual([]);
	});

	it('the documentation links the editor shows (nodes, credentials) point at README headings', () => {
		const sources = ['nodes', 'credentials'].flatMap((dir) => {
			const out: string[] = [];
			const walk = (d: string) => {
				for (const e of fs.readdirSync(d, { withFileTypes: true })) {
					const full = path.join(d, e.name);
					if (e.isDirectory()) walk(full);
					else if (/\.(ts|json)$/.test(e.name)) out.push(full);
				}
			};
			walk(path.join(ROOT, dir));
			return out;
		});
		const anchors = anchorsOf(path.join(ROOT, 'README.md'));
		const used = sources.flatMap((f) =>
			[...fs.readFileSync(f, 'utf8').matchAll(new RegExp(`${REPO_URL}#([a-z0-9-]+)`, 'g'))].map(
				(m) => m[1],
			),
		);
		expect(used.length).toBeGreaterThan(0);
		expect(used.filter((a) => !anchors.has(a))).toEqual([]);
	});

	it('no document cites a design file that is not in the repository', () => {
		for (const file of docs)
			expect([file, /DESIGN\.md/.test(fs.readFileSync(path.join(ROOT, file), 'utf8'))]).toEqual([
				file,
				false,
			]);
	});
});
