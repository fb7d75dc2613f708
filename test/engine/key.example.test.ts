/**
 * examples/key-rotate-every-30-days.json, run whole and in-process from its Manual Trigger
 * against the sandbox gateway and the stand-in n8n public API: the key of "JLab LLM (sandbox)"
 * is rotated, the notify node gets the fingerprints, and nothing shows a key. The
 * n8n-nodes-base nodes the harness has no copy of (Schedule Trigger, Edit Fields (Set)) are
 * replaced by stand-ins that behave alike for this purpose.
 */
import fs from 'fs';
import path from 'path';

import type {
	IConnections,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { runWorkflow, shutdownHarness } from '../harness';
import { packageNodeTypes } from '../harness/registry';
import {
	CANARY,
	CRED_ID,
	exposed,
	leaks,
	N8N_CRED_ID,
	N8N_KEY,
	sha,
	startWorld,
	type World,
} from './keySetup';

const FILE = path.resolve(__dirname, '..', '..', 'examples', 'key-rotate-every-30-days.json');
const RAW = fs.readFileSync(FILE, 'utf8');
const example = JSON.parse(RAW) as {
	name: string;
	nodes: INode[];
	connections: IConnections;
	settings: IDataObject;
};

function standIn(
	name: string,
	inputs: string[],
	run: (ctx: IExecuteFunctions, i: number, item: INodeExecutionData) => IDataObject,
	properties: unknown[] = [],
): INodeType {
	return {
		description: {
			displayName: name,
			name,
			group: ['transform'],
			version: [1, 1.1, 1.2, 3, 3.4],
			description: 'stand-in',
			defaults: { name },
			inputs,
			outputs: ['main'],
			properties,
		} as unknown as INodeType['description'],
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			return [
				this.getInputData().map((item, i) => ({
					json: run(this, i, item),
					pairedItem: { item: i },
				})),
			];
		},
	};
}
packageNodeTypes()['n8n-nodes-base.scheduleTrigger'] = standIn('scheduleTrigger', [], () => ({}));
// Edit Fields (Set) in manual mode: each assignment's (expression-resolved) value under its name.
packageNodeTypes()['n8n-nodes-base.set'] = standIn(
	'set',
	['main'],
	(ctx, i) => {
		const list = ctx.getNodeParameter('assignments.assignments', i, []) as Array<{
			name: string;
			value: unknown;
		}>;
		return Object.fromEntries(list.map((a) => [a.name, a.value as IDataObject[string]]));
	},
	[
		{
			displayName: 'Fields to Set',
			name: 'assignments',
			type: 'assignmentCollection',
			default: {},
		},
		{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
	],
);

describe('examples/key-rotate-every-30-days.json', () => {
	let world: World;
	beforeAll(async () => {
		world = await startWorld({});
	});
	afterAll(async () => {
		await world.close();
		await shutdownHarness();
	});

	it('is Schedule Trigger (every 30 days) + Manual Trigger → JLab LLM Key (rotate) → notify, with the named credentials and no key', () => {
		expect(example.nodes.map((n) => [n.name, n.type])).toEqual([
			['Every 30 Days', 'n8n-nodes-base.scheduleTrigger'],
			['Rotate Now', 'n8n-nodes-base.manualTrigger'],
			['Rotate Key', 'n8n-nodes-jlab-llm.jlabLlmKey'],
			['Notify', 'n8n-nodes-base.set'],
		]);
		expect(example.nodes[0].parameters).toEqual({
			rule: { interval: [{ field: 'days', daysInterval: 30, triggerAtHour: 3 }] },
		});
		const rotate = example.nodes[2];
		expect(rotate.parameters.operation).toBe('rotate');
		expect(rotate.credentials).toEqual({
			jlabLlmApi: { id: 'jlabLlmSandbox01', name: 'JLab LLM (sandbox)' },
			jlabLlmN8nApi: { id: 'jlabLlmN8nLocal01', name: 'n8n API (local)' },
		});
		expect(RAW).not.toMatch(/sk-[A-Za-z0-9_-]{6,}/);
	});

	it('rotates the key of "JLab LLM (sandbox)" and hands the fingerprints to the notify node', async () => {
		expect([CRED_ID, N8N_CRED_ID]).toEqual(['jlabLlmSandbox01', 'jlabLlmN8nLocal01']);
		const result = await runWorkflow(example, [], { store: world.store, startNode: 'Rotate Now' });
		expect(result.error('Rotate Key')).toBeUndefined();
		const rotated = result.output('Rotate Key');
		expect(rotated).toHaveLength(1);
		expect(rotated[0].json).toMatchObject({ ok: true, state: 'completed', strategy: 'replace' });
		const stored = world.storedKey();
		expect(stored).not.toBe(CANARY);
		expect(world.accepts(stored)).toBe(true);
		expect(world.accepts(CANARY)).toBe(false);
		const notify = result.output('Notify').map((i) => i.json);
		expect(notify).toHaveLength(1);
		expect(notify[0]).toMatchObject({
			state: 'completed',
			oldFingerprint: sha(CANARY).slice(0, 12),
			newFingerprint: sha(stored).slice(0, 12),
		});
		expect(String(notify[0].message)).toContain(
			`sk-…${CANARY.slice(-4)} (${sha(CANARY).slice(0, 12)}) → sk-…${stored.slice(-4)}`,
		);
		const everything = JSON.stringify(result.run.data.resultData);
		for (const key of [CANARY, stored, N8N_KEY]) expect(leaks(everything, key)).toEqual([]);
		expect(leaks(exposed({ items: rotated }), stored)).toEqual([]);
	});
});
