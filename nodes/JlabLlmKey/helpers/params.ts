import type { IDataObject } from 'n8n-workflow';

import { inputError } from '../../shared/errors';

/** LiteLLM's duration format (duration, budget_duration, grace_period): 30s, 15m, 24h, 30d, 1w, 1mo. */
const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;

const UNIT_MS: Record<string, number> = {
	s: 1_000,
	m: 60_000,
	h: 3_600_000,
	d: 86_400_000,
	w: 7 * 86_400_000,
	mo: 30 * 86_400_000,
};

const MAX_DURATION_MS = 3650 * 86_400_000;

/** A LiteLLM duration, or undefined when empty. */
export function duration(raw: unknown, field: string): string | undefined {
	if (raw === undefined || raw === null) return undefined;
	const s = String(raw).trim();
	if (s === '') return undefined;
	const m = DURATION.exec(s);
	if (!m || Number(m[1]) <= 0) {
		throw inputError(
			field,
			`expected a duration such as 30m, 24h, 30d, 1w or 1mo (a whole number and one of s, m, h, d, w, mo), got "${s.slice(0, 40)}"`,
		);
	}
	// Dates derived from it must stay on the calendar; ten years covers every real key policy.
	if (durationMs(s) > MAX_DURATION_MS)
		throw inputError(field, `at most ten years (3650d or 120mo), got "${s.slice(0, 40)}"`);
	return s;
}

export function durationMs(value: string): number {
	const m = DURATION.exec(value) as RegExpExecArray;
	return Number(m[1]) * UNIT_MS[m[2]];
}

/** An optional JSON object (given as text or as an object). */
export function jsonObject(raw: unknown, field: string): IDataObject | undefined {
	if (raw === undefined || raw === null || raw === '') return undefined;
	let value: unknown = raw;
	if (typeof raw === 'string') {
		if (raw.trim() === '' || raw.trim() === '{}') return raw.trim() === '{}' ? {} : undefined;
		try {
			value = JSON.parse(raw);
		} catch (error) {
			throw inputError(
				field,
				`expected a JSON object such as {"owner": "data-team"}; the text is not valid JSON (${(error as Error).message.slice(0, 80)})`,
			);
		}
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw inputError(
			field,
			'expected a JSON object such as {"owner": "data-team"}, not a list or a single value',
		);
	}
	return value as IDataObject;
}

/** Trimmed text, or undefined when empty. */
export function text(raw: unknown): string | undefined {
	if (raw === undefined || raw === null) return undefined;
	const s = String(raw).trim();
	return s === '' ? undefined : s;
}

/** Model names from a multi-select or a comma-separated text; empty = all models. */
export function modelList(raw: unknown, field: string): string[] | undefined {
	if (raw === undefined || raw === null || raw === '') return undefined;
	const list = Array.isArray(raw) ? raw : String(raw).split(',');
	const models = list.map((m) => String(m).trim()).filter((m) => m !== '');
	if (models.some((m) => /\s/.test(m)))
		throw inputError(field, 'model names contain no spaces; separate several with commas');
	return [...new Set(models)];
}

/** A LiteLLM key alias: free text, but no leading or trailing space and at most 256 characters. */
export function alias(raw: unknown, field: string): string | undefined {
	const s = text(raw);
	if (s === undefined) return undefined;
	if (s.length > 256) throw inputError(field, 'expected at most 256 characters');
	if (/^sk-/.test(s))
		throw inputError(
			field,
			"expected a name for the key, not a key: an alias must not start with 'sk-'",
		);
	return s;
}
