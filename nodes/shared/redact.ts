import { createHash } from 'crypto';

// LiteLLM virtual keys: "sk-" + URL-safe characters (token_urlsafe), sometimes longer custom keys.
const KEY_PATTERN = /sk-[A-Za-z0-9_-]+/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;
// Any run of this many characters copied from a known key counts as a leak.
const PIECE = 8;
// Characters of a key-like token: a masked piece takes the rest of its token with it.
const TOKEN_CHAR = /[A-Za-z0-9_-]/;

export interface KeyFingerprint {
	/** `sk-…abcd`: what LiteLLM itself shows as key_name, safe to print. */
	display: string;
	/** First 12 hex of SHA-256(key): the prefix of the token LiteLLM stores. */
	hash: string;
}

/** A whole keyHash(): the token LiteLLM stores for a key, and answers as `key` from /key/info. */
export const FULL_HASH = /^[0-9a-f]{64}$/;

/** SHA-256 hex of a key: the value LiteLLM stores and accepts as a key reference. */
export function keyHash(key: string): string {
	return createHash('sha256').update(key).digest('hex');
}

export function fingerprint(key: string): KeyFingerprint {
	return { display: `sk-…${key.slice(-4)}`, hash: keyHash(key).slice(0, 12) };
}

/** One string for messages: `sk-…abcd (3f2a9c1b7d4e)`. */
export function fingerprintText(key: string): string {
	const f = fingerprint(key);
	return `${f.display} (${f.hash})`;
}

function maskPattern(match: string): string {
	const tail = match.slice(3);
	// Short tails could be a key's first characters, so only long ones keep their last four.
	return tail.length >= 12 ? `sk-…${tail.slice(-4)}` : 'sk-…';
}

/** A secret with its 8-character pieces, built once for every string of one redaction. */
interface Known {
	secret: string;
	pieces: Set<string>;
}

function known(secrets: ReadonlyArray<string | undefined>): Known[] {
	const out: Known[] = [];
	for (const secret of secrets) {
		if (typeof secret !== 'string' || secret.length === 0) continue;
		const pieces = new Set<string>();
		for (let i = 0; i + PIECE <= secret.length; i++) pieces.add(secret.slice(i, i + PIECE));
		out.push({ secret, pieces });
	}
	return out;
}

function maskKnownPieces(text: string, { secret, pieces }: Known): string {
	if (secret.length < PIECE) return text.split(secret).join('[redacted]');
	// No piece fits in a shorter text (most output fields: a role, a model name, a number).
	if (text.length < PIECE) return text;
	const covered: boolean[] = [];
	let hit = false;
	for (let j = 0; j + PIECE <= text.length; j++) {
		if (pieces.has(text.slice(j, j + PIECE))) {
			hit = true;
			for (let k = j; k < j + PIECE; k++) covered[k] = true;
		}
	}
	if (!hit) return text;
	// The whole token around a piece goes: another key sharing a prefix with this one (sk-jlab-…)
	// would otherwise lose its "sk-" and no longer look like a key, leaving its rest in the clear.
	for (let j = 0; j < text.length; j++) {
		if (!covered[j]) continue;
		for (let k = j - 1; k >= 0 && !covered[k] && TOKEN_CHAR.test(text[k]); k--) covered[k] = true;
		let k = j + 1;
		while (k < text.length && covered[k]) k++;
		for (; k < text.length && TOKEN_CHAR.test(text[k]); k++) covered[k] = true;
		j = k - 1;
	}
	let out = '';
	for (let j = 0; j < text.length; j++) {
		if (covered[j]) {
			if (!covered[j - 1]) out += '[redacted]';
		} else {
			out += text[j];
		}
	}
	return out;
}

/**
 * Removes keys from text: every known secret (and any 8-character piece of it), any
 * `Bearer …` credential, and anything shaped like a LiteLLM key beyond `sk-…` + last four.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
	return redactKnown(text, known(secrets));
}

function redactKnown(text: string, secrets: Known[]): string {
	let out = text;
	for (const secret of secrets) out = maskKnownPieces(out, secret);
	out = out.replace(BEARER_PATTERN, (_m, scheme: string) => `${scheme} [redacted]`);
	return out.replace(KEY_PATTERN, maskPattern);
}

/** Deep copy with every string passed through redact(); keys of objects are redacted too. */
export function redactDeep<T>(value: T, secrets: ReadonlyArray<string | undefined> = []): T {
	const seen = new WeakMap<object, unknown>();
	const prepared = known(secrets);
	const walk = (v: unknown): unknown => {
		if (typeof v === 'string') return redactKnown(v, prepared);
		if (v === null || typeof v !== 'object') return v;
		if (seen.has(v)) return seen.get(v);
		if (Array.isArray(v)) {
			const arr: unknown[] = [];
			seen.set(v, arr);
			for (const item of v) arr.push(walk(item));
			return arr;
		}
		const obj: Record<string, unknown> = {};
		seen.set(v, obj);
		for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
			obj[redactKnown(k, prepared)] = walk(item);
		}
		return obj;
	};
	return walk(value) as T;
}
