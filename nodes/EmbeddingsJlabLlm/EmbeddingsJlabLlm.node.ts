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
import { gatewaySettings } from '../shared/gateway';

import { GatewayEmbeddings } from './embedder';
import { embeddingModelProperty, searchEmbeddingModels } from './models';
import { optionsProperty, readEmbeddingOptions } from './options';

/**
 * AI sub-nodes of community packages run on n8n 2.16 and newer, which bundle @n8n/ai-node-sdk.
 * Asked for on first use, so that an older n8n still lists the node and refuses it clearly.
 */
async function requireAiSdk(ctx: ISupplyDataFunctions): Promise<void> {
	try {
		await import('@n8n/ai-node-sdk');
	} catch {
		throw new NodeOperationError(ctx.getNode(), 'JLab LLM Embeddings needs n8n 2.16 or newer', {
			description:
				'This n8n does not bundle @n8n/ai-node-sdk, which AI sub-nodes of community packages need (n8n ≥ 2.16). Update n8n; the JLab LLM Chat node works on any n8n 2.x.',
		});
	}
}

function modelOf(ctx: ISupplyDataFunctions, itemIndex: number): string {
	const value = ctx.getNodeParameter('model', itemIndex, '', { extractValue: true }) as unknown;
	if (typeof value !== 'string' || value.trim() === '') {
		throw inputError(
			'Model',
			'pick an embedding model from the list or enter its ID, e.g. nomic-ai/nomic-embed-text-v1.5',
		);
	}
	return value.trim();
}

/** The lab's LLM gateway as the embedding model of n8n's vector stores (retrieval, RAG). */
export class EmbeddingsJlabLlm implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Embeddings',
		name: 'embeddingsJlabLlm',
		icon: { light: 'file:embeddingsJlabLlm.svg', dark: 'file:embeddingsJlabLlm.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["model"] && $parameter["model"].value || "" }}',
		description: "An embedding model on Jefferson Lab's LLM gateway, for n8n's vector stores",
		defaults: { name: 'JLab LLM Embeddings' },
		codex: {
			categories: ['AI'],
			subcategories: {
				AI: ['Embeddings'],
			},
			resources: {
				primaryDocumentation: [
					{ url: 'https://github.com/jlab/n8n-nodes-jlab-llm#jlab-llm-embeddings' },
				],
				credentialDocumentation: [
					{ url: 'https://github.com/jlab/n8n-nodes-jlab-llm#credential-jlab-llm-api' },
				],
			},
		},
		inputs: [],
		outputs: [NodeConnectionTypes.AiEmbedding],
		outputNames: ['Embeddings'],
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: [
			{
				displayName:
					'Connect this node to a vector store (e.g. the Simple Vector Store). Needs n8n 2.16 or newer.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			embeddingModelProperty,
			optionsProperty,
		],
	};

	methods = {
		listSearch: { searchEmbeddingModels },
	};

	async supplyData(this: ISupplyDataFunctions, itemIndex: number): Promise<SupplyData> {
		await requireAiSdk(this);
		const node = this.getNode();
		try {
			const gateway = await gatewaySettings(this, itemIndex);
			const settings = readEmbeddingOptions(
				this.getNodeParameter('options', itemIndex, {}) as IDataObject,
			);
			const model = modelOf(this, itemIndex);
			const embeddings = new GatewayEmbeddings({
				ctx: this,
				model,
				settings,
				metadata: spendMetadata(this, settings),
				secrets: gateway.secrets,
				itemIndex,
			});
			return { response: embeddings };
		} catch (error) {
			if (error instanceof GatewayError) throw toNodeError(node, error, itemIndex);
			throw new NodeOperationError(node, error as Error, { itemIndex });
		}
	}
}
