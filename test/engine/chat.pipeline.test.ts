/**
 * JLab LLM Chat as a pipeline: items are prepared while earlier ones are sent, so the first
 * request reaches the gateway long before the last item is read, and never more than a bounded
 * number of prepared requests wait unsent; order, pairedItem and Continue On Fail are unchanged.
 */
import type { IDataObject } from 'n8n-workflow';

import { START_CONCURRENCY } from '../../nodes/JlabLlmChat/helpers/options';
import {
	pipelineProbe,
	PREPARE_SLICE,
	PREPARED_AHEAD,
	type PipelineStats,
} from '../../nodes/JlabLlmChat/helpers/pipeline';
import { shutdownHarness } from '../harness';

import { expectNoKeyIn, MODEL, runChat, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-CHATPIPE-9f86d081884c7d659a2f';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'pipe', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.clearFaults();
	sandbox.setConfig({ latencyMs: 0 });
});

const numbered = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

/** Items the node had prepared when the gateway logged its first chat request. */
function preparedAtFirstArrival(): { seen?: number } {
	const at: { seen?: number } = {};
	const log = sandbox.requests;
	const push = log.push.bind(log);
	log.push = (...entries) => {
		if (at.seen === undefined && entries.some((e) => e.path === '/v1/chat/completions'))
			at.seen = (pipelineProbe.last as PipelineStats).prepared;
		return push(...entries);
	};
	return at;
}

describe('the first request leaves at once', () => {
	it('200 items at 200 ms: the first request arrives while most items are not yet prepared', async () => {
		sandbox.setConfig({ latencyMs: 200 });
		const at = preparedAtFirstArrival();
		const r = await runChat(
			sandbox,
			{ prompt: '={{ "Summarise item " + $json.i }}' },
			{ apiKey: KEY, items: numbered(200) },
		);
		expect(r.error('Chat')).toBeUndefined();
		expect(r.items).toHaveLength(200);
		const stats = pipelineProbe.last as PipelineStats;
		expect(stats.prepared).toBe(200);
		// Before any answer (200 ms away) at most the first burst has left and the window waits.
		expect(at.seen).toBeDefined();
		expect(at.seen).toBeLessThanOrEqual(START_CONCURRENCY + PREPARED_AHEAD);
		expect(stats.preparedAtFirstSend).toBeLessThanOrEqual(START_CONCURRENCY + PREPARED_AHEAD);
		expect(at.seen).toBeLessThan(200);
	});

	it('a batch no larger than one slice is prepared whole before anything is sent', async () => {
		const at = preparedAtFirstArrival();
		const r = await runChat(
			sandbox,
			{ prompt: '={{ "item " + $json.i }}' },
			{ apiKey: KEY, items: numbered(PREPARE_SLICE) },
		);
		expect(r.items).toHaveLength(PREPARE_SLICE);
		expect(at.seen).toBe(PREPARE_SLICE);
	});
});

describe('prepared but unsent requests stay within the window', () => {
	it('with Concurrency 4 and 200 items, never more than the window wait unsent', async () => {
		sandbox.setConfig({ latencyMs: 10 });
		const r = await runChat(
			sandbox,
			{ prompt: '={{ "item " + $json.i }}', options: { concurrency: 4 } },
			{ apiKey: KEY, items: numbered(200) },
		);
		expect(r.items).toHaveLength(200);
		const stats = pipelineProbe.last as PipelineStats;
		expect(stats.prepared).toBe(200);
		expect(stats.peakUnsent).toBeLessThanOrEqual(PREPARED_AHEAD);
		// The window was used: items were prepared ahead while four at a time were answered.
		expect(stats.peakUnsent).toBeGreaterThan(4);
		expect(stats.unsent).toBe(0);
	});
});

describe('order, pairedItem and Continue On Fail', () => {
	it('bad input and failed answers among 120 streamed items keep their places', async () => {
		sandbox.setConfig({ latencyMs: '1-30' });
		const badInput = (i: number) => i % 13 === 9;
		const badAnswer = (i: number) => i % 11 === 5;
		const r = await runChat(
			sandbox,
			{
				prompt:
					'={{ $json.i % 13 === 9 ? "" : "item " + $json.i + ($json.i % 11 === 5 ? " [[invalid-json]]" : "") }}',
				options: { responseFormat: 'json_object' },
			},
			{ apiKey: KEY, items: numbered(120), continueOnFail: true },
		);
		expect(r.error('Chat')).toBeUndefined();
		const out = r.output('Chat');
		expect(out).toHaveLength(120);
		expect(out.map((o) => o.pairedItem)).toEqual(numbered(120).map(({ i }) => ({ item: i })));
		out.forEach((o, i) => {
			if (badInput(i)) expect(o.json).toMatchObject({ errorType: 'bad_request', field: 'Prompt' });
			else if (badAnswer(i)) expect(o.json).toMatchObject({ errorType: 'invalid_response' });
			else expect(o.json.reply).toEqual({ echo: `item ${i}`, model: MODEL } as IDataObject);
		});
		const sent = numbered(120).filter(({ i }) => !badInput(i)).length;
		expect(r.chatRequests).toHaveLength(sent);
		expect((pipelineProbe.last as PipelineStats).unsent).toBe(0);
		expectNoKeyIn(r.run.data, KEY);
	});

	it('without Continue On Fail, bad input after the first slice ends the run with that item', async () => {
		sandbox.setConfig({ latencyMs: 5 });
		const r = await runChat(
			sandbox,
			{ prompt: '={{ $json.i === 40 ? "" : "item " + $json.i }}' },
			{ apiKey: KEY, items: numbered(100) },
		);
		const err = r.error('Chat');
		expect(err?.message).toMatch(/^Prompt: /);
		expect((err?.context as IDataObject | undefined)?.itemIndex).toBe(40);
		expect(r.output('Chat')).toHaveLength(0);
		// Nothing after the bad item is prepared or sent.
		const bodies = r.chatRequests.map((q) => String((q.body.messages as IDataObject[])[0].content));
		expect(bodies.every((b) => Number(b.replace('item ', '')) < 40)).toBe(true);
	});
});
