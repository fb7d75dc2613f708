// Options the Chat node and the Chat Model share: one name, range, help text and check for each.
import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { inputError } from './errors';
import { optionalNumber } from './numbers';

export const DEFAULT_TIMEOUT_S = 180;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_MAX_WAIT_S = 120;
// A day: far below what a timer holds (24.8 days), far above any sane rate-limit window.
export const MAX_WAIT_LIMIT_S = 86_400;

export type ReasoningEffort = 'low' | 'medium' | 'high';

export const hasOption = (options: IDataObject, name: string) =>
	options[name] !== undefined && options[name] !== null && options[name] !== '';

export function booleanOf(
	options: IDataObject,
	name: string,
	field: string,
	fallback: boolean,
): boolean {
	if (!hasOption(options, name)) return fallback;
	const v = options[name];
	if (typeof v === 'boolean') return v;
	if (v === 'true' || v === 'false') return v === 'true';
	throw inputError(field, `expected true or false, got ${JSON.stringify(v)}`);
}

/**
 * Text split at commas (or a JSON array / list for entries that contain commas or spaces).
 * keepSpaces: list entries stay as they are (stop sequences may be line breaks); otherwise trimmed.
 */
export function textList(
	options: IDataObject,
	name: string,
	field: string,
	keepSpaces = false,
): string[] {
	if (!hasOption(options, name)) return [];
	let raw: unknown = options[name];
	if (typeof raw === 'string' && raw.trim().startsWith('[')) {
		try {
			raw = JSON.parse(raw);
		} catch (error) {
			throw inputError(
				field,
				`expected a JSON array of strings, but the text is not valid JSON (${(error as Error).message})`,
			);
		}
	}
	if (typeof raw === 'string') {
		return raw
			.split(',')
			.map((s) => s.trim())
			.filter((s) => s !== '');
	}
	if (
		!Array.isArray(raw) ||
		raw.some((s) => typeof s !== 'string' || (keepSpaces ? s : s.trim()) === '')
	) {
		throw inputError(field, 'expected comma-separated text or a JSON array of non-empty strings');
	}
	return keepSpaces ? (raw as string[]) : (raw as string[]).map((s) => s.trim());
}

/** What both model nodes send about sampling, and how they treat one call. */
export interface SamplingSettings {
	temperature?: number;
	topP?: number;
	maxTokens?: number;
	frequencyPenalty?: number;
	presencePenalty?: number;
	reasoningEffort?: ReasoningEffort;
	timeoutMs: number;
	maxRetries: number;
	/** The longest wait a gateway's retry-after may impose; longer fails the call as rate_limited. */
	maxWaitMs: number;
	tags: string[];
	attribution: boolean;
}

export function readSampling(options: IDataObject): SamplingSettings {
	let reasoningEffort: ReasoningEffort | undefined;
	if (hasOption(options, 'reasoningEffort')) {
		const v = options.reasoningEffort;
		if (v !== 'low' && v !== 'medium' && v !== 'high') {
			throw inputError(
				'Reasoning Effort',
				`expected low, medium or high, got ${JSON.stringify(v)}`,
			);
		}
		reasoningEffort = v;
	}
	return {
		temperature: optionalNumber(options.temperature, 'Output Randomness (Temperature)', 0, 2),
		topP: optionalNumber(options.topP, 'Output Randomness (Top P)', 0, 1),
		maxTokens: optionalNumber(options.maxTokens, 'Maximum Number of Tokens', 1, 1_000_000, true),
		frequencyPenalty: optionalNumber(options.frequencyPenalty, 'Frequency Penalty', -2, 2),
		presencePenalty: optionalNumber(options.presencePenalty, 'Presence Penalty', -2, 2),
		reasoningEffort,
		timeoutMs:
			(optionalNumber(options.timeout, 'Timeout (Seconds)', 1, 3600) ?? DEFAULT_TIMEOUT_S) * 1000,
		maxRetries:
			optionalNumber(options.maxRetries, 'Max Retries', 0, 10, true) ?? DEFAULT_MAX_RETRIES,
		maxWaitMs:
			(optionalNumber(options.maxWait, 'Max Wait (Seconds)', 0, MAX_WAIT_LIMIT_S) ??
				DEFAULT_MAX_WAIT_S) * 1000,
		tags: textList(options, 'tags', 'Tags'),
		attribution: booleanOf(options, 'attribution', 'Attribution', true),
	};
}

// The option fields, for the nodes' "Options" collections (each node sorts its own list by display name),
// named as n8n's own OpenAI nodes name them.
export const attributionOption: INodeProperties = {
	displayName: 'Attribution',
	name: 'attribution',
	type: 'boolean',
	default: true,
	description:
		"Whether to send the workflow's ID and name, the execution ID and the node name as LiteLLM metadata with every request, so the gateway's spend logs show which workflow spent what",
};

export const frequencyPenaltyOption: INodeProperties = {
	displayName: 'Frequency Penalty',
	name: 'frequencyPenalty',
	type: 'number',
	typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 2 },
	default: 0,
	description: 'From -2 to 2: positive values make the model repeat itself less',
};

export const maxRetriesOption: INodeProperties = {
	displayName: 'Max Retries',
	name: 'maxRetries',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: 10, numberPrecision: 0 },
	default: DEFAULT_MAX_RETRIES,
	description:
		'Retries of one call after a rate limit (waiting as long as the gateway asks), an unavailable gateway, a timeout or a model-server error. A used-up budget or a refused key is never retried.',
};

export const maxWaitOption: INodeProperties = {
	displayName: 'Max Wait (Seconds)',
	name: 'maxWait',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: MAX_WAIT_LIMIT_S, numberPrecision: 1 },
	default: DEFAULT_MAX_WAIT_S,
	description:
		'The longest the node waits when the gateway asks it to (429 with retry-after or reset_at). A gateway that asks for longer fails the call as rate_limited, saying how long it asked for.',
};

export const maxTokensOption: INodeProperties = {
	displayName: 'Maximum Number of Tokens',
	name: 'maxTokens',
	type: 'number',
	typeOptions: { minValue: 1, numberPrecision: 0 },
	default: 1024,
	description:
		'Most tokens the model may generate per answer (max_tokens). Not set: the model decides.',
};

export const presencePenaltyOption: INodeProperties = {
	displayName: 'Presence Penalty',
	name: 'presencePenalty',
	type: 'number',
	typeOptions: { minValue: -2, maxValue: 2, numberPrecision: 2 },
	default: 0,
	description: 'From -2 to 2: positive values make the model move on to new topics',
};

export const reasoningEffortOption: INodeProperties = {
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
};

export const tagsOption: INodeProperties = {
	displayName: 'Tags',
	name: 'tags',
	type: 'string',
	default: '',
	placeholder: 'e.g. project-x, nightly',
	description:
		"Spend-tracking tags, comma-separated, sent as LiteLLM metadata.tags with every request (per-tag reports need the gateway's tag tracking)",
};

export const temperatureOption: INodeProperties = {
	displayName: 'Output Randomness (Temperature)',
	name: 'temperature',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: 2, numberPrecision: 2 },
	default: 1,
	description: 'From 0 to 2: lower is more focused and repeatable, higher more varied',
};

export const timeoutOption: INodeProperties = {
	displayName: 'Timeout (Seconds)',
	name: 'timeout',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 3600 },
	default: DEFAULT_TIMEOUT_S,
	description:
		'How long to wait for the gateway to answer one call before the attempt counts as timed out',
};

export const topPOption: INodeProperties = {
	displayName: 'Output Randomness (Top P)',
	name: 'topP',
	type: 'number',
	typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
	default: 1,
	description:
		'From 0 to 1: sample only from the most likely tokens that add up to this probability',
};
