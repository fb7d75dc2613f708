import type { IDataObject } from 'n8n-workflow';

import { callIdOf, GatewayError } from '../../shared/errors';
import { CHAT_ROUTE, type GatewayResponse } from '../../shared/gateway';
import { redact } from '../../shared/redact';
import type { ChatCompletion, ChatMessage } from '../../shared/types';

import type { ResponseFormat } from './options';

/** A JSON format was asked for and the model answered something else. */
export class ReplyNotJsonError extends GatewayError {
	get description(): string {
		return 'invalid_response: The model answered, but not with valid JSON although the Response Format asked for it. Raise Maximum Number of Tokens if the reply was cut off (finish reason "length"), make the prompt ask for JSON, or use Response Format "JSON Schema".';
	}
}

function numberOf(raw: string | undefined): number | null {
	if (raw === undefined || raw === '' || raw === 'None') return null;
	const n = Number(raw);
	return Number.isFinite(n) ? n : null;
}

function firstNumber(headers: Record<string, string>, names: string[]): number | null {
	for (const name of names) {
		const n = numberOf(headers[name]);
		if (n !== null) return n;
	}
	return null;
}

/** A header shown as text: redacted like every other value the gateway sends. */
function textOf(headers: Record<string, string>, name: string, secrets: string[]): string | null {
	const value = headers[name];
	return value === undefined ? null : redact(value, secrets);
}

/** What LiteLLM's headers say about this call and the key, in the package's words. */
export function gatewayBlock(res: GatewayResponse<unknown>, secrets: string[] = []): IDataObject {
	const h = res.headers;
	return {
		callId: callIdOf(h, secrets) ?? null,
		costUsd: numberOf(h['x-litellm-response-cost']),
		keySpendUsd: numberOf(h['x-litellm-key-spend']),
		keyMaxBudgetUsd: numberOf(h['x-litellm-key-max-budget']),
		// The key's own limiter (v3) first; older builds put the key's values in the plain names.
		remainingRequests: firstNumber(h, [
			'x-ratelimit-api_key-remaining-requests',
			'x-ratelimit-remaining-requests',
		]),
		remainingTokens: firstNumber(h, [
			'x-ratelimit-api_key-remaining-tokens',
			'x-ratelimit-remaining-tokens',
		]),
		modelGroup: textOf(h, 'x-litellm-model-group', secrets),
		modelId: textOf(h, 'x-litellm-model-id', secrets),
		litellmVersion: textOf(h, 'x-litellm-version', secrets),
		responseDurationMs: numberOf(h['x-litellm-response-duration-ms']),
		attempts: res.attempts,
	};
}

/** Reply text: a string, or the text parts of a list joined. */
function replyTextOf(content: ChatMessage['content'] | undefined): string | null {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) {
		return content
			.map((p) =>
				p && (p as { type?: string }).type === 'text' ? (p as { text: string }).text : '',
			)
			.join('');
	}
	return null;
}

/** Models asked for JSON sometimes wrap it in a Markdown code fence; the fence is not the reply. */
function withoutFence(text: string): string {
	const m = /^\s*```[a-zA-Z0-9_-]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
	return m ? m[1] : text;
}

function parseJsonReply(
	text: string | null,
	finishReason: string | null,
	res: GatewayResponse<unknown>,
	secrets: string[],
): unknown {
	const details = { status: res.status, route: CHAT_ROUTE, callId: callIdOf(res.headers, secrets) };
	const cut =
		finishReason === 'length'
			? ' The reply was cut off at Maximum Number of Tokens (finish reason "length").'
			: '';
	if (text === null || text.trim() === '') {
		throw new ReplyNotJsonError(
			'invalid_response',
			`The model's reply is empty, not the JSON the Response Format asked for.${cut}`,
			details,
		);
	}
	let problem: string;
	try {
		return JSON.parse(withoutFence(text));
	} catch (error) {
		problem = (error as Error).message;
	}
	const start = redact(text.length > 120 ? `${text.slice(0, 120)}…` : text, secrets);
	throw new ReplyNotJsonError(
		'invalid_response',
		`The model's reply is not valid JSON (${problem}).${cut} It starts: ${start}`,
		details,
	);
}

function toolCallsOf(message: ChatMessage): IDataObject[] | null {
	if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0) return null;
	return message.tool_calls.map((call) => {
		const raw = call?.function?.arguments;
		let args: unknown = raw ?? null;
		if (typeof raw === 'string') {
			try {
				args = JSON.parse(raw);
			} catch {
				// Arguments that are not JSON are handed over as the model wrote them.
				args = raw;
			}
		}
		return {
			id: call?.id ?? null,
			type: call?.type ?? 'function',
			name: call?.function?.name ?? null,
			arguments: args as IDataObject,
		};
	});
}

/** The item's json: the simplified fields, or the whole answer with a gateway block (redacted by runItems). */
export function shapeOutput(
	res: GatewayResponse<unknown>,
	requestedModel: string,
	responseFormat: ResponseFormat,
	simplify: boolean,
	secrets: string[] = [],
): IDataObject {
	const body = res.body as ChatCompletion;
	const choice = Array.isArray(body?.choices) ? body.choices[0] : undefined;
	const message = choice?.message;
	if (!message || typeof message !== 'object') {
		throw new GatewayError(
			'invalid_response',
			`The answer did not come from a LiteLLM gateway. ${CHAT_ROUTE} answered without choices[0].message`,
			{ status: res.status, route: CHAT_ROUTE, callId: callIdOf(res.headers, secrets) },
		);
	}
	const finishReason = choice?.finish_reason ?? null;
	const toolCalls = toolCallsOf(message);
	const text = replyTextOf(message.content);
	// A JSON format applies to the reply; a turn that only calls tools has none to parse.
	const wantsJson = responseFormat !== 'text' && !toolCalls;
	const parsed = wantsJson ? parseJsonReply(text, finishReason, res, secrets) : undefined;
	const gateway = gatewayBlock(res, secrets);

	if (!simplify) return { ...(body as unknown as IDataObject), gateway };

	const usage = body.usage;
	const details = (usage?.completion_tokens_details ?? {}) as IDataObject;
	const reasoningTokens =
		details.reasoning_tokens ?? (usage as unknown as IDataObject | undefined)?.reasoning_tokens;
	const m = message as ChatMessage & { reasoning?: unknown };
	const reasoning = m.reasoning_content ?? (typeof m.reasoning === 'string' ? m.reasoning : null);
	return {
		reply: (wantsJson ? parsed : text) as IDataObject,
		reasoning: typeof reasoning === 'string' && reasoning !== '' ? reasoning : null,
		toolCalls,
		finishReason,
		model: body.model ?? requestedModel,
		usage: {
			promptTokens: usage?.prompt_tokens ?? null,
			completionTokens: usage?.completion_tokens ?? null,
			totalTokens: usage?.total_tokens ?? null,
			reasoningTokens: typeof reasoningTokens === 'number' ? reasoningTokens : null,
		},
		costUsd: gateway.costUsd,
		keySpendUsd: gateway.keySpendUsd,
		keyMaxBudgetUsd: gateway.keyMaxBudgetUsd,
		remainingRequests: gateway.remainingRequests,
		remainingTokens: gateway.remainingTokens,
		callId: gateway.callId,
	};
}
