'use strict';
// Deterministic chat replies: everything the sandbox answers is derived from the request, so a test
// can predict it. Content echoes the last user message; JSON modes, tool calls and reasoning are
// built from the request's own schemas.

const INVALID_JSON_TRIGGER = '[[invalid-json]]';
const IMAGE_TOKENS = 85;

function partsOf(content) {
	if (typeof content === 'string') return [{ type: 'text', text: content }];
	if (Array.isArray(content)) return content.filter((p) => p && typeof p === 'object');
	return [];
}

/** The text of one message (string content, text parts, and tool-call arguments). */
function messageText(msg) {
	if (!msg || typeof msg !== 'object') return '';
	let text = partsOf(msg.content)
		.filter((p) => p.type === 'text' || typeof p.text === 'string')
		.map((p) => String(p.text ?? ''))
		.join('\n');
	if (Array.isArray(msg.tool_calls)) {
		for (const tc of msg.tool_calls) text += String(tc?.function?.arguments ?? '');
	}
	return text;
}

function imageCount(msg) {
	if (!msg || typeof msg !== 'object') return 0;
	return partsOf(msg.content).filter((p) => p.type === 'image_url' || p.image_url !== undefined)
		.length;
}

function tokensOf(text) {
	return Math.ceil(String(text ?? '').length / 4);
}

/** Prompt tokens: ceil(chars/4) over all message text, +85 per image. */
function promptTokens(messages) {
	let chars = 0;
	let images = 0;
	for (const m of messages) {
		chars += messageText(m).length;
		images += imageCount(m);
	}
	return Math.ceil(chars / 4) + IMAGE_TOKENS * images;
}

function findLast(arr, pred) {
	for (let i = arr.length - 1; i >= 0; i--) if (pred(arr[i])) return arr[i];
	return undefined;
}

function resolveRef(ref, root) {
	if (typeof ref !== 'string' || !ref.startsWith('#/')) return {};
	let node = root;
	for (const part of ref.slice(2).split('/')) {
		node =
			node && typeof node === 'object'
				? node[part.replace(/~1/g, '/').replace(/~0/g, '~')]
				: undefined;
	}
	return node && typeof node === 'object' ? node : {};
}

/**
 * A minimal value that satisfies a JSON schema: every property present (strict mode wants all of
 * them), strings filled with `fill`, numbers at their minimum, arrays at minItems (at least 1).
 */
function valueForSchema(schema, root, fill, depth = 0, name = '') {
	if (!schema || typeof schema !== 'object' || depth > 12) return null;
	if (schema.$ref)
		return valueForSchema(resolveRef(schema.$ref, root), root, fill, depth + 1, name);
	if ('const' in schema) return schema.const;
	if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
	if ('default' in schema && schema.default !== undefined) return schema.default;
	for (const k of ['anyOf', 'oneOf']) {
		if (Array.isArray(schema[k]) && schema[k].length) {
			const pick = schema[k].find((s) => s && s.type !== 'null') ?? schema[k][0];
			return valueForSchema(pick, root, fill, depth + 1, name);
		}
	}
	if (Array.isArray(schema.allOf) && schema.allOf.length) {
		const merged = { type: 'object', properties: {}, required: [] };
		for (const s0 of schema.allOf) {
			const s = s0 && s0.$ref ? resolveRef(s0.$ref, root) : s0 || {};
			Object.assign(merged.properties, s.properties || {});
			merged.required.push(...(s.required || []));
			if (s.type) merged.type = s.type;
		}
		return valueForSchema(merged, root, fill, depth + 1, name);
	}
	let type = schema.type;
	if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
	if (!type) type = schema.properties ? 'object' : schema.items ? 'array' : 'string';
	switch (type) {
		case 'object': {
			const out = {};
			const props =
				schema.properties && typeof schema.properties === 'object' ? schema.properties : {};
			for (const [k, sub] of Object.entries(props))
				out[k] = valueForSchema(sub, root, fill, depth + 1, k);
			for (const k of Array.isArray(schema.required) ? schema.required : []) {
				if (!(k in out)) out[k] = fill || k;
			}
			return out;
		}
		case 'array': {
			const min = Number.isInteger(schema.minItems) ? schema.minItems : 1;
			const max = Number.isInteger(schema.maxItems) ? schema.maxItems : Infinity;
			const count = Math.min(Math.max(min, 1), max);
			const items = [];
			for (let i = 0; i < count; i++)
				items.push(valueForSchema(schema.items || {}, root, fill, depth + 1, name));
			return items;
		}
		case 'integer':
		case 'number': {
			let v = 0;
			if (typeof schema.minimum === 'number') v = schema.minimum;
			if (typeof schema.exclusiveMinimum === 'number') v = schema.exclusiveMinimum + 1;
			if (typeof schema.maximum === 'number' && v > schema.maximum) v = schema.maximum;
			return type === 'integer' ? Math.ceil(v) : v;
		}
		case 'boolean':
			return false;
		case 'null':
			return null;
		default: {
			let s;
			switch (schema.format) {
				case 'date-time':
					s = '2026-01-01T00:00:00Z';
					break;
				case 'date':
					s = '2026-01-01';
					break;
				case 'email':
					s = 'user@example.org';
					break;
				case 'uri':
				case 'url':
					s = 'https://example.org/';
					break;
				case 'uuid':
					s = '00000000-0000-4000-8000-000000000000';
					break;
				default:
					s = fill || name || 'sample';
			}
			if (Number.isInteger(schema.maxLength)) s = s.slice(0, schema.maxLength);
			if (Number.isInteger(schema.minLength) && s.length < schema.minLength)
				s = s.padEnd(schema.minLength, '.');
			return s;
		}
	}
}

function breakJson(json) {
	return json.slice(0, -1) + ',';
}

/**
 * Build the reply to a chat-completion body. `model` is the model entry (with supports_reasoning),
 * `nextToolCallId()` gives deterministic tool-call ids.
 * Returns { choices: [{index, content, reasoning, toolCalls, finishReason}], usage }.
 */
function buildReply(model, body, nextToolCallId) {
	const messages = body.messages;
	const modelName = body.model;
	const lastUserMsg = findLast(messages, (m) => m && m.role === 'user');
	const userText = messageText(lastUserMsg);
	const excerpt = userText.slice(0, 200);
	const images = imageCount(lastUserMsg);
	const lastMsg = messages[messages.length - 1];
	const tools = Array.isArray(body.tools)
		? body.tools.filter((t) => t && t.function && t.function.name)
		: [];
	const toolChoice = body.tool_choice;
	const wantsInvalid = userText.includes(INVALID_JSON_TRIGGER);

	let mode = 'text';
	let tool = null;
	if (lastMsg && lastMsg.role === 'tool') mode = 'after_tool';
	else if (tools.length && toolChoice !== 'none') {
		mode = 'tool_call';
		const wanted =
			toolChoice && typeof toolChoice === 'object' ? toolChoice.function?.name : undefined;
		tool = (wanted && tools.find((t) => t.function.name === wanted)) || tools[0];
	}

	const rf =
		body.response_format && typeof body.response_format === 'object' ? body.response_format : null;
	const n = Math.min(Math.max(Number.isInteger(body.n) ? body.n : 1, 1), 16);
	const limit = Number.isInteger(body.max_completion_tokens)
		? body.max_completion_tokens
		: Number.isInteger(body.max_tokens)
			? body.max_tokens
			: null;
	const stops = (Array.isArray(body.stop) ? body.stop : body.stop ? [body.stop] : []).filter(
		(s) => typeof s === 'string' && s.length,
	);
	const effort = typeof body.reasoning_effort === 'string' ? body.reasoning_effort : 'medium';

	const choices = [];
	let completionTokens = 0;
	let reasoningTokens = 0;
	for (let i = 0; i < n; i++) {
		let content = null;
		let toolCalls = null;
		let finishReason = 'stop';
		if (mode === 'tool_call') {
			const args = valueForSchema(
				tool.function.parameters || { type: 'object', properties: {} },
				tool.function.parameters,
				excerpt.slice(0, 100),
			);
			toolCalls = [
				{
					id: nextToolCallId(),
					type: 'function',
					function: { name: tool.function.name, arguments: JSON.stringify(args ?? {}) },
				},
			];
			finishReason = 'tool_calls';
		} else {
			if (mode === 'after_tool') {
				content = `Echo from ${modelName}: the tool returned: ${messageText(lastMsg).slice(0, 200)}`;
			} else if (rf && rf.type === 'json_object') {
				content = JSON.stringify({ echo: excerpt, model: modelName });
				if (wantsInvalid) content = breakJson(content);
			} else if (rf && rf.type === 'json_schema') {
				const schema =
					rf.json_schema && typeof rf.json_schema === 'object' ? rf.json_schema.schema : undefined;
				content = JSON.stringify(valueForSchema(schema || { type: 'object' }, schema, excerpt));
				if (wantsInvalid) content = breakJson(content);
			} else {
				content = `Echo from ${modelName}: ${excerpt}`;
				if (images) content += ` [${images} image${images === 1 ? '' : 's'}]`;
				if (i > 0) content += ` (choice ${i + 1})`;
			}
			let cut = -1;
			for (const s of stops) {
				const at = content.indexOf(s);
				if (at >= 0 && (cut < 0 || at < cut)) cut = at;
			}
			if (cut >= 0) content = content.slice(0, cut);
			if (limit !== null && tokensOf(content) > limit) {
				content = content.slice(0, Math.max(0, limit) * 4);
				finishReason = 'length';
			}
		}
		let reasoning = null;
		if (model.supports_reasoning) {
			reasoning =
				`Reasoning (effort: ${effort}): the user wrote ${userText.length} characters` +
				(mode === 'tool_call' ? `; calling ${tool.function.name}.` : '; answering with an echo.');
			reasoningTokens += tokensOf(reasoning);
		}
		completionTokens += toolCalls ? tokensOf(toolCalls[0].function.arguments) : tokensOf(content);
		choices.push({ index: i, content, reasoning, toolCalls, finishReason });
	}
	const prompt = promptTokens(messages);
	const completion = completionTokens + reasoningTokens;
	return {
		choices,
		usage: {
			prompt_tokens: prompt,
			completion_tokens: completion,
			total_tokens: prompt + completion,
			reasoning_tokens: model.supports_reasoning ? reasoningTokens : null,
		},
		images: messages.reduce((a, m) => a + imageCount(m), 0),
	};
}

module.exports = {
	INVALID_JSON_TRIGGER,
	buildReply,
	valueForSchema,
	messageText,
	imageCount,
	promptTokens,
	tokensOf,
};
