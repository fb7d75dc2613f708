'use strict';
// The models the gateway serves and their prices (USD per token).

const U = require('./lib/util');
const E = require('./lib/embeddings');

const DEFAULT_MODELS = [
	{
		id: 'openai/gpt-oss-120b',
		max_input_tokens: 131072,
		max_output_tokens: 32768,
		supports_vision: false,
		supports_reasoning: true,
		supports_function_calling: true,
	},
	{
		id: 'openai/gpt-oss-20b',
		max_input_tokens: 131072,
		max_output_tokens: 32768,
		supports_vision: false,
		supports_reasoning: true,
		supports_function_calling: true,
	},
	{
		id: 'meta-llama/Llama-3.3-70B-Instruct',
		max_input_tokens: 131072,
		max_output_tokens: 8192,
		supports_vision: false,
		supports_reasoning: false,
		supports_function_calling: true,
	},
	{
		id: 'Qwen/Qwen2.5-VL-72B-Instruct',
		max_input_tokens: 32768,
		max_output_tokens: 8192,
		supports_vision: true,
		supports_reasoning: false,
		supports_function_calling: true,
	},
];

/** USD per token. */
const DEFAULT_PRICES = {
	'openai/gpt-oss-120b': { input_cost_per_token: 0.15e-6, output_cost_per_token: 0.6e-6 },
	'openai/gpt-oss-20b': { input_cost_per_token: 0.05e-6, output_cost_per_token: 0.2e-6 },
	'meta-llama/Llama-3.3-70B-Instruct': {
		input_cost_per_token: 0.23e-6,
		output_cost_per_token: 0.4e-6,
	},
	'Qwen/Qwen2.5-VL-72B-Instruct': { input_cost_per_token: 0.25e-6, output_cost_per_token: 0.75e-6 },
};

function normaliseModels(models, embeddingModels) {
	const byId = new Map([...DEFAULT_MODELS, ...E.EMBEDDING_MODELS].map((m) => [m.id, m]));
	// Embedding models only when asked for (embeddingModels: true), so the default list stays as it was.
	return (
		models || (embeddingModels ? [...DEFAULT_MODELS, ...E.EMBEDDING_MODELS] : DEFAULT_MODELS)
	).map((m) => {
		const base = typeof m === 'string' ? byId.get(m) || { id: m } : m;
		const id = base.id || base.model_name;
		if (!id) throw new Error('model entries need an id');
		return {
			max_input_tokens: 32768,
			max_output_tokens: 8192,
			supports_vision: false,
			supports_reasoning: false,
			supports_function_calling: true,
			...base,
			id,
		};
	});
}

function priceOf(state, id) {
	return state.prices[id] || { input_cost_per_token: 0, output_cost_per_token: 0 };
}

/** A model's deployment id (`model_info.id`, `x-litellm-model-id`): stable per model name. */
function deploymentId(id) {
	return U.hashKey(`deployment:${id}`);
}

module.exports = { DEFAULT_MODELS, DEFAULT_PRICES, normaliseModels, priceOf, deploymentId };
