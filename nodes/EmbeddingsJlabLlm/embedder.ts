import type { IDataObject, INodeExecutionData, ISupplyDataFunctions } from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { explainModelError, ModelListCache } from '../shared/modelAccess';
import { AdaptiveConcurrency } from '../shared/concurrency';
import { GatewayError, headlineOf, inputError, toNodeError } from '../shared/errors';
import { gatewayRequest } from '../shared/gateway';
import { redact } from '../shared/redact';

import type { EmbeddingSettings } from './options';

export const EMBEDDINGS_ROUTE = '/v1/embeddings';

export interface EmbedderOptions {
	ctx: ISupplyDataFunctions;
	model: string;
	settings: EmbeddingSettings;
	/** LiteLLM metadata (tags, attribution), sent with every request. */
	metadata?: IDataObject;
	/** Values to scrub from every error (the key). */
	secrets: string[];
	itemIndex: number;
}

/** What one call of the vector store cost: shown in the sub-node's run data. */
interface CallSummary {
	vectors: number;
	dimensions: number | null;
	requests: number;
	tokenUsage: { promptTokens: number; totalTokens: number };
	costUsd: number | null;
}

interface EmbeddingRow {
	index?: unknown;
	embedding?: unknown;
}

/** One request's answer, checked: a vector per text, in the texts' order. */
function vectorsOf(body: unknown, count: number): number[][] {
	const bad = (why: string) =>
		new GatewayError(
			'invalid_response',
			`${headlineOf('invalid_response')}. ${EMBEDDINGS_ROUTE} answered ${why}`,
			{
				route: EMBEDDINGS_ROUTE,
				status: 200,
			},
		);
	const data = (body as { data?: unknown } | null)?.data;
	if (typeof body === 'string' || !Array.isArray(data)) throw bad('without a list of embeddings');
	if (data.length !== count) throw bad(`${data.length} embeddings for ${count} texts`);
	const out: number[][] = new Array(count);
	data.forEach((row: EmbeddingRow, at) => {
		// OpenAI's answer carries each vector's index; the order of the list is not promised.
		const index = typeof row?.index === 'number' ? row.index : at;
		if (!Number.isInteger(index) || index < 0 || index >= count || out[index])
			throw bad(`a repeated or out-of-range index (${String(row?.index)})`);
		const vector = decodeVector(row?.embedding);
		if (!vector)
			throw bad(`an embedding that is neither a list of numbers nor base64 (index ${index})`);
		out[index] = vector;
	});
	return out;
}

/** A vector as numbers: a JSON list, or OpenAI's base64 of little-endian float32 values. */
function decodeVector(raw: unknown): number[] | undefined {
	if (Array.isArray(raw))
		return raw.every((x) => typeof x === 'number' && Number.isFinite(x))
			? (raw as number[])
			: undefined;
	if (typeof raw !== 'string' || raw.length === 0) return undefined;
	const bytes = Buffer.from(raw, 'base64');
	if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
	const out = new Array<number>(bytes.length / 4);
	for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
	return out;
}

/** Every text must be a non-empty string: the gateway refuses empty input, and says so less clearly. */
function checkTexts(texts: unknown): string[] {
	if (!Array.isArray(texts))
		throw inputError('Text', 'expected a list of texts from the vector store');
	texts.forEach((t, i) => {
		const which = texts.length === 1 ? 'the text' : `text ${i + 1} of ${texts.length}`;
		if (typeof t !== 'string')
			throw inputError('Text', `${which} is not text (got ${t === null ? 'null' : typeof t})`);
		if (t.trim() === '') {
			throw inputError(
				'Text',
				`${which} is empty: the gateway cannot embed an empty text. Leave out empty documents (e.g. with a Filter node) before the vector store`,
			);
		}
	});
	return texts as string[];
}

/**
 * The gateway's /v1/embeddings as the embeddings of n8n's vector stores, which call embedDocuments
 * and embedQuery on it. The vector store hands over all texts of a run at once, so the texts are
 * split into batches that run concurrently under the key's rate limits; every call is recorded in
 * the sub-node's run data (n8n does that by itself only for its own LangChain classes).
 */
export class GatewayEmbeddings {
	private readonly pacer: AdaptiveConcurrency;

	private readonly models = new ModelListCache();

	constructor(private readonly options: EmbedderOptions) {
		this.pacer = new AdaptiveConcurrency({ max: options.settings.concurrency });
	}

	async embedDocuments(texts: string[]): Promise<number[][]> {
		return await this.recorded({ documents: texts }, texts);
	}

	async embedQuery(text: string): Promise<number[]> {
		return (await this.recorded({ query: text }, [text]))[0];
	}

	/** One call of the vector store: input and output (or error) in the run data, like n8n's own sub-nodes. */
	private async recorded(input: IDataObject, texts: unknown): Promise<number[][]> {
		const { ctx } = this.options;
		const { index } = ctx.addInputData(NodeConnectionTypes.AiEmbedding, [[{ json: input }]]);
		try {
			const { vectors, summary } = await this.embedAll(checkTexts(texts));
			const out: INodeExecutionData[][] = [[{ json: summary as unknown as IDataObject }]];
			ctx.addOutputData(NodeConnectionTypes.AiEmbedding, index, out);
			return vectors;
		} catch (error) {
			const nodeError = this.nodeError(error);
			ctx.addOutputData(NodeConnectionTypes.AiEmbedding, index, nodeError);
			throw nodeError;
		}
	}

	private nodeError(error: unknown): NodeApiError | NodeOperationError {
		const { ctx, itemIndex, secrets } = this.options;
		if (error instanceof GatewayError) return toNodeError(ctx.getNode(), error, itemIndex);
		if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
		const message = error instanceof Error ? error.message : String(error);
		return new NodeOperationError(ctx.getNode(), redact(message, secrets), { itemIndex });
	}

	/** Texts → batches of Batch Size, at most Concurrency in flight, vectors back in the texts' order. */
	private async embedAll(texts: string[]): Promise<{ vectors: number[][]; summary: CallSummary }> {
		const { batchSize } = this.options.settings;
		const vectors: number[][] = new Array(texts.length);
		const summary: CallSummary = {
			vectors: texts.length,
			dimensions: null,
			requests: 0,
			tokenUsage: { promptTokens: 0, totalTokens: 0 },
			costUsd: null,
		};
		const batches: number[] = [];
		for (let start = 0; start < texts.length; start += batchSize) batches.push(start);
		const signal = this.options.ctx.getExecutionCancelSignal?.();
		let failed = false;
		await Promise.all(
			batches.map(async (start) => {
				await this.pacer.acquire(signal);
				try {
					// After one batch failed, the others would be spent for nothing.
					if (failed) return;
					const batch = texts.slice(start, start + batchSize);
					const got = await this.embedBatch(batch);
					got.vectors.forEach((v, i) => (vectors[start + i] = v));
					summary.requests++;
					summary.tokenUsage.promptTokens += got.promptTokens;
					summary.tokenUsage.totalTokens += got.totalTokens;
					if (got.costUsd !== undefined) summary.costUsd = (summary.costUsd ?? 0) + got.costUsd;
				} catch (error) {
					failed = true;
					throw this.nodeError(error);
				} finally {
					this.pacer.release();
				}
			}),
		);
		summary.dimensions = vectors[0]?.length ?? null;
		return { vectors, summary };
	}

	private async embedBatch(batch: string[]) {
		const { ctx, model, settings, metadata, itemIndex } = this.options;
		const body: IDataObject = { model, input: batch };
		if (settings.dimensions !== undefined) body.dimensions = settings.dimensions;
		if (settings.encodingFormat !== 'float') body.encoding_format = settings.encodingFormat;
		if (metadata) body.metadata = metadata;
		let res;
		try {
			res = await gatewayRequest.call(ctx, {
				method: 'POST',
				route: EMBEDDINGS_ROUTE,
				body,
				timeoutMs: settings.timeoutMs,
				maxRetries: settings.maxRetries,
				maxWaitMs: settings.maxWaitMs,
				itemIndex,
				pacer: this.pacer,
				// Many requests with one credential: n8n need not read and decrypt it for each one.
				reuseCredential: true,
			});
		} catch (error) {
			throw await this.explained(error);
		}
		const usage = (res.body as { usage?: { prompt_tokens?: unknown; total_tokens?: unknown } })
			.usage;
		const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
		const cost = Number(res.headers['x-litellm-response-cost']);
		return {
			vectors: vectorsOf(res.body, batch.length),
			promptTokens: count(usage?.prompt_tokens),
			totalTokens: count(usage?.total_tokens),
			costUsd:
				res.headers['x-litellm-response-cost'] !== undefined && Number.isFinite(cost)
					? cost
					: undefined,
		};
	}

	/** A refused model names the field and the key's models; a refused Dimensions says so. */
	private async explained(error: unknown): Promise<unknown> {
		const { ctx, model, settings, itemIndex } = this.options;
		const explained = await explainModelError(ctx, error, model, this.models, itemIndex);
		if (!(explained instanceof GatewayError)) return explained;
		const { errorClass, details } = explained;
		if (errorClass === 'unknown_model' || errorClass === 'model_not_allowed') {
			return new GatewayError(errorClass, `Model: ${explained.message}`, {
				...details,
				field: 'Model',
			});
		}
		if (errorClass === 'bad_request' && settings.dimensions !== undefined) {
			return new GatewayError(
				errorClass,
				`${explained.message}. Dimensions is set to ${settings.dimensions}: not every model can shorten its vectors; remove the Dimensions option for this one`,
				details,
			);
		}
		if (errorClass === 'bad_request' && !details.param) {
			return new GatewayError(
				errorClass,
				`${explained.message}. If "${model}" is not an embedding model, pick one: the model list shows embedding models first`,
				details,
			);
		}
		return explained;
	}
}
