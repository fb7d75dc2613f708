/**
 * The secret-scanning pattern SECURITY.md gives for LiteLLM keys, read from SECURITY.md itself so
 * the document and the test cannot drift apart: it finds keys made like LiteLLM's and custom keys,
 * and leaves fingerprints alone.
 */
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';

import { fingerprint, redact } from '../../nodes/shared/redact';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'SECURITY.md'), 'utf8');
const block = /## Secret scanning for LiteLLM keys[\s\S]*?```\n(.+)\n```/.exec(doc);
const gitleaks = /regex = '''(.+)'''/.exec(doc);

// LiteLLM's own keys: "sk-" + secrets.token_urlsafe(16) (22 URL-safe base64 characters).
const litellmKey = () => `sk-${randomBytes(16).toString('base64url')}`;

describe('SECURITY.md secret-scanning pattern', () => {
	const pattern = new RegExp(block?.[1] ?? 'missing', 'g');
	const rule = new RegExp(gitleaks?.[1] ?? 'missing', 'g');

	it('is in SECURITY.md, as a plain regex and as a gitleaks rule', () => {
		expect(block?.[1]).toBe('\\bsk-[A-Za-z0-9_-]{20,}');
		expect(gitleaks?.[1]).toBe('\\b(sk-[A-Za-z0-9_-]{20,})');
	});

	it.each([
		['a key made like LiteLLM makes them', litellmKey()],
		['a custom key', 'sk-jlab-team-physics-0a1b2c3d4e5f'],
		['a key in a header line', 'Authorization: Bearer sk-AbCdEfGhIjKlMnOpQrStUv'],
		['a key in JSON', '{"apiKey":"sk-1234567890abcdefghijKL"}'],
		['a key in a URL', 'https://delphi.jlab.org/api/key/info?key=sk-1234567890abcdefghijKL'],
	])('finds %s', (_what, text) => {
		for (const re of [pattern, rule]) {
			re.lastIndex = 0;
			expect(text.match(re)).toHaveLength(1);
		}
	});

	it.each([
		['a fingerprint', JSON.stringify(fingerprint(litellmKey()))],
		['a redacted key', redact(`key ${litellmKey()}`)],
		['a short sk- word', 'task-sk-mode and sk-learn'],
		['a key hash', 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00'],
	])('leaves %s alone', (_what, text) => {
		for (const re of [pattern, rule]) {
			re.lastIndex = 0;
			expect(text.match(re)).toBeNull();
		}
	});
});
