import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { inputError } from '../shared/errors';

export const DEFAULT_TIMEOUT_S = 180;
export const DEFAULT_MAX_RETRIES = 3;

export type ReasoningEffort = 'low' | 'medium' | 'high';

/** The node's options, checked, in the terms of the SDK's OpenAI-compatible model. */
export interface ModelSettings {
	temperature?: number;
	topP?: number;
	maxTokens?: number;
	frequencyPenalty?: number;
	presencePenalty?: number;
	reasoningEffort?: ReasoningEffort;
	timeoutMs: number;
	maxRetries: number;
	tags: string[];
	attribution: boolean;
}

/** The "Options" collection; names and ranges match the JLab LLM Chat node's. */
export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Attribution',
			name: 'attribution',
			type: 'boolean',
			default: true,
			description:
				"Whether to send the workflow's ID and name, the execution ID and this node's name as LiteLLM metadata with every request, so the gateway's spend logs show which workflow spent what",
		},
		{
			displayName: 'Frequency Penalty',
			name: 'frequencyPenalty',
			type: 'number',
			typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 2 },
			default: 0,
			description: 'From -2 to 2: positive values make the model repeat itself less',
		},
		{
			displayName: 'Max Retries',
			name: 'maxRetries',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 10, numberPrecision: 0 },
			default: DEFAULT_MAX_RETRIES,
			description:
				"Retries of one model call after a rate limit (waiting as long as the gateway asks), an unavailable gateway, a timeout or a model-server error. A used-up budget or a refused key is never retried.",
		},
		{
			displayName: 'Max Tokens',
			name: 'maxTokens',
			type: 'number',
			typeOptions: { minValue: 1, numberPrecision: 0 },
			default: 1024,
			description: 'Most tokens the model may generate per answer (max_tokens). Not set: the model decides.',
		},
		{
			displayName: 'Presence Penalty',
			name: 'presencePenalty',
			type: 'number',
			typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 2 },
			default: 0,
			description: 'From -2 to 2: positive values make the model move on to new topics',
		},
		{
			displayName: 'Reasoning Effort',
			name: 'reasoningEffort',
			type: 'options',
			default: 'medium',
			options: [
				{ name: 'Low', value: 'low' },
				{ name: 'Medium', value: 'medium' },
				{ name: 'High', value: 'high' },
			],
			description:
				'How long a reasoning model (gpt-oss) thinks before it answers (reasoning_effort). Only for reasoning models; leave it out for the others.',
		},
		{
			displayName: 'Tags',
			name: 'tags',
			type: 'string',
			default: '',
			placeholder: 'e.g. project-x, support-bot',
			description:
				"Spend-tracking tags, comma-separated, sent as LiteLLM metadata.tags with every request (per-tag reports need the gateway's tag tracking)",
		},
		{
			displayName: 'Temperature',
			name: 'temperature',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
			default: 1,
			description: 'From 0 to 2: lower is more focused and repeatable, higher more varied',
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 3600 },
			default: DEFAULT_TIMEOUT_S,
			description: 'How long to wait for the gateway to start answering one model call before the attempt counts as timed out',
		},
		{
			displayName: 'Top P',
			name: 'topP',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 1,
			description: 'From 0 to 1: sample only from the most likely tokens that add up to this probability',
		},
	],
};

const has = (options: IDataObject, name: string) =>
	options[name] !== undefined && options[name] !== null && options[name] !== '';

/** A number within [min, max]; expressions may hand over numeric text. */
function numberIn(
	options: IDataObject,
	name: string,
	field: string,
	min: number,
	max: number,
	integer = false,
): number | undefined {
	if (!has(options, name)) return undefined;
	const raw = options[name];
	const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
	if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
		throw inputError(field, `expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
	}
	return n;
}

function tagsOf(options: IDataObject): string[] {
	if (!has(options, 'tags')) return [];
	const raw = options.tags;
	if (Array.isArray(raw) && raw.every((t) => typeof t === 'string' && t.trim() !== '')) {
		return (raw as string[]).map((t) => t.trim());
	}
	if (typeof raw !== 'string') {
		throw inputError('Tags', 'expected comma-separated text or a list of non-empty strings');
	}
	return raw
		.split(',')
		.map((t) => t.trim())
		.filter((t) => t !== '');
}

function attributionOf(options: IDataObject): boolean {
	if (!has(options, 'attribution')) return true;
	const v = options.attribution;
	if (typeof v === 'boolean') return v;
	if (v === 'true' || v === 'false') return v === 'true';
	throw inputError('Attribution', `expected true or false, got ${JSON.stringify(v)}`);
}

function reasoningEffortOf(options: IDataObject): ReasoningEffort | undefined {
	if (!has(options, 'reasoningEffort')) return undefined;
	const v = options.reasoningEffort;
	if (v === 'low' || v === 'medium' || v === 'high') return v;
	throw inputError('Reasoning Effort', `expected low, medium or high, got ${JSON.stringify(v)}`);
}

/** Every option checked before the model is handed to the agent or chain. */
export function readModelOptions(options: IDataObject): ModelSettings {
	return {
		temperature: numberIn(options, 'temperature', 'Temperature', 0, 2),
		topP: numberIn(options, 'topP', 'Top P', 0, 1),
		maxTokens: numberIn(options, 'maxTokens', 'Max Tokens', 1, 1_000_000, true),
		frequencyPenalty: numberIn(options, 'frequencyPenalty', 'Frequency Penalty', -2, 2),
		presencePenalty: numberIn(options, 'presencePenalty', 'Presence Penalty', -2, 2),
		reasoningEffort: reasoningEffortOf(options),
		timeoutMs: (numberIn(options, 'timeout', 'Timeout (Seconds)', 1, 3600) ?? DEFAULT_TIMEOUT_S) * 1000,
		maxRetries: numberIn(options, 'maxRetries', 'Max Retries', 0, 10, true) ?? DEFAULT_MAX_RETRIES,
		tags: tagsOf(options),
		attribution: attributionOf(options),
	};
}
