import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest } from '../../../shared/gateway';
import type { ItemResult } from '../../../shared/items';
import type { Pacer } from '../../../shared/pacing';
import { keySummary } from '../../helpers/keys';
import { keySelectProperties, selectedKey } from '../../helpers/keySelect';
import { readTuning, tuningOptions } from '../../helpers/options';

const properties: INodeProperties[] = [
	{
		displayName: 'Blocks a key: the gateway refuses every request with it until it is unblocked. Needs an admin key.',
		name: 'blockNotice',
		type: 'notice',
		default: '',
	},
	...keySelectProperties(false),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [...tuningOptions],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['block'] } }, properties);

export async function execute(this: IExecuteFunctions, itemIndex: number, pacer: Pacer): Promise<ItemResult[]> {
	const tuning = readTuning(this, itemIndex, pacer);
	const target = await selectedKey(this, itemIndex, tuning, false);
	const res = await gatewayRequest.call(this, {
		route: '/key/block',
		method: 'POST',
		body: { key: target.hash },
		itemIndex,
		timeoutMs: tuning.timeoutMs,
		maxRetries: tuning.maxRetries,
		pacer,
	});
	const row = { ...(target.row ?? {}), ...((res.body as IDataObject) ?? {}) };
	return [{ json: { ...keySummary(row, target.hash), blocked: true } }];
}
