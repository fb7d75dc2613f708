import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getModels } from '../shared/models';
import * as auditWorkflows from './actions/key/auditWorkflows.operation';
import * as block from './actions/key/block.operation';
import * as createKey from './actions/key/createKey.operation';
import * as listKeys from './actions/key/listKeys.operation';
import * as revoke from './actions/key/revoke.operation';
import * as rotate from './actions/key/rotate.operation';
import * as unblock from './actions/key/unblock.operation';
import * as updateKey from './actions/key/updateKey.operation';
import { router } from './actions/router';

/** Key lifecycle: rotate and revoke the credential's key, and (with an admin key) mint and limit keys for bots. */
export class JlabLlmKey implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Key',
		name: 'jlabLlmKey',
		icon: { light: 'file:jlabLlmKey.svg', dark: 'file:jlabLlmKey.dark.svg' },
		group: ['transform'],
		version: 1,
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
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				default: 'rotate',
				options: [
					{
						name: 'Audit Workflows for Keys',
						value: 'auditWorkflows',
						action: 'Audit workflows for keys',
						description:
							'Find LiteLLM keys pasted into workflows (parameters, pinned and static data): one item per place, fingerprints only',
					},
					{
						name: 'Block Key',
						value: 'block',
						action: 'Block key',
						description: 'Make the gateway refuse a key until it is unblocked (admin)',
					},
					{
						name: 'Create Key',
						value: 'createKey',
						action: 'Create key',
						description: 'Mint a key for a bot or workflow and store it in a new n8n credential',
					},
					{
						name: 'List Keys',
						value: 'listKeys',
						action: 'List keys',
						description: 'One item per key the credential may see, with fingerprints',
					},
					{
						name: 'Revoke Key',
						value: 'revoke',
						action: 'Revoke key',
						description: "Delete the key of this node's credential at the gateway",
					},
					{
						name: 'Rotate Key',
						value: 'rotate',
						action: 'Rotate key',
						description: "Replace the key of this node's credential and write the new key into it",
					},
					{
						name: 'Unblock Key',
						value: 'unblock',
						action: 'Unblock key',
						description: 'Let the gateway accept a blocked key again (admin)',
					},
					{
						name: 'Update Key',
						value: 'updateKey',
						action: 'Update key',
						description: "Change a key's models, budget, limits, expiry, alias or metadata",
					},
				],
			},
			...rotate.description,
			...revoke.description,
			...createKey.description,
			...updateKey.description,
			...block.description,
			...unblock.description,
			...listKeys.description,
			...auditWorkflows.description,
		],
	};

	methods = {
		loadOptions: { getModels },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
