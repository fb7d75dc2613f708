import type { IDataObject } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { booleanOf, hasOption as has, readSampling, textList } from '../../shared/modelOptions';
import { optionalNumber } from '../../shared/numbers';

/** Items in flight at most, unless the user sets Concurrency. */
export const DEFAULT_CONCURRENCY = 64;
export const MAX_CONCURRENCY = 256;
/** Items a run starts with (at most Concurrency): half the default cap, so the cap is reached after one round trip. */
export const START_CONCURRENCY = 32;

export type ResponseFormat = 'text' | 'json_object' | 'json_schema';

/** What the options add to the request body, and how the run treats the answer. */
export interface ChatSettings {
	body: IDataObject;
	/** The user's tags, for LiteLLM metadata. */
	tags: string[];
	responseFormat: ResponseFormat;
	attribution: boolean;
	simplify: boolean;
	timeoutMs: number;
	maxRetries: number;
	maxWaitMs: number;
	concurrency: number;
}

/** A JSON value from a JSON field: already parsed by an expression, or text to parse. */
function jsonOf(options: IDataObject, name: string, field: string, expected: string): unknown {
	const raw = options[name];
	if (typeof raw !== 'string') return raw;
	try {
		return JSON.parse(raw);
	} catch (error) {
		throw inputError(
			field,
			`expected ${expected}, but the text is not valid JSON (${(error as Error).message})`,
		);
	}
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Tools in OpenAI format; a bare function ({name, parameters}) is wrapped as {type: "function", function}. */
function toolsOf(options: IDataObject): IDataObject[] | undefined {
	const field = 'Tools';
	if (!has(options, 'tools')) return undefined;
	const value = jsonOf(options, 'tools', field, 'a JSON array of tool definitions');
	if (!Array.isArray(value)) {
		throw inputError(
			field,
			'expected a JSON array like [{"type": "function", "function": {"name": "…", "parameters": {…}}}]',
		);
	}
	if (value.length === 0) return undefined;
	return value.map((entry, n) => {
		const at = `tool ${n + 1}`;
		if (!entry || typeof entry !== 'object' || Array.isArray(entry))
			throw inputError(field, `${at}: expected an object`);
		let tool = entry as IDataObject;
		if (tool.type === undefined && typeof tool.name === 'string')
			tool = { type: 'function', function: tool };
		if (tool.type !== 'function') throw inputError(field, `${at}: expected "type": "function"`);
		const fn = tool.function as IDataObject | undefined;
		if (!fn || typeof fn !== 'object' || typeof fn.name !== 'string' || !NAME.test(fn.name)) {
			throw inputError(
				field,
				`${at}: expected "function.name" of letters, digits, _ or - (at most 64)`,
			);
		}
		if (
			fn.parameters !== undefined &&
			(fn.parameters === null || typeof fn.parameters !== 'object' || Array.isArray(fn.parameters))
		) {
			throw inputError(
				field,
				`${at} (${fn.name}): expected "function.parameters" to be a JSON schema object`,
			);
		}
		return tool;
	});
}

function toolChoiceOf(options: IDataObject, tools: IDataObject[] | undefined): unknown {
	const field = 'Tool Choice';
	// Without tools there is nothing to choose (n8n hides the option then): nothing is sent.
	if (!has(options, 'toolChoice') || !tools) return undefined;
	const choice = String(options.toolChoice).trim();
	if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
	const names = tools.map((t) => (t.function as IDataObject).name as string);
	// "Specific Tool" names it in Tool Name; workflows saved before that wrote the name here.
	const name = choice === 'function' ? String(options.toolName ?? '').trim() : choice;
	if (!names.includes(name)) {
		const got = name === '' ? 'nothing' : `"${name}"`;
		throw inputError(
			choice === 'function' ? 'Tool Name' : field,
			`expected the name of one of the tools (${names.join(', ')}), got ${got}`,
		);
	}
	return { type: 'function', function: { name } };
}

function responseFormatOf(options: IDataObject): { format: ResponseFormat; body?: IDataObject } {
	const format = (
		has(options, 'responseFormat') ? options.responseFormat : 'text'
	) as ResponseFormat;
	switch (format) {
		case 'text':
			// Plain text is what the model does anyway; nothing is sent.
			return { format };
		case 'json_object':
			return { format, body: { type: 'json_object' } };
		case 'json_schema': {
			const name = has(options, 'jsonSchemaName')
				? String(options.jsonSchemaName).trim()
				: 'response';
			if (!NAME.test(name)) {
				throw inputError(
					'JSON Schema Name',
					`expected letters, digits, _ or - (at most 64), got "${name}"`,
				);
			}
			if (!has(options, 'jsonSchema')) {
				throw inputError(
					'JSON Schema',
					'Response Format "JSON Schema" needs the schema the reply must follow',
				);
			}
			const schema = jsonOf(options, 'jsonSchema', 'JSON Schema', 'a JSON schema object');
			if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
				throw inputError(
					'JSON Schema',
					'expected a JSON schema object like {"type": "object", "properties": {…}}',
				);
			}
			const strict = booleanOf(options, 'jsonSchemaStrict', 'JSON Schema Strict', true);
			return {
				format,
				body: { type: 'json_schema', json_schema: { name, schema: schema as IDataObject, strict } },
			};
		}
		default:
			throw inputError(
				'Response Format',
				`expected text, json_object or json_schema, got "${String(format)}"`,
			);
	}
}

/** Every option checked and turned into body fields, before anything is sent. */
export function readOptions(options: IDataObject): ChatSettings {
	const body: IDataObject = {};
	const set = (key: string, value: unknown) => {
		if (value !== undefined) body[key] = value as IDataObject[string];
	};
	const sampling = readSampling(options);
	set('temperature', sampling.temperature);
	set('top_p', sampling.topP);
	set('max_tokens', sampling.maxTokens);
	set('frequency_penalty', sampling.frequencyPenalty);
	set('presence_penalty', sampling.presencePenalty);
	set(
		'seed',
		optionalNumber(options.seed, 'Seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
	);
	const stop = textList(options, 'stop', 'Stop Sequences', true);
	if (stop.length) set('stop', stop);

	const rf = responseFormatOf(options);
	set('response_format', rf.body);

	const tools = toolsOf(options);
	set('tools', tools);
	set('tool_choice', toolChoiceOf(options, tools));

	if (has(options, 'user')) {
		if (typeof options.user !== 'string' || options.user.trim() === '') {
			throw inputError('End-User ID', 'expected text identifying the end user');
		}
		set('user', options.user);
	}
	set('reasoning_effort', sampling.reasoningEffort);

	return {
		body,
		tags: sampling.tags,
		responseFormat: rf.format,
		attribution: sampling.attribution,
		simplify: booleanOf(options, 'simplify', 'Simplify Output', true),
		timeoutMs: sampling.timeoutMs,
		maxRetries: sampling.maxRetries,
		maxWaitMs: sampling.maxWaitMs,
		concurrency:
			optionalNumber(options.concurrency, 'Concurrency', 1, MAX_CONCURRENCY, true) ??
			DEFAULT_CONCURRENCY,
	};
}
