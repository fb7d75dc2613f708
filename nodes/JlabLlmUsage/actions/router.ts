import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { runEach } from '../../shared/items';
import { operations, type UsageOperation } from './index';

/**
 * Runs the operation once per input item, in input order. An item may yield several items
 * (one per day, one per model); each carries pairedItem back to its input. A failure becomes
 * an error item under "Continue On Fail", otherwise the node error, redacted.
 * Check Budget has two outputs: 0 "Within" (budget), 1 "Over" (threshold) (one, as an AI Agent tool).
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as UsageOperation;
	const run = operations[operation];
	const results = await runEach.call(this, async function (this: IExecuteFunctions, i: number) {
		if (!run)
			throw inputError('Operation', 'one of getKeyInfo, getActivity, checkBudget, listModels');
		return await run.call(this, i);
	});
	const out = results.map((r) => r.item);
	// An AI Agent reads only a tool's first output: as a tool, every verdict goes there.
	if (operation !== 'checkBudget' || this.isToolExecution?.() === true) return [out];
	// Error items go to "Over": a failed check never passes as fine.
	const over = results.map((r) => r.failed || r.item.json.overThreshold === true);
	return [out.filter((_, k) => !over[k]), out.filter((_, k) => over[k])];
}
