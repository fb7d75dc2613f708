'use strict';
// POST /v1/embeddings (and /embeddings) of the sandbox gateway, with its embedding models.
//
// Modelled on BerriAI/litellm litellm/proxy/proxy_server.py `embeddings()`: the key is checked by the
// `user_api_key_auth` dependency (auth, budget, model allow-list, rate limits, as for chat), the call is
// routed with `route_request(route_type="aembedding")` (an unknown model is the same 400 "Invalid model
// name" as on /chat/completions, litellm/proxy/route_llm_request.py `route_request`), the cost of the call
// comes back in `x-litellm-response-cost` (`get_custom_headers(response_cost=…)`), and failures are
// ProxyException envelopes. The body is OpenAI's embeddings response, which LiteLLM passes through
// (litellm/types/utils.py `EmbeddingResponse`): {object:'list', data:[{object:'embedding', index,
// embedding}], model, usage:{prompt_tokens, total_tokens}}. What the model server adds (vLLM behind
// LiteLLM's hosted_vllm provider): a limit on texts per request, on tokens per text, `dimensions` only
// for models that can shorten their vectors, and `encoding_format: "base64"` (little-endian float32).

const crypto = require('crypto');

/** The lab-style embedding models: served by vLLM like the chat models, `mode: "embedding"` in /model/info. */
const EMBEDDING_MODELS = [
	{
		id: 'nomic-ai/nomic-embed-text-v1.5',
		mode: 'embedding',
		output_vector_size: 768,
		// Matryoshka-trained: takes `dimensions` (64…768).
		supports_dimensions: true,
		max_input_tokens: 8192,
		max_output_tokens: 0,
		max_batch_size: 2048,
		supports_function_calling: false,
	},
	{
		id: 'BAAI/bge-m3',
		mode: 'embedding',
		output_vector_size: 1024,
		supports_dimensions: false,
		max_input_tokens: 8192,
		max_output_tokens: 0,
		max_batch_size: 2048,
		supports_function_calling: false,
	},
];

/** USD per input token (embeddings have no output tokens). */
const EMBEDDING_PRICES = {
	'nomic-ai/nomic-embed-text-v1.5': { input_cost_per_token: 0.02e-6, output_cost_per_token: 0 },
	'BAAI/bge-m3': { input_cost_per_token: 0.01e-6, output_cost_per_token: 0 },
};

// Words too common to say anything about a text: left out, so "the" does not pull texts together.
const STOP_WORDS = new Set(
	'a an and are as at be by for from has have in is it its of on or that the this to was were what when where which who will with how do does did can'.split(
		' ',
	),
);

function wordsOf(text) {
	return (
		String(text)
			.toLowerCase()
			.match(/[a-z0-9]+/g) || []
	).filter((w) => !STOP_WORDS.has(w));
}

/** Tokens as the sandbox counts them: about 4 characters each, at least 1 per non-empty text. */
function tokensOfText(text) {
	const s = String(text);
	return s.length === 0 ? 0 : Math.max(1, Math.ceil(s.length / 4));
}

/**
 * A deterministic unit vector: every word adds weight to a few hashed positions, so texts that share
 * words point the same way (cosine similarity > 0) and texts without a shared word are near-orthogonal.
 * Not a language model; enough for a retrieval test to know which document must come back.
 */
function embedText(text, dims) {
	const v = new Float64Array(dims);
	for (const word of wordsOf(text)) {
		const h = crypto.createHash('sha256').update(word).digest();
		for (let k = 0; k < 3; k++) {
			const at = h.readUInt32LE(k * 4) % dims;
			v[at] += h[12 + k] & 1 ? 1 : -1;
		}
	}
	let norm = 0;
	for (let i = 0; i < dims; i++) norm += v[i] * v[i];
	// A text of stop words only still gets a vector: a fixed direction from its own hash.
	if (norm === 0) {
		const h = crypto.createHash('sha256').update(`empty:${text}`).digest();
		v[h.readUInt32LE(0) % dims] = 1;
		norm = 1;
	}
	const scale = 1 / Math.sqrt(norm);
	return Array.from(v, (x) => Math.round(x * scale * 1e6) / 1e6);
}

/** OpenAI's base64 encoding: the float32 values, little-endian, as one base64 string. */
function toBase64(vector) {
	const buf = Buffer.alloc(vector.length * 4);
	vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
	return buf.toString('base64');
}

/**
 * The route handler, wired by server.js with the gateway's shared pieces (the same auth, model access,
 * rate limits, billing and error envelopes as /chat/completions).
 */
function createEmbeddingsHandler(d) {
	const { proxyError, U, isObj } = d;

	function badInput(message, param) {
		return proxyError(
			400,
			`litellm.BadRequestError: ${message}`,
			'bad_request_error',
			param || 'None',
		);
	}

	/** The texts of `input`: a string or a list of strings (token arrays are not modelled). */
	function textsOf(body) {
		const input = body.input;
		if (typeof input === 'string') return [input];
		if (Array.isArray(input) && input.length > 0 && input.every((t) => typeof t === 'string'))
			return input;
		throw badInput("'input' must be a string or a non-empty list of strings", 'input');
	}

	/** What vLLM refuses, after LiteLLM has routed the call (hosted_vllm errors carry no type). */
	function upstreamRefusal(model, message) {
		return proxyError(
			400,
			`litellm.BadRequestError: Hosted_vllmException - ${message}. Received Model Group=${model.id}\nAvailable Model Group Fallbacks=None`,
			null,
			null,
		);
	}

	function checkTexts(model, texts, body) {
		if (model.mode !== 'embedding') {
			throw upstreamRefusal(
				model,
				`The model does not support the Embeddings API (${model.id} is a ${model.mode || 'chat'} model)`,
			);
		}
		if (texts.length > model.max_batch_size) {
			throw upstreamRefusal(
				model,
				`'input' has ${texts.length} texts; at most ${model.max_batch_size} per request`,
			);
		}
		texts.forEach((t, i) => {
			if (t.length === 0) throw upstreamRefusal(model, `input[${i}] is empty`);
			const n = tokensOfText(t);
			if (n > model.max_input_tokens) {
				throw upstreamRefusal(
					model,
					`input[${i}] has ${n} tokens; this model's maximum context length is ${model.max_input_tokens} tokens`,
				);
			}
		});
		if (body.dimensions !== undefined && body.dimensions !== null) {
			const dims = body.dimensions;
			if (!model.supports_dimensions) {
				// LiteLLM's get_optional_params_embeddings: an OpenAI param the provider does not map.
				throw proxyError(
					400,
					`litellm.UnsupportedParamsError: Setting dimensions is not supported for ${model.id}. To drop it from the call, set \`litellm.drop_params = True\`.`,
					null,
					null,
				);
			}
			if (!Number.isInteger(dims) || dims < 1 || dims > model.output_vector_size) {
				throw upstreamRefusal(
					model,
					`dimensions must be a whole number from 1 to ${model.output_vector_size}, got ${JSON.stringify(dims)}`,
				);
			}
		}
		const fmt = body.encoding_format;
		if (fmt !== undefined && fmt !== null && fmt !== 'float' && fmt !== 'base64') {
			throw badInput(
				`encoding_format must be "float" or "base64", got ${JSON.stringify(fmt)}`,
				'encoding_format',
			);
		}
	}

	return async function embeddings(ctx, req, res, started) {
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
		d.checkModelAccess(ctx, modelName);
		const callId = req.headers['x-litellm-call-id'] || d.ids.uuid('call');
		const requestId = d.ids.uuid('embd');
		const startMs = d.now();
		const spendBefore = ctx.row ? ctx.row.spend : 0;
		const fail = (err) => {
			err.headers = {
				'x-litellm-call-id': callId,
				'x-litellm-key-spend': U.pyFloat(spendBefore),
				'x-litellm-response-cost': '0',
				...err.headers,
			};
			const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
			const errorInfo = {
				error_code: String(err.status),
				error_message: err.body && err.body.error ? err.body.error.message : '',
			};
			d.recordCall(ctx, {
				model: modelName ?? 'None',
				usage,
				requestId,
				callId,
				startMs,
				status: 'failure',
				body,
				errorInfo,
				callType: 'aembedding',
			});
			return err;
		};
		const model = d.modelById.get(modelName);
		if (!model) {
			throw fail(
				proxyError(
					400,
					`/embeddings: Invalid model name passed in model=${U.pyStr(modelName)}. Call \`/v1/models\` to view available models for your key.`,
					d.profile().unknownModelType,
					d.profile().unknownModelParam,
				),
			);
		}
		let texts;
		try {
			texts = textsOf(body);
			checkTexts(model, texts, body);
		} catch (e) {
			throw fail(e);
		}
		let rate;
		try {
			rate = d.admitRate(ctx);
		} catch (e) {
			throw fail(e);
		}
		try {
			const waited = await d.latency();
			if (d.isClosed() || res.destroyed) return;
			const dims = body.dimensions ?? model.output_vector_size;
			const base64 = body.encoding_format === 'base64';
			const data = texts.map((t, index) => {
				const vector = embedText(t, dims);
				return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
			});
			const promptTokens = texts.reduce((n, t) => n + tokensOfText(t), 0);
			const usage = {
				prompt_tokens: promptTokens,
				completion_tokens: 0,
				total_tokens: promptTokens,
			};
			const cost = d.recordCall(ctx, {
				model: model.id,
				usage,
				requestId,
				callId,
				startMs,
				status: 'success',
				body,
				callType: 'aembedding',
			});
			const durationMs = performance.now() - started;
			const headers = {
				'x-litellm-call-id': callId,
				'x-litellm-model-id': d.deploymentId(model.id),
				...(d.profile().modelGroupHeader && { 'x-litellm-model-group': model.id }),
				'x-litellm-key-spend': U.pyFloat(spendBefore),
				...(ctx.row &&
					ctx.row.rpm_limit !== null && { 'x-litellm-key-rpm-limit': String(ctx.row.rpm_limit) }),
				...d.rateHeaders(ctx, rate),
				'x-litellm-response-cost': U.pyFloat(cost),
				'x-litellm-response-duration-ms': durationMs.toFixed(3),
				'x-litellm-overhead-duration-ms': Math.max(0, durationMs - waited).toFixed(3),
			};
			d.sendJson(
				res,
				200,
				{
					object: 'list',
					data,
					model: modelName,
					usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
				},
				headers,
			);
		} finally {
			if (rate) rate.inFlight -= 1;
		}
	};
}

module.exports = {
	EMBEDDING_MODELS,
	EMBEDDING_PRICES,
	createEmbeddingsHandler,
	embedText,
	tokensOfText,
};
