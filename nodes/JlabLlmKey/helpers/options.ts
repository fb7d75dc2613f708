import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_MAX_WAIT_S, MAX_WAIT_LIMIT_S } from '../../shared/modelOptions';
import { optionalNumber } from '../../shared/numbers';
import type { Pacer } from '../../shared/pacing';
import type { RequestTuning } from './keys';
import { DEFAULT_REVOCATION_WAIT_S } from './propagation';

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
	{
		displayName: 'Timeout (Ms)',
		name: 'timeoutMs',
		type: 'number',
		default: 30000,
		typeOptions: { minValue: 1000, maxValue: 600000, numberPrecision: 0 },
		description: 'How long to wait for each answer of the gateway or of n8n, in milliseconds',
	},
];

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
		timeoutMs: optionalNumber(options.timeoutMs, 'Timeout (Ms)', 1000, 600000, true) ?? 30000,
		maxRetries: optionalNumber(options.maxRetries, 'Max Retries', 0, 10, true) ?? 2,
		pacer,
		revocationWaitMs:
			(optionalNumber(options.revocationWait, 'Revocation Wait (Seconds)', 0, 600, true) ??
				DEFAULT_REVOCATION_WAIT_S) * 1000,
	};
}
