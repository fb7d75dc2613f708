/**
 * The expression the editor writes when a field is dragged into a text parameter: text with
 * `{{ $json.a.b }}` parts. n8n's expression engine spends most of an item's CPU on it (a data
 * proxy, its global context, a luxon DateTime per evaluation); reading the fields gives the same
 * text. Anything else (another variable, a call, a value that is not text or a finite number in
 * text) is left to n8n, so the result is always n8n's own.
 */

/** Literal text, or the path of a field under `$json`. */
export type FieldTemplate = Array<string | string[]>;

/** One step of a field path: `.name`, `[0]`, `["name"]` or `['name']`; the groups hold the name. */
const STEP = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["([^"\\]*)"\]|\['([^'\\]*)'\]/g;
// Group 1 is the whole path (it opens first); STEP's own groups come after it.
const PART = new RegExp(String.raw`\{\{\s*\$json((?:${STEP.source})+)\s*\}\}`, 'g');
// n8n's sandbox guards these; a direct read would not.
const GUARDED = new Set(['__proto__', 'constructor', 'prototype']);
// Braces or a backslash in the text around the parts would mean something to n8n's template.
const SPECIAL = /[{}\\]/;

/** The template of a raw parameter value, or undefined when n8n must evaluate it. */
export function compileFieldTemplate(raw: unknown): FieldTemplate | undefined {
	if (typeof raw !== 'string' || !raw.startsWith('=')) return undefined;
	const text = raw.slice(1);
	const parts: FieldTemplate = [];
	let at = 0;
	for (const match of text.matchAll(PART)) {
		const literal = text.slice(at, match.index);
		if (SPECIAL.test(literal)) return undefined;
		if (literal) parts.push(literal);
		const path = [...match[1].matchAll(STEP)].map((s) => s[1] ?? s[2] ?? s[3] ?? s[4]);
		if (path.some((key) => GUARDED.has(key))) return undefined;
		parts.push(path);
		at = (match.index as number) + match[0].length;
	}
	const rest = text.slice(at);
	if (SPECIAL.test(rest)) return undefined;
	if (rest) parts.push(rest);
	return parts.some(Array.isArray) ? parts : undefined;
}

/** The own field at `path`, or undefined when a step is missing or not an object. */
function fieldAt(json: unknown, path: string[]): unknown {
	let value = json;
	for (const key of path) {
		if (value === null || typeof value !== 'object') return undefined;
		if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/**
 * The template's text for one item's json, or undefined when n8n must evaluate it: a whole-field
 * expression keeps n8n's type, so only text is read directly; inside text, numbers too.
 */
export function renderFieldTemplate(template: FieldTemplate, json: unknown): string | undefined {
	const whole = template.length === 1;
	let text = '';
	for (const part of template) {
		if (typeof part === 'string') {
			text += part;
			continue;
		}
		const value = fieldAt(json, part);
		if (typeof value === 'string') text += value;
		else if (!whole && typeof value === 'number' && Number.isFinite(value)) text += String(value);
		else return undefined;
	}
	return text;
}
