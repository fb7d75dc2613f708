/**
 * Shared set-up of the JLab LLM Usage tests: the sandbox gateway with a pinned clock, a
 * workflow "Items → JLab LLM Usage" run in-process, and the canary check that no piece of a
 * key ends up anywhere in what n8n keeps of a run.
 */
import { inspect } from 'util';

import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

import { clock } from '../../nodes/JlabLlmUsage/helpers/dates';
import { runWorkflow, type RunResult } from '../harness';
import { leakedPieces } from '../helpers/leaks';

import { startSandbox, type Sandbox } from '../../sandbox/server';

export { DEFAULT_PRICES, hashKey, type LoggedRequest } from '../../sandbox/server';
export type UsageSandbox = Sandbox;

export const USAGE_TYPE = 'n8n-nodes-jlab-llm.jlabLlmUsage';

/** The instant every usage test runs at (the sandbox and the node share it). */
export const NOW = Date.parse('2026-06-15T12:00:00Z');
export const TODAY = '2026-06-15';

/** Pins the node's clock; returns a function that restores it. */
export function pinClock(ms = NOW): () => void {
	const before = clock.now;
	clock.now = () => ms;
	return () => {
		clock.now = before;
	};
}

export async function startUsageSandbox(options: IDataObject = {}): Promise<UsageSandbox> {
	return await startSandbox({
		port: 0,
		basePath: '/api',
		now: () => NOW,
		...options,
	});
}

/** A canary key: 30+ characters that appear nowhere else, so any 8 of them in a row is a leak. */
export function canary(tag: string): string {
	const key = `sk-canary-${tag}-7Qw9Zr2LmX4pT8vB1nK6`;
	if (key.length < 30) throw new Error('canary too short');
	return key;
}

export interface UsageRunOptions {
	apiKey: string;
	/** Input items' json; one empty item when absent. */
	items?: IDataObject[];
	continueOnFail?: boolean;
	baseUrl?: string;
}

export interface UsageRun extends RunResult {
	/** Items of output 0. */
	items: INodeExecutionData[];
	/** Every output of the node. */
	outputs: INodeExecutionData[][];
}

export function usageNode(parameters: IDataObject, extra: Partial<INode> = {}): INode {
	return {
		id: 'usage',
		name: 'Usage',
		type: USAGE_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters: parameters as INode['parameters'],
		credentials: { jlabLlmApi: { id: 'cred-usage', name: 'JLab LLM' } },
		...extra,
	};
}

/** Runs Items → JLab LLM Usage with `parameters` and returns the node's outputs. */
export async function runUsage(
	sb: UsageSandbox,
	parameters: IDataObject,
	options: UsageRunOptions,
): Promise<UsageRun> {
	const items = options.items ?? [{}];
	const result = await runWorkflow(
		{
			nodes: [
				{
					id: 'items',
					name: 'Items',
					type: 'test.items',
					typeVersion: 1,
					position: [0, 0],
					parameters: { items: JSON.stringify(items) },
				},
				usageNode(parameters, options.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
			],
			connections: { Items: { main: [[{ node: 'Usage', type: 'main', index: 0 }]] } },
		},
		[
			{
				id: 'cred-usage',
				name: 'JLab LLM',
				type: 'jlabLlmApi',
				data: { baseUrl: options.baseUrl ?? sb.url, apiKey: options.apiKey },
			},
		],
	);
	const outputs = (result.run.data.resultData.runData.Usage?.[0]?.data?.main ?? []).map(
		(o) => o ?? [],
	);
	return Object.assign(result, { items: outputs[0] ?? [], outputs });
}

/** Everything n8n keeps of a run, as text: items, binaries (decoded), errors with every field. */
export function runText(run: RunResult): string {
	const parts = [inspect(run.run, { depth: null, showHidden: true })];
	for (const node of Object.values(run.run.data.resultData.runData)) {
		for (const task of node) {
			for (const output of task.data?.main ?? []) {
				for (const item of output ?? []) {
					for (const bin of Object.values(item.binary ?? {})) {
						if (bin.data) parts.push(Buffer.from(bin.data, 'base64').toString('utf8'));
					}
				}
			}
		}
	}
	return parts.join('\n');
}

/** Fails when `text` holds the key, or any 8 characters of it in a row. */
export function expectNoKeyIn(text: string, key: string): void {
	const [piece] = leakedPieces(text, key);
	if (piece !== undefined) throw new Error(`key piece "${piece}" leaked`);
}

export function expectNoLeak(run: RunResult, key: string): void {
	expectNoKeyIn(runText(run), key);
}

export function decodeBinary(item: INodeExecutionData, field = 'chart'): string {
	const bin = item.binary?.[field];
	if (!bin) throw new Error(`no binary field ${field}`);
	return Buffer.from(bin.data, 'base64').toString('utf8');
}
