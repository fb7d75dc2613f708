import type { OpenAiModel } from '@n8n/ai-node-sdk';
import type {
	IDataObject,
	INodeType,
	INodeTypeDescription,
	ISupplyDataFunctions,
	SupplyData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { spendMetadata } from '../shared/attribution';
import { GatewayError, inputError, toNodeError } from '../shared/errors';
import { CHAT_ROUTE, checkApiKey, CREDENTIAL_TYPE, gatewaySettings } from '../shared/gateway';
import { listModelIds, modelProperty, searchModels } from '../shared/models';

import { classifyClientError, isCancellation } from './clientErrors';
import { GatewayCaller, installCaller } from './gatewayCaller';
import { optionsProperty, readModelOptions, type ModelSettings } from './options';
import { loadSdk, modelOptions } from './sdkModel';

function modelOf(ctx: ISupplyDataFunctions, itemIndex: number): string {
	const value = ctx.getNodeParameter('model', itemIndex, '', { extractValue: true }) as unknown;
	if (typeof value !== 'string' || value.trim() === '') {
		throw inputError(
			'Model',
			'pick a model from the list or enter its ID, e.g. openai/gpt-oss-120b',
		);
	}
	return value.trim();
}

/** The lab's LLM gateway as the language model of n8n's AI Agent, chains and other AI root nodes. */
export class LmChatJlabLlm implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Chat Model',
		name: 'lmChatJlabLlm',
		icon: { light: 'file:lmChatJlabLlm.svg', dark: 'file:lmChatJlabLlm.dark.svg' },
		group: ['transform'],
		version: 1,
		// n8n hands a resource locator to expressions as its value; older versions as the object.
		subtitle:
			'={{ (typeof $parameter["model"] === "object" ? $parameter["model"].value : $parameter["model"]) || "no model chosen" }}',
		description:
			"A model on Jefferson Lab's LLM gateway, for the AI Agent, the Basic LLM Chain and other AI nodes",
		defaults: { name: 'JLab LLM Chat Model' },
		codex: {
			categories: ['AI'],
			subcategories: {
				AI: ['Language Models', 'Root Nodes'],
				'Language Models': ['Chat Models (Recommended)'],
			},
			resources: {
				primaryDocumentation: [
					{ url: 'https://github.com/jlab/n8n-nodes-jlab-llm#jlab-llm-chat-model' },
				],
				credentialDocumentation: [
					{ url: 'https://github.com/jlab/n8n-nodes-jlab-llm#credential-jlab-llm-api' },
				],
			},
		},
		inputs: [],
		outputs: [NodeConnectionTypes.AiLanguageModel],
		outputNames: ['Model'],
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: [
			{
				displayName: 'Connect this model to an AI Agent, a Basic LLM Chain or another AI node',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			modelProperty,
			optionsProperty,
		],
	};

	methods = {
		listSearch: { searchModels },
	};

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		const node = this.getNode();
		let options: OpenAiModel;
		let settings: ModelSettings;
		let secrets: string[];
		let model: string;
		try {
			const gateway = await gatewaySettings(this, itemIndex);
			const credentials = await this.getCredentials(CREDENTIAL_TYPE, itemIndex);
			const apiKey = checkApiKey(credentials.apiKey);
			secrets = [...new Set([apiKey, ...gateway.secrets])];
			settings = readModelOptions(this.getNodeParameter('options', itemIndex, {}) as IDataObject);
			model = modelOf(this, itemIndex);
			options = modelOptions(
				gateway.baseUrl,
				apiKey,
				model,
				settings,
				spendMetadata(this, settings),
			);
		} catch (error) {
			if (error instanceof GatewayError) throw toNodeError(node, error, itemIndex);
			throw new NodeOperationError(node, error as Error, { itemIndex });
		}

		const signal = this.getExecutionCancelSignal?.();
		const caller = new GatewayCaller({
			node,
			maxRetries: settings.maxRetries,
			maxWaitMs: settings.maxWaitMs,
			secrets,
			signal,
			model,
			// Asked only when a model is refused: tells an unknown model from a bad request.
			listModels: async () => await listModelIds(this, itemIndex),
		});
		// Only used if the model's own retry helper could not be replaced: classify, never retry raw.
		options.onFailedAttempt = (error: unknown) => {
			if (isCancellation(error, signal)) return;
			throw caller.nodeError(classifyClientError(error, CHAT_ROUTE, secrets));
		};
		const { supplyModel } = await loadSdk(this);
		const supplied = supplyModel(this, options);
		installCaller(supplied.response, caller);
		return supplied;
	}
}
