/**
 * JLab LLM Chat's Model field, "From List": n8n's load-options context calls the node's
 * searchModels, which lists every model the key may call (GET /v1/models, no name filter on
 * the gateway side) and narrows it by the text typed.
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

import { CHAT_TYPE, expectNoKeyIn, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-CHATMODELS-1f0e3dad99908345f743';
const LIMITED = 'sk-canary-CHATLIMIT-a87ff679a2f3e71d9181';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [
			{ key: KEY, key_alias: 'models', user_id: 'alice' },
			{
				key: LIMITED,
				key_alias: 'limited',
				user_id: 'alice',
				models: ['openai/gpt-oss-20b', 'Qwen/Qwen2.5-VL-72B-Instruct'],
			},
		],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

async function search(apiKey: string, filter?: string): Promise<INodeListSearchResult> {
	const types = packageNodeTypes();
	const chatType = types[CHAT_TYPE] as INodeType;
	const node: INode = {
		id: 'chat',
		name: 'Chat',
		type: CHAT_TYPE,
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
		{ id: 'c', name: 'c', type: 'jlabLlmApi', data: { baseUrl: sandbox.url, apiKey } },
	]);
	const additionalData = {
		credentialsHelper: store,
		variables: {},
	} as unknown as IWorkflowExecuteAdditionalData;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters.model');
	const method = chatType.methods?.listSearch?.searchModels as (
		this: unknown,
		f?: string,
	) => Promise<INodeListSearchResult>;
	return await method.call(context, filter);
}

describe('Model → From List', () => {
	it('lists every model the key may call, sorted, from GET /v1/models without a filter', async () => {
		sandbox.clearRequests();
		const result = await search(KEY);
		expect(result.results.map((r) => r.value)).toEqual([
			'meta-llama/Llama-3.3-70B-Instruct',
			'openai/gpt-oss-120b',
			'openai/gpt-oss-20b',
			'Qwen/Qwen2.5-VL-72B-Instruct',
		]);
		expect(sandbox.requests.map((q) => [q.method, q.path, q.query])).toEqual([
			['GET', '/v1/models', {}],
		]);
		expectNoKeyIn(result, KEY);
	});

	it("shows only the key's own models, and narrows them by any part of the name typed", async () => {
		expect((await search(LIMITED)).results.map((r) => r.value)).toEqual([
			'openai/gpt-oss-20b',
			'Qwen/Qwen2.5-VL-72B-Instruct',
		]);
		expect((await search(KEY, 'OSS')).results.map((r) => r.name)).toEqual([
			'openai/gpt-oss-120b',
			'openai/gpt-oss-20b',
		]);
	});
});
