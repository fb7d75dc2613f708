import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as checkBudget from './actions/budget/checkBudget.operation';
import * as getKeyInfo from './actions/key/getKeyInfo.operation';
import * as listModels from './actions/model/listModels.operation';
import { router } from './actions/router';
import * as getActivity from './actions/usage/getActivity.operation';

// Check Budget splits items over two outputs; the other operations have one. n8n evaluates this
// expression against the node's parameters (as for its own Switch node).
// Short names: the canvas cuts output labels after about ten characters ("Within Bud…").
const OUTPUTS =
	'={{ $parameter["operation"] === "checkBudget" ? [{ "type": "main", "displayName": "Within" }, { "type": "main", "displayName": "Over" }] : [{ "type": "main" }] }}';

/** What the key is, may do, has spent and has left — read with the user's own key. */
export class JlabLlmUsage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Usage',
		name: 'jlabLlmUsage',
		icon: { light: 'file:jlabLlmUsage.svg', dark: 'file:jlabLlmUsage.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"getKeyInfo": "Get key info", "getActivity": "Get activity", "checkBudget": "Check budget", "listModels": "List models"}[$parameter["operation"]] }}',
		description:
			'What your JLab LLM key is, may do, has spent and has left: key info, daily activity, a budget gate, and the models it may call',
		documentationUrl: 'https://github.com/jlab/n8n-nodes-jlab-llm#jlab-llm-usage',
		defaults: { name: 'JLab LLM Usage' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: OUTPUTS,
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: [
			{
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
						description:
							'The models the key may call, with context window and price per million tokens',
					},
				],
			},
			{
				displayName:
					'Items go to the first output, "Within" (the budget), or to the second, "Over" (the threshold). A key without a max budget is within budget. With "On Error: Continue", an item whose check failed goes to "Over", so a failed check never passes as fine.',
				name: 'checkBudgetNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['checkBudget'] } },
			},
			...getKeyInfo.description,
			...getActivity.description,
			...checkBudget.description,
			...listModels.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
