import type { IDataObject, INodeProperties } from 'n8n-workflow';

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

const MAX_TIMEOUT_S = 600;

/** Every operation's "Timeout (Seconds)" option, as on the other JLab LLM nodes. */
export const timeoutOption: INodeProperties = {
	displayName: 'Timeout (Seconds)',
	name: 'timeout',
	type: 'number',
	default: 60,
	typeOptions: { minValue: 1, maxValue: MAX_TIMEOUT_S },
	description:
		'How long to wait for each answer of the gateway before the attempt counts as timed out. Not set: 30 seconds for key info and the model list, 60 for each page of activity.',
};

/** The "Timeout (Seconds)" option in milliseconds (the transport's unit); undefined when not set. */
export function timeoutMsOf(options: IDataObject): number | undefined {
	const raw = options.timeout;
	if (raw === undefined || raw === null || raw === '') return undefined;
	const seconds = numberIn(
		raw,
		'Timeout (Seconds)',
		1,
		MAX_TIMEOUT_S,
		`a number of seconds from 1 to ${MAX_TIMEOUT_S}`,
	);
	return Math.round(seconds * 1000);
}
