/**
 * Shared set-up of the JLab LLM Chat Model tests: n8n-core runs "Items → Model Probe" in-process,
 * with the JLab LLM Chat Model connected as the probe's language model, against the sandbox. The
 * probe is a minimal AI root node: it pulls the model the way the AI Agent and the chains do
 * (getInputConnectionData) and invokes it, streams it, or runs one tool round trip with it.
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

import { startSandbox, type LoggedRequest, type Sandbox } from '../../sandbox/server';

export { startSandbox, type LoggedRequest, type Sandbox };

export const MODEL_TYPE = 'n8n-nodes-jlab-llm.lmChatJlabLlm';
export const MODEL_NODE = 'JLab LLM Chat Model';
export const ROUTE = '/v1/chat/completions';

/** The tool the probe offers in "tool" mode, in OpenAI format. */
export const CALCULATOR = {
	type: 'function',
	function: {
		name: 'calculator',
		description: 'Evaluates an arithmetic expression',
		parameters: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] },
	},
};

type ChatModelLike = {
	invoke(input: unknown): Promise<{
		content: unknown;
		tool_calls?: Array<{ id?: string; name: string; args: unknown }>;
		usage_metadata?: IDataObject;
	}>;
	stream(
		input: unknown,
	): Promise<AsyncIterable<{ content: unknown; usage_metadata?: IDataObject }>>;
	bindTools(tools: unknown[]): ChatModelLike;
};

/** Per item: {mode: "invoke" | "stream" | "tool", prompt, toolResult?}; errors become items. */
class ModelProbe implements INodeType {
	description = probeDescription('Model Probe', 'modelProbe', {
		type: 'ai_languageModel',
		displayName: 'Model',
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let i = 0; i < items.length; i++) {
			const j = items[i].json;
			const prompt = String(j.prompt ?? 'hello');
			try {
				const model = (await this.getInputConnectionData('ai_languageModel', i)) as ChatModelLike;
				if (j.mode === 'stream') {
					const chunks: string[] = [];
					let usage: IDataObject | undefined;
					for await (const chunk of await model.stream(prompt)) {
						if (typeof chunk.content === 'string' && chunk.content !== '')
							chunks.push(chunk.content);
						if (chunk.usage_metadata) usage = chunk.usage_metadata;
					}
					out.push({
						json: { chunks, text: chunks.join(''), usage: usage ?? null },
						pairedItem: { item: i },
					});
				} else if (j.mode === 'tool') {
					const bound = model.bindTools([CALCULATOR]);
					const user = { role: 'user', content: prompt };
					const first = await bound.invoke([user]);
					const call = first.tool_calls?.[0];
					if (!call) throw new Error('the model called no tool');
					const tool = {
						role: 'tool',
						content: String(j.toolResult ?? '84'),
						tool_call_id: call.id,
					};
					const final = await bound.invoke([user, first, tool]);
					out.push({
						json: {
							toolCall: { name: call.name, args: call.args as IDataObject },
							answer: final.content as string,
						},
						pairedItem: { item: i },
					});
				} else {
					const res = await model.invoke(prompt);
					out.push({
						json: {
							content: res.content as string,
							usage: (res.usage_metadata ?? null) as IDataObject,
						},
						pairedItem: { item: i },
					});
				}
			} catch (error) {
				if (j.rethrow) throw error;
				out.push({ json: errorJson(error), pairedItem: { item: i } });
			}
		}
		return [out];
	}
}
packageNodeTypes()['test.modelProbe'] = new ModelProbe();

export interface ModelRunOptions {
	apiKey: string;
	baseUrl?: string;
	/** The model node's parameters (model defaults to openai/gpt-oss-120b by ID). */
	parameters?: IDataObject;
	/** Probe items: {mode, prompt, toolResult?, rethrow?}. */
	items?: IDataObject[];
	workflow?: { id?: string; name?: string };
}

export interface ModelRun extends RunResult {
	items: IDataObject[];
	/** Chat-completion requests the sandbox saw during this run. */
	chatRequests: LoggedRequest[];
	/** The model node's run data: one entry per model call (input + output or error). */
	modelRuns: ITaskData[];
}

export const modelParam = (value = 'openai/gpt-oss-120b', mode = 'id') => ({
	__rl: true,
	mode,
	value,
});

export async function runModel(sandbox: Sandbox, options: ModelRunOptions): Promise<ModelRun> {
	const model: INode = {
		id: 'model',
		name: MODEL_NODE,
		type: MODEL_TYPE,
		typeVersion: 1,
		position: [200, 200],
		parameters: { model: modelParam(), ...(options.parameters ?? {}) },
		credentials: { jlabLlmApi: { id: 'cred-model', name: 'JLab LLM (sandbox)' } },
	};
	const nodes: INode[] = [
		{
			id: 'items',
			name: 'Items',
			type: 'test.items',
			typeVersion: 1,
			position: [0, 0],
			parameters: { items: JSON.stringify(options.items ?? [{ mode: 'invoke', prompt: 'hello' }]) },
		},
		{
			id: 'probe',
			name: 'Probe',
			type: 'test.modelProbe',
			typeVersion: 1,
			position: [200, 0],
			parameters: {},
		},
		model,
	];
	const before = sandbox.requests.length;
	const result = await runWorkflow(
		{
			id: options.workflow?.id,
			name: options.workflow?.name,
			nodes,
			connections: {
				Items: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] },
				[MODEL_NODE]: {
					ai_languageModel: [[{ node: 'Probe', type: 'ai_languageModel', index: 0 }]],
				},
			} as never,
		},
		[
			{
				id: 'cred-model',
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
		chatRequests: sandbox.requests.slice(before).filter((r) => r.path === ROUTE),
		modelRuns: result.run.data.resultData.runData[MODEL_NODE] ?? [],
	};
}

/** Every 8-character piece of a key: none may appear in what a run produced. */
export { leakedPieces } from '../helpers/leaks';
