/**
 * JLab LLM Usage → Get Activity, against the sandbox gateway: the date range, per day and per
 * day and model, the key/user scope, pagination to the last page, the SVG chart (parsed), the
 * key without a user, the route that is not exposed, and the canary key.
 */
import type { IDataObject } from 'n8n-workflow';

import { resolveRange } from '../../nodes/JlabLlmUsage/actions/getActivity.operation';
import { eachDate } from '../../nodes/JlabLlmUsage/helpers/dates';
import {
	niceCeiling,
	renderSpendChart,
	usdLabel,
} from '../../nodes/JlabLlmUsage/helpers/spendChart';
import { shutdownHarness } from '../harness';
import {
	canary,
	decodeBinary,
	hashKey,
	expectNoKeyIn,
	expectNoLeak,
	NOW,
	pinClock,
	runText,
	runUsage,
	startUsageSandbox,
	TODAY,
	type UsageSandbox,
} from './usageSetup';

// xml2js (a dependency of n8n-workflow) parses strictly: malformed XML is an error.
const { parseStringPromise } = require('xml2js') as {
	parseStringPromise: (xml: string, options: { strict: boolean }) => Promise<{ svg: SvgDoc }>;
};
interface SvgDoc {
	$: IDataObject;
	title: Array<{ _: string }>;
	g: IDataObject[];
}

const KEY = canary('act-main');
const OTHER_OF_SAME_USER = canary('act-second');
const OTHER_USER = canary('act-asmith');
const NO_USER = canary('act-nouser');

const A = 'openai/gpt-oss-120b';
const B = 'meta-llama/Llama-3.3-70B-Instruct';

/** 45 active days for KEY: 2026-04-01 … 2026-05-15, spend (i+1) cents, two models on even days. */
const ACTIVE = eachDate('2026-04-01', '2026-05-15');

function seedActivity(): IDataObject[] {
	const rows: IDataObject[] = [];
	ACTIVE.forEach((date, i) => {
		rows.push({
			date,
			api_key: KEY,
			model: A,
			spend: (i + 1) / 100,
			prompt_tokens: 1000 + i,
			completion_tokens: 100 + i,
			api_requests: 10,
			successful_requests: 9,
			failed_requests: 1,
		});
		if (i % 2 === 0) {
			rows.push({
				date,
				api_key: KEY,
				model: B,
				spend: 0.5,
				prompt_tokens: 50,
				completion_tokens: 5,
				api_requests: 2,
				successful_requests: 2,
				failed_requests: 0,
			});
		}
	});
	// The same user's other key, and another user: never in "This Key"; the first in "All Keys of the User".
	rows.push({
		date: '2026-04-02',
		api_key: OTHER_OF_SAME_USER,
		model: A,
		spend: 7,
		prompt_tokens: 70,
		completion_tokens: 7,
		api_requests: 1,
		successful_requests: 1,
		failed_requests: 0,
	});
	rows.push({
		date: '2026-04-20',
		api_key: OTHER_OF_SAME_USER,
		model: A,
		spend: 3,
		prompt_tokens: 30,
		completion_tokens: 3,
		api_requests: 1,
		successful_requests: 1,
		failed_requests: 0,
	});
	rows.push({
		date: '2026-04-02',
		api_key: OTHER_USER,
		model: A,
		spend: 100,
		prompt_tokens: 1,
		completion_tokens: 1,
		api_requests: 1,
		successful_requests: 1,
		failed_requests: 0,
	});
	// Recent days for the default range (the last 30 days up to 2026-06-15).
	rows.push({
		date: '2026-06-01',
		api_key: KEY,
		model: A,
		spend: 0.25,
		prompt_tokens: 10,
		completion_tokens: 2,
		api_requests: 3,
		successful_requests: 3,
		failed_requests: 0,
	});
	rows.push({
		date: TODAY,
		api_key: KEY,
		model: A,
		spend: 0.75,
		prompt_tokens: 30,
		completion_tokens: 6,
		api_requests: 4,
		successful_requests: 3,
		failed_requests: 1,
	});
	rows.push({
		date: '2026-05-16',
		api_key: KEY,
		model: A,
		spend: 9,
		prompt_tokens: 1,
		completion_tokens: 1,
		api_requests: 1,
		successful_requests: 1,
		failed_requests: 0,
	});
	return rows;
}

const RANGE = { startDate: '2026-04-01', endDate: '2026-05-15' };

describe('JLab LLM Usage: Get Activity', () => {
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			keys: [
				{ key: KEY, key_alias: 'jdoe-n8n', user_id: 'jdoe' },
				{ key: OTHER_OF_SAME_USER, key_alias: 'jdoe-laptop', user_id: 'jdoe' },
				{ key: OTHER_USER, user_id: 'asmith' },
				{ key: NO_USER, key_alias: 'legacy' },
			],
			activity: seedActivity(),
		});
	});

	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	beforeEach(() => sb.clearRequests());

	it('gives one item per active day with spend, tokens, requests and failures', async () => {
		const run = await runUsage(sb, { operation: 'getActivity', ...RANGE }, { apiKey: KEY });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items.map((i) => i.json.date)).toEqual(ACTIVE);
		// Day 0 (even): model A 1 cent + model B 50 cents.
		expect(run.items[0].json).toEqual({
			date: '2026-04-01',
			spendUsd: 0.51,
			promptTokens: 1050,
			completionTokens: 105,
			totalTokens: 1155,
			requests: 12,
			successfulRequests: 11,
			failedRequests: 1,
		});
		// Day 1 (odd): only model A, 2 cents; the same user's other key spent 7 that day.
		expect(run.items[1].json).toMatchObject({
			date: '2026-04-02',
			spendUsd: 0.02,
			requests: 10,
			totalTokens: 1102,
		});
		expect(run.items.every((i) => JSON.stringify(i.pairedItem) === '{"item":0}')).toBe(true);
		expectNoLeak(run, KEY);
	});

	it('follows the pages to the end (page / total_pages / has_more)', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', ...RANGE, options: { pageSize: 7 } },
			{ apiKey: KEY },
		);
		expect(run.items).toHaveLength(45);
		const calls = sb.requests.filter((r) => r.path === '/user/daily/activity');
		expect(calls.map((c) => c.query.page)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
		for (const c of calls) {
			// The key never goes into the URL; LiteLLM's per-key filter takes its hash (what it stores).
			expect(c.query).toEqual({
				start_date: '2026-04-01',
				end_date: '2026-05-15',
				page_size: '7',
				page: c.query.page,
				api_key: hashKey(KEY),
			});
		}
		// All keys of the user: no key filter.
		await runUsage(sb, { operation: 'getActivity', ...RANGE, scope: 'user' }, { apiKey: KEY });
		const userCall = sb.requests.filter((r) => r.path === '/user/daily/activity').pop();
		expect(Object.keys(userCall?.query ?? {}).sort()).toEqual([
			'end_date',
			'page',
			'page_size',
			'start_date',
		]);
		const onePage = await runUsage(
			sb,
			{ operation: 'getActivity', ...RANGE, options: { pageSize: 1000 } },
			{ apiKey: KEY },
		);
		expect(run.items.map((i) => i.json)).toEqual(onePage.items.map((i) => i.json));
	});

	it('splits per day and model', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', ...RANGE, granularity: 'dayAndModel' },
			{ apiKey: KEY },
		);
		// 45 days with model A, 23 even days with model B too.
		expect(run.items).toHaveLength(45 + 23);
		expect(run.items.slice(0, 3).map((i) => [i.json.date, i.json.model, i.json.spendUsd])).toEqual([
			['2026-04-01', B, 0.5],
			['2026-04-01', A, 0.01],
			['2026-04-02', A, 0.02],
		]);
		expect(run.items[0].json).toEqual({
			date: '2026-04-01',
			model: B,
			spendUsd: 0.5,
			promptTokens: 50,
			completionTokens: 5,
			totalTokens: 55,
			requests: 2,
			successfulRequests: 2,
			failedRequests: 0,
		});
	});

	it('counts only this key by default, and all keys of the user on request (never another user)', async () => {
		const mine = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: '2026-04-02', endDate: '2026-04-02' },
			{ apiKey: KEY },
		);
		expect(mine.items.map((i) => i.json.spendUsd)).toEqual([0.02]);
		const all = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: '2026-04-02', endDate: '2026-04-02', scope: 'user' },
			{ apiKey: KEY },
		);
		expect(all.items.map((i) => i.json.spendUsd)).toEqual([7.02]);
		// A day where only the other key was active is not this key's day.
		const other = await runUsage(
			sb,
			{
				operation: 'getActivity',
				startDate: '2026-04-20',
				endDate: '2026-04-20',
				granularity: 'dayAndModel',
			},
			{ apiKey: OTHER_OF_SAME_USER },
		);
		expect(other.items.map((i) => [i.json.model, i.json.spendUsd])).toEqual([[A, 3]]);
	});

	it('labels models with the public name /v1/models lists, not the deployment behind it', async () => {
		const run = await runUsage(
			sb,
			{
				operation: 'getActivity',
				startDate: '2026-04-01',
				endDate: '2026-04-01',
				granularity: 'dayAndModel',
				scope: 'user',
			},
			{ apiKey: KEY },
		);
		expect(run.items.map((i) => i.json.model)).toEqual([B, A]);
		// The sandbox answers as LiteLLM does: deployments in breakdown.models, public names in model_groups.
		expect(JSON.stringify(run.items)).not.toContain('hosted_vllm/');
	});

	it("a gateway that ignores the per-key filter: only this key's rows still count, under the public names", async () => {
		const metrics = (spend: number) => ({
			spend,
			prompt_tokens: 1,
			completion_tokens: 1,
			total_tokens: 2,
			api_requests: 1,
			successful_requests: 1,
			failed_requests: 0,
		});
		const mine = hashKey(KEY);
		const other = hashKey(OTHER_OF_SAME_USER);
		const body = {
			results: [
				{
					date: '2026-04-03',
					metrics: metrics(5.5),
					breakdown: {
						models: {
							[`hosted_vllm/${A}`]: {
								metrics: metrics(5.5),
								metadata: {},
								api_key_breakdown: {
									[mine]: { metrics: metrics(0.5) },
									[other]: { metrics: metrics(5) },
								},
							},
						},
						model_groups: {
							[A]: {
								metrics: metrics(5.5),
								metadata: {},
								api_key_breakdown: {
									[mine]: { metrics: metrics(0.5) },
									[other]: { metrics: metrics(5) },
								},
							},
						},
						api_keys: { [mine]: { metrics: metrics(0.5) }, [other]: { metrics: metrics(5) } },
					},
				},
			],
			metadata: { page: 1, total_pages: 1, has_more: false },
		};
		sb.injectFaults([
			{ route: '/user/daily/activity', kind: 'status', status: 200, body, times: 1 },
		]);
		const run = await runUsage(
			sb,
			{
				operation: 'getActivity',
				startDate: '2026-04-03',
				endDate: '2026-04-03',
				granularity: 'dayAndModel',
			},
			{ apiKey: KEY },
		);
		expect(run.items.map((i) => [i.json.model, i.json.spendUsd])).toEqual([[A, 0.5]]);
	});

	it('defaults to the last 30 days, today included', async () => {
		const run = await runUsage(sb, { operation: 'getActivity' }, { apiKey: KEY });
		const call = sb.requests.find((r) => r.path === '/user/daily/activity');
		expect(call?.query).toMatchObject({ start_date: '2026-05-17', end_date: TODAY });
		expect(run.items.map((i) => [i.json.date, i.json.spendUsd])).toEqual([
			['2026-06-01', 0.25],
			[TODAY, 0.75],
		]);
	});

	it('fills the days without activity when asked', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', options: { includeEmptyDays: true } },
			{ apiKey: KEY },
		);
		expect(run.items).toHaveLength(30);
		expect(run.items[0].json).toEqual({
			date: '2026-05-17',
			spendUsd: 0,
			promptTokens: 0,
			completionTokens: 0,
			totalTokens: 0,
			requests: 0,
			successfulRequests: 0,
			failedRequests: 0,
		});
		expect(run.items[29].json.date).toBe(TODAY);
	});

	it('attaches an SVG chart of daily spend to the first item: valid XML, exactly one bar per day', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: '2026-04-10', endDate: '2026-05-09', addChart: true },
			{ apiKey: KEY },
		);
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(30);
		const bin = run.items[0].binary?.chart;
		expect(bin).toMatchObject({
			mimeType: 'image/svg+xml',
			fileName: 'spend-2026-04-10-to-2026-05-09.svg',
			fileExtension: 'svg',
		});
		expect(run.items.slice(1).every((i) => i.binary === undefined)).toBe(true);

		const svg = decodeBinary(run.items[0]);
		const doc = await parseStringPromise(svg, { strict: true });
		expect(doc.svg.$.xmlns).toBe('http://www.w3.org/2000/svg');
		const bars = (doc.svg.g as IDataObject[]).flatMap((g) =>
			((g as { rect?: Array<{ $: IDataObject }> }).rect ?? []).filter((r) => r.$.class === 'bar'),
		);
		const days = eachDate('2026-04-10', '2026-05-09');
		expect(bars).toHaveLength(days.length);
		expect(bars.map((b) => b.$['data-date'])).toEqual(days);
		expect(bars.map((b) => Number(b.$['data-spend-usd']))).toEqual(
			run.items.map((i) => i.json.spendUsd),
		);
		// Taller bar for more spend: the heights follow the data.
		const heights = bars.map((b) => Number(b.$.height));
		expect(heights[29]).toBeGreaterThan(heights[0]);
		const text = JSON.stringify(doc);
		expect(doc.svg.title[0]._).toBe('Daily spend, 2026-04-10 to 2026-05-09');
		expect(text).toContain('Date (UTC)');
		expect(text).toContain('Spend (USD)');
		expectNoLeak(run, KEY);
	});

	it('draws idle days as empty bars and carries the chart on one item when the range had no activity', async () => {
		const run = await runUsage(
			sb,
			{
				operation: 'getActivity',
				startDate: '2026-03-01',
				endDate: '2026-03-07',
				addChart: true,
				binaryPropertyName: 'spendChart',
			},
			{ apiKey: KEY },
		);
		expect(run.items).toHaveLength(1);
		expect(run.items[0].json).toMatchObject({
			date: null,
			noActivity: true,
			startDate: '2026-03-01',
			endDate: '2026-03-07',
			spendUsd: 0,
		});
		const svg = decodeBinary(run.items[0], 'spendChart');
		const doc = await parseStringPromise(svg, { strict: true });
		const bars = (doc.svg.g as IDataObject[]).flatMap(
			(g) => (g as { rect?: Array<{ $: IDataObject }> }).rect ?? [],
		);
		expect(bars).toHaveLength(7);
		expect(bars.every((b) => b.$.height === '0')).toBe(true);
	});

	it('answers an idle range with one "noActivity" item, so no input item is lost', async () => {
		const run = await runUsage(
			sb,
			{
				operation: 'getActivity',
				startDate: '2026-03-01',
				endDate: '2026-03-07',
				granularity: 'dayAndModel',
			},
			{ apiKey: KEY, items: [{}, {}] },
		);
		expect(
			run.items.map((i) => [
				i.pairedItem,
				i.json.date,
				i.json.model,
				i.json.noActivity,
				i.json.spendUsd,
			]),
		).toEqual([
			[{ item: 0 }, null, null, true, 0],
			[{ item: 1 }, null, null, true, 0],
		]);
		expect(run.items[0].binary).toBeUndefined();
	});

	it('refuses a key that is not tied to a user with a clear permission_denied, before asking for activity', async () => {
		const run = await runUsage(sb, { operation: 'getActivity' }, { apiKey: NO_USER });
		const err = run.error('Usage');
		expect(err?.description).toMatch(/^permission_denied:/);
		expect(err?.message).toContain('This key is not tied to a user');
		expect(err?.message).toContain('cannot report its daily activity');
		expect(sb.requests.filter((r) => r.path === '/user/daily/activity')).toHaveLength(0);
		expectNoLeak(run, NO_USER);

		const soft = await runUsage(
			sb,
			{ operation: 'getActivity' },
			{ apiKey: NO_USER, continueOnFail: true },
		);
		expect(soft.items[0].json).toMatchObject({ errorType: 'permission_denied' });
		expect(String(soft.items[0].json.error)).toContain('not tied to a user');
	});

	it('fails fast on a reversed or malformed date range, naming the field', async () => {
		const reversed = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: '2026-05-10', endDate: '2026-05-01' },
			{ apiKey: KEY },
		);
		expect(reversed.error('Usage')?.message).toMatch(
			/^Start Date: a date on or before the End Date \(2026-05-01\)/,
		);
		const malformed = await runUsage(
			sb,
			{ operation: 'getActivity', endDate: 'last tuesday' },
			{ apiKey: KEY },
		);
		expect(malformed.error('Usage')?.message).toMatch(/^End Date: a date such as/);
		expect(malformed.error('Usage')?.description).toMatch(/^bad_request:/);
		const badField = await runUsage(
			sb,
			{ operation: 'getActivity', addChart: true, binaryPropertyName: 'my chart' },
			{ apiKey: KEY },
		);
		expect(badField.error('Usage')?.message).toMatch(/^Put Chart in Field:/);
		expect(sb.requests).toHaveLength(0);
	});

	it('the canary check itself catches a leak', async () => {
		const run = await runUsage(sb, { operation: 'getActivity', ...RANGE }, { apiKey: KEY });
		expect(() => expectNoKeyIn(`${runText(run)} …${KEY.slice(5, 13)}…`, KEY)).toThrow(/leaked/);
		expect(runText(run)).toContain('2026-04-01');
	});
});

describe('JLab LLM Usage: Get Activity where the routes are not exposed', () => {
	const KEY404 = canary('act-404');
	let sb: UsageSandbox;

	beforeAll(async () => {
		sb = await startUsageSandbox({
			exposeManagement: false,
			keys: [{ key: KEY404, user_id: 'jdoe' }],
		});
	});
	afterAll(async () => {
		await sb.close();
		await shutdownHarness();
	});

	it('says the gateway does not expose /user/daily/activity', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: '2026-05-01', endDate: '2026-05-02' },
			{ apiKey: KEY404 },
		);
		const err = run.error('Usage');
		expect(err?.description).toMatch(/^permission_denied:/);
		expect(err?.message).toContain('This gateway does not expose /user/daily/activity (HTTP 404)');
		expectNoLeak(run, KEY404);
	});
});

describe('date range and chart (pure)', () => {
	it('resolves the default range and the date forms n8n hands over', () => {
		expect(resolveRange('', '', NOW)).toEqual({ startDate: '2026-05-17', endDate: TODAY });
		expect(resolveRange('2026-05-01T00:00:00', '2026-05-31T00:00:00', NOW)).toEqual({
			startDate: '2026-05-01',
			endDate: '2026-05-31',
		});
		expect(resolveRange('', '2026-03-01', NOW)).toEqual({
			startDate: '2026-01-31',
			endDate: '2026-03-01',
		});
		expect(
			resolveRange(new Date('2026-02-03T10:00:00Z'), { toISODate: () => '2026-02-05' }, NOW),
		).toEqual({
			startDate: '2026-02-03',
			endDate: '2026-02-05',
		});
		expect(() => resolveRange('2026-02-30', '', NOW)).toThrow(/^Start Date/);
		expect(() => resolveRange('2016-01-01', '2026-01-01', NOW)).toThrow(/at most 731 days/);
	});

	it('escapes text, so an alias with markup still gives valid XML', async () => {
		const svg = renderSpendChart([{ date: '2026-05-01', spendUsd: 1.25 }], {
			title: 'Key "<a&b>" \u0007',
			subtitle: "it's",
		});
		const doc = await parseStringPromise(svg, { strict: true });
		expect(doc.svg.title[0]._).toBe('Key "<a&b>" ');
	});

	it('scales the value axis to a round maximum whose quarters are round too', () => {
		expect([0.7, 1, 3, 4.01, 7, 9.5, 0.0013, 250].map(niceCeiling)).toEqual([
			0.8, 1, 4, 6, 8, 10, 0.002, 400,
		]);
		expect([0, 0.25, 0.5, 1].map((v) => usdLabel(v, 0.25))).toEqual([
			'$0.00',
			'$0.25',
			'$0.50',
			'$1.00',
		]);
		expect(usdLabel(300, 100)).toBe('$300');
		expect(usdLabel(0.0005, 0.0005)).toBe('$0.0005');
	});
});
