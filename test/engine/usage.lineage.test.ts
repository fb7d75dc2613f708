/**
 * Get Activity for "This Key" right after a rotation: the days the key it replaced spent are the
 * key's history too. The Key node's rotation writes the lineage into the new key's metadata
 * (jlab_llm_rotation.rotated_from = the old key's fingerprint hash, pinned in key.rotate.test.ts);
 * here the gateway holds such a pair, the old key already deleted as a finished rotation leaves it.
 */
import type { IDataObject } from 'n8n-workflow';

import { fingerprint } from '../../nodes/shared/redact';
import { shutdownHarness } from '../harness';
import {
	canary,
	expectNoLeak,
	pinClock,
	runUsage,
	startUsageSandbox,
	TODAY,
	type UsageSandbox,
} from './usageSetup';

const OLD = canary('lin-old');
const NEW = canary('lin-new');
const UNRELATED = canary('lin-other');
const NOT_ROTATED = canary('lin-plain');
const A = 'openai/gpt-oss-120b';

const day = (api_key: string, spend: number, requests: number): IDataObject => ({
	date: TODAY,
	api_key,
	model: A,
	spend,
	prompt_tokens: 100 * requests,
	completion_tokens: 10 * requests,
	api_requests: requests,
	successful_requests: requests,
	failed_requests: 0,
});

describe('Get Activity follows the rotation lineage', () => {
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			keys: [
				{ key: OLD, key_alias: 'jdoe-n8n', user_id: 'jdoe' },
				{
					key: NEW,
					key_alias: 'jdoe-n8n-2',
					user_id: 'jdoe',
					metadata: {
						team: 'physics',
						jlab_llm_rotation: {
							id: 'r1',
							rotated_from: fingerprint(OLD).hash,
							strategy: 'replace',
						},
					},
				},
				{ key: UNRELATED, key_alias: 'jdoe-laptop', user_id: 'jdoe' },
				{ key: NOT_ROTATED, key_alias: 'jdoe-plain', user_id: 'jdoe' },
			],
			// Today: calls through the old key before the rotation, one through the new key after it.
			activity: [day(OLD, 0.25, 5), day(NEW, 0.05, 1), day(UNRELATED, 9, 9)],
		});
		// The rotation ended: the old key is deleted at the gateway.
		const res = await fetch(`${sb.url}/key/delete`, {
			method: 'POST',
			headers: { authorization: `Bearer ${OLD}`, 'content-type': 'application/json' },
			body: JSON.stringify({ keys: [OLD] }),
		});
		expect(res.status).toBe(200);
	});

	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	it('"This Key" counts the replaced key’s calls of the day, and says so', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: TODAY, endDate: TODAY },
			{ apiKey: NEW },
		);
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items.map((i) => i.json)).toEqual([
			{
				date: TODAY,
				spendUsd: 0.3,
				promptTokens: 600,
				completionTokens: 60,
				totalTokens: 660,
				requests: 6,
				successfulRequests: 6,
				failedRequests: 0,
				includesReplacedKeys: [fingerprint(OLD).hash],
			},
		]);
		expectNoLeak(run, NEW);
		expectNoLeak(run, OLD);
	});

	it('per day and model too', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: TODAY, endDate: TODAY, granularity: 'dayAndModel' },
			{ apiKey: NEW },
		);
		expect(run.items.map((i) => [i.json.model, i.json.requests])).toEqual([[A, 6]]);
	});

	it('a key without lineage counts only itself (and says nothing about replaced keys)', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getActivity', startDate: TODAY, endDate: TODAY },
			{ apiKey: NOT_ROTATED },
		);
		expect(run.items.map((i) => i.json)).toEqual([expect.objectContaining({ noActivity: true })]);
		expect(run.items[0].json.includesReplacedKeys).toBeUndefined();
	});
});
