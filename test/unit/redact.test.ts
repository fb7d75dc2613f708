import { createHash } from 'crypto';

import {
	fingerprint,
	fingerprintText,
	keyHash,
	redact,
	redactDeep,
} from '../../nodes/shared/redact';

const CANARY = 'sk-canary-RDCT7hQ2wX9zL4mN8pV3bK6j';
const pieces = (s: string) => Array.from({ length: s.length - 7 }, (_, i) => s.slice(i, i + 8));
const expectNoPiece = (text: string) => {
	for (const p of pieces(CANARY)) expect(text).not.toContain(p);
};

describe('fingerprint', () => {
	it('is sk-…last4 and the first 12 hex of SHA-256 (what LiteLLM stores)', () => {
		const hash = createHash('sha256').update(CANARY).digest('hex');
		expect(keyHash(CANARY)).toBe(hash);
		expect(fingerprint(CANARY)).toEqual({
			display: `sk-…${CANARY.slice(-4)}`,
			hash: hash.slice(0, 12),
		});
		expect(fingerprintText(CANARY)).toBe(`sk-…${CANARY.slice(-4)} (${hash.slice(0, 12)})`);
	});
});

describe('redact', () => {
	it.each([
		['the whole key', `Received API Key = ${CANARY}, Key Hash (Token) = abc`],
		['a key inside JSON', JSON.stringify({ error: { message: `bad key ${CANARY}` } })],
		['a Bearer header', `authorization: Bearer ${CANARY}`],
		['the key without sk-', `token=${CANARY.slice(3)}`],
		['an 8-character piece', `Received=${CANARY.slice(5, 13)}****`],
		['a key in a URL', `https://gw/api/key/info?key=${CANARY}`],
	])('removes %s', (_label, text) => {
		expectNoPiece(redact(text, [CANARY]));
	});

	it('removes keys it was not told about, keeping at most sk-…last4', () => {
		const other = 'sk-OtherUserKey12345678ABCD';
		const out = redact(`two keys: ${other} and sk-short1`, []);
		expect(out).toBe('two keys: sk-…ABCD and sk-…');
	});

	it("keeps LiteLLM's own abbreviation and key hashes", () => {
		const hash = keyHash(CANARY);
		expect(redact(`Key=bot (sk-...W8TA) hash ${hash}`, [])).toBe(
			`Key=bot (sk-...W8TA) hash ${hash}`,
		);
	});

	it('leaves text without keys alone', () => {
		expect(redact('Budget has been exceeded! Current cost: 1.0', [CANARY])).toBe(
			'Budget has been exceeded! Current cost: 1.0',
		);
	});
});

describe('redactDeep', () => {
	it('walks objects, arrays and keys, and leaves the input untouched', () => {
		const input = {
			headers: { Authorization: `Bearer ${CANARY}` },
			list: [CANARY, 1, null],
			[CANARY]: true,
			nested: { deep: [{ v: `x${CANARY}y` }] },
		};
		const before = JSON.stringify(input);
		const out = redactDeep(input, [CANARY]);
		expectNoPiece(JSON.stringify(out));
		expect(JSON.stringify(input)).toBe(before);
		expect(out.list[1]).toBe(1);
	});

	it('survives cycles', () => {
		const a: Record<string, unknown> = { k: CANARY };
		a.self = a;
		const out = redactDeep(a, [CANARY]) as Record<string, unknown>;
		expect(out.self).toBe(out);
	});
});

describe('redact: keys that share a prefix with the known secret', () => {
	it('masks another key whose first characters are pieces of the known one (sk-jlab-… keys)', () => {
		const own = 'sk-jlab-team-alice-0a1b2c3d4e5f6a7b8c9d';
		const other = 'sk-jlab-team-robot-9f8e7d6c5b4a39281706';
		const out = redact(`Received keys = ${own}, ${other}`, [own]);
		expect(out).not.toContain('robot-9f8e7d6c5b4a');
		for (let i = 0; i + 8 <= other.length; i++) expect(out).not.toContain(other.slice(i, i + 8));
		for (let i = 0; i + 8 <= own.length; i++) expect(out).not.toContain(own.slice(i, i + 8));
		expect(out).toBe('Received keys = [redacted], [redacted]');
	});

	it('takes the whole token around a piece of the known key, and nothing beyond it', () => {
		const own = 'sk-canary-RDCT7hQ2wX9zL4mN8pV3bK6j';
		expect(redact(`a=${own.slice(3, 20)}xyz; b=ok`, [own])).toBe('a=[redacted]; b=ok');
	});
});
