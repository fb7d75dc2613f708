import { inputError } from '../../shared/errors';

/** A number parameter (or its expression's result) within [min, max]; fails fast naming the field. */
export function numberIn(
	value: unknown,
	field: string,
	min: number,
	max: number,
	expected: string,
	whole = false,
): number {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (
		typeof n !== 'number' ||
		!Number.isFinite(n) ||
		n < min ||
		n > max ||
		(whole && !Number.isInteger(n))
	) {
		throw inputError(field, expected);
	}
	return n;
}

export function wholeNumber(
	value: unknown,
	field: string,
	min: number,
	max: number,
	expected: string,
): number {
	return numberIn(value, field, min, max, expected, true);
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise's outcome as a value, so a failure can be inspected and rephrased before it is thrown on. */
export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
	return await promise.then(
		(value): Settled<T> => ({ ok: true, value }),
		(error: unknown): Settled<T> => ({ ok: false, error }),
	);
}
