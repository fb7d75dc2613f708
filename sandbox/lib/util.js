'use strict';
// Small helpers shared by the sandbox: hashing, Python-style formatting (LiteLLM is a Python
// service, so its messages print floats, datetimes and lists the Python way), durations, PRNG.

const crypto = require('crypto');

/** SHA-256 hex of a key: the only form in which LiteLLM (and the sandbox) stores keys. */
function hashKey(key) {
	return crypto.createHash('sha256').update(String(key)).digest('hex');
}

/** LiteLLM's key_name / abbreviation: `sk-...` + last 4 characters. */
function keyName(key) {
	return 'sk-...' + String(key).slice(-4);
}

/** The fingerprint the CLI prints for a key: `sk-…abcd` + first 12 hex of the hash. */
function fingerprint(key) {
	return 'sk-…' + String(key).slice(-4) + ' ' + hashKey(key).slice(0, 12);
}

/** LiteLLM's masked echo of a malformed custom key: first 4 + **** + last 4. */
function maskKey(key) {
	const s = String(key);
	if (s.length <= 8) return '****';
	return s.slice(0, 4) + '****' + s.slice(-4);
}

/** Python repr() of a float: `1.5e-05`, `0.0`, `10.0`, `0.25`. */
function pyFloat(x) {
	if (x === null || x === undefined) return 'None';
	const n = Number(x);
	if (Number.isNaN(n)) return 'nan';
	if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
	if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
	const [mant, expStr] = n.toExponential().split('e');
	const exp = parseInt(expStr, 10);
	if (exp < -4 || exp >= 16) {
		return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
	}
	const s = String(n); // JS prints fixed notation for 1e-4 <= |n| < 1e16, as Python does
	return s.includes('.') ? s : s + '.0';
}

/** Python str() of a value inside an f-string: None, True/False, floats as repr. */
function pyStr(v) {
	if (v === null || v === undefined) return 'None';
	if (v === true) return 'True';
	if (v === false) return 'False';
	return String(v);
}

/** Python repr() of a list of strings: `['a', 'b']`. */
function pyList(arr) {
	return (
		'[' + (arr || []).map((s) => (typeof s === 'string' ? pyStrRepr(s) : pyStr(s))).join(', ') + ']'
	);
}

function pyStrRepr(s) {
	if (s.includes("'") && !s.includes('"')) return '"' + s + '"';
	return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** Python repr() of a dict of strings: `{'error': 'No keys found'}` (what str(HTTPException.detail) gives). */
function pyDict(obj) {
	return (
		'{' +
		Object.entries(obj)
			.map(([k, v]) => pyStrRepr(k) + ': ' + (typeof v === 'string' ? pyStrRepr(v) : pyStr(v)))
			.join(', ') +
		'}'
	);
}

function micro(ms) {
	const frac = ((ms % 1000) + 1000) % 1000;
	return frac === 0 ? '' : '.' + String(Math.floor(frac)).padStart(3, '0') + '000';
}

/** datetime.isoformat() of an aware UTC datetime: `2026-05-01T12:00:00.123000+00:00`. */
function pyIso(ms) {
	if (ms === null || ms === undefined) return null;
	const d = new Date(ms);
	return d.toISOString().slice(0, 19) + micro(d.getTime()) + '+00:00';
}

/** str(datetime) of an aware UTC datetime: `2026-05-01 12:00:00.123000+00:00`. */
function pyDatetimeStr(ms) {
	const d = new Date(ms);
	return (
		d.toISOString().slice(0, 10) +
		' ' +
		d.toISOString().slice(11, 19) +
		micro(d.getTime()) +
		'+00:00'
	);
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), as the v3 rate limiter prints reset times. */
function utcSeconds(ms) {
	const iso = new Date(ms).toISOString();
	return iso.slice(0, 10) + ' ' + iso.slice(11, 19);
}

function dateOnly(ms) {
	return new Date(ms).toISOString().slice(0, 10);
}

/** Parse any ISO-ish date (or epoch ms) into epoch ms; null when absent; NaN when bad. */
function toMs(v) {
	if (v === null || v === undefined || v === '') return null;
	if (typeof v === 'number') return v;
	if (v instanceof Date) return v.getTime();
	return Date.parse(String(v));
}

/** Normalise a stored date to Python isoformat, keeping null. */
function normIso(v) {
	const ms = toMs(v);
	if (ms === null) return null;
	if (Number.isNaN(ms)) throw new Error(`invalid date: ${v}`);
	return pyIso(ms);
}

const UNIT_MS = {
	s: 1000,
	m: 60e3,
	h: 3600e3,
	d: 86400e3,
	w: 7 * 86400e3,
	mo: 30 * 86400e3,
	y: 365 * 86400e3,
};

/** LiteLLM durations: `30s`, `30m`, `30h`, `30d`, `1w`, `1mo`, `1y` → ms. Throws on anything else. */
function parseDuration(str) {
	const m = /^\s*(\d+)\s*(mo|s|m|h|d|w|y)\s*$/.exec(String(str));
	if (!m) throw new Error(`Unsupported duration: ${str}. Use e.g. 30s, 30m, 30h, 30d, 1w, 1mo`);
	return parseInt(m[1], 10) * UNIT_MS[m[2]];
}

/** mulberry32: a tiny seeded PRNG (deterministic chaos and latency). */
function makePrng(seed) {
	let a =
		typeof seed === 'number'
			? seed >>> 0
			: parseInt(hashKey(String(seed ?? 'sandbox')).slice(0, 8), 16) >>> 0;
	return function next() {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Deterministic id source: sha256(seed:kind:counter). */
function makeIds(seed) {
	let n = 0;
	const hex = (kind) => hashKey(`${seed}:${kind}:${++n}`);
	return {
		hex,
		uuid(kind = 'uuid') {
			const h = hex(kind);
			return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
		},
		/** `sk-` + 22 URL-safe characters, like secrets.token_urlsafe(16). */
		key() {
			const b = Buffer.from(hex('key'), 'hex').toString('base64url');
			return 'sk-' + b.slice(0, 22);
		},
		alnum(kind, len) {
			return Buffer.from(hex(kind) + hex(kind), 'hex')
				.toString('base64')
				.replace(/[^A-Za-z0-9]/g, '')
				.slice(0, len);
		},
	};
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v) => (v === null || v === undefined ? null : Number(v));
/** A query flag that counts as set: true, "true", "True" or "1". */
const truthy = (v) => v === true || v === 'true' || v === 'True' || v === '1';

function clone(v) {
	return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

module.exports = {
	hashKey,
	keyName,
	fingerprint,
	maskKey,
	pyFloat,
	pyStr,
	pyList,
	pyDict,
	pyIso,
	pyDatetimeStr,
	utcSeconds,
	dateOnly,
	toMs,
	normIso,
	parseDuration,
	makePrng,
	makeIds,
	clone,
	isObj,
	num,
	truthy,
};
