import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_MAX_WAIT_S, MAX_WAIT_LIMIT_S } from '../../shared/modelOptions';
import { optionalNumber } from '../../shared/numbers';
import type { Pacer } from '../../shared/pacing';
import type { RequestTuning } from './keys';
import { DEFAULT_REVOCATION_WAIT_S } from './propagation';

const DEFAULT_TIMEOUT_S = 30;
const MAX_TIMEOUT_S = 600;

/** Timeout, retries and the longest wait: the same options on every operation. */
export const tuningOptions: INodeProperties[] = [
	{
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		default: 2,
		typeOptions: { minValue: 0, maxValue: 10, numberPrecision: 0 },
		description:
			'How often a request that failed for a passing reason (gateway or n8n unreachable, timeout, rate limit) is tried again. Requests that create keys are never sent twice blindly: a lost answer is settled by trying the new key.',
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		default: DEFAULT_MAX_WAIT_S,
		typeOptions: { minValue: 0, maxValue: MAX_WAIT_LIMIT_S, numberPrecision: 1 },
		description:
			'The longest a request waits when the gateway asks it to (429 with retry-after or reset_at). A gateway that asks for longer fails the item as rate_limited, saying how long it asked for.',
	},
	// Version 1 saved the timeout in milliseconds; from 1.1 on it is in seconds, as on every other node.
	{
		displayName: 'Timeout (Ms)',
		name: 'timeoutMs',
		type: 'number',
		default: 30000,
		typeOptions: { minValue: 1000, maxValue: 600000, numberPrecision: 0 },
		description: 'How long to wait for each answer of the gateway or of n8n, in milliseconds',
		displayOptions: { show: { '@version': [1] } },
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		default: DEFAULT_TIMEOUT_S,
		typeOptions: { minValue: 1, maxValue: MAX_TIMEOUT_S },
		description:
			'How long to wait for each answer of the gateway or of n8n before the attempt counts as timed out',
		displayOptions: { show: { '@version': [{ _cnd: { gte: 1.1 } }] } },
	},
];

/** The timeout in milliseconds (the transport's unit), from whichever field the node's version shows. */
export function timeoutMsOf(options: IDataObject): number {
	const seconds = optionalNumber(options.timeout, 'Timeout (Seconds)', 1, MAX_TIMEOUT_S);
	if (seconds !== undefined) return Math.round(seconds * 1000);
	return (
		optionalNumber(options.timeoutMs, 'Timeout (Ms)', 1000, MAX_TIMEOUT_S * 1000, true) ??
		DEFAULT_TIMEOUT_S * 1000
	);
}

export function readTuning(
	ctx: IExecuteFunctions,
	itemIndex: number,
	pacer?: Pacer,
): RequestTuning {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const maxWaitS =
		optionalNumber(options.maxWait, 'Max Wait (Seconds)', 0, MAX_WAIT_LIMIT_S) ??
		DEFAULT_MAX_WAIT_S;
	// Items run one after another: the run's pacer carries this item's limit to every request.
	if (pacer) pacer.maxWaitMs = maxWaitS * 1000;
	return {
		timeoutMs: timeoutMsOf(options),
		maxRetries: optionalNumber(options.maxRetries, 'Max Retries', 0, 10, true) ?? 2,
		pacer,
		revocationWaitMs:
			(optionalNumber(options.revocationWait, 'Revocation Wait (Seconds)', 0, 600, true) ??
				DEFAULT_REVOCATION_WAIT_S) * 1000,
	};
}
