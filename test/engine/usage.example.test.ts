/**
 * examples/usage-daily-budget-check.json, run whole and in-process against the sandbox, from its
 * Manual Trigger: the "Over Threshold" branch reaches the alert node, "Within Budget" does not.
 * The n8n-nodes-base nodes the harness has no copy of (Schedule Trigger, No Operation) are
 * replaced by stand-ins that behave alike for this purpose.
 */
import fs from 'fs';
import path from 'path';

import type {
	IConnections,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { runWorkflow, shutdownHarness } from '../harness';
import { packageNodeTypes } from '../harness/registry';
import {
	canary,
	expectNoLeak,
	pinClock,
	startUsageSandbox,
	USAGE_TYPE,
	type UsageSandbox,
} from './usageSetup';

const FILE = path.resolve(__dirname, '..', '..', 'examples', 'usage-daily-budget-check.json');
const example = JSON.parse(fs.readFileSync(FILE, 'utf8')) as {
	id: string;
	name: string;
	nodes: INode[];
	connections: IConnections;
	settings: Record<string, string>;
};

function standIn(name: string, inputs: string[]): INodeType {
	return {
		description: {
			displayName: name,
			name,
			group: ['transform'],
			version: [1, 1.1, 1.2],
			description: 'stand-in',
			defaults: { name },
			inputs,
			outputs: ['main'],
			properties: [],
		} as unknown as INodeType['description'],
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			return [this.getInputData().map((item, i) => ({ json: item.json, pairedItem: { item: i } }))];
		},
	};
}
packageNodeTypes()['n8n-nodes-base.scheduleTrigger'] = standIn('scheduleTrigger', []);
packageNodeTypes()['n8n-nodes-base.noOp'] = standIn('noOp', ['main']);

const OVER = canary('ex-over');
const WITHIN = canary('ex-within');
const MANUAL = 'When clicking ‘Execute workflow’';
const ALERT = 'Alert: budget almost used up';
const USAGE = 'Check budget';

describe('examples/usage-daily-budget-check.json', () => {
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			keys: [
				{ key: OVER, key_alias: 'nightly-bot', user_id: 'jdoe', max_budget: 10, spend: 9 },
				{ key: WITHIN, key_alias: 'quiet', user_id: 'jdoe', max_budget: 10, spend: 1 },
			],
		});
	});
	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	it('is Schedule Trigger + Manual Trigger → JLab LLM Usage (Check Budget) → "Over Threshold" → alert', () => {
		expect(example.nodes.map((n) => [n.name, n.type])).toEqual([
			['Every day at 08:00', 'n8n-nodes-base.scheduleTrigger'],
			[MANUAL, 'n8n-nodes-base.manualTrigger'],
			[USAGE, USAGE_TYPE],
			[ALERT, 'n8n-nodes-base.noOp'],
		]);
		const usage = example.nodes.find((n) => n.type === USAGE_TYPE) as INode;
		expect(usage.parameters.operation).toBe('checkBudget');
		expect(usage.credentials).toEqual({
			jlabLlmApi: { id: 'jlabLlmSandbox01', name: 'JLab LLM (sandbox)' },
		});
		expect(example.connections['Every day at 08:00'].main[0]?.[0].node).toBe(USAGE);
		expect(example.connections[MANUAL].main[0]?.[0].node).toBe(USAGE);
		expect(example.connections[USAGE].main[0]).toEqual([]);
		expect(example.connections[USAGE].main[1]?.[0]).toEqual({
			node: ALERT,
			type: 'main',
			index: 0,
		});
		expect(example.settings.executionOrder).toBe('v1');
	});

	async function runExample(apiKey: string) {
		return await runWorkflow(
			{
				id: example.id,
				name: example.name,
				nodes: example.nodes,
				connections: example.connections,
				settings: example.settings,
			},
			[
				{
					id: 'jlabLlmSandbox01',
					name: 'JLab LLM (sandbox)',
					type: 'jlabLlmApi',
					data: { baseUrl: sb.url, apiKey },
				},
			],
			{ startNode: MANUAL },
		);
	}

	it('raises the alert for a key past 80 % of its budget', async () => {
		const run = await runExample(OVER);
		expect(run.error(USAGE)).toBeUndefined();
		const alert = run.output(ALERT);
		expect(alert).toHaveLength(1);
		expect(alert[0].json).toMatchObject({
			overThreshold: true,
			percentUsed: 90,
			alias: 'nightly-bot',
		});
		expectNoLeak(run, OVER);
	});

	it('stays quiet for a key within its budget', async () => {
		const run = await runExample(WITHIN);
		expect(run.error(USAGE)).toBeUndefined();
		expect(run.output(USAGE, 0)).toHaveLength(1);
		expect(run.run.data.resultData.runData[ALERT]).toBeUndefined();
	});
});
