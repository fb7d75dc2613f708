import { inputError } from './errors';

/** What a refusal shows of the value: JSON, so text stays quoted; long text clipped. */
function shown(raw: unknown): string {
	return String(JSON.stringify(typeof raw === 'string' ? raw.slice(0, 40) : raw));
}

/**
 * A number parameter within [min, max]; expressions may hand over numeric text. Fails fast naming
 * the field, with `expected` as the message, or "expected a (whole) number from min to max".
 */
export function numberIn(
	raw: unknown,
	field: string,
	min: number,
	max: number,
	expected?: string,
	whole = false,
): number {
	const n =
		typeof raw === 'number'
			? raw
			: typeof raw === 'string' && raw.trim() !== ''
				? Number(raw)
				: Number.NaN;
	if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max) {
		throw inputError(
			field,
			expected ??
				`expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${shown(raw)}`,
		);
	}
	return n;
}

/** An optional number parameter: undefined when empty, else as numberIn() checks it. */
export function optionalNumber(
	raw: unknown,
	field: string,
	min: number,
	max: number,
	whole = false,
): number | undefined {
	if (raw === undefined || raw === null || raw === '') return undefined;
	return numberIn(raw, field, min, max, undefined, whole);
}
