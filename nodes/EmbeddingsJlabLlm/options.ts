import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { inputError } from '../shared/errors';
import {
	attributionOption,
	hasOption,
	maxRetriesOption,
	maxWaitOption,
	readSampling,
	tagsOption,
	timeoutOption,
} from '../shared/modelOptions';
import { optionalNumber } from '../shared/numbers';
import { optionsCollection } from '../shared/properties';

export const DEFAULT_BATCH_SIZE = 256;
/** OpenAI's and vLLM's usual ceiling of texts per request. */
export const MAX_BATCH_SIZE = 2048;
export const DEFAULT_CONCURRENCY = 8;
export const MAX_CONCURRENCY = 64;

export type EncodingFormat = 'float' | 'base64';

/** The node's options, checked before any request. */
export interface EmbeddingSettings {
	batchSize: number;
	concurrency: number;
	dimensions?: number;
	encodingFormat: EncodingFormat;
	timeoutMs: number;
	maxRetries: number;
	maxWaitMs: number;
	tags: string[];
	attribution: boolean;
}

export const optionsProperty: INodeProperties = optionsCollection([
	attributionOption,
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_BATCH_SIZE, numberPrecision: 0 },
		default: DEFAULT_BATCH_SIZE,
		description:
			'Most texts sent in one request to the gateway. A vector store hands over all texts of a run at once; the node splits them into batches of this size.',
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY, numberPrecision: 0 },
		default: DEFAULT_CONCURRENCY,
		description:
			'Most batches in flight at once. The node slows down on rate limits and keeps within what the key may still send, so a rate-limited key finishes a large insert instead of failing. 1 = one batch after another.',
	},
	{
		displayName: 'Dimensions',
		name: 'dimensions',
		type: 'number',
		typeOptions: { minValue: 1, numberPrecision: 0 },
		default: 256,
		description:
			'Length of each vector, for models that can shorten theirs (sent as "dimensions"). Leave it out for the others: the gateway refuses it.',
	},
	{
		displayName: 'Encoding',
		name: 'encodingFormat',
		type: 'options',
		default: 'float',
		options: [
			{ name: 'Float', value: 'float', description: 'Vectors as JSON numbers' },
			{
				name: 'Base64',
				value: 'base64',
				description: 'Vectors as base64 float32: a smaller answer, the same vectors',
			},
		],
		description:
			'How the gateway sends the vectors (encoding_format); the vector store gets numbers either way',
	},
	maxRetriesOption,
	maxWaitOption,
	tagsOption,
	timeoutOption,
]);

export function readEmbeddingOptions(options: IDataObject): EmbeddingSettings {
	const { timeoutMs, maxRetries, maxWaitMs, tags, attribution } = readSampling(options);
	let encodingFormat: EncodingFormat = 'float';
	if (hasOption(options, 'encodingFormat')) {
		const v = options.encodingFormat;
		if (v !== 'float' && v !== 'base64')
			throw inputError('Encoding', `expected float or base64, got ${JSON.stringify(v)}`);
		encodingFormat = v;
	}
	return {
		batchSize:
			optionalNumber(options.batchSize, 'Batch Size', 1, MAX_BATCH_SIZE, true) ??
			DEFAULT_BATCH_SIZE,
		concurrency:
			optionalNumber(options.concurrency, 'Concurrency', 1, MAX_CONCURRENCY, true) ??
			DEFAULT_CONCURRENCY,
		dimensions: optionalNumber(options.dimensions, 'Dimensions', 1, 65_536, true),
		encodingFormat,
		timeoutMs,
		maxRetries,
		maxWaitMs,
		tags,
		attribution,
	};
}
