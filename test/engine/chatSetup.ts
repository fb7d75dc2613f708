/**
 * Shared set-up of the JLab LLM Chat tests: a workflow "Items → JLab LLM Chat" run in-process
 * against the sandbox gateway, plus a stand-in that emits items with binary data.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { runWorkflow, type RunResult } from '../harness';
import { packageNodeTypes } from '../harness/registry';
import { leakedPieces } from '../helpers/leaks';

import { maxOverlap, startSandbox, type LoggedRequest, type Sandbox } from '../../sandbox/server';

export { maxOverlap, startSandbox, type LoggedRequest, type Sandbox };

export const CHAT_TYPE = 'n8n-nodes-jlab-llm.jlabLlmChat';
export const MODEL = 'openai/gpt-oss-120b';

/** Items with binary data: parameter `items` = [{json, binary: {name: {data (base64), mimeType, fileName}}}]. */
class BinaryItems implements INodeType {
	description = {
		displayName: 'Binary Items',
		name: 'binaryItems',
		group: ['transform'],
		version: 1,
		description: 'stand-in',
		defaults: { name: 'Binary Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as unknown;
		const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as INodeExecutionData[];
		return [list.map((item) => ({ ...item, pairedItem: { item: 0 } }))];
	}
}
packageNodeTypes()['test.binaryItems'] = new BinaryItems();

export const modelParam = (value = MODEL, mode = 'id') => ({ __rl: true, mode, value });

export interface ChatRun extends RunResult {
	items: IDataObject[];
	chatRequests: LoggedRequest[];
}

export interface ChatRunOptions {
	/** Input items (json), or items with binary for test.binaryItems. */
	items?: IDataObject[] | INodeExecutionData[];
	binary?: boolean;
	continueOnFail?: boolean;
	apiKey: string;
	baseUrl?: string;
	nodeName?: string;
	workflow?: { id?: string; name?: string };
}

/** Runs Items → Chat with the given chat parameters and returns the chat node's items. */
export async function runChat(
	sandbox: Sandbox,
	parameters: IDataObject,
	options: ChatRunOptions,
): Promise<ChatRun> {
	const name = options.nodeName ?? 'Chat';
	const chat: INode = {
		id: 'chat',
		name,
		type: CHAT_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters: { model: modelParam(), ...parameters },
		credentials: { jlabLlmApi: { id: 'cred-chat', name: 'JLab LLM (sandbox)' } },
	};
	if (options.continueOnFail) chat.onError = 'continueRegularOutput';
	const source: INode = {
		id: 'items',
		name: 'Items',
		type: options.binary ? 'test.binaryItems' : 'test.items',
		typeVersion: 1,
		position: [0, 0],
		parameters: { items: JSON.stringify(options.items ?? [{}]) },
	};
	const before = sandbox.requests.length;
	const result = await runWorkflow(
		{
			id: options.workflow?.id,
			name: options.workflow?.name,
			nodes: [source, chat],
			connections: { Items: { main: [[{ node: name, type: 'main', index: 0 }]] } },
		},
		[
			{
				id: 'cred-chat',
				name: 'JLab LLM (sandbox)',
				type: 'jlabLlmApi',
				data: { baseUrl: options.baseUrl ?? sandbox.url, apiKey: options.apiKey },
			},
		],
	);
	const items = result.output(name).map((i) => i.json as IDataObject);
	const chatRequests = sandbox.requests
		.slice(before)
		.filter((r) => r.path === '/v1/chat/completions');
	return { ...result, items, chatRequests };
}

/** Every 8-character piece of a key: none may appear anywhere in what a run produced. */
export function expectNoKeyIn(value: unknown, key: string): void {
	expect(leakedPieces(value, key)).toEqual([]);
}
