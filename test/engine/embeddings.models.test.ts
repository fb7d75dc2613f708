/**
 * JLab LLM Embeddings → Model → From List (searchEmbeddingModels): every model the key may call,
 * embedding models first where the gateway's /model/info says `mode: embedding`, and the plain list
 * where /model/info is not exposed (a management route the lab's proxy may hide).
 */
import { LoadOptionsContext } from 'n8n-core';
import type {
	INode,
	INodeListSearchResult,
	INodeType,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { CredentialStore, shutdownHarness } from '../harness';
import { packageCredentialTypes, packageNodeTypes } from '../harness/registry';

import { EMBEDDINGS_TYPE, leakedPieces, startSandbox, type Sandbox } from './embeddingsSetup';

const KEY = 'sk-canary-EMBEDMODELS-4e732ced3463d06de0ca';

async function search(sandbox: Sandbox, filter?: string): Promise<INodeListSearchResult> {
	const types = packageNodeTypes();
	const node: INode = {
		id: 'e',
		name: 'Embeddings',
		type: EMBEDDINGS_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: { jlabLlmApi: { id: 'c', name: 'c' } },
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: (name: string) => types[name],
			getByNameAndVersion: (name: string, version?: number) =>
				NodeHelpers.getVersionedNodeType(types[name], version),
			getKnownTypes: () => ({}),
		},
	});
	const store = new CredentialStore(packageCredentialTypes(), [
		{ id: 'c', name: 'c', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey: KEY } },
	]);
	const additionalData = {
		credentialsHelper: store,
		variables: {},
	} as unknown as IWorkflowExecuteAdditionalData;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters.model');
	const method = (types[EMBEDDINGS_TYPE] as INodeType).methods?.listSearch
		?.searchEmbeddingModels as (this: unknown, f?: string) => Promise<INodeListSearchResult>;
	return await method.call(context, filter);
}

describe('JLab LLM Embeddings → Model → From List', () => {
	const sandboxes: Sandbox[] = [];
	const start = async (exposeManagement: boolean) => {
		const sb = await startSandbox({
			port: 0,
			basePath: '/api',
			embeddingModels: true,
			exposeManagement,
			keys: [{ key: KEY, user_id: 'alice' }],
		});
		sandboxes.push(sb);
		return sb;
	};
	afterAll(async () => {
		await Promise.all(sandboxes.map((s) => s.close()));
		await shutdownHarness();
	});

	it('embedding models first (marked), then the others, by /model/info; the filter applies to all', async () => {
		const sb = await start(true);
		const { results } = await search(sb);
		expect(results.slice(0, 2)).toEqual([
			{ name: 'BAAI/bge-m3 (embedding)', value: 'BAAI/bge-m3' },
			{
				name: 'nomic-ai/nomic-embed-text-v1.5 (embedding)',
				value: 'nomic-ai/nomic-embed-text-v1.5',
			},
		]);
		expect(results.slice(2).map((r) => r.value)).toContain('openai/gpt-oss-120b');
		expect((await search(sb, 'NOMIC')).results.map((r) => r.value)).toEqual([
			'nomic-ai/nomic-embed-text-v1.5',
		]);
		expect(leakedPieces(results, KEY)).toEqual([]);
	});

	it('/model/info not exposed: every model the key may call, unmarked', async () => {
		const sb = await start(false);
		const { results } = await search(sb);
		expect(results.map((r) => r.name)).toEqual(results.map((r) => r.value));
		expect(results.map((r) => r.value)).toEqual(
			expect.arrayContaining(['BAAI/bge-m3', 'openai/gpt-oss-20b']),
		);
	});
});
