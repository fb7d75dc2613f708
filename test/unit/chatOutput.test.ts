/** JLab LLM Chat output shaping, for answers the sandbox does not produce. */
import { GatewayError } from '../../nodes/shared/errors';
import type { GatewayResponse } from '../../nodes/shared/gateway';
import { gatewayBlock, shapeOutput } from '../../nodes/JlabLlmChat/helpers/output';

function answer(
	message: Record<string, unknown>,
	extra: Record<string, unknown> = {},
	headers: Record<string, string> = {},
): GatewayResponse<unknown> {
	return {
		status: 200,
		attempts: 1,
		headers,
		body: {
			id: 'chatcmpl-1',
			object: 'chat.completion',
			created: 1,
			model: 'm',
			choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', ...message } }],
			...extra,
		},
	};
}

describe('shapeOutput', () => {
	it('unwraps JSON in a Markdown code fence', () => {
		const out = shapeOutput(
			answer({ content: '```json\n{"a": 1}\n```' }),
			'm',
			'json_object',
			true,
		);
		expect(out.reply).toEqual({ a: 1 });
	});

	it('fails a JSON reply that is not JSON, saying when it was cut off', () => {
		const res = answer({ content: '{"a": ' });
		(res.body as { choices: Array<{ finish_reason: string }> }).choices[0].finish_reason = 'length';
		let caught: unknown;
		try {
			shapeOutput(res, 'm', 'json_schema', true);
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(GatewayError);
		expect((caught as GatewayError).errorClass).toBe('invalid_response');
		expect((caught as GatewayError).message).toContain('cut off at Maximum Number of Tokens');
		expect((caught as GatewayError).description).toMatch(/^invalid_response: The model answered/);
	});

	it('joins text parts, reads "reasoning" when there is no reasoning_content, keeps non-JSON tool arguments as text', () => {
		const out = shapeOutput(
			answer({
				content: [
					{ type: 'text', text: 'a' },
					{ type: 'text', text: 'b' },
				],
				reasoning: 'thought',
				tool_calls: [
					{ id: 'c1', type: 'function', function: { name: 'f', arguments: 'not json' } },
				],
			}),
			'm',
			'text',
			true,
		);
		expect(out).toMatchObject({
			reply: 'ab',
			reasoning: 'thought',
			toolCalls: [{ id: 'c1', type: 'function', name: 'f', arguments: 'not json' }],
		});
	});

	it('an answer without choices is not a gateway answer', () => {
		const res: GatewayResponse<unknown> = {
			status: 200,
			attempts: 1,
			headers: {},
			body: { ok: true },
		};
		expect(() => shapeOutput(res, 'm', 'text', true)).toThrow(/without choices/);
	});

	it('reads the older rate-limit header names and leaves absent values null', () => {
		const block = gatewayBlock(
			answer(
				{ content: 'x' },
				{},
				{ 'x-ratelimit-remaining-requests': '7', 'x-litellm-response-cost': 'None' },
			),
		);
		expect(block).toMatchObject({
			remainingRequests: 7,
			remainingTokens: null,
			costUsd: null,
			keyMaxBudgetUsd: null,
			callId: null,
		});
	});
});
