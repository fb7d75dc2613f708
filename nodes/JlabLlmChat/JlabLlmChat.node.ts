import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { searchModels } from '../shared/models';

import * as complete from './actions/completion/complete.operation';
import { router } from './actions/router';

/** Chat completion through the lab's LiteLLM gateway, item by item, with cost and attribution. */
export class JlabLlmChat implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Chat',
		name: 'jlabLlmChat',
		icon: { light: 'file:jlabLlmChat.svg', dark: 'file:jlabLlmChat.dark.svg' },
		group: ['transform'],
		version: 1,
		// n8n hands a resource locator to expressions as its value; older versions as the object.
		subtitle:
			'={{ (typeof $parameter["model"] === "object" ? $parameter["model"].value : $parameter["model"]) || "no model chosen" }}',
		description: "Ask a model on Jefferson Lab's LLM gateway; returns the reply with its cost",
		defaults: { name: 'JLab LLM Chat' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				default: 'complete',
				options: [
					{
						name: 'Complete a Chat',
						value: 'complete',
						action: 'Complete a chat',
						description: 'Send messages to a model and get its reply, usage and cost',
					},
				],
			},
			...complete.description,
		],
	};

	methods = {
		listSearch: { searchModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
