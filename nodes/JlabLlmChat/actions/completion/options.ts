import type { IDataObject } from 'n8n-workflow';

import { inputError } from '../../../shared/errors';

/** Items in flight at most, unless the user sets Concurrency. */
export const DEFAULT_CONCURRENCY = 64;
export const MAX_CONCURRENCY = 256;
/** Items a run starts with (at most Concurrency): half the default cap, reached after one round trip. */
export const START_CONCURRENCY = 32;
export const DEFAULT_TIMEOUT_S = 180;
export const DEFAULT_MAX_RETRIES = 3;

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
	concurrency: number;
}

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
	const kind = integer ? 'a whole number' : 'a number';
	if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
		throw inputError(field, `expected ${kind} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
	}
	return n;
}

function booleanOf(options: IDataObject, name: string, field: string, fallback: boolean): boolean {
	if (!has(options, name)) return fallback;
	const v = options[name];
	if (typeof v === 'boolean') return v;
	if (v === 'true' || v === 'false') return v === 'true';
	throw inputError(field, `expected true or false, got ${JSON.stringify(v)}`);
}

/** A JSON value from a JSON field: already parsed by an expression, or text to parse. */
function jsonOf(options: IDataObject, name: string, field: string, expected: string): unknown {
	const raw = options[name];
	if (typeof raw !== 'string') return raw;
	try {
		return JSON.parse(raw);
	} catch (error) {
		throw inputError(field, `expected ${expected}, but the text is not valid JSON (${(error as Error).message})`);
	}
}

/** Text split at commas (or a JSON array / list for entries that contain commas or spaces). */
function textList(options: IDataObject, name: string, field: string): string[] {
	if (!has(options, name)) return [];
	let raw: unknown = options[name];
	if (typeof raw === 'string' && raw.trim().startsWith('[')) {
		try {
			raw = JSON.parse(raw);
		} catch (error) {
			throw inputError(field, `expected a JSON array of strings, but the text is not valid JSON (${(error as Error).message})`);
		}
	}
	if (typeof raw === 'string') {
		return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
	}
	if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || s === '')) {
		throw inputError(field, 'expected comma-separated text or a JSON array of non-empty strings');
	}
	return raw as string[];
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Tools in OpenAI format; a bare function ({name, parameters}) is wrapped as {type: "function", function}. */
function toolsOf(options: IDataObject): IDataObject[] | undefined {
	const field = 'Tools';
	if (!has(options, 'tools')) return undefined;
	const value = jsonOf(options, 'tools', field, 'a JSON array of tool definitions');
	if (!Array.isArray(value)) {
		throw inputError(field, 'expected a JSON array like [{"type": "function", "function": {"name": "…", "parameters": {…}}}]');
	}
	if (value.length === 0) return undefined;
	return value.map((entry, n) => {
		const at = `tool ${n + 1}`;
		if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw inputError(field, `${at}: expected an object`);
		let tool = entry as IDataObject;
		if (tool.type === undefined && typeof tool.name === 'string') tool = { type: 'function', function: tool };
		if (tool.type !== 'function') throw inputError(field, `${at}: expected "type": "function"`);
		const fn = tool.function as IDataObject | undefined;
		if (!fn || typeof fn !== 'object' || typeof fn.name !== 'string' || !NAME.test(fn.name)) {
			throw inputError(field, `${at}: expected "function.name" of letters, digits, _ or - (at most 64)`);
		}
		if (fn.parameters !== undefined && (fn.parameters === null || typeof fn.parameters !== 'object' || Array.isArray(fn.parameters))) {
			throw inputError(field, `${at} (${fn.name}): expected "function.parameters" to be a JSON schema object`);
		}
		return tool;
	});
}

function toolChoiceOf(options: IDataObject, tools: IDataObject[] | undefined): unknown {
	const field = 'Tool Choice';
	if (!has(options, 'toolChoice')) return undefined;
	const choice = String(options.toolChoice).trim();
	if (!tools) {
		if (choice === 'auto') return undefined;
		throw inputError(field, `"${choice}" needs tools: add them in the Tools option`);
	}
	if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
	const names = tools.map((t) => (t.function as IDataObject).name as string);
	if (!names.includes(choice)) {
		throw inputError(field, `expected auto, none, required or the name of one of the tools (${names.join(', ')}), got "${choice}"`);
	}
	return { type: 'function', function: { name: choice } };
}

function responseFormatOf(options: IDataObject): { format: ResponseFormat; body?: IDataObject } {
	const format = (has(options, 'responseFormat') ? options.responseFormat : 'text') as ResponseFormat;
	switch (format) {
		case 'text':
			// Plain text is what the model does anyway; nothing is sent.
			return { format };
		case 'json_object':
			return { format, body: { type: 'json_object' } };
		case 'json_schema': {
			const name = has(options, 'jsonSchemaName') ? String(options.jsonSchemaName) : 'response';
			if (!NAME.test(name)) {
				throw inputError('JSON Schema Name', `expected letters, digits, _ or - (at most 64), got "${name}"`);
			}
			if (!has(options, 'jsonSchema')) {
				throw inputError('JSON Schema', 'Response Format "JSON Schema" needs the schema the reply must follow');
			}
			const schema = jsonOf(options, 'jsonSchema', 'JSON Schema', 'a JSON schema object');
			if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
				throw inputError('JSON Schema', 'expected a JSON schema object like {"type": "object", "properties": {…}}');
			}
			const strict = booleanOf(options, 'jsonSchemaStrict', 'JSON Schema Strict', true);
			return { format, body: { type: 'json_schema', json_schema: { name, schema: schema as IDataObject, strict } } };
		}
		default:
			throw inputError('Response Format', `expected text, json_object or json_schema, got "${String(format)}"`);
	}
}

/** Every option checked and turned into body fields, before anything is sent. */
export function readOptions(options: IDataObject): ChatSettings {
	const body: IDataObject = {};
	const set = (key: string, value: unknown) => {
		if (value !== undefined) body[key] = value as IDataObject[string];
	};
	set('temperature', numberIn(options, 'temperature', 'Temperature', 0, 2));
	set('top_p', numberIn(options, 'topP', 'Top P', 0, 1));
	set('max_tokens', numberIn(options, 'maxTokens', 'Max Tokens', 1, 1_000_000, true));
	set('frequency_penalty', numberIn(options, 'frequencyPenalty', 'Frequency Penalty', -2, 2));
	set('presence_penalty', numberIn(options, 'presencePenalty', 'Presence Penalty', -2, 2));
	set('seed', numberIn(options, 'seed', 'Seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true));
	const stop = textList(options, 'stop', 'Stop Sequences');
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
	if (has(options, 'reasoningEffort')) {
		const effort = options.reasoningEffort;
		if (effort !== 'low' && effort !== 'medium' && effort !== 'high') {
			throw inputError('Reasoning Effort', `expected low, medium or high, got ${JSON.stringify(effort)}`);
		}
		set('reasoning_effort', effort);
	}

	return {
		body,
		tags: textList(options, 'tags', 'Tags'),
		responseFormat: rf.format,
		attribution: booleanOf(options, 'attribution', 'Attribution', true),
		simplify: booleanOf(options, 'simplify', 'Simplify Output', true),
		timeoutMs: (numberIn(options, 'timeout', 'Timeout (Seconds)', 1, 3600) ?? DEFAULT_TIMEOUT_S) * 1000,
		maxRetries: numberIn(options, 'maxRetries', 'Max Retries', 0, 10, true) ?? DEFAULT_MAX_RETRIES,
		concurrency: numberIn(options, 'concurrency', 'Concurrency', 1, MAX_CONCURRENCY, true) ?? DEFAULT_CONCURRENCY,
	};
}
