/**
 * JLab LLM Chat under concurrency: one item in, one item out, in input order with pairedItem,
 * however answers interleave and whichever items fail; a 429 with retry-after holds every item
 * back instead of failing each; a rate-limited key finishes its batch with no failed item.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';

import {
	expectNoKeyIn,
	maxOverlap,
	MODEL,
	runChat,
	startSandbox,
	type LoggedRequest,
	type Sandbox,
} from './chatSetup';

const KEY = 'sk-canary-CHATCONC-6b86b273ff34fce19d6b';
const LIMITED = [
	'sk-canary-RPM5LIMIT-d4735e3a265e16eee03f',
	'sk-canary-RPM5OTHER-4e07408562bedb8b60ce',
];
const TIGHT = 'sk-canary-RPM2LIMIT-ef2d127de37b942baad0';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [
			{ key: KEY, key_alias: 'conc', user_id: 'alice' },
			{ key: LIMITED[0], key_alias: 'rpm5', user_id: 'alice', rpm_limit: 5 },
			{ key: LIMITED[1], key_alias: 'rpm5-other', user_id: 'alice', rpm_limit: 5 },
			{ key: TIGHT, key_alias: 'rpm2', user_id: 'alice', rpm_limit: 2 },
		],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.clearFaults();
	sandbox.setConfig({ latencyMs: 0, rateLimitWindowMs: 60_000 });
});

const numbered = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));
const chats = (requests: LoggedRequest[]) =>
	requests.filter((q) => q.path === '/v1/chat/completions');

describe('one in, one out', () => {
	it('keeps input order and pairedItem while answers interleave, with failing and retried items', async () => {
		sandbox.setConfig({ latencyMs: '5-60' });
		// Upstream 500s hit whichever requests arrive first and are retried; four chosen items get
		// a reply that is not JSON, which is not retried.
		sandbox.injectFaults([{ route: '/v1/chat/completions', kind: 'upstream', times: 3 }]);
		const bad = [4, 11, 17, 29];
		const r = await runChat(
			sandbox,
			{
				prompt: `={{ "item " + $json.i + ([${bad.join(', ')}].includes($json.i) ? " [[invalid-json]]" : "") }}`,
				options: { responseFormat: 'json_object' },
			},
			{ apiKey: KEY, items: numbered(30), continueOnFail: true },
		);
		expect(r.error('Chat')).toBeUndefined();
		const out = r.output('Chat');
		expect(out).toHaveLength(30);
		expect(out.map((o) => o.pairedItem)).toEqual(numbered(30).map(({ i }) => ({ item: i })));
		out.forEach((o, i) => {
			if (bad.includes(i))
				expect(o.json).toMatchObject({
					errorType: 'invalid_response',
					error: expect.stringContaining('not valid JSON'),
				});
			else expect(o.json.reply).toEqual({ echo: `item ${i}`, model: MODEL });
		});
		const log = chats(sandbox.requests);
		expect(log.filter((q) => q.status === 500)).toHaveLength(3);
		expect(log).toHaveLength(33);
		// Answers came back out of order: more than one was in flight.
		expect(maxOverlap(log)).toBeGreaterThan(1);
		expectNoKeyIn(r.run.data, KEY);
	});

	it('without Continue On Fail, the node fails with the first failing item (by input order) and stops starting new ones', async () => {
		sandbox.setConfig({ latencyMs: 20 });
		const r = await runChat(
			sandbox,
			{
				prompt: '={{ $json.i === 3 ? "x [[invalid-json]]" : "fine" }}',
				options: { responseFormat: 'json_object' },
			},
			{
				apiKey: KEY,
				items: numbered(200),
			},
		);
		const err = r.error('Chat');
		expect(err?.description).toMatch(/^invalid_response: /);
		expect((err?.context as IDataObject).itemIndex).toBe(3);
		expect(r.output('Chat')).toHaveLength(0);
		expect(chats(sandbox.requests).length).toBeLessThan(200);
	});

	it('concurrency 1 runs one item after another; the default runs several at once', async () => {
		sandbox.setConfig({ latencyMs: 15 });
		await runChat(
			sandbox,
			{ prompt: '=item {{ $json.i }}', options: { concurrency: 1 } },
			{ apiKey: KEY, items: numbered(10) },
		);
		expect(maxOverlap(chats(sandbox.requests))).toBe(1);
		sandbox.clearRequests();
		const r = await runChat(
			sandbox,
			{ prompt: '=item {{ $json.i }}' },
			{ apiKey: KEY, items: numbered(40) },
		);
		expect(r.items.map((o) => o.reply)).toEqual(
			numbered(40).map(({ i }) => `Echo from ${MODEL}: item ${i}`),
		);
		const most = maxOverlap(chats(sandbox.requests));
		expect(most).toBeGreaterThan(16);
		expect(most).toBeLessThanOrEqual(64);
	});

	it('the Concurrency option caps requests in flight', async () => {
		sandbox.setConfig({ latencyMs: 15 });
		await runChat(
			sandbox,
			{ prompt: 'x', options: { concurrency: 3 } },
			{ apiKey: KEY, items: numbered(20) },
		);
		expect(maxOverlap(chats(sandbox.requests))).toBe(3);
	});
});

describe('pacing', () => {
	it('a 429 with retry-after holds every item back for that long, and none fails', async () => {
		sandbox.setConfig({ latencyMs: 30 });
		sandbox.injectFaults([
			{ route: '/v1/chat/completions', kind: 'rate_limit', retryAfter: 1, times: 1 },
		]);
		const r = await runChat(
			sandbox,
			{ prompt: '=item {{ $json.i }}' },
			{ apiKey: KEY, items: numbered(40), continueOnFail: true },
		);
		expect(r.items.filter((o) => o.errorType !== undefined)).toEqual([]);
		const log = chats(sandbox.requests);
		const refused = log.find((q) => q.status === 429) as LoggedRequest;
		// Requests already on their way finish; no new one starts until the second has passed.
		const startedDuringPause = log.filter(
			(q) => q.time > refused.time + 100 && q.time < refused.time + 950,
		);
		expect(startedDuringPause).toEqual([]);
		expect(log.filter((q) => q.time >= refused.time + 950).length).toBeGreaterThan(0);
	});

	it('a rate-limited key finishes a batch over several windows with no failed item, even with Max Retries 1', async () => {
		// 100 ms latency: the first 16 requests are all sent before the first answer teaches the limit.
		sandbox.setConfig({ rateLimitWindowMs: 700, latencyMs: 100 });
		for (const [run, maxRetries] of [3, 1].entries()) {
			sandbox.clearRequests();
			const r = await runChat(
				sandbox,
				{ prompt: '=item {{ $json.i }}', options: { maxRetries } },
				{
					apiKey: LIMITED[run],
					items: numbered(18),
					continueOnFail: true,
				},
			);
			expect(r.items.filter((o) => o.errorType !== undefined)).toEqual([]);
			expect(r.items.map((o) => o.reply)).toEqual(
				numbered(18).map(({ i }) => `Echo from ${MODEL}: item ${i}`),
			);
			// Before the first answer the limit is unknown (16 start, 5 pass). After it, the node
			// keeps to what remains in the window: one probe per window, not a burst.
			const log = chats(sandbox.requests);
			const firstAnswer = log.find((q) => q.status === 200) as LoggedRequest;
			const learnt = firstAnswer.time + firstAnswer.durationMs;
			const later = log.filter((q) => q.time > learnt + 5);
			const windows = Math.ceil((log[log.length - 1].time - log[0].time) / 700) + 1;
			expect(later.filter((q) => q.status === 429).length).toBeLessThanOrEqual(windows);
			expect(later.filter((q) => q.status === 200).length).toBeGreaterThan(0);
		}
	}, 30_000);

	it('an item refused more often than Max Retries still finishes while the batch makes progress', async () => {
		// 2 requests per window and 8 items started at once: most items are refused in two or
		// more windows. Only waits without progress in between spend Max Retries (1 here).
		sandbox.setConfig({ rateLimitWindowMs: 500 });
		const r = await runChat(
			sandbox,
			{ prompt: '=item {{ $json.i }}', options: { maxRetries: 1 } },
			{
				apiKey: TIGHT,
				items: numbered(8),
				continueOnFail: true,
			},
		);
		expect(r.items.filter((o) => o.errorType !== undefined)).toEqual([]);
		const refusals = new Map<string, number>();
		for (const q of chats(sandbox.requests).filter((x) => x.status === 429)) {
			const prompt = String((q.body.messages as IDataObject[])[0].content);
			refusals.set(prompt, (refusals.get(prompt) ?? 0) + 1);
		}
		expect(Math.max(...refusals.values())).toBeGreaterThan(1);
	}, 30_000);
});
