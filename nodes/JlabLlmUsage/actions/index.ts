import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ItemResult } from '../../shared/items';
import * as checkBudget from './checkBudget.operation';
import * as getActivity from './getActivity.operation';
import * as getKeyInfo from './getKeyInfo.operation';
import * as listModels from './listModels.operation';

export type UsageOperation = 'getKeyInfo' | 'getActivity' | 'checkBudget' | 'listModels';

/** One input item in, its output items out. */
export type UsageRun = (this: IExecuteFunctions, itemIndex: number) => Promise<ItemResult[]>;

export const operations: Record<UsageOperation, UsageRun> = {
	getKeyInfo: getKeyInfo.execute,
	getActivity: getActivity.execute,
	checkBudget: checkBudget.execute,
	listModels: listModels.execute,
};

export const operation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	default: 'getKeyInfo',
	options: [
		{
			name: 'Check Budget',
			value: 'checkBudget',
			action: 'Check budget',
			description:
				'Send each item to "Within" (budget) or "Over" (the threshold) by the budget left, with a projected run-out date',
		},
		{
			name: 'Get Activity',
			value: 'getActivity',
			action: 'Get activity',
			description:
				'Spend, tokens and requests per day (or per day and model), with an optional spend chart',
		},
		{
			name: 'Get Key Info',
			value: 'getKeyInfo',
			action: 'Get key info',
			description: 'What the key is, may do, has spent and has left, with warnings',
		},
		{
			name: 'List Models',
			value: 'listModels',
			action: 'List models',
			description: 'The models the key may call, with context window and price per million tokens',
		},
	],
};

const checkBudgetNotice: INodeProperties = {
	displayName:
		'Items go to the first output, "Within" (the budget), or to the second, "Over" (the threshold). A key without a max budget is within budget. With "On Error: Continue", an item whose check failed goes to "Over", so a failed check never passes as fine.',
	name: 'checkBudgetNotice',
	type: 'notice',
	default: '',
	displayOptions: { show: { operation: ['checkBudget'] } },
};

export const description: INodeProperties[] = [
	operation,
	checkBudgetNotice,
	...getKeyInfo.description,
	...getActivity.description,
	...checkBudget.description,
	...listModels.description,
];
