import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { gatewayRequest } from '../../shared/gateway';
import type { ItemResult } from '../../shared/items';
import type { Pacer } from '../../shared/pacing';
import { keySummary } from './keys';
import { keySelectProperties, selectedKey } from './keySelect';
import { readTuning, tuningOptions } from './options';

/** Block and Unblock differ only in the route and the state they set: one definition for both. */
export function blockStateOperation(operation: 'block' | 'unblock', notice: string) {
	const blocked = operation === 'block';
	const properties: INodeProperties[] = [
		{ displayName: notice, name: `${operation}Notice`, type: 'notice', default: '' },
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

	async function execute(this: IExecuteFunctions, itemIndex: number, pacer: Pacer): Promise<ItemResult[]> {
		const tuning = readTuning(this, itemIndex, pacer);
		const target = await selectedKey(this, itemIndex, tuning, false);
		const res = await gatewayRequest.call(this, {
			route: `/key/${operation}`,
			method: 'POST',
			body: { key: target.hash },
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer,
		});
		const row = { ...(target.row ?? {}), ...((res.body as IDataObject) ?? {}) };
		return [{ json: { ...keySummary(row, target.hash), blocked } }];
	}

	return { description: updateDisplayOptions({ show: { operation: [operation] } }, properties), execute };
}
