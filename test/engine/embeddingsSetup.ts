/**
 * Shared set-up of the JLab LLM Embeddings tests: n8n-core runs "Items → Embeddings Probe"
 * in-process, with the JLab LLM Embeddings connected as the probe's embeddings, against the
 * sandbox. The probe pulls them as n8n's vector stores do (getInputConnectionData(ai_embedding))
 * and calls embedDocuments / embedQuery, or both and ranks the documents by cosine similarity.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
	ITaskData,
} from 'n8n-workflow';

import { runWorkflow, type RunResult } from '../harness';
import { errorJson, probeDescription } from '../harness/probe';
import { packageNodeTypes } from '../harness/registry';

import type { LoggedRequest, Sandbox } from './chatModelSetup';

export { startSandbox, type Sandbox } from './chatModelSetup';
export { leakedPieces } from '../helpers/leaks';

export const EMBEDDINGS_TYPE = 'n8n-nodes-jlab-llm.embeddingsJlabLlm';
export const EMBEDDINGS_NODE = 'JLab LLM Embeddings';
export const ROUTE = '/v1/embeddings';
export const MODEL = 'nomic-ai/nomic-embed-text-v1.5';

type EmbeddingsLike = {
	embedDocuments(texts: unknown[]): Promise<number[][]>;
	embedQuery(text: string): Promise<number[]>;
};

const cosine = (a: number[], b: number[]) => a.reduce((n, x, i) => n + x * b[i], 0);

/** Per item: {mode: "documents" | "query" | "retrieve", texts?, query?}; errors become items. */
class EmbeddingsProbe implements INodeType {
	description = probeDescription('Embeddings Probe', 'embeddingsProbe', {
		type: 'ai_embedding',
		displayName: 'Embeddings',
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let i = 0; i < items.length; i++) {
			const j = items[i].json;
			try {
				const embeddings = (await this.getInputConnectionData('ai_embedding', i)) as EmbeddingsLike;
				if (j.mode === 'query') {
					const v = await embeddings.embedQuery(String(j.query));
					out.push({
						json: { dimensions: v.length, norm: Math.sqrt(cosine(v, v)) },
						pairedItem: { item: i },
					});
				} else if (j.mode === 'retrieve') {
					const texts = j.texts as string[];
					const docs = await embeddings.embedDocuments(texts);
					const q = await embeddings.embedQuery(String(j.query));
					const ranked = texts
						.map((text, at) => ({ text, score: cosine(docs[at], q) }))
						.sort((a, b) => b.score - a.score);
					out.push({
						json: { best: ranked[0].text, ranked: ranked.map((r) => r.text) },
						pairedItem: { item: i },
					});
				} else {
					const vectors = await embeddings.embedDocuments(j.texts as unknown[]);
					// Each vector compared with a fresh one-text embedding: the order must be kept.
					out.push({
						json: {
							count: vectors.length,
							dimensions: vectors[0]?.length ?? 0,
							vectors: j.keepVectors ? vectors : [],
						},
						pairedItem: { item: i },
					});
				}
			} catch (error) {
				out.push({ json: errorJson(error), pairedItem: { item: i } });
			}
		}
		return [out];
	}
}
packageNodeTypes()['test.embeddingsProbe'] = new EmbeddingsProbe();

export interface EmbeddingsRunOptions {
	apiKey: string;
	baseUrl?: string;
	/** The embeddings node's parameters (model defaults to nomic-embed by ID). */
	parameters?: IDataObject;
	items?: IDataObject[];
}

export interface EmbeddingsRun extends RunResult {
	items: IDataObject[];
	/** Embedding requests the sandbox saw during this run. */
	embedRequests: LoggedRequest[];
	/** The embeddings node's run data: one entry per call of the probe. */
	embeddingRuns: ITaskData[];
}

export const modelParam = (value = MODEL, mode = 'id') => ({ __rl: true, mode, value });

export async function runEmbeddings(
	sandbox: Sandbox,
	options: EmbeddingsRunOptions,
): Promise<EmbeddingsRun> {
	const node: INode = {
		id: 'embeddings',
		name: EMBEDDINGS_NODE,
		type: EMBEDDINGS_TYPE,
		typeVersion: 1,
		position: [200, 200],
		parameters: { model: modelParam(), ...(options.parameters ?? {}) },
		credentials: { jlabLlmApi: { id: 'cred-embed', name: 'JLab LLM (sandbox)' } },
	};
	const nodes: INode[] = [
		{
			id: 'items',
			name: 'Items',
			type: 'test.items',
			typeVersion: 1,
			position: [0, 0],
			parameters: { items: JSON.stringify(options.items ?? [{ mode: 'query', query: 'hello' }]) },
		},
		{
			id: 'probe',
			name: 'Probe',
			type: 'test.embeddingsProbe',
			typeVersion: 1,
			position: [200, 0],
			parameters: {},
		},
		node,
	];
	const before = sandbox.requests.length;
	const result = await runWorkflow(
		{
			nodes,
			connections: {
				Items: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] },
				[EMBEDDINGS_NODE]: { ai_embedding: [[{ node: 'Probe', type: 'ai_embedding', index: 0 }]] },
			} as never,
		},
		[
			{
				id: 'cred-embed',
				name: 'JLab LLM (sandbox)',
				type: 'jlabLlmApi',
				data: { baseUrl: options.baseUrl ?? sandbox.url, apiKey: options.apiKey },
			},
		],
		{ startNode: 'Items' },
	);
	return {
		...result,
		items: result.output('Probe').map((i) => i.json as IDataObject),
		embedRequests: sandbox.requests.slice(before).filter((r) => r.path === ROUTE),
		embeddingRuns: result.run.data.resultData.runData[EMBEDDINGS_NODE] ?? [],
	};
}
