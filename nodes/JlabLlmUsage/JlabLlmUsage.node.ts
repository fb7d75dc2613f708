import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { description } from './actions';
import { router } from './actions/router';

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
		properties: description,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
