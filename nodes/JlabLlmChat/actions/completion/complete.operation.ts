import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { spendMetadata } from '../../../shared/attribution';
import { AdaptiveConcurrency } from '../../../shared/concurrency';
import { GatewayError, inputError } from '../../../shared/errors';
import { CHAT_ROUTE, gatewayRequest, gatewaySettings } from '../../../shared/gateway';
import { asNodeError, runItems, type ItemResult } from '../../../shared/items';
import { modelProperty } from '../../../shared/models';
import type { ChatMessage } from '../../../shared/types';

import {
	attachImages,
	buildMessages,
	imageTarget,
	planImages,
	type ImagePlan,
} from '../../helpers/messages';
import { RunParameters, type ParameterReader } from '../../helpers/params';
import { ItemPipeline } from '../../helpers/pipeline';
import { explainModelError, ModelListCache } from '../../../shared/modelAccess';
import {
	attributionOption,
	frequencyPenaltyOption,
	maxRetriesOption,
	maxTokensOption,
	maxWaitOption,
	presencePenaltyOption,
	reasoningEffortOption,
	tagsOption,
	temperatureOption,
	timeoutOption,
	topPOption,
} from '../../../shared/modelOptions';

import {
	DEFAULT_CONCURRENCY,
	MAX_CONCURRENCY,
	readOptions,
	START_CONCURRENCY,
	type ChatSettings,
} from '../../helpers/options';
import { shapeOutput } from '../../helpers/output';
import { optionsCollection } from '../../../shared/properties';

const properties: INodeProperties[] = [
	modelProperty,
	{
		displayName: 'Input Mode',
		name: 'inputMode',
		type: 'options',
		noDataExpression: true,
		default: 'prompt',
		options: [
			{ name: 'Prompt', value: 'prompt', description: 'A prompt and an optional system message' },
			{
				name: 'Message List',
				value: 'messages',
				description: 'Messages with roles, one after another',
			},
			{
				name: 'Messages (JSON)',
				value: 'json',
				description:
					'An OpenAI-format messages array, e.g. a conversation history from an expression',
			},
		],
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		placeholder: 'e.g. Summarise this in one sentence: {{ $json.text }}',
		description: 'The user message',
		displayOptions: { show: { inputMode: ['prompt'] } },
	},
	{
		displayName: 'System Message',
		name: 'systemMessage',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		description: 'Instructions sent before the prompt as the system message. Empty: none is sent.',
		displayOptions: { show: { inputMode: ['prompt'] } },
	},
	{
		displayName: 'Messages',
		name: 'messages',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: { values: [{ role: 'user', content: '' }] },
		placeholder: 'Add message',
		displayOptions: { show: { inputMode: ['messages'] } },
		options: [
			{
				displayName: 'Message',
				name: 'values',
				values: [
					{
						displayName: 'Role',
						name: 'role',
						type: 'options',
						default: 'user',
						options: [
							{
								name: 'Assistant',
								value: 'assistant',
								description: 'An earlier answer of the model',
							},
							{ name: 'System', value: 'system', description: 'Instructions for the model' },
							{ name: 'User', value: 'user', description: 'What the user says' },
						],
					},
					{
						displayName: 'Content',
						name: 'content',
						type: 'string',
						typeOptions: { rows: 3 },
						default: '',
					},
				],
			},
		],
	},
	{
		displayName: 'Messages (JSON)',
		name: 'messagesJson',
		type: 'json',
		default:
			'[\n  {"role": "system", "content": "You are a helpful assistant."},\n  {"role": "user", "content": "Hello"}\n]',
		required: true,
		description:
			'An array of OpenAI-format messages (role system, user, assistant, tool or developer), typically an expression that returns a conversation history',
		displayOptions: { show: { inputMode: ['json'] } },
	},
	optionsCollection([
		attributionOption,
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY, numberPrecision: 0 },
			default: DEFAULT_CONCURRENCY,
			description: `Most items in flight at once. The node starts with ${START_CONCURRENCY} and grows towards this while the gateway answers without limit signals; it slows down on rate limits and keeps within what the key may still send. 1 = one item after another.`,
		},
		{
			displayName: 'End-User ID',
			name: 'user',
			type: 'string',
			default: '',
			description:
				'Who the request is for, sent as "user": LiteLLM tracks (and may budget) spend per end user',
		},
		frequencyPenaltyOption,
		{
			displayName: 'Image Binary Properties',
			name: 'imageBinaryProperties',
			type: 'string',
			default: '',
			placeholder: 'e.g. data, photo',
			description:
				'Binary properties of the input item holding images, comma-separated. Each is sent as an image part of the (last) user message; use a vision model such as Qwen/Qwen2.5-VL-72B-Instruct.',
		},
		{
			displayName: 'Image Detail',
			name: 'imageDetail',
			type: 'options',
			default: 'auto',
			options: [
				{ name: 'Auto', value: 'auto', description: 'Not sent: the model decides' },
				{ name: 'High', value: 'high' },
				{ name: 'Low', value: 'low' },
			],
			description: 'The "detail" of every image part',
		},
		{
			displayName: 'Image URLs',
			name: 'imageUrls',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://www.jlab.org/sites/default/files/cebaf.jpg',
			description:
				'Image URLs (http(s):// or data:image/…;base64,…), separated by commas or line breaks, or a list from an expression. Sent as image parts of the (last) user message.',
		},
		{
			displayName: 'JSON Schema',
			name: 'jsonSchema',
			type: 'json',
			default: '',
			placeholder:
				'{"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}',
			description: 'The schema the reply must follow, as a JSON schema object',
			displayOptions: { show: { responseFormat: ['json_schema'] } },
		},
		{
			displayName: 'JSON Schema Name',
			name: 'jsonSchemaName',
			type: 'string',
			default: '',
			placeholder: 'e.g. summary',
			description: 'A name for the schema (letters, digits, _ or -). Empty: "response".',
			displayOptions: { show: { responseFormat: ['json_schema'] } },
		},
		{
			displayName: 'JSON Schema Strict',
			name: 'jsonSchemaStrict',
			type: 'boolean',
			default: true,
			description: 'Whether the model must follow the schema exactly',
			displayOptions: { show: { responseFormat: ['json_schema'] } },
		},
		{
			...maxRetriesOption,
			description:
				'Retries after a rate limit, an unavailable gateway, a timeout or a model-server error. A wait the gateway asks for (429 with retry-after) costs no retry while other items get through. A used-up budget is never retried.',
		},
		maxWaitOption,
		maxTokensOption,
		temperatureOption,
		topPOption,
		presencePenaltyOption,
		{
			...reasoningEffortOption,
			description:
				'How long a reasoning model (gpt-oss) thinks before it answers (reasoning_effort). Its reasoning comes back in the "reasoning" field, never in the reply.',
		},
		{
			displayName: 'Response Format',
			name: 'responseFormat',
			type: 'options',
			default: 'text',
			options: [
				{ name: 'Text', value: 'text', description: 'A plain reply (nothing is sent)' },
				{
					name: 'JSON Object',
					value: 'json_object',
					description: 'Any JSON object; the reply is parsed',
				},
				{
					name: 'JSON Schema',
					value: 'json_schema',
					description: 'JSON that follows the JSON Schema option; the reply is parsed',
				},
			],
			description: 'A reply that is not valid JSON when JSON was asked for fails the item',
		},
		{
			displayName: 'Seed',
			name: 'seed',
			// Text, so that adding the option sends nothing until a number is typed.
			type: 'string',
			default: '',
			placeholder: 'e.g. 42',
			description:
				'A whole number that makes sampling repeatable where the model supports it. Empty: none is sent.',
		},
		{
			displayName: 'Simplify Output',
			name: 'simplify',
			type: 'boolean',
			default: true,
			description:
				'Whether to return the reply, usage and cost fields only. Off: the whole chat.completion answer plus a "gateway" block of LiteLLM\'s headers.',
		},
		{
			displayName: 'Stop Sequences',
			name: 'stop',
			type: 'string',
			default: '',
			placeholder: 'e.g. END, ###',
			description:
				'Text at which the model stops, comma-separated; a JSON array (e.g. ["\\n\\n", "END"]) for sequences with commas, spaces or line breaks',
		},
		tagsOption,
		timeoutOption,
		{
			displayName: 'Tool Choice',
			name: 'toolChoice',
			type: 'options',
			default: 'auto',
			options: [
				{ name: 'Auto', value: 'auto', description: 'The model decides whether to call a tool' },
				{ name: 'None', value: 'none', description: 'The model answers without calling a tool' },
				{
					name: 'Required',
					value: 'required',
					description: 'The model must call one of the tools',
				},
				{
					name: 'Specific Tool',
					value: 'function',
					description: 'The model must call the tool named in Tool Name',
				},
			],
			description: 'Whether and which tool the model must call (tool_choice)',
			// Only once Tools holds something: "[]" (as the option comes) is no tools.
			displayOptions: { show: { tools: [{ _cnd: { exists: true } }] }, hide: { tools: ['[]'] } },
		},
		{
			displayName: 'Tool Name',
			name: 'toolName',
			type: 'string',
			default: '',
			placeholder: 'e.g. get_weather',
			description: 'The name of the tool the model must call, one of those in Tools',
			displayOptions: { show: { toolChoice: ['function'] } },
		},
		{
			displayName: 'Tools',
			name: 'tools',
			type: 'json',
			// An empty list, not an example tool: nothing is sent until the user adds one.
			default: '[]',
			placeholder:
				'[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]',
			description:
				'Functions the model may call, as an OpenAI "tools" JSON array. Calls come back in "toolCalls"; answer them with a tool message in Messages (JSON).',
		},
	]),
];

export const description = updateDisplayOptions({ show: { operation: ['complete'] } }, properties);

/** One item's request, checked and built before anything is sent. */
interface ChatPlan {
	model: string;
	messages: ChatMessage[];
	images: ImagePlan;
	settings: ChatSettings;
	metadata?: IDataObject;
}

function modelOf(params: ParameterReader, i: number): string {
	const value = params.get('model', i, '', { extractValue: true });
	if (typeof value !== 'string' || value.trim() === '') {
		throw inputError(
			'Model',
			'pick a model from the list or enter its ID, e.g. openai/gpt-oss-120b',
		);
	}
	return value.trim();
}

/** The options, checked and turned into body fields and spend metadata. */
interface ItemOptions {
	options: IDataObject;
	settings: ChatSettings;
	metadata?: IDataObject;
}

function planItem(ctx: IExecuteFunctions, params: RunParameters, i: number): ChatPlan {
	const model = modelOf(params, i);
	const messages = buildMessages(params, i);
	// Options without an expression are the same for every item: checked and built once.
	const { options, settings, metadata } = params.derived('options', i, (at): ItemOptions => {
		const options = params.get('options', at, {}) as IDataObject;
		const settings = readOptions(options);
		return { options, settings, metadata: spendMetadata(ctx, settings) };
	});
	const images = planImages(ctx, i, options);
	if (images.refs.length && imageTarget(messages) < 0) {
		throw inputError(
			'Image Binary Properties',
			'images are sent with a user message, but the messages have none',
		);
	}
	return { model, messages, images, settings, metadata };
}

/** Sends one item's request, within the run's concurrency, and shapes the answer. */
async function complete(
	ctx: IExecuteFunctions,
	i: number,
	plan: ChatPlan,
	run: ChatRun,
): Promise<ItemResult> {
	const { pacer, models } = run;
	const messages = await attachImages(ctx, i, plan.messages, plan.images);
	const body: IDataObject = {
		model: plan.model,
		messages: messages as unknown as IDataObject[],
		...plan.settings.body,
	};
	if (plan.metadata) body.metadata = plan.metadata;
	const signal = ctx.getExecutionCancelSignal?.();
	await pacer.acquire(signal);
	let res;
	try {
		run.pipeline.sent(i);
		res = await gatewayRequest.call(ctx, {
			method: 'POST',
			route: CHAT_ROUTE,
			body,
			timeoutMs: plan.settings.timeoutMs,
			maxRetries: plan.settings.maxRetries,
			maxWaitMs: plan.settings.maxWaitMs,
			itemIndex: i,
			pacer,
			// A batch sends many requests with one credential: n8n need not read it for each one.
			reuseCredential: true,
		});
	} catch (error) {
		throw await explainModelError(ctx, error, plan.model, models, i);
	} finally {
		pacer.release();
	}
	const { secrets } = await gatewaySettings(ctx, i);
	return {
		json: shapeOutput(
			res,
			plan.model,
			plan.settings.responseFormat,
			plan.settings.simplify,
			secrets,
		),
	};
}

/** What the items of one run share. */
interface ChatRun {
	pipeline: ItemPipeline<ChatPlan>;
	pacer: AdaptiveConcurrency;
	models: ModelListCache;
}

/**
 * Items are checked and sent as a stream, in input order: the first slice of items is checked
 * whole (bad input there fails before any request), then each item is prepared while earlier ones
 * are on their way, never more than a bounded number ahead. Items run concurrently (adaptive,
 * within the Concurrency option of the first valid item), one result or classified error per
 * item, in input order.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const count = this.getInputData().length;
	let credentialError: unknown;
	try {
		await gatewaySettings(this);
	} catch (error) {
		credentialError = error;
	}
	const params = new RunParameters(this);
	const pipeline = new ItemPipeline<ChatPlan>({
		count,
		prepare: (i) => {
			try {
				if (credentialError) throw credentialError;
				return planItem(this, params, i);
			} catch (error) {
				throw error instanceof Error ? error : new GatewayError('bad_request', String(error));
			}
		},
		continueOnFail: this.continueOnFail(),
		fail: (error, i) => asNodeError(this, error, i),
		signal: this.getExecutionCancelSignal?.(),
	});
	const first = pipeline.start();
	const concurrency = first?.settings.concurrency ?? DEFAULT_CONCURRENCY;
	const run: ChatRun = {
		pipeline,
		pacer: new AdaptiveConcurrency({ max: concurrency, start: START_CONCURRENCY }),
		models: new ModelListCache(),
	};
	return await runItems.call(
		this,
		async function (this: IExecuteFunctions, i: number) {
			try {
				return await complete(this, i, await pipeline.take(i), run);
			} finally {
				// An item that failed before its request left still frees its place.
				pipeline.sent(i);
			}
		},
		{ concurrency },
	);
}
