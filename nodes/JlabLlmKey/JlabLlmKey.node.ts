import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getModels } from '../shared/models';
import { description } from './actions';
import { router } from './actions/router';

/** Key lifecycle: rotate and revoke the credential's key, and (with an admin key) mint and limit keys for bots. */
export class JlabLlmKey implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Key',
		name: 'jlabLlmKey',
		icon: { light: 'file:jlabLlmKey.svg', dark: 'file:jlabLlmKey.dark.svg' },
		group: ['transform'],
		// 1.1: Timeout in seconds (version 1 keeps its Timeout (Ms)).
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle:
			'={{ {"rotate": "Rotate key", "revoke": "Revoke key", "createKey": "Create key", "updateKey": "Update key", "block": "Block key", "unblock": "Unblock key", "listKeys": "List keys", "auditWorkflows": "Audit workflows for keys"}[$parameter["operation"]] }}',
		description:
			'Rotate or revoke the key of a JLab LLM credential without ever showing it, mint, limit, block and list keys for bots, and find raw keys left in workflows',
		documentationUrl: 'https://github.com/jlab/n8n-nodes-jlab-llm#jlab-llm-key',
		defaults: { name: 'JLab LLM Key' },
		// Never offered to an AI agent: these operations mint, rotate, block and revoke keys, and read every workflow.
		// (n8n's type only spells `true`; `false` is what it checks for.)
		usableAsTool: false as never,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'jlabLlmApi', required: true },
			{
				name: 'jlabLlmN8nApi',
				required: true,
				displayOptions: { show: { operation: ['rotate', 'createKey', 'auditWorkflows'] } },
			},
		],
		properties: description,
	};

	methods = {
		loadOptions: { getModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
