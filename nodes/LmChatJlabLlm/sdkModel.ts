import type { OpenAiModel, SupplyModelOptions } from '@n8n/ai-node-sdk';
import type { IDataObject, ISupplyDataFunctions, SupplyData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ModelSettings } from './options';

type Sdk = { supplyModel: (ctx: ISupplyDataFunctions, model: SupplyModelOptions) => SupplyData };

/** n8n bundles the SDK from 2.16 on; loaded on first use so that older n8n still loads the package. */
export async function loadSdk(ctx: ISupplyDataFunctions): Promise<Sdk> {
	try {
		return await import('@n8n/ai-node-sdk');
	} catch {
		throw new NodeOperationError(ctx.getNode(), 'JLab LLM Chat Model needs n8n 2.16 or newer', {
			description:
				'This n8n does not bundle @n8n/ai-node-sdk, which AI sub-nodes of community packages use (n8n ≥ 2.16). Update n8n, or use the JLab LLM Chat node, which works on any n8n 2.x.',
		});
	}
}

/** The SDK's OpenAI-compatible model for the gateway: chat completions, LiteLLM metadata in the body. */
export function modelOptions(
	baseUrl: string,
	apiKey: string,
	model: string,
	settings: ModelSettings,
	metadata: IDataObject | undefined,
): OpenAiModel {
	const additionalParams: Record<string, unknown> = {};
	// Sent as is: the SDK only forwards its own `reasoning` option for OpenAI's o-series names.
	if (settings.reasoningEffort) additionalParams.reasoning_effort = settings.reasoningEffort;
	if (metadata) additionalParams.metadata = metadata;
	const options: OpenAiModel = {
		type: 'openai',
		baseUrl: `${baseUrl}/v1`,
		apiKey,
		model,
		useResponsesApi: false,
		timeout: settings.timeoutMs,
		maxRetries: settings.maxRetries,
	};
	if (settings.temperature !== undefined) options.temperature = settings.temperature;
	if (settings.topP !== undefined) options.topP = settings.topP;
	if (settings.maxTokens !== undefined) options.maxTokens = settings.maxTokens;
	if (settings.frequencyPenalty !== undefined) options.frequencyPenalty = settings.frequencyPenalty;
	if (settings.presencePenalty !== undefined) options.presencePenalty = settings.presencePenalty;
	if (Object.keys(additionalParams).length) options.additionalParams = additionalParams;
	return options;
}
