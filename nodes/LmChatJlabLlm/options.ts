import type { IDataObject, INodeProperties } from 'n8n-workflow';

import {
	attributionOption,
	frequencyPenaltyOption,
	maxRetriesOption,
	maxTokensOption,
	maxWaitOption,
	presencePenaltyOption,
	readSampling,
	reasoningEffortOption,
	tagsOption,
	temperatureOption,
	timeoutOption,
	topPOption,
	type SamplingSettings,
} from '../shared/modelOptions';

export {
	DEFAULT_MAX_RETRIES,
	DEFAULT_TIMEOUT_S,
	type ReasoningEffort,
} from '../shared/modelOptions';
import { optionsCollection } from '../shared/properties';

/** The node's options, checked, in the terms of the SDK's OpenAI-compatible model. */
export type ModelSettings = SamplingSettings;

/** The "Options" collection: the same fields, ranges and checks as the JLab LLM Chat node's. */
export const optionsProperty: INodeProperties = optionsCollection([
	attributionOption,
	frequencyPenaltyOption,
	maxRetriesOption,
	maxWaitOption,
	maxTokensOption,
	temperatureOption,
	topPOption,
	presencePenaltyOption,
	reasoningEffortOption,
	tagsOption,
	timeoutOption,
]);

/** Every option checked before the model is handed to the agent or chain. */
export function readModelOptions(options: IDataObject): ModelSettings {
	return readSampling(options);
}
