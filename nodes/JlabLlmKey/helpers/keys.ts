import { randomBytes } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { GatewayError, inputError } from '../../shared/errors';
import { gatewayRequest } from '../../shared/gateway';
import type { Pacer } from '../../shared/pacing';
import { FULL_HASH } from '../../shared/redact';
import type { KeyInfoResponse, KeyInfoRow } from '../../shared/types';

/**
 * A new virtual key made here, not by the gateway: sent as `key` (generate) or `new_key`
 * (regenerate), so an answer lost on the way back can be recovered by trying the key.
 */
export function newVirtualKey(): string {
	return `sk-${randomBytes(24).toString('base64url')}`;
}

/** A LiteLLM timestamp (Python isoformat, often without a zone, meaning UTC) as ISO 8601, or null. */
export function gatewayTime(value: unknown): string | null {
	if (typeof value !== 'string' || value === '') return null;
	const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(value);
	const ms = Date.parse(zoned ? value : `${value.replace(' ', 'T')}Z`);
	return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

const HASH_PREFIX = /^[0-9a-f]{12,63}$/;

/** LiteLLM's key_name `sk-...abcd` in the package's fingerprint form `sk-…abcd`. */
export function displayOf(keyName: unknown): string | null {
	if (typeof keyName !== 'string' || keyName === '') return null;
	const m = /^sk-\.{3}(.{1,8})$/.exec(keyName) ?? /^sk-…(.{1,8})$/.exec(keyName);
	return m ? `sk-…${m[1]}` : null;
}

export interface RequestTuning {
	timeoutMs: number;
	maxRetries: number;
	pacer?: Pacer;
	/** How long a confirmed deletion is awaited until the gateway refuses the key (helpers/propagation.ts). */
	revocationWaitMs?: number;
}

/** GET /key/info for the credential's own key: the stored hash (`key`) and its row. */
export async function ownKeyInfo(
	ctx: IExecuteFunctions,
	itemIndex: number,
	tuning: RequestTuning,
	secrets: string[] = [],
): Promise<{ hash: string; row: KeyInfoRow }> {
	const res = await gatewayRequest.call(ctx, {
		route: '/key/info',
		itemIndex,
		timeoutMs: tuning.timeoutMs,
		maxRetries: tuning.maxRetries,
		pacer: tuning.pacer,
		secrets,
	});
	const body = res.body as unknown as KeyInfoResponse;
	if (!body || typeof body !== 'object' || !body.info || typeof body.info !== 'object') {
		throw new GatewayError(
			'invalid_response',
			'The gateway answered /key/info without key information',
			{
				status: res.status,
				route: '/key/info',
			},
		);
	}
	return { hash: typeof body.key === 'string' ? body.key.toLowerCase() : '', row: body.info };
}

export interface KeyListRow extends KeyInfoRow {
	token?: string | null;
}

/** Every key /key/list shows this key (full rows), following the pages. */
export async function listAllKeys(
	ctx: IExecuteFunctions,
	itemIndex: number,
	filters: IDataObject,
	tuning: RequestTuning,
): Promise<KeyListRow[]> {
	const rows: KeyListRow[] = [];
	for (let page = 1; page <= 1000; page++) {
		const res = await gatewayRequest.call(ctx, {
			route: '/key/list',
			qs: { ...filters, return_full_object: true, page, size: 100 },
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer: tuning.pacer,
		});
		const body = res.body as IDataObject;
		const keys = Array.isArray(body?.keys) ? (body.keys as unknown[]) : undefined;
		if (!keys) {
			throw new GatewayError(
				'invalid_response',
				'The gateway answered /key/list without a key list',
				{
					status: res.status,
					route: '/key/list',
				},
			);
		}
		for (const k of keys) {
			// Older gateways ignore return_full_object and send bare hashes.
			rows.push(typeof k === 'string' ? { token: k } : (k as KeyListRow));
		}
		const totalPages = Number(body.total_pages);
		if (!Number.isFinite(totalPages) || page >= totalPages || keys.length === 0) break;
	}
	return rows;
}

export type KeySelect = 'credential' | 'alias' | 'fingerprint';

export interface ResolvedKey {
	/** The full SHA-256 the gateway stores: accepted wherever LiteLLM takes a key reference. */
	hash: string;
	row?: KeyListRow;
}

/**
 * Finds the key an operation acts on: the credential's own key, a key alias, or a fingerprint
 * (the full 64-hex hash, or the 12-hex prefix this package prints, looked up in /key/list).
 */
export async function resolveKey(
	ctx: IExecuteFunctions,
	itemIndex: number,
	select: KeySelect,
	value: string | undefined,
	tuning: RequestTuning,
): Promise<ResolvedKey> {
	if (select === 'credential') {
		const own = await ownKeyInfo(ctx, itemIndex, tuning);
		return { hash: own.hash, row: own.row };
	}
	if (select === 'fingerprint') {
		const fp = (value ?? '').trim().toLowerCase();
		if (FULL_HASH.test(fp)) return { hash: fp };
		if (!HASH_PREFIX.test(fp)) {
			throw inputError(
				'Key Fingerprint',
				'expected the 12 hex characters this package prints as a key fingerprint (e.g. 3f2a9c1b7d4e), or the full 64-character hash',
			);
		}
		const matches = (await listAllKeys(ctx, itemIndex, {}, tuning)).filter(
			(r) => typeof r.token === 'string' && r.token.startsWith(fp),
		);
		if (matches.length === 1) return { hash: matches[0].token as string, row: matches[0] };
		throw new GatewayError(
			'bad_request',
			matches.length === 0
				? `No key with fingerprint ${fp} is visible to this credential's key (an admin key sees every key, a user key only its own)`
				: `${matches.length} keys start with fingerprint ${fp}; give more of the hash`,
			{ field: 'Key Fingerprint' },
		);
	}
	if (select === 'alias') {
		const wanted = (value ?? '').trim();
		if (!wanted) throw inputError('Key Alias', 'the alias of the key to act on is required');
		const matches = (await listAllKeys(ctx, itemIndex, { key_alias: wanted }, tuning)).filter(
			(r) => typeof r.token === 'string' && (r.key_alias === undefined || r.key_alias === wanted),
		);
		if (matches.length === 1) return { hash: matches[0].token as string, row: matches[0] };
		throw new GatewayError(
			'bad_request',
			matches.length === 0
				? `No key with alias "${wanted}" is visible to this credential's key (an admin key sees every key, a user key only its own)`
				: `${matches.length} keys have the alias "${wanted}"; use the fingerprint instead`,
			{ field: 'Key Alias' },
		);
	}
	throw inputError('Key', 'one of: This Credential’s Key, By Alias, By Fingerprint');
}

/** A JSON column as LiteLLM may send it: /key/update answers objects as JSON strings. */
function jsonColumn(value: unknown): unknown {
	if (typeof value !== 'string') return value;
	try {
		const parsed: unknown = JSON.parse(value);
		return parsed !== null && typeof parsed === 'object' ? parsed : value;
	} catch {
		return value;
	}
}

/** A key row as an item: fingerprint, never the key; names as the gateway spells them. */
export function keySummary(row: KeyListRow | undefined, hash: string | undefined): IDataObject {
	const r = row ?? {};
	const token = (hash ?? (typeof r.token === 'string' ? r.token : '')).toLowerCase();
	const out: IDataObject = {
		fingerprint: { display: displayOf(r.key_name), hash: token ? token.slice(0, 12) : null },
	};
	const copy: Array<[keyof KeyInfoRow, string]> = [
		['key_alias', 'keyAlias'],
		['user_id', 'userId'],
		['team_id', 'teamId'],
		['models', 'models'],
		['spend', 'spend'],
		['max_budget', 'maxBudget'],
		['budget_duration', 'budgetDuration'],
		['budget_reset_at', 'budgetResetAt'],
		['expires', 'expires'],
		['blocked', 'blocked'],
		['rpm_limit', 'rpmLimit'],
		['tpm_limit', 'tpmLimit'],
		['max_parallel_requests', 'maxParallelRequests'],
		['metadata', 'metadata'],
		['created_at', 'createdAt'],
		['updated_at', 'updatedAt'],
	];
	for (const [from, to] of copy) {
		if (r[from] !== undefined)
			out[to] = (from === 'metadata' ? jsonColumn(r[from]) : r[from]) as IDataObject[string];
	}
	return out;
}
