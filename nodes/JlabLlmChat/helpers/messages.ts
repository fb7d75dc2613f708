import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import type { ChatContentPart, ChatMessage } from '../../shared/types';

import type { ParameterReader } from './params';

export type InputMode = 'prompt' | 'messages' | 'json';

const ROLES = ['system', 'user', 'assistant', 'tool', 'developer'] as const;
const LIST_ROLES = ['system', 'user', 'assistant'] as const;
const DETAILS = ['auto', 'low', 'high'] as const;

/** An image to attach to the user message: a binary property (read when sent) or a URL. */
export type ImageRef = { binaryProperty: string; mimeType: string } | { url: string };

export interface ImagePlan {
	refs: ImageRef[];
	detail?: 'low' | 'high';
}

/** A text field that must hold something. */
function requiredText(value: unknown, field: string, expected: string): string {
	if (typeof value !== 'string' || value.trim() === '') throw inputError(field, expected);
	return value;
}

/** Prompt + optional system message. */
function fromPrompt(params: ParameterReader, i: number): ChatMessage[] {
	const prompt = requiredText(
		params.get('prompt', i, ''),
		'Prompt',
		'expected the text to send to the model; it is empty',
	);
	const system = params.get('systemMessage', i, '') as unknown;
	if (system !== undefined && system !== null && typeof system !== 'string') {
		throw inputError('System Message', 'expected text');
	}
	const messages: ChatMessage[] = [];
	if (typeof system === 'string' && system.trim() !== '')
		messages.push({ role: 'system', content: system });
	messages.push({ role: 'user', content: prompt });
	return messages;
}

/** The "Message List" rows: role + content, in order. */
function fromList(params: ParameterReader, i: number): ChatMessage[] {
	const raw = params.get('messages.values', i, []) as IDataObject[];
	const rows = Array.isArray(raw) ? raw : [];
	if (rows.length === 0) throw inputError('Messages', 'add at least one message');
	return rows.map((row, n) => {
		const role = row.role ?? 'user';
		if (!(LIST_ROLES as readonly unknown[]).includes(role)) {
			throw inputError(
				'Messages',
				`message ${n + 1}: expected the role system, user or assistant, got "${String(role)}"`,
			);
		}
		const content = requiredText(
			row.content,
			'Messages',
			`message ${n + 1} (${String(role)}) has no content`,
		);
		return { role: role as ChatMessage['role'], content };
	});
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	return typeof value === 'object'
		? 'an object'
		: `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** Checks one OpenAI-format message and returns it unchanged (extra fields pass through). */
function checkMessage(value: unknown, n: number): ChatMessage {
	const field = 'Messages (JSON)';
	const at = `message ${n + 1}`;
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw inputError(
			field,
			`${at}: expected an object like {"role": "user", "content": "…"}, got ${describe(value)}`,
		);
	}
	const m = value as IDataObject;
	if (!(ROLES as readonly unknown[]).includes(m.role)) {
		throw inputError(
			field,
			`${at}: expected "role" to be one of ${ROLES.join(', ')}, got ${describe(m.role)}`,
		);
	}
	const content = m.content;
	if (Array.isArray(content)) {
		if (content.length === 0) throw inputError(field, `${at}: "content" is an empty list of parts`);
		content.forEach((part, p) => {
			if (!part || typeof part !== 'object' || typeof (part as IDataObject).type !== 'string') {
				throw inputError(
					field,
					`${at}, part ${p + 1}: expected {"type": "text", "text": "…"} or {"type": "image_url", …}`,
				);
			}
		});
	} else if (content === null || content === undefined) {
		const hasToolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
		if (!(m.role === 'assistant' && hasToolCalls)) {
			throw inputError(
				field,
				`${at}: "content" is missing; only an assistant message with tool_calls may omit it`,
			);
		}
	} else if (typeof content !== 'string') {
		throw inputError(
			field,
			`${at}: expected "content" to be text or a list of parts, got ${describe(content)}`,
		);
	} else if (content.trim() === '' && m.role !== 'assistant') {
		throw inputError(field, `${at} (${String(m.role)}) has empty content`);
	}
	if (m.role === 'tool' && (typeof m.tool_call_id !== 'string' || m.tool_call_id === '')) {
		throw inputError(
			field,
			`${at}: a tool message needs "tool_call_id", the id of the call it answers`,
		);
	}
	return m as unknown as ChatMessage;
}

/** Messages as a JSON expression in OpenAI format (an array, or a string holding one). */
function fromJson(params: ParameterReader, i: number): ChatMessage[] {
	const field = 'Messages (JSON)';
	let value = params.get('messagesJson', i, '') as unknown;
	if (typeof value === 'string') {
		if (value.trim() === '')
			throw inputError(field, 'expected a JSON array of messages; it is empty');
		try {
			value = JSON.parse(value);
		} catch (error) {
			throw inputError(
				field,
				`expected a JSON array of messages, but the text is not valid JSON (${(error as Error).message})`,
			);
		}
	}
	// Accept a whole request body too: {"messages": [...]}.
	if (
		value &&
		typeof value === 'object' &&
		!Array.isArray(value) &&
		Array.isArray((value as IDataObject).messages)
	) {
		value = (value as IDataObject).messages;
	}
	if (!Array.isArray(value)) {
		throw inputError(
			field,
			`expected an array of messages like [{"role": "user", "content": "Hello"}], got ${describe(value)}`,
		);
	}
	if (value.length === 0)
		throw inputError(field, 'expected at least one message; the array is empty');
	return value.map(checkMessage);
}

export function buildMessages(params: ParameterReader, i: number): ChatMessage[] {
	const mode = params.get('inputMode', i, 'prompt') as InputMode;
	switch (mode) {
		case 'prompt':
			return fromPrompt(params, i);
		case 'messages':
			return fromList(params, i);
		case 'json':
			return fromJson(params, i);
		default:
			throw inputError(
				'Input Mode',
				`expected Prompt, Message List or Messages (JSON), got "${String(mode)}"`,
			);
	}
}

/** Names or URLs given as a list, or as text separated by commas or line breaks. */
function listOf(value: unknown, field: string): string[] {
	if (value === undefined || value === null || value === '') return [];
	const raw = Array.isArray(value)
		? value
		: typeof value === 'string'
			? value.split(/[,\n]/)
			: undefined;
	if (!raw) throw inputError(field, `expected text or a list, got ${describe(value)}`);
	return raw
		.map((v) => {
			if (typeof v !== 'string')
				throw inputError(field, `expected text entries, got ${describe(v)}`);
			return v.trim();
		})
		.filter((v) => v !== '');
}

const DATA_IMAGE = /^data:image\/[a-z0-9.+-]+;base64,/i;

/** Checks the image options; binary contents are read only when the request is sent. */
export function planImages(ctx: IExecuteFunctions, i: number, options: IDataObject): ImagePlan {
	const refs: ImageRef[] = [];
	const binaries = ctx.getInputData()[i]?.binary ?? {};
	for (const name of listOf(options.imageBinaryProperties, 'Image Binary Properties')) {
		const data = binaries[name];
		if (!data) {
			const have = Object.keys(binaries);
			throw inputError(
				'Image Binary Properties',
				`the input item has no binary property "${name}"${have.length ? ` (it has: ${have.join(', ')})` : ' (it has no binary data)'}`,
			);
		}
		const mimeType = String(data.mimeType ?? '');
		if (!mimeType.toLowerCase().startsWith('image/')) {
			throw inputError(
				'Image Binary Properties',
				`binary property "${name}" is ${mimeType || 'of unknown type'}, expected an image (image/png, image/jpeg, …)`,
			);
		}
		refs.push({ binaryProperty: name, mimeType });
	}
	for (const url of listOf(options.imageUrls, 'Image URLs')) {
		if (!/^https?:\/\/\S+$/i.test(url) && !DATA_IMAGE.test(url)) {
			throw inputError(
				'Image URLs',
				`expected an http(s):// URL or a data:image/…;base64, URL, got "${url.slice(0, 60)}"`,
			);
		}
		refs.push({ url });
	}
	const detail = options.imageDetail ?? 'auto';
	if (!(DETAILS as readonly unknown[]).includes(detail)) {
		throw inputError('Image Detail', `expected auto, low or high, got "${String(detail)}"`);
	}
	return { refs, detail: detail === 'auto' ? undefined : (detail as 'low' | 'high') };
}

/** The image parts, binary ones read now as base64 data URLs. */
async function imageParts(
	ctx: IExecuteFunctions,
	i: number,
	plan: ImagePlan,
): Promise<ChatContentPart[]> {
	const parts: ChatContentPart[] = [];
	for (const ref of plan.refs) {
		let url: string;
		if ('url' in ref) {
			url = ref.url;
		} else {
			const buffer = await ctx.helpers.getBinaryDataBuffer(i, ref.binaryProperty);
			url = `data:${ref.mimeType};base64,${buffer.toString('base64')}`;
		}
		parts.push({
			type: 'image_url',
			image_url: plan.detail ? { url, detail: plan.detail } : { url },
		});
	}
	return parts;
}

/** Index of the message images belong to: the last user message. */
export function imageTarget(messages: ChatMessage[]): number {
	for (let n = messages.length - 1; n >= 0; n--) if (messages[n].role === 'user') return n;
	return -1;
}

/** Adds the images as image_url parts after the text of the last user message. */
export async function attachImages(
	ctx: IExecuteFunctions,
	i: number,
	messages: ChatMessage[],
	plan: ImagePlan,
): Promise<ChatMessage[]> {
	if (plan.refs.length === 0) return messages;
	const at = imageTarget(messages);
	const target = messages[at];
	const parts = await imageParts(ctx, i, plan);
	const before: ChatContentPart[] = Array.isArray(target.content)
		? target.content
		: typeof target.content === 'string' && target.content !== ''
			? [{ type: 'text', text: target.content }]
			: [];
	const out = messages.slice();
	out[at] = { ...target, content: [...before, ...parts] };
	return out;
}
