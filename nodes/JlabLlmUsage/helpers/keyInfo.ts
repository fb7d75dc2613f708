import type { IDataObject } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import { answeredForReplacement, REPLACED_KEY_WARNING } from '../../shared/keyRow';
import { gatewayRequest, gatewaySettings, type GatewayContext } from '../../shared/gateway';
import { fingerprint, FULL_HASH, keyHash, type KeyFingerprint } from '../../shared/redact';
import { settle } from '../../shared/settle';
import type { KeyInfoResponse, KeyInfoRow } from '../../shared/types';
import { DAY_MS, isoOrNull } from './dates';
import { money, usd } from './money';

/** What GET /key/info told about the calling key, plus the fingerprint of the key n8n holds. */
export interface KeyInfo {
	/** The row the gateway keeps for the key (never carries the key or its full hash). */
	info: KeyInfoRow;
	/** SHA-256 the gateway answered with (`key` of /key/info called without a query). */
	gatewayHash?: string;
	/** Fingerprint of the key in the credential: `sk-…abcd` and the first 12 hex of its SHA-256. */
	fingerprint: KeyFingerprint;
	/** Full SHA-256 of the key in the credential: LiteLLM's name for it in activity breakdowns. */
	keyHash: string;
}

// One /key/info per node run: every item of a run uses the same credential.
const runCache = new WeakMap<object, Promise<KeyInfo>>();

async function fetchKeyInfo(
	ctx: GatewayContext,
	itemIndex: number,
	timeoutMs = 30_000,
): Promise<KeyInfo> {
	const settings = await gatewaySettings(ctx, itemIndex);
	const key = settings.secrets[0];
	// No query: the gateway answers for the calling key, so the key never enters a URL.
	const res = await settle(gatewayRequest.call(ctx, { route: '/key/info', itemIndex, timeoutMs }));
	if (!res.ok) {
		throw notExposed(
			res.error,
			"This gateway does not expose /key/info (HTTP 404), so the key's details, spend and budget cannot be read through it. Ask the gateway admins to route /key/info through the reverse proxy; chat completions and List Models do not need it.",
		);
	}
	const body = res.value.body as unknown as KeyInfoResponse;
	const info = body && typeof body === 'object' ? body.info : undefined;
	if (!info || typeof info !== 'object' || Array.isArray(info)) {
		throw new GatewayError(
			'invalid_response',
			'The answer did not come from a LiteLLM gateway: /key/info returned no "info" object. Check that the Base URL is the gateway root, e.g. https://delphi.jlab.org/api.',
			{ route: '/key/info', status: 200 },
		);
	}
	const gatewayHash =
		typeof body.key === 'string' && FULL_HASH.test(body.key) ? body.key : undefined;
	const own = fingerprint(key);
	return { info, gatewayHash, fingerprint: own, keyHash: keyHash(key) };
}

/** A 404 of a route the gateway does not expose, said plainly; any other failure as it was. */
export function notExposed(error: unknown, message: string): unknown {
	if (
		error instanceof GatewayError &&
		error.errorClass === 'permission_denied' &&
		error.details.status === 404
	) {
		return new GatewayError('permission_denied', message, error.details);
	}
	return error;
}

/** GET /key/info for the node's credential, once per node run. */
export async function readKeyInfo(
	ctx: GatewayContext,
	itemIndex = 0,
	timeoutMs?: number,
): Promise<KeyInfo> {
	let pending = runCache.get(ctx);
	if (!pending) {
		pending = fetchKeyInfo(ctx, itemIndex, timeoutMs);
		runCache.set(ctx, pending);
		// A failure is not kept: the next item asks again.
		pending.catch(() => runCache.delete(ctx));
	}
	return await pending;
}

// ---------------------------------------------------------------------------------------------
// Budget numbers (shared by Get Key Info and Check Budget)
// ---------------------------------------------------------------------------------------------

function finite(value: unknown): number | null {
	if (value === null || value === undefined || value === '') return null;
	const n = Number(value);
	return Number.isFinite(n) ? n : null;
}

export interface BudgetNumbers {
	/** False when the key has no max budget: the lab's normal state today, not an error. */
	hasBudget: boolean;
	spendUsd: number;
	maxBudgetUsd: number | null;
	/** Max budget minus spend, never below 0; null without a budget. */
	remainingBudgetUsd: number | null;
	/** Spend as a percentage of the max budget (2 decimals; above 100 when overrun); null without a budget. */
	percentUsed: number | null;
	budgetDuration: string | null;
	budgetResetsAt: string | null;
}

export function budgetOf(info: KeyInfoRow): BudgetNumbers {
	const spend = finite(info.spend) ?? 0;
	const max = finite(info.max_budget);
	const hasBudget = max !== null;
	let percentUsed: number | null = null;
	if (max !== null) percentUsed = max > 0 ? Math.round((spend / max) * 10_000) / 100 : 100;
	return {
		hasBudget,
		spendUsd: usd(spend),
		maxBudgetUsd: max === null ? null : usd(max),
		remainingBudgetUsd: max === null ? null : usd(Math.max(0, max - spend)),
		percentUsed,
		budgetDuration:
			typeof info.budget_duration === 'string' && info.budget_duration
				? info.budget_duration
				: null,
		budgetResetsAt: isoOrNull(info.budget_reset_at),
	};
}

// ---------------------------------------------------------------------------------------------
// Get Key Info's output
// ---------------------------------------------------------------------------------------------

export interface KeyPolicy {
	/** Rotation policy in days; 0 = no policy. */
	rotateAfterDays: number;
	/** Warn when the key expires within this many days. */
	expiryWarningDays: number;
	/** Warn when this percentage of the budget is used. */
	budgetWarningPercent: number;
	nowMs: number;
}

const wholeDays = (ms: number) => Math.floor(ms / DAY_MS);

function stringList(value: unknown): string[] {
	return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function countOrNull(value: unknown): number | null {
	const n = finite(value);
	return n === null ? null : n;
}

/** The key as Get Key Info shows it: identity, permissions, money, dates, limits, and warnings. */
export function describeKey(key: KeyInfo, policy: KeyPolicy): IDataObject {
	const { info } = key;
	const now = policy.nowMs;
	const budget = budgetOf(info);
	const warnings: string[] = [];

	const expiresAt = isoOrNull(info.expires);
	const daysUntilExpiry = expiresAt === null ? null : wholeDays(Date.parse(expiresAt) - now);

	const createdAt = isoOrNull(info.created_at);
	const lastRotatedAt = isoOrNull(info.last_rotation_at);
	// The secret is as old as its last rotation: a regenerate keeps created_at.
	const ageBasis = [createdAt, lastRotatedAt]
		.filter((d): d is string => d !== null)
		.map((d) => Date.parse(d))
		.reduce<number | null>((a, b) => (a === null || b > a ? b : a), null);
	const keyAgeDays = ageBasis === null ? null : Math.max(0, wholeDays(now - ageBasis));
	const hasPolicy = policy.rotateAfterDays > 0;
	const rotationDue =
		hasPolicy && keyAgeDays !== null ? keyAgeDays >= policy.rotateAfterDays : null;
	const rotationDueAt =
		hasPolicy && ageBasis !== null
			? new Date(ageBasis + policy.rotateAfterDays * DAY_MS).toISOString()
			: null;

	const autoEnabled = info.auto_rotate === true;
	const interval =
		typeof info.rotation_interval === 'string' && info.rotation_interval
			? info.rotation_interval
			: null;
	const nextRotationAt = isoOrNull(info.key_rotation_at);
	const autoWarning = autoEnabled
		? `The gateway rotates this key on its own schedule (${interval ? `every ${interval}` : 'interval not set'}${nextRotationAt ? `, next on ${nextRotationAt}` : ''}): the gateway will replace this key behind n8n's back, and the key stored in this n8n credential will then stop working. Ask for scheduled rotation to be turned off for keys used by n8n, and rotate with the JLab LLM Key node instead.`
		: null;

	if (info.blocked === true)
		warnings.push(
			'The key is blocked: the gateway refuses its requests until an admin unblocks it.',
		);
	if (answeredForReplacement(key.gatewayHash, key.keyHash)) warnings.push(REPLACED_KEY_WARNING);
	if (budget.hasBudget && budget.percentUsed !== null) {
		if (budget.percentUsed >= 100) {
			warnings.push(
				`The budget is used up: ${money(budget.spendUsd)} of ${money(budget.maxBudgetUsd as number)} spent. The gateway refuses requests ${budget.budgetResetsAt ? `until the budget resets on ${budget.budgetResetsAt}` : 'until an admin raises the budget'}.`,
			);
		} else if (budget.percentUsed >= policy.budgetWarningPercent) {
			warnings.push(
				`${budget.percentUsed}% of the budget is used: ${money(budget.remainingBudgetUsd as number)} of ${money(budget.maxBudgetUsd as number)} left.`,
			);
		}
	}
	if (daysUntilExpiry !== null && daysUntilExpiry <= policy.expiryWarningDays) {
		warnings.push(
			daysUntilExpiry < 0
				? `The key expired on ${expiresAt}.`
				: `The key expires in ${daysUntilExpiry} day${daysUntilExpiry === 1 ? '' : 's'} (${expiresAt}). Create a new key in the Key Manager portal before then.`,
		);
	}
	if (rotationDue) {
		warnings.push(
			`The key is ${keyAgeDays} days old and the policy is to rotate after ${policy.rotateAfterDays} days: rotation is due.`,
		);
	}
	if (autoWarning) warnings.push(autoWarning);

	return {
		fingerprint: { ...key.fingerprint },
		alias: info.key_alias ?? null,
		userId: info.user_id ?? null,
		teamId: info.team_id ?? null,
		allowedModels: stringList(info.models),
		spendUsd: budget.spendUsd,
		maxBudgetUsd: budget.maxBudgetUsd,
		remainingBudgetUsd: budget.remainingBudgetUsd,
		percentUsed: budget.percentUsed,
		budgetDuration: budget.budgetDuration,
		budgetResetsAt: budget.budgetResetsAt,
		expiresAt,
		daysUntilExpiry,
		createdAt,
		lastRotatedAt,
		keyAgeDays,
		rotateAfterDays: hasPolicy ? policy.rotateAfterDays : null,
		rotationDue,
		rotationDueAt,
		gatewayAutoRotate: {
			enabled: autoEnabled,
			interval,
			nextRotationAt,
			warning: autoWarning,
		},
		rpmLimit: countOrNull(info.rpm_limit),
		tpmLimit: countOrNull(info.tpm_limit),
		maxParallelRequests: countOrNull(info.max_parallel_requests),
		blocked: info.blocked === true,
		warnings,
		checkedAt: new Date(now).toISOString(),
	};
}
