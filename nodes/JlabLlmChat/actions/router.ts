import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as chat from './index';

/**
 * Picks the operation. An operation runs all items itself, because concurrency and pacing
 * belong to the whole run, not to one item.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0, 'complete') as string;
	switch (operation) {
		case 'complete':
			return [await chat.complete.execute.call(this)];
		default:
			throw new NodeOperationError(
				this.getNode(),
				`The operation "${operation}" is not known to JLab LLM Chat`,
			);
	}
}
