/**
 * JLab LLM Usage → Check Budget, against the sandbox gateway: the two outputs ("Within Budget",
 * "Over Threshold"), both threshold types, the numbers on each item, the projected run-out
 * date from the recent daily average, the keys without budget or user, an old gateway that
 * refuses an exhausted key even /key/info, failures under Continue On Fail, and the canary.
 */
import { createHash } from 'crypto';

import type { IDataObject, INodeTypes } from 'n8n-workflow';
import { ExecuteContext } from 'n8n-core';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { projectRunOut } from '../../nodes/JlabLlmUsage/actions/checkBudget.operation';
import { budgetOf } from '../../nodes/JlabLlmUsage/helpers/keyInfo';
import { runWorkflow, shutdownHarness } from '../harness';
import { packageNodeTypes } from '../harness/registry';
import {
	canary,
	expectNoLeak,
	NOW,
	pinClock,
	runUsage,
	startUsageSandbox,
	TODAY,
	USAGE_TYPE,
	usageNode,
	type UsageSandbox,
} from './usageSetup';

const OVER = canary('bud-over');
const WITHIN = canary('bud-within');
const SIBLING = canary('bud-sibling');
const NO_BUDGET = canary('bud-nobudget');
const IDLE = canary('bud-idle');
const NO_USER = canary('bud-nouser');
const LLM_ONLY = canary('bud-llm');
const FRUGAL = canary('bud-frugal');

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

const WITHIN_BUDGET = 0;
const OVER_THRESHOLD = 1;

function daily(key: string, from: string, to: string, spend: number): IDataObject[] {
	const rows: IDataObject[] = [];
	for (
		let d = Date.parse(`${from}T00:00:00Z`);
		d <= Date.parse(`${to}T00:00:00Z`);
		d += 86_400_000
	) {
		rows.push({
			date: new Date(d).toISOString().slice(0, 10),
			api_key: key,
			model: 'openai/gpt-oss-20b',
			spend,
			prompt_tokens: 100,
			completion_tokens: 10,
			api_requests: 1,
			successful_requests: 1,
			failed_requests: 0,
		});
	}
	return rows;
}

describe('JLab LLM Usage: Check Budget', () => {
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			keys: [
				{
					key: OVER,
					key_alias: 'over',
					user_id: 'jdoe',
					max_budget: 10,
					spend: 8.5,
					budget_duration: '30d',
					budget_reset_at: '2026-07-01T00:00:00Z',
				},
				{ key: SIBLING, key_alias: 'sibling', user_id: 'jdoe' },
				{
					key: WITHIN,
					key_alias: 'within',
					user_id: 'asmith',
					max_budget: 10,
					spend: 1,
					budget_duration: '30d',
					budget_reset_at: '2026-07-01T00:00:00Z',
				},
				{ key: NO_BUDGET, key_alias: 'no-budget', user_id: 'jdoe', spend: 42 },
				{ key: IDLE, key_alias: 'idle', user_id: 'bsmith', max_budget: 10, spend: 9.5 },
				{ key: NO_USER, key_alias: 'no-user', max_budget: 10, spend: 2 },
				{ key: LLM_ONLY, user_id: 'jdoe', key_type: 'llm_api', max_budget: 10, spend: 1 },
				{ key: FRUGAL, key_alias: 'frugal', user_id: 'frugal', max_budget: 1000, spend: 0.000001 },
			],
			activity: [
				// OVER: 0.20 a day over the 7 days up to today; an expensive day just before the window.
				...daily(OVER, '2026-06-09', TODAY, 0.2),
				...daily(OVER, '2026-06-08', '2026-06-08', 5),
				// The same user's other key: not this key's spend.
				...daily(SIBLING, '2026-06-10', '2026-06-10', 50),
				...daily(WITHIN, '2026-06-09', TODAY, 0.1),
				// One call's worth of spend on a $1000 budget: the run-out date would be millions of years away.
				...daily(FRUGAL, TODAY, TODAY, 0.000001),
			],
		});
	});

	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	beforeEach(() => sb.clearRequests());

	it("a key already replaced by a rotation: says so, and reads the numbers and activity as the new key's (its row), never as its own", async () => {
		const old = canary('bud-zq-oldkey');
		const fresh = canary('bud-zq-newkey');
		sb.addKey({ key: old, key_alias: 'replaced', user_id: 'rsmith', max_budget: 10, spend: 2 });
		sb.setConfig({ enterprise: true });
		try {
			const res = await fetch(`${sb.url}/key/regenerate`, {
				method: 'POST',
				headers: { authorization: `Bearer ${old}`, 'content-type': 'application/json' },
				body: JSON.stringify({ key: old, new_key: fresh, grace_period: '24h' }),
			});
			expect(res.status).toBe(200);
			// The new key's activity: 0.5 a day for the 7 days of the window.
			for (const row of daily(fresh, '2026-06-09', TODAY, 0.5)) sb.addActivity(row);
			const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: old });
			expect(run.error('Usage')).toBeUndefined();
			const item = [...run.outputs[WITHIN_BUDGET], ...run.outputs[OVER_THRESHOLD]][0];
			expect(item.json).toMatchObject({
				keyReplaced: true,
				spendUsd: 2,
				maxBudgetUsd: 10,
				averageDailySpendUsd: 0.5,
			});
			expect(String(item.json.warning)).toContain('already been replaced by a rotation');
			expect((item.json.fingerprint as IDataObject).hash).toBe(sha(old).slice(0, 12));
			expectNoLeak(run, old);
			expectNoLeak(run, fresh);
			// An ordinary key says it was not replaced.
			const plain = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: WITHIN });
			expect(plain.outputs[WITHIN_BUDGET][0].json).toMatchObject({ keyReplaced: false });
			expect(plain.outputs[WITHIN_BUDGET][0].json.warning).toBeUndefined();
		} finally {
			sb.setConfig({ enterprise: false });
		}
	});

	it('sends a key past the percent threshold to "Over Threshold", with the numbers and a projected run-out date', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: OVER });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.outputs).toHaveLength(2);
		expect(run.outputs[WITHIN_BUDGET]).toHaveLength(0);
		expect(run.outputs[OVER_THRESHOLD]).toHaveLength(1);
		const item = run.outputs[OVER_THRESHOLD][0];
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			overThreshold: true,
			hasBudget: true,
			budgetExceeded: false,
			alias: 'over',
			spendUsd: 8.5,
			maxBudgetUsd: 10,
			remainingBudgetUsd: 1.5,
			percentUsed: 85,
			thresholdType: 'percentUsed',
			threshold: 80,
			budgetDuration: '30d',
			budgetResetsAt: '2026-07-01T00:00:00.000Z',
			// 7 × 0.20 / 7 days; 1.50 left → 7.5 days → the 8th day from today.
			averageDailySpendUsd: 0.2,
			projectionDays: 7,
			projectedRunOutDate: '2026-06-23',
			runsOutBeforeReset: true,
			projectionNote: null,
			checkedAt: new Date(NOW).toISOString(),
		});
		expect(item.json.reason).toBe(
			'85% of the $10.00 budget is spent, $1.50 left: at or past the threshold of 80% used.',
		);
		const call = sb.requests.find((r) => r.path === '/user/daily/activity');
		expect(call?.query).toMatchObject({ start_date: '2026-06-09', end_date: TODAY });
		expectNoLeak(run, OVER);
	});

	it('sends a key below the threshold to "Within Budget"', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: WITHIN });
		expect(run.outputs[OVER_THRESHOLD]).toHaveLength(0);
		expect(run.outputs[WITHIN_BUDGET]).toHaveLength(1);
		expect(run.outputs[WITHIN_BUDGET][0].json).toMatchObject({
			overThreshold: false,
			percentUsed: 10,
			remainingBudgetUsd: 9,
			averageDailySpendUsd: 0.1,
			// 9.00 / 0.10 = 90 days: after the reset on 2026-07-01.
			projectedRunOutDate: '2026-09-13',
			runsOutBeforeReset: false,
		});
		expect(run.outputs[WITHIN_BUDGET][0].json.reason).toContain('within the threshold of 80% used');
	});

	it('compares "USD Left" as remaining ≤ threshold, and percent as used ≥ threshold (boundaries included)', async () => {
		const usd2 = await runUsage(
			sb,
			{ operation: 'checkBudget', thresholdType: 'remainingUsd', usdThreshold: 2 },
			{ apiKey: OVER },
		);
		expect(usd2.outputs[OVER_THRESHOLD]).toHaveLength(1);
		expect(usd2.outputs[OVER_THRESHOLD][0].json).toMatchObject({
			thresholdType: 'remainingUsd',
			threshold: 2,
		});
		expect(usd2.outputs[OVER_THRESHOLD][0].json.reason).toContain(
			'at or past the threshold of $2.00 left',
		);
		const usd15 = await runUsage(
			sb,
			{ operation: 'checkBudget', thresholdType: 'remainingUsd', usdThreshold: 1.5 },
			{ apiKey: OVER },
		);
		expect(usd15.outputs[OVER_THRESHOLD]).toHaveLength(1);
		const usd1 = await runUsage(
			sb,
			{ operation: 'checkBudget', thresholdType: 'remainingUsd', usdThreshold: 1 },
			{ apiKey: OVER },
		);
		expect(usd1.outputs[WITHIN_BUDGET]).toHaveLength(1);
		const at85 = await runUsage(
			sb,
			{ operation: 'checkBudget', percentThreshold: 85 },
			{ apiKey: OVER },
		);
		expect(at85.outputs[OVER_THRESHOLD]).toHaveLength(1);
		const at86 = await runUsage(
			sb,
			{ operation: 'checkBudget', percentThreshold: 86 },
			{ apiKey: OVER },
		);
		expect(at86.outputs[WITHIN_BUDGET]).toHaveLength(1);
	});

	it('routes item by item, keeping each item paired with its input', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'checkBudget', percentThreshold: '={{ $json.t }}' },
			{ apiKey: OVER, items: [{ t: 90 }, { t: 50 }, { t: 85.5 }, { t: 10 }] },
		);
		expect(run.outputs[WITHIN_BUDGET].map((i) => [i.pairedItem, i.json.threshold])).toEqual([
			[{ item: 0 }, 90],
			[{ item: 2 }, 85.5],
		]);
		expect(run.outputs[OVER_THRESHOLD].map((i) => [i.pairedItem, i.json.threshold])).toEqual([
			[{ item: 1 }, 50],
			[{ item: 3 }, 10],
		]);
	});

	it('averages over the chosen window, and only this key’s spend', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'checkBudget', projectionDays: 8 },
			{ apiKey: OVER },
		);
		// 2026-06-08 … 2026-06-15: 5 + 7 × 0.20 = 6.40 over 8 days = 0.80 a day → 1.5 / 0.8 → 2 days.
		expect(run.outputs[OVER_THRESHOLD][0].json).toMatchObject({
			projectionDays: 8,
			averageDailySpendUsd: 0.8,
			projectedRunOutDate: '2026-06-17',
		});
	});

	it('puts a key without a budget in "Within Budget" with hasBudget false, and asks for no activity', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'checkBudget', percentThreshold: 0 },
			{ apiKey: NO_BUDGET },
		);
		expect(run.outputs[OVER_THRESHOLD]).toHaveLength(0);
		expect(run.outputs[WITHIN_BUDGET][0].json).toMatchObject({
			overThreshold: false,
			hasBudget: false,
			budgetExceeded: false,
			spendUsd: 42,
			maxBudgetUsd: null,
			remainingBudgetUsd: null,
			percentUsed: null,
			averageDailySpendUsd: null,
			projectedRunOutDate: null,
			runsOutBeforeReset: null,
			projectionNote: null,
			reason: 'The key has no max budget, so there is nothing to run out of.',
		});
		expect(sb.requests.map((r) => r.path)).toEqual(['/key/info']);
		expectNoLeak(run, NO_BUDGET);
	});

	it('has no run-out date when nothing was spent recently, and says why', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: IDLE });
		expect(run.outputs[OVER_THRESHOLD][0].json).toMatchObject({
			percentUsed: 95,
			averageDailySpendUsd: 0,
			projectedRunOutDate: null,
			projectionNote: 'No projection: nothing was spent from 2026-06-09 to 2026-06-15.',
		});
	});

	it('a big budget spent by a tiny amount: no run-out date past a century, and says why (no error)', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: FRUGAL });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.outputs[WITHIN_BUDGET][0].json).toMatchObject({
			overThreshold: false,
			projectedRunOutDate: null,
			projectionNote:
				'No projection: at the recent average of $1.4e-7 a day, the $1000.00 left lasts more than 100 years.',
		});
	});

	it('checks a key without a user, without a projection', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: NO_USER });
		expect(run.outputs[WITHIN_BUDGET][0].json).toMatchObject({
			overThreshold: false,
			percentUsed: 20,
			projectedRunOutDate: null,
		});
		expect(run.outputs[WITHIN_BUDGET][0].json.projectionNote).toContain('not tied to a user');
		expect(sb.requests.some((r) => r.path === '/user/daily/activity')).toBe(false);
	});

	it('sends an item that failed under Continue On Fail to "Over Threshold": a failed check never passes', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'checkBudget' },
			{ apiKey: LLM_ONLY, continueOnFail: true, items: [{}, {}] },
		);
		expect(run.error('Usage')).toBeUndefined();
		expect(run.outputs[WITHIN_BUDGET]).toHaveLength(0);
		expect(run.outputs[OVER_THRESHOLD].map((i) => [i.pairedItem, i.json.errorType])).toEqual([
			[{ item: 0 }, 'permission_denied'],
			[{ item: 1 }, 'permission_denied'],
		]);
		expectNoLeak(run, LLM_ONLY);
	});

	it('sends failed items to the error output under "Continue (using error output)"', async () => {
		for (const [operation, errorOutput] of [
			['checkBudget', 2],
			['getKeyInfo', 1],
		] as const) {
			const run = await runWorkflow(
				{
					nodes: [
						{
							id: 'items',
							name: 'Items',
							type: 'test.items',
							typeVersion: 1,
							position: [0, 0],
							parameters: { items: '[{"n":7}]' },
						},
						usageNode({ operation }, { onError: 'continueErrorOutput' }),
					],
					connections: { Items: { main: [[{ node: 'Usage', type: 'main', index: 0 }]] } },
				},
				[
					{
						id: 'cred-usage',
						name: 'JLab LLM',
						type: 'jlabLlmApi',
						data: { baseUrl: sb.url, apiKey: LLM_ONLY },
					},
				],
			);
			const main = run.run.data.resultData.runData.Usage[0].data?.main ?? [];
			expect(main).toHaveLength(errorOutput + 1);
			main.slice(0, errorOutput).forEach((output) => expect(output).toEqual([]));
			const failed = main[errorOutput] ?? [];
			expect(failed).toHaveLength(1);
			// n8n adds the input item's fields (here {"n": 7}) to the item of the error output.
			expect(failed[0].json).toMatchObject({
				n: 7,
				details: { errorType: 'permission_denied', httpCode: 403 },
			});
			expect(String(failed[0].json.error)).toContain('HTTP 403 on /key/info');
			expectNoLeak(run, LLM_ONLY);
		}
	});

	it('gives every verdict on one output when an AI Agent runs it as a tool (agents read only the first output)', async () => {
		const asTool = jest.spyOn(ExecuteContext.prototype, 'isToolExecution').mockReturnValue(true);
		try {
			const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: OVER, items: [{}] });
			expect(run.outputs).toHaveLength(1);
			expect(run.outputs[0].map((i) => i.json.overThreshold)).toEqual([true]);
		} finally {
			asTool.mockRestore();
		}
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: OVER });
		expect(run.outputs).toHaveLength(2);
	});

	it('fails the node on a failure without Continue On Fail, and on bad input before any request', async () => {
		const failed = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: LLM_ONLY });
		expect(failed.error('Usage')?.description).toMatch(/^permission_denied:/);
		sb.clearRequests();
		const bad = await runUsage(
			sb,
			{ operation: 'checkBudget', projectionDays: 0 },
			{ apiKey: OVER },
		);
		expect(bad.error('Usage')?.message).toBe(
			'Average Over Last (Days): a whole number of days from 1 to 90',
		);
		const badPercent = await runUsage(
			sb,
			{ operation: 'checkBudget', percentThreshold: 120 },
			{ apiKey: OVER },
		);
		expect(badPercent.error('Usage')?.message).toBe('Percent Used: a percentage from 0 to 100');
		expect(sb.requests).toHaveLength(0);
	});
});

describe('JLab LLM Usage: Check Budget on an older gateway (v1.83) that refuses an exhausted key everywhere', () => {
	const SPENT = canary('bud-spent');
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			profile: 'v1.83',
			echoKeyInErrors: true,
			keys: [{ key: SPENT, user_id: 'jdoe', max_budget: 5, spend: 6 }],
		});
	});
	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	it('reads budget_exceeded on /key/info as the answer: "Over Threshold", budgetExceeded true', async () => {
		const run = await runUsage(sb, { operation: 'checkBudget' }, { apiKey: SPENT });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.outputs[OVER_THRESHOLD]).toHaveLength(1);
		expect(run.outputs[OVER_THRESHOLD][0].json).toMatchObject({
			overThreshold: true,
			hasBudget: true,
			budgetExceeded: true,
			remainingBudgetUsd: 0,
			projectedRunOutDate: TODAY,
			fingerprint: { display: `sk-…${SPENT.slice(-4)}` },
		});
		expect(sb.requests.map((r) => [r.path, r.status])).toEqual([['/key/info', 400]]);
		expectNoLeak(run, SPENT);
	});

	it('is still an error for Get Key Info (classified, redacted)', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: SPENT });
		expect(run.error('Usage')?.description).toMatch(/^budget_exceeded:/);
		expectNoLeak(run, SPENT);
	});
});

describe('Check Budget outputs', () => {
	const nodeTypes: INodeTypes = {
		getByName: (name) => packageNodeTypes()[name],
		getByNameAndVersion: (name, version) =>
			NodeHelpers.getVersionedNodeType(packageNodeTypes()[name], version),
		getKnownTypes: () => ({}),
	};
	const outputsOf = (parameters: IDataObject, onError?: 'continueErrorOutput') => {
		const node = usageNode(parameters, onError ? { onError } : {});
		const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
		const description = nodeTypes.getByNameAndVersion(USAGE_TYPE, 1).description;
		return NodeHelpers.getNodeOutputs(workflow, workflow.getNode('Usage')!, description);
	};

	it('are "Within" and "Over" for Check Budget (short enough for the canvas), one output otherwise (dynamic outputs expression)', () => {
		expect(outputsOf({ operation: 'checkBudget' })).toEqual([
			{ type: 'main', displayName: 'Within' },
			{ type: 'main', displayName: 'Over' },
		]);
		expect(outputsOf({ operation: 'getKeyInfo' })).toEqual([{ type: 'main' }]);
		// The default operation (Get Key Info) when the parameter is absent.
		expect(outputsOf({})).toEqual([{ type: 'main' }]);
		expect(
			outputsOf({ operation: 'checkBudget' }, 'continueErrorOutput').map(
				(o) => (o as { displayName?: string }).displayName,
			),
		).toEqual(['Within', 'Over', 'Error']);
	});
});

describe('projectRunOut (pure)', () => {
	const budget = (info: IDataObject) => budgetOf(info);

	it('is today when nothing is left, null without budget or spend, and compares with the reset', () => {
		expect(projectRunOut(budget({ max_budget: 5, spend: 5 }), 1, NOW)).toEqual({
			projectedRunOutDate: TODAY,
			runsOutBeforeReset: null,
		});
		expect(
			projectRunOut(budget({ max_budget: null, spend: 5 }), 1, NOW).projectedRunOutDate,
		).toBeNull();
		expect(
			projectRunOut(budget({ max_budget: 5, spend: 1 }), 0, NOW).projectedRunOutDate,
		).toBeNull();
		expect(
			projectRunOut(budget({ max_budget: 5, spend: 1 }), null, NOW).projectedRunOutDate,
		).toBeNull();
		// A big budget and a tiny average: no date past the horizon (it once left the calendar: RangeError).
		expect(projectRunOut(budget({ max_budget: 1000, spend: 0.0001 }), 1e-7, NOW)).toEqual({
			projectedRunOutDate: null,
			runsOutBeforeReset: null,
		});
		expect(
			projectRunOut(budget({ max_budget: 10, spend: 0 }), 10 / 36_500, NOW).projectedRunOutDate,
		).toBe('2126-05-22');
		expect(
			projectRunOut(
				budget({ max_budget: 5, spend: 1, budget_reset_at: '2026-06-17T00:00:00Z' }),
				2,
				NOW,
			),
		).toEqual({
			projectedRunOutDate: '2026-06-17',
			runsOutBeforeReset: false,
		});
		expect(
			projectRunOut(
				budget({ max_budget: 5, spend: 1, budget_reset_at: '2026-06-17T00:00:01Z' }),
				2,
				NOW,
			),
		).toEqual({
			projectedRunOutDate: '2026-06-17',
			runsOutBeforeReset: true,
		});
	});
});
