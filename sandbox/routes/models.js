'use strict';
// /v1/models, /model/info and /model_group/info: the models a key may call, with limits and prices.

const { accessibleModels } = require('../auth');
const { priceOf, deploymentId } = require('../catalog');

const MODELS_CREATED = 1677610602;

function listModels(state, ctx) {
	const data = accessibleModels(state, ctx).map((id) => ({
		id,
		object: 'model',
		created: MODELS_CREATED,
		owned_by: 'openai',
	}));
	return { body: { data, object: 'list' } };
}

function modelInfo(state, ctx, req) {
	const allowed = new Set(accessibleModels(state, ctx));
	const filterId = req.query.litellm_model_id;
	const filterModel = req.query.model;
	const data = state.models
		.filter((m) => allowed.has(m.id))
		.filter((m) => !filterId || deploymentId(m.id) === filterId)
		.filter((m) => !filterModel || m.id === filterModel)
		.map((m) => {
			const p = priceOf(state, m.id);
			return {
				model_name: m.id,
				litellm_params: { model: `hosted_vllm/${m.id}` },
				model_info: {
					id: deploymentId(m.id),
					db_model: false,
					key: m.id,
					max_tokens: m.max_output_tokens,
					max_input_tokens: m.max_input_tokens,
					max_output_tokens: m.max_output_tokens,
					input_cost_per_token: p.input_cost_per_token,
					output_cost_per_token: p.output_cost_per_token,
					litellm_provider: 'hosted_vllm',
					mode: m.mode || 'chat',
					supports_vision: Boolean(m.supports_vision),
					supports_reasoning: Boolean(m.supports_reasoning),
					supports_function_calling: Boolean(m.supports_function_calling),
					supports_response_schema: true,
					supported_openai_params: supportedParams(m),
				},
			};
		});
	return { body: { data } };
}

function modelGroupInfo(state, ctx, req) {
	const allowed = new Set(accessibleModels(state, ctx));
	const group = req.query.model_group;
	const data = state.models
		.filter((m) => allowed.has(m.id) && (!group || m.id === group))
		.map((m) => {
			const p = priceOf(state, m.id);
			return {
				model_group: m.id,
				providers: ['hosted_vllm'],
				max_input_tokens: m.max_input_tokens,
				max_output_tokens: m.max_output_tokens,
				input_cost_per_token: p.input_cost_per_token,
				output_cost_per_token: p.output_cost_per_token,
				mode: m.mode || 'chat',
				tpm: null,
				rpm: null,
				supports_parallel_function_calling: Boolean(m.supports_function_calling),
				supports_vision: Boolean(m.supports_vision),
				supports_function_calling: Boolean(m.supports_function_calling),
				supports_reasoning: Boolean(m.supports_reasoning),
				supported_openai_params: supportedParams(m),
				configurable_clientside_auth_params: null,
			};
		});
	return { body: { data } };
}

function supportedParams(m) {
	if (m.mode === 'embedding')
		return ['encoding_format', 'user', ...(m.supports_dimensions ? ['dimensions'] : [])];
	const p = [
		'temperature',
		'top_p',
		'n',
		'stream',
		'stream_options',
		'stop',
		'max_tokens',
		'max_completion_tokens',
		'presence_penalty',
		'frequency_penalty',
		'seed',
		'response_format',
		'user',
	];
	if (m.supports_function_calling) p.push('tools', 'tool_choice', 'parallel_tool_calls');
	if (m.supports_reasoning) p.push('reasoning_effort');
	return p;
}

module.exports = { listModels, modelInfo, modelGroupInfo };
