import type { IDataObject } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import { gatewayRequest, type GatewayContext } from '../../shared/gateway';
import { settle } from '../../shared/settle';
import { notExposed, readKeyInfo, type KeyInfo } from './keyInfo';
import { usd } from './money';

/** Whose activity: the calling key's own share, or everything of the key's user. */
export type ActivityScope = 'key' | 'user';

export interface UsageMetrics {
	spendUsd: number;
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
	requests: number;
	successfulRequests: number;
	failedRequests: number;
}

export interface ActivityDay {
	date: string;
	metrics: UsageMetrics;
	/** Per model group (the public model name), sorted by name; only models with activity in the scope. */
	models: Array<{ model: string; metrics: UsageMetrics }>;
}

export interface ActivityQuery {
	startDate: string;
	endDate: string;
	pageSize: number;
	scope: ActivityScope;
	/** Full SHA-256 of the calling key (how LiteLLM names keys in breakdowns); for scope "key". */
	keyHash: string;
	/** Scope "key": first 12 hex of the keys this one replaced (its rotation lineage), counted as this key. */
	predecessors?: string[];
	itemIndex: number;
	/** Per page; default 60 s. */
	timeoutMs?: number;
}

export interface ActivityResult {
	/** Days with activity in the scope, by date. */
	days: ActivityDay[];
	pages: number;
	/** True when the gateway gave no per-key breakdown, so the user's totals were used. */
	scopeFellBackToUser: boolean;
}

const ROUTE = '/user/daily/activity';
// A guard against a gateway that keeps saying "more": 1000 pages of up to 1000 days.
const MAX_PAGES = 1000;

export function emptyMetrics(): UsageMetrics {
	return {
		spendUsd: 0,
		promptTokens: 0,
		completionTokens: 0,
		totalTokens: 0,
		requests: 0,
		successfulRequests: 0,
		failedRequests: 0,
	};
}

function count(value: unknown): number {
	const n = Number(value);
	return Number.isFinite(n) ? n : 0;
}

/** LiteLLM's SpendMetrics → the node's field names. */
export function metricsOf(raw: unknown): UsageMetrics {
	const m = (raw && typeof raw === 'object' ? raw : {}) as IDataObject;
	const prompt = count(m.prompt_tokens);
	const completion = count(m.completion_tokens);
	return {
		spendUsd: usd(count(m.spend)),
		promptTokens: prompt,
		completionTokens: completion,
		totalTokens:
			m.total_tokens === undefined || m.total_tokens === null
				? prompt + completion
				: count(m.total_tokens),
		requests: count(m.api_requests),
		successfulRequests: count(m.successful_requests),
		failedRequests: count(m.failed_requests),
	};
}

export function addMetrics(a: UsageMetrics, b: UsageMetrics): UsageMetrics {
	return {
		spendUsd: usd(a.spendUsd + b.spendUsd),
		promptTokens: a.promptTokens + b.promptTokens,
		completionTokens: a.completionTokens + b.completionTokens,
		totalTokens: a.totalTokens + b.totalTokens,
		requests: a.requests + b.requests,
		successfulRequests: a.successfulRequests + b.successfulRequests,
		failedRequests: a.failedRequests + b.failedRequests,
	};
}

const isObject = (v: unknown): v is IDataObject =>
	v !== null && typeof v === 'object' && !Array.isArray(v);

function hasActivity(m: UsageMetrics): boolean {
	return (
		m.spendUsd !== 0 ||
		m.totalTokens !== 0 ||
		m.requests !== 0 ||
		m.successfulRequests !== 0 ||
		m.failedRequests !== 0
	);
}

/**
 * The key's entries of a per-key breakdown: its own, and those of the keys it replaced in a rotation
 * (the gateway keeps a day's spend under the hash of the key that spent it).
 */
function ownEntries(keys: IDataObject, query: ActivityQuery): UsageMetrics | undefined {
	let sum: UsageMetrics | undefined;
	for (const [hash, entry] of Object.entries(keys)) {
		const mine =
			hash === query.keyHash || (query.predecessors ?? []).some((p) => hash.startsWith(p));
		if (mine && isObject(entry)) sum = addMetrics(sum ?? emptyMetrics(), metricsOf(entry.metrics));
	}
	return sum;
}

/** The rotation lineage the Key node writes into a new key's metadata: the hash prefix of the key it replaced. */
export function predecessorsOf(metadata: unknown): string[] {
	const rotation = isObject(metadata) ? metadata.jlab_llm_rotation : undefined;
	const from = isObject(rotation) ? rotation.rotated_from : undefined;
	return typeof from === 'string' && /^[0-9a-f]{12}$/.test(from) ? [from] : [];
}

/** One result row of the gateway → the day as the scope sees it; `fellBack` when it had no per-key data. */
function dayOf(row: IDataObject, query: ActivityQuery): { day: ActivityDay; fellBack: boolean } {
	const breakdown = isObject(row.breakdown) ? row.breakdown : {};
	// model_groups names models as /v1/models does (openai/gpt-oss-120b); models names the deployment
	// behind it (hosted_vllm/openai/gpt-oss-120b). Builds without model_groups only have the latter.
	const models = isObject(breakdown.model_groups)
		? breakdown.model_groups
		: isObject(breakdown.models)
			? breakdown.models
			: {};
	let fellBack = false;
	let metrics: UsageMetrics;
	if (query.scope === 'key') {
		const keys = breakdown.api_keys;
		if (isObject(keys)) {
			metrics = ownEntries(keys, query) ?? emptyMetrics();
		} else {
			fellBack = true;
			metrics = metricsOf(row.metrics);
		}
	} else {
		metrics = metricsOf(row.metrics);
	}
	const perModel: ActivityDay['models'] = [];
	for (const [model, entry] of Object.entries(models)) {
		if (!isObject(entry)) continue;
		let m: UsageMetrics;
		if (query.scope === 'key' && isObject(entry.api_key_breakdown)) {
			m = ownEntries(entry.api_key_breakdown, query) ?? emptyMetrics();
		} else {
			if (query.scope === 'key') fellBack = true;
			m = metricsOf(entry.metrics);
		}
		if (hasActivity(m)) perModel.push({ model, metrics: m });
	}
	perModel.sort((a, b) => a.model.localeCompare(b.model));
	return { day: { date: String(row.date), metrics, models: perModel }, fellBack };
}

/**
 * Refuses keys that are not tied to a user, before asking for activity: LiteLLM keeps daily
 * activity per user, and what it does for a key without one is not defined. Where /key/info
 * is not reachable the check is left to the gateway.
 */
export async function requireUser(
	ctx: GatewayContext,
	itemIndex: number,
	timeoutMs?: number,
): Promise<KeyInfo | undefined> {
	const res = await settle(readKeyInfo(ctx, itemIndex, timeoutMs));
	if (!res.ok) {
		if (res.error instanceof GatewayError && res.error.errorClass === 'permission_denied')
			return undefined;
		throw res.error;
	}
	if (!res.value.info.user_id) throw noUserError();
	return res.value;
}

export function noUserError(status?: number): GatewayError {
	return new GatewayError(
		'permission_denied',
		"This key is not tied to a user (its user_id is empty), so the gateway cannot report its daily activity: LiteLLM keeps activity per user. Use a personal key from the Key Manager portal (tied to your CILogon identity), or read the key's total spend with Get Key Info.",
		{ route: ROUTE, status },
	);
}

/**
 * GET /user/daily/activity for a date range, every page of it (`page`/`total_pages`/`has_more`),
 * merged by date.
 */
export async function readDailyActivity(
	ctx: GatewayContext,
	query: ActivityQuery,
): Promise<ActivityResult> {
	const byDate = new Map<string, ActivityDay>();
	let fellBack = false;
	let page = 1;
	for (; ; page++) {
		const res = await settle(
			gatewayRequest.call(ctx, {
				route: ROUTE,
				// LiteLLM's api_key filter (the hash it stores) spares reading the user's other keys' rows;
				// the per-key breakdown below still holds where a gateway ignores it. Not with replaced keys
				// in the lineage: the filter takes one whole hash, and their rows are wanted too.
				qs: {
					start_date: query.startDate,
					end_date: query.endDate,
					page,
					page_size: query.pageSize,
					...(query.scope === 'key' && !query.predecessors?.length && { api_key: query.keyHash }),
				},
				itemIndex: query.itemIndex,
				timeoutMs: query.timeoutMs,
			}),
		);
		if (!res.ok) {
			throw notExposed(
				res.error,
				'This gateway does not expose /user/daily/activity (HTTP 404), so daily activity cannot be read through it. Get Key Info still shows the total spend where /key/info is exposed.',
			);
		}
		const body = res.value.body as IDataObject;
		const results = isObject(body) ? body.results : undefined;
		if (!Array.isArray(results)) {
			throw new GatewayError(
				'invalid_response',
				`The answer did not come from a LiteLLM gateway: ${ROUTE} returned no "results" list.`,
				{ route: ROUTE, status: 200 },
			);
		}
		for (const row of results) {
			if (!isObject(row) || typeof row.date !== 'string') continue;
			const { day, fellBack: fb } = dayOf(row, query);
			fellBack = fellBack || fb;
			const seen = byDate.get(day.date);
			if (!seen) {
				byDate.set(day.date, day);
				continue;
			}
			// A day split across pages: add it up.
			seen.metrics = addMetrics(seen.metrics, day.metrics);
			for (const m of day.models) {
				const same = seen.models.find((x) => x.model === m.model);
				if (same) same.metrics = addMetrics(same.metrics, m.metrics);
				else seen.models.push(m);
			}
		}
		const meta = isObject(body.metadata) ? body.metadata : {};
		const totalPages = Number(meta.total_pages);
		const more =
			typeof meta.has_more === 'boolean'
				? meta.has_more
				: Number.isFinite(totalPages) && page < totalPages;
		if (!more || results.length === 0) break;
		if (page >= MAX_PAGES) {
			throw new GatewayError(
				'invalid_response',
				`${ROUTE} kept announcing more pages after ${MAX_PAGES}; stopped reading.`,
				{ route: ROUTE, status: 200 },
			);
		}
	}
	const days = [...byDate.values()]
		// Days where only other keys of the user were active are not this key's days.
		.filter((d) => d.date >= query.startDate && d.date <= query.endDate)
		.filter((d) => hasActivity(d.metrics) || d.models.length > 0)
		.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
	return { days, pages: page, scopeFellBackToUser: fellBack };
}
