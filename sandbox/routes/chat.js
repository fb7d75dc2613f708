'use strict';
// /v1/chat/completions and /chat/completions: JSON and SSE replies, billed like LiteLLM bills them.

const U = require('../lib/util');
const R = require('../lib/replies');
const { proxyError } = require('../errors');
const { profile } = require('../profiles');
const { now } = require('../config');
const { deploymentId } = require('../catalog');
const { checkModelAccess, admitRate, rateHeaders } = require('../auth');
const { recordCall } = require('../store');
const { latency, sleep, sendJson, cleanHeaders, baseHeaders } = require('../http');

const isObj = U.isObj;

async function chat(state, ctx, req, res, started, midstreamFault) {
	const body = req.body;
	if (req.bodyInvalid || !isObj(body)) {
		throw proxyError(
			400,
			'Invalid JSON payload: the request body must be a JSON object.',
			'bad_request_error',
			'None',
		);
	}
	const modelName = body.model;
	checkModelAccess(state, ctx, modelName);
	const callId = req.headers['x-litellm-call-id'] || state.ids.uuid('call');
	const spendBefore = ctx.row ? ctx.row.spend : 0;
	const postAuth = {
		'x-litellm-call-id': callId,
		'x-litellm-key-spend': U.pyFloat(spendBefore),
		'x-litellm-response-cost': '0',
	};
	const startMs = now(state);
	let rate = null;
	const model = state.modelById.get(modelName);
	const requestId = 'chatcmpl-' + state.ids.uuid('chatcmpl');
	const fail = (err) => {
		err.headers = { ...postAuth, ...err.headers };
		recordCall(state, ctx, {
			model: modelName ?? 'None',
			usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
			requestId,
			callId,
			startMs,
			status: 'failure',
			body,
			errorInfo: {
				error_code: String(err.status),
				error_message: err.body && err.body.error ? err.body.error.message : '',
			},
		});
		return err;
	};
	const refused = refusal(state, body, modelName, model);
	if (refused) throw fail(refused);
	try {
		rate = admitRate(state, ctx);
	} catch (e) {
		throw fail(e);
	}
	try {
		const waited = await latency(state);
		if (state.closed || res.destroyed) return;
		let toolSeq = 0;
		const reply = R.buildReply(
			model,
			body,
			() => 'call_' + U.hashKey(`${requestId}:${toolSeq++}`).slice(0, 24),
		);
		const headers = replyHeaders(state, ctx, model, callId, spendBefore);
		const created = Math.floor(now(state) / 1000);
		if (body.stream === true) {
			const durationMs = performance.now() - started;
			Object.assign(headers, rateHeaders(state, ctx, rate), {
				'x-litellm-response-duration-ms': durationMs.toFixed(3),
				'x-litellm-overhead-duration-ms': overhead(durationMs, waited),
			});
			const ok = await streamReply(state, res, headers, {
				requestId,
				created,
				modelName,
				reply,
				body,
				midstreamFault,
			});
			if (ok)
				recordCall(state, ctx, {
					model: model.id,
					usage: reply.usage,
					requestId,
					callId,
					startMs,
					status: 'success',
					body,
				});
			return;
		}
		const cost = recordCall(state, ctx, {
			model: model.id,
			usage: reply.usage,
			requestId,
			callId,
			startMs,
			status: 'success',
			body,
		});
		const durationMs = performance.now() - started;
		Object.assign(headers, rateHeaders(state, ctx, rate), {
			'x-litellm-response-cost': U.pyFloat(cost),
			'x-litellm-response-duration-ms': durationMs.toFixed(3),
			'x-litellm-overhead-duration-ms': overhead(durationMs, waited),
		});
		sendJson(state, res, 200, completionBody(reply, { requestId, created, modelName }), headers);
	} finally {
		if (rate) rate.inFlight -= 1;
	}
}

/** What LiteLLM or vLLM refuses in a chat body, in their order; null when the call may go on. */
function refusal(state, body, modelName, model) {
	if (!Array.isArray(body.messages) || body.messages.length === 0) {
		return proxyError(
			400,
			'litellm.BadRequestError: messages is a required parameter and must be a non-empty list.',
			'bad_request_error',
			'messages',
		);
	}
	if (!body.messages.every((m) => isObj(m) && typeof m.role === 'string')) {
		return proxyError(
			400,
			'litellm.BadRequestError: every message needs a role.',
			'bad_request_error',
			'messages',
		);
	}
	if (!model) {
		return proxyError(
			400,
			`/chat/completions: Invalid model name passed in model=${U.pyStr(modelName)}. Call \`/v1/models\` to view available models for your key.`,
			profile(state).unknownModelType,
			profile(state).unknownModelParam,
		);
	}
	if (model.mode === 'embedding') {
		// vLLM serves an embedding model without a chat template: the call fails upstream.
		return proxyError(
			400,
			`litellm.BadRequestError: Hosted_vllmException - ${model.id} is an embedding model: it does not support the Chat Completions API. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
			null,
			null,
		);
	}
	const images = body.messages.reduce((n, m) => n + R.imageCount(m), 0);
	if (images && !model.supports_vision) {
		return proxyError(
			400,
			`litellm.BadRequestError: Hosted_vllmException - ${model.id} is not a multimodal model. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
			null,
			null,
		);
	}
	const promptTokens = R.promptTokens(body.messages);
	if (promptTokens > model.max_input_tokens) {
		return proxyError(
			400,
			`litellm.ContextWindowExceededError: litellm.BadRequestError: Hosted_vllmException - This model's maximum context length is ${model.max_input_tokens} tokens. However, you requested ${promptTokens} tokens. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
			null,
			null,
		);
	}
	return null;
}

/** The custom headers of a reply (get_custom_headers), before rate-limit headers and durations. */
function replyHeaders(state, ctx, model, callId, spendBefore) {
	return {
		'x-litellm-call-id': callId,
		'x-litellm-model-id': deploymentId(model.id),
		...(profile(state).modelGroupHeader && { 'x-litellm-model-group': model.id }),
		'x-litellm-key-spend': U.pyFloat(spendBefore),
		// get_custom_headers (proxy/common_request_processing.py) drops the value "None": no budget, no header.
		...(ctx.row &&
			ctx.row.max_budget !== null && {
				'x-litellm-key-max-budget': U.pyFloat(ctx.row.max_budget),
			}),
		...(ctx.row &&
			ctx.row.tpm_limit !== null && { 'x-litellm-key-tpm-limit': String(ctx.row.tpm_limit) }),
		...(ctx.row &&
			ctx.row.rpm_limit !== null && { 'x-litellm-key-rpm-limit': String(ctx.row.rpm_limit) }),
		'x-litellm-attempted-retries': '0',
		'x-litellm-attempted-fallbacks': '0',
	};
}

/** LiteLLM's own share of the duration: everything but the (simulated) upstream latency. */
function overhead(durationMs, latencyMs) {
	return Math.max(0, durationMs - latencyMs).toFixed(3);
}

function usageBody(usage) {
	return {
		completion_tokens: usage.completion_tokens,
		prompt_tokens: usage.prompt_tokens,
		total_tokens: usage.total_tokens,
		completion_tokens_details:
			usage.reasoning_tokens === null ? null : { reasoning_tokens: usage.reasoning_tokens },
		prompt_tokens_details: null,
	};
}

function completionBody(reply, { requestId, created, modelName }) {
	return {
		id: requestId,
		created,
		model: modelName,
		object: 'chat.completion',
		system_fingerprint: null,
		choices: reply.choices.map((c) => ({
			finish_reason: c.finishReason,
			index: c.index,
			message: {
				content: c.content,
				role: 'assistant',
				tool_calls: c.toolCalls,
				function_call: null,
				...(c.reasoning !== null && { reasoning_content: c.reasoning }),
			},
		})),
		usage: usageBody(reply.usage),
	};
}

function pieces(text) {
	const words = String(text).match(/\S+\s*|\s+/g) || [];
	const out = [];
	for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(''));
	return out;
}

/** SSE writer. Returns true when the stream completed (so the call is billed). */
async function streamReply(
	state,
	res,
	headers,
	{ requestId, created, modelName, reply, body, midstreamFault },
) {
	if (res.destroyed) return false;
	res.writeHead(200, {
		...cleanHeaders({ ...baseHeaders(state), ...headers }),
		'content-type': 'text/event-stream',
		'cache-control': 'no-cache',
	});
	const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
	const chunk = (choices, extra) => ({
		id: requestId,
		created,
		model: modelName,
		object: 'chat.completion.chunk',
		system_fingerprint: null,
		choices,
		...(includeUsage && { usage: null }),
		...extra,
	});
	const events = [];
	for (const c of reply.choices) {
		let first = true;
		const delta = (d) => {
			const out = first ? { role: 'assistant', ...d } : d;
			first = false;
			events.push(chunk([{ index: c.index, delta: out, finish_reason: null, logprobs: null }]));
		};
		if (c.reasoning !== null)
			for (const p of pieces(c.reasoning)) delta({ content: null, reasoning_content: p });
		if (c.toolCalls) {
			c.toolCalls.forEach((tc, i) => {
				delta({
					content: null,
					tool_calls: [
						{
							index: i,
							id: tc.id,
							type: 'function',
							function: { name: tc.function.name, arguments: '' },
						},
					],
				});
				const args = tc.function.arguments;
				for (let at = 0; at < args.length; at += 16) {
					delta({ tool_calls: [{ index: i, function: { arguments: args.slice(at, at + 16) } }] });
				}
			});
		} else {
			const parts = pieces(c.content ?? '');
			if (!parts.length) delta({ content: '' });
			for (const p of parts) delta({ content: p });
		}
		events.push(
			chunk([{ index: c.index, delta: {}, finish_reason: c.finishReason, logprobs: null }]),
		);
	}
	if (includeUsage) events.push(chunk([], { usage: usageBody(reply.usage) }));
	let written = 0;
	for (const e of events) {
		if (state.closed || res.destroyed) return false;
		if (midstreamFault && written === 2) {
			const err = {
				error: {
					message:
						midstreamFault.message ||
						`litellm.InternalServerError: InternalServerError: Hosted_vllmException - Connection error.. Received Model Group=${modelName}\nAvailable Model Group Fallbacks=None`,
					type: null,
					param: null,
					code: '500',
				},
			};
			res.end(`data: ${JSON.stringify(err)}\n\n`);
			return false;
		}
		res.write(`data: ${JSON.stringify(e)}\n\n`);
		written += 1;
		if (state.cfg.chunkDelayMs > 0) await sleep(state, state.cfg.chunkDelayMs);
		else await new Promise((r) => setImmediate(r));
	}
	if (state.closed || res.destroyed) return false;
	res.end('data: [DONE]\n\n');
	return true;
}

module.exports = { chat };
