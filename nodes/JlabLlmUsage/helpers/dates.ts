/**
 * Calendar arithmetic in UTC, the zone LiteLLM keeps its daily activity in, and the node's
 * clock (one place to read "now", so tests can pin it).
 */

export const DAY_MS = 86_400_000;

/** The node's notion of "now" (epoch ms). Tests replace `clock.now`; nothing else does. */
export const clock = { now: (): number => Date.now() };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDate(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

/** Midnight UTC of a `YYYY-MM-DD` date, or NaN when it is not a real calendar date. */
export function dateMs(date: string): number {
	const m = DATE_ONLY.exec(date);
	if (!m) return NaN;
	const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	// Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip.
	return utcDate(ms) === date ? ms : NaN;
}

export function addDays(date: string, days: number): string {
	return utcDate(dateMs(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
	return Math.round((dateMs(to) - dateMs(from)) / DAY_MS);
}

/** Every date from `start` to `end`, both included. */
export function eachDate(start: string, end: string): string[] {
	const out: string[] = [];
	for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
	return out;
}

/**
 * A LiteLLM timestamp as an ISO string (`…Z`), or null. LiteLLM writes Python isoformat
 * (`2026-05-01T12:00:00.123000+00:00`) and sometimes naive UTC without a zone, which
 * JavaScript would otherwise read as local time.
 */
export function isoOrNull(value: unknown): string | null {
	if (value === null || value === undefined || value === '') return null;
	if (typeof value === 'number') {
		const d = new Date(value);
		return Number.isNaN(d.getTime()) ? null : d.toISOString();
	}
	if (typeof value !== 'string') return null;
	let s = value.trim().replace(' ', 'T');
	if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
	else if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += 'Z';
	const ms = Date.parse(s);
	return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * A date parameter as `YYYY-MM-DD`: the date part of what the date picker or an
 * expression gave (string, Date, or a Luxon DateTime), as the user wrote it.
 * Returns undefined when the parameter is empty, null when it is not a date.
 */
export function dateParameter(value: unknown): string | undefined | null {
	if (value === undefined || value === null || value === '') return undefined;
	let text: string | undefined;
	if (typeof value === 'string') text = value.trim();
	else if (value instanceof Date)
		text = Number.isNaN(value.getTime()) ? undefined : value.toISOString();
	else if (typeof value === 'object') {
		const v = value as { toISODate?: () => string | null; toISO?: () => string | null };
		if (typeof v.toISODate === 'function') text = v.toISODate() ?? undefined;
		else if (typeof v.toISO === 'function') text = v.toISO() ?? undefined;
	}
	if (text === undefined || text === '') return null;
	const date = text.slice(0, 10);
	return Number.isNaN(dateMs(date)) ? null : date;
}
