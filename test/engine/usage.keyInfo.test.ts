/**
 * JLab LLM Usage → Get Key Info, against the sandbox gateway: every output field and how it is
 * computed, the warnings, the 404 "not exposed" and 403 cases, and the canary key.
 */
import { createHash } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

import { describeKey, type KeyInfo } from '../../nodes/JlabLlmUsage/helpers/keyInfo';
import { shutdownHarness } from '../harness';
import {
	canary,
	expectNoLeak,
	NOW,
	pinClock,
	runUsage,
	startUsageSandbox,
	type UsageSandbox,
} from './usageSetup';

const FULL = canary('info-full');
const NO_BUDGET = canary('info-nobud');
const ROTATED = canary('info-rotd');
const AUTO = canary('info-auto');
const OVER = canary('info-over');
const LLM_ONLY = canary('info-llm');

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('JLab LLM Usage: Get Key Info', () => {
	let sb: UsageSandbox;
	let restoreClock: () => void;

	beforeAll(async () => {
		restoreClock = pinClock();
		sb = await startUsageSandbox({
			profile: 'v1.9x',
			teams: [{ team_id: 'team-physics', members_with_roles: [{ user_id: 'jdoe', role: 'user' }] }],
			keys: [
				{
					key: FULL,
					key_alias: 'jdoe-n8n',
					user_id: 'jdoe',
					team_id: 'team-physics',
					models: ['openai/gpt-oss-20b', 'openai/gpt-oss-120b'],
					max_budget: 20,
					spend: 12.5,
					budget_duration: '30d',
					budget_reset_at: '2026-07-01T00:00:00Z',
					// 10 days and 6 hours from NOW, so "10 days" whatever the rounding.
					expires: '2026-06-25T18:00:00Z',
					// 125 days and 6 hours before NOW.
					created_at: '2026-02-10T06:00:00Z',
					rpm_limit: 60,
					tpm_limit: 100000,
					max_parallel_requests: 4,
				},
				{
					key: NO_BUDGET,
					key_alias: 'plain',
					user_id: 'jdoe',
					spend: 3.2,
					created_at: '2026-06-05T00:00:00Z',
				},
				{
					key: ROTATED,
					user_id: 'jdoe',
					created_at: '2025-11-27T00:00:00Z',
					last_rotation_at: '2026-05-26T10:00:00Z',
				},
				{
					key: AUTO,
					user_id: 'jdoe',
					auto_rotate: true,
					rotation_interval: '30d',
					key_rotation_at: '2026-06-20T00:00:00Z',
					created_at: '2026-06-01T00:00:00Z',
				},
				{
					key: OVER,
					user_id: 'jdoe',
					max_budget: 5,
					spend: 5.5,
					created_at: '2026-06-01T00:00:00Z',
				},
				{ key: LLM_ONLY, user_id: 'jdoe', key_type: 'llm_api', created_at: '2026-06-01T00:00:00Z' },
			],
		});
	});

	afterAll(async () => {
		restoreClock();
		await sb.close();
		await shutdownHarness();
	});

	beforeEach(() => sb.clearRequests());

	it('reports identity, permissions, money, dates and limits of the key', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: FULL });
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(1);
		const j = run.items[0].json;
		expect(j).toEqual({
			fingerprint: { display: `sk-…${FULL.slice(-4)}`, hash: sha(FULL).slice(0, 12) },
			alias: 'jdoe-n8n',
			userId: 'jdoe',
			teamId: 'team-physics',
			allowedModels: ['openai/gpt-oss-20b', 'openai/gpt-oss-120b'],
			spendUsd: 12.5,
			maxBudgetUsd: 20,
			remainingBudgetUsd: 7.5,
			percentUsed: 62.5,
			budgetDuration: '30d',
			budgetResetsAt: '2026-07-01T00:00:00.000Z',
			expiresAt: '2026-06-25T18:00:00.000Z',
			daysUntilExpiry: 10,
			createdAt: '2026-02-10T06:00:00.000Z',
			lastRotatedAt: null,
			keyAgeDays: 125,
			rotateAfterDays: 90,
			rotationDue: true,
			rotationDueAt: '2026-05-11T06:00:00.000Z',
			gatewayAutoRotate: { enabled: false, interval: null, nextRotationAt: null, warning: null },
			rpmLimit: 60,
			tpmLimit: 100000,
			maxParallelRequests: 4,
			blocked: false,
			warnings: [
				'The key expires in 10 days (2026-06-25T18:00:00.000Z). Create a new key in the Key Manager portal before then.',
				'The key is 125 days old and the policy is to rotate after 90 days: rotation is due.',
			],
			checkedAt: new Date(NOW).toISOString(),
		});
		expect(run.items[0].pairedItem).toEqual({ item: 0 });
		expectNoLeak(run, FULL);
	});

	it('takes the fingerprint from what the gateway stores: key_name and the hash /key/info answers with', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: FULL });
		const fp = run.items[0].json.fingerprint as IDataObject;
		const row = (sb as unknown as { getKey(k: string): IDataObject }).getKey(FULL);
		expect(`sk-…${String(row.key_name).slice(-4)}`).toBe(fp.display);
		expect(String(row.token).slice(0, 12)).toBe(fp.hash);
	});

	it('sends GET /key/info without any query: the key travels only in the Authorization header', async () => {
		await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: FULL });
		const calls = sb.requests.filter((r) => r.path === '/key/info');
		expect(calls).toHaveLength(1);
		expect(calls[0].method).toBe('GET');
		expect(calls[0].query).toEqual({});
		expect(calls[0].authorization).toBe(`Bearer ${FULL}`);
	});

	it('treats "no budget" as a normal state: null budget fields, no warning', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: NO_BUDGET });
		const j = run.items[0].json;
		expect(j).toMatchObject({
			spendUsd: 3.2,
			maxBudgetUsd: null,
			remainingBudgetUsd: null,
			percentUsed: null,
			budgetDuration: null,
			budgetResetsAt: null,
			expiresAt: null,
			daysUntilExpiry: null,
			keyAgeDays: 10,
			rotationDue: false,
			allowedModels: [],
			rpmLimit: null,
			tpmLimit: null,
		});
		expect(j.warnings).toEqual([]);
		expectNoLeak(run, NO_BUDGET);
	});

	it('counts key age from the last rotation, since a regenerate keeps created_at', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getKeyInfo', rotateAfterDays: 30 },
			{ apiKey: ROTATED },
		);
		expect(run.items[0].json).toMatchObject({
			createdAt: '2025-11-27T00:00:00.000Z',
			lastRotatedAt: '2026-05-26T10:00:00.000Z',
			keyAgeDays: 20,
			rotateAfterDays: 30,
			rotationDue: false,
			rotationDueAt: '2026-06-25T10:00:00.000Z',
		});
	});

	it('applies the "Rotate After (Days)" policy: due at the boundary, off with 0', async () => {
		const at20 = await runUsage(
			sb,
			{ operation: 'getKeyInfo', rotateAfterDays: 20 },
			{ apiKey: ROTATED },
		);
		expect(at20.items[0].json.rotationDue).toBe(true);
		const at21 = await runUsage(
			sb,
			{ operation: 'getKeyInfo', rotateAfterDays: 21 },
			{ apiKey: ROTATED },
		);
		expect(at21.items[0].json.rotationDue).toBe(false);
		const off = await runUsage(
			sb,
			{ operation: 'getKeyInfo', rotateAfterDays: 0 },
			{ apiKey: ROTATED },
		);
		expect(off.items[0].json).toMatchObject({
			rotationDue: null,
			rotationDueAt: null,
			rotateAfterDays: null,
		});
	});

	it("warns that the gateway's own scheduled rotation will replace the key behind n8n's back", async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: AUTO });
		const j = run.items[0].json;
		const auto = j.gatewayAutoRotate as IDataObject;
		expect(auto).toMatchObject({
			enabled: true,
			interval: '30d',
			nextRotationAt: '2026-06-20T00:00:00.000Z',
		});
		expect(auto.warning).toContain("the gateway will replace this key behind n8n's back");
		expect(auto.warning).toContain('every 30d');
		expect(j.warnings).toContain(auto.warning);
	});

	it('shows an overrun budget as 0 left and more than 100 % used, with a warning', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: OVER });
		expect(run.items[0].json).toMatchObject({
			spendUsd: 5.5,
			maxBudgetUsd: 5,
			remainingBudgetUsd: 0,
			percentUsed: 110,
		});
		expect((run.items[0].json.warnings as string[])[0]).toMatch(
			/^The budget is used up: \$5\.50 of \$5\.00 spent/,
		);
	});

	it('warns at the budget threshold of the options', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getKeyInfo', options: { budgetWarningPercent: 60, expiryWarningDays: 5 } },
			{ apiKey: FULL },
		);
		expect(run.items[0].json.warnings).toEqual([
			'62.5% of the budget is used: $7.50 of $20.00 left.',
			'The key is 125 days old and the policy is to rotate after 90 days: rotation is due.',
		]);
	});

	it('reads /key/info once per run, and gives one item per input item', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getKeyInfo' },
			{ apiKey: FULL, items: [{ a: 1 }, { a: 2 }, { a: 3 }] },
		);
		expect(run.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(run.items.every((i) => i.json.alias === 'jdoe-n8n')).toBe(true);
		expect(sb.requests.filter((r) => r.path === '/key/info')).toHaveLength(1);
	});

	it('fails fast on a bad policy value, before any request', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getKeyInfo', rotateAfterDays: -1 },
			{ apiKey: FULL },
		);
		const err = run.error('Usage');
		expect(err?.message).toContain('Rotate After (Days)');
		expect(err?.description).toMatch(/^bad_request:/);
		expect(sb.requests).toHaveLength(0);
	});

	it('says permission_denied when the key may only call LLM routes (403)', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: LLM_ONLY });
		const err = run.error('Usage');
		expect(err?.description).toMatch(/^permission_denied:/);
		expect(err?.message).toContain('/key/info');
		expectNoLeak(run, LLM_ONLY);
	});

	it('warns when the credential holds a key already replaced by a rotation with a grace period', async () => {
		const key = canary('info-grace');
		sb.addKey({ key, key_alias: 'graceful', user_id: 'jdoe', created_at: '2026-06-01T00:00:00Z' });
		sb.setConfig({ enterprise: true });
		const res = await fetch(`${sb.url}/key/${encodeURIComponent(key)}/regenerate`, {
			method: 'POST',
			headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
			body: JSON.stringify({ grace_period: '24h' }),
		});
		expect(res.status).toBe(200);
		const fresh = ((await res.json()) as { key: string }).key;
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: key });
		const j = run.items[0].json;
		expect((j.fingerprint as IDataObject).hash).toBe(sha(key).slice(0, 12));
		expect(j.warnings).toContain(
			'The key in this credential has already been replaced by a rotation: the gateway accepts it only until the grace period ends. Store the new key in the credential.',
		);
		expectNoLeak(run, key);
		expectNoLeak(run, fresh);
	});
});

describe('JLab LLM Usage: Get Key Info where /key/info is not exposed', () => {
	const KEY = canary('info-404');
	let sb: UsageSandbox;

	beforeAll(async () => {
		sb = await startUsageSandbox({
			exposeManagement: false,
			echoKeyInErrors: true,
			keys: [{ key: KEY, user_id: 'jdoe' }],
		});
	});
	afterAll(async () => {
		await sb.close();
		await shutdownHarness();
	});

	it('says clearly that the gateway does not expose the route (permission_denied), without faking data', async () => {
		const run = await runUsage(sb, { operation: 'getKeyInfo' }, { apiKey: KEY });
		const err = run.error('Usage');
		expect(err?.message).toContain('This gateway does not expose /key/info (HTTP 404)');
		expect(err?.description).toMatch(/^permission_denied:/);
		expect(run.items).toHaveLength(0);
		expectNoLeak(run, KEY);
	});

	it('gives a classified error item under Continue On Fail', async () => {
		const run = await runUsage(
			sb,
			{ operation: 'getKeyInfo' },
			{ apiKey: KEY, continueOnFail: true, items: [{}, {}] },
		);
		expect(run.error('Usage')).toBeUndefined();
		expect(run.items).toHaveLength(2);
		expect(run.items[0].json).toMatchObject({ errorType: 'permission_denied', httpCode: 404 });
		expect(String(run.items[0].json.error)).toContain('does not expose /key/info');
		expect(run.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expectNoLeak(run, KEY);
	});
});

describe('describeKey (pure)', () => {
	const key = (info: IDataObject): KeyInfo => ({
		info,
		fingerprint: { display: 'sk-…abcd', hash: '0123456789ab' },
		keyHash: '0'.repeat(64),
	});
	const policy = {
		rotateAfterDays: 90,
		expiryWarningDays: 14,
		budgetWarningPercent: 80,
		nowMs: NOW,
	};

	it('reads naive LiteLLM timestamps as UTC and Python isoformat with microseconds', () => {
		const j = describeKey(
			key({
				created_at: '2026-06-14T12:00:00',
				expires: '2026-06-17T12:00:00.123456+00:00',
				spend: 0,
			}),
			policy,
		);
		expect(j.createdAt).toBe('2026-06-14T12:00:00.000Z');
		expect(j.keyAgeDays).toBe(1);
		expect(j.expiresAt).toBe('2026-06-17T12:00:00.123Z');
		expect(j.daysUntilExpiry).toBe(2);
	});

	it('treats a max budget of 0 as used up, and rounds money without float dust', () => {
		expect(describeKey(key({ max_budget: 0, spend: 0 }), policy)).toMatchObject({
			percentUsed: 100,
			remainingBudgetUsd: 0,
		});
		expect(describeKey(key({ max_budget: 0.3, spend: 0.1 }), policy)).toMatchObject({
			remainingBudgetUsd: 0.2,
			percentUsed: 33.33,
		});
	});

	it('reports days until expiry as whole days, and an expiry in the past', () => {
		expect(
			describeKey(key({ expires: new Date(NOW + 86_400_000 - 1).toISOString() }), policy)
				.daysUntilExpiry,
		).toBe(0);
		const past = describeKey(key({ expires: '2026-06-10T00:00:00Z' }), policy);
		expect(past.daysUntilExpiry).toBe(-6);
		expect(past.warnings).toContain('The key expired on 2026-06-10T00:00:00.000Z.');
	});

	it('has no rotation verdict without a creation date', () => {
		expect(describeKey(key({}), policy)).toMatchObject({
			keyAgeDays: null,
			rotationDue: null,
			rotationDueAt: null,
		});
	});
});
