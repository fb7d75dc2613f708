import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { gatewaySettings } from '../../shared/gateway';
import { asNodeError, errorItem, type ItemResult } from '../../shared/items';
import * as checkBudget from './budget/checkBudget.operation';
import * as getKeyInfo from './key/getKeyInfo.operation';
import * as listModels from './model/listModels.operation';
import * as getActivity from './usage/getActivity.operation';

export type UsageOperation = 'getKeyInfo' | 'getActivity' | 'checkBudget' | 'listModels';

const operations: Record<UsageOperation, (this: IExecuteFunctions, itemIndex: number) => Promise<ItemResult[]>> = {
	getKeyInfo: getKeyInfo.execute,
	getActivity: getActivity.execute,
	checkBudget: checkBudget.execute,
	listModels: listModels.execute,
};

/**
 * Runs the operation once per input item, in input order. An item may yield several items
 * (one per day, one per model); each carries pairedItem back to its input. A failure becomes
 * an error item under "Continue On Fail", otherwise the node error, redacted.
 * Check Budget has two outputs: 0 "Within Budget", 1 "Over Threshold" (one, as an AI Agent tool).
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as UsageOperation;
	const run = operations[operation];
	const count = this.getInputData().length;
	const continueOnFail = this.continueOnFail();
	const out: INodeExecutionData[] = [];
	// Budget items route by their verdict; error items go to "Over Threshold" so a failed check never passes as fine.
	const over: boolean[] = [];

	for (let i = 0; i < count; i++) {
		try {
			if (!run) throw inputError('Operation', 'one of getKeyInfo, getActivity, checkBudget, listModels');
			const results = await run.call(this, i);
			for (const r of results) {
				out.push({ ...r, json: r.json, pairedItem: { item: i } });
				over.push(r.json.overThreshold === true);
			}
		} catch (error) {
			const secrets = await gatewaySettings(this, i).then(
				(s) => s.secrets,
				() => [] as string[],
			);
			if (!continueOnFail) throw asNodeError(this, error, i, secrets);
			out.push(errorItem(this, error, i, secrets));
			over.push(true);
		}
	}

	// An AI Agent reads only a tool's first output: as a tool, every verdict goes there.
	if (operation !== 'checkBudget' || this.isToolExecution?.() === true) return [out];
	return [out.filter((_, k) => !over[k]), out.filter((_, k) => over[k])];
}
