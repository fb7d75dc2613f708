import { numberIn } from '../../shared/numbers';

/** A whole number parameter within [min, max], refused with `expected`. */
export function wholeNumber(
	value: unknown,
	field: string,
	min: number,
	max: number,
	expected: string,
): number {
	return numberIn(value, field, min, max, expected, true);
}
