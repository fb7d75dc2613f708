import type { IDataObject } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import type { KeyInfoRow } from '../../shared/types';

/**
 * The rotation lock: a marker in the gateway key's metadata (written with /key/update), so every
 * n8n process (main, workers, other instances) sees it; a lock in memory would not be. It expires
 * on its own, so a run that died cannot block rotations for longer than this.
 */
export const ROTATION_LOCK = 'jlab_llm_rotation_lock';
export const ROTATION_LOCK_TTL_MS = 15 * 60_000;

export interface RotationLock {
	id: string;
	since: string;
	until: string;
}

/** A key row's metadata as an object (LiteLLM has sent it as a JSON string). */
export function metadataOf(row: KeyInfoRow | undefined): IDataObject {
	const m = (row as IDataObject | undefined)?.metadata;
	if (m && typeof m === 'object' && !Array.isArray(m)) return m as IDataObject;
	if (typeof m === 'string') {
		try {
			const parsed = JSON.parse(m) as unknown;
			if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
				return parsed as IDataObject;
		} catch {
			return {};
		}
	}
	return {};
}

/** The lock a row carries, or null. */
export function lockOf(row: KeyInfoRow | undefined): RotationLock | null {
	const l = metadataOf(row)[ROTATION_LOCK] as IDataObject | null | undefined;
	if (!l || typeof l !== 'object' || typeof l.id !== 'string' || typeof l.until !== 'string')
		return null;
	return { id: l.id, since: typeof l.since === 'string' ? l.since : '', until: l.until };
}

/** A lock that has not expired, held by another rotation than `ownId`. */
export function lockHeldByOther(
	row: KeyInfoRow | undefined,
	ownId: string,
	nowMs: number,
): RotationLock | null {
	const l = lockOf(row);
	if (!l || l.id === ownId) return null;
	const until = Date.parse(l.until);
	return Number.isNaN(until) || until <= nowMs ? null : l;
}

/** Metadata without a lock (null, not absent: gateways that merge metadata on update drop it too). */
export function unlocked(metadata: IDataObject): IDataObject {
	return { ...metadata, [ROTATION_LOCK]: null };
}

export function locked(metadata: IDataObject, id: string, nowMs: number): IDataObject {
	const lock: RotationLock = {
		id,
		since: new Date(nowMs).toISOString(),
		until: new Date(nowMs + ROTATION_LOCK_TTL_MS).toISOString(),
	};
	return { ...metadata, [ROTATION_LOCK]: lock as unknown as IDataObject };
}

export function inProgress(lock: RotationLock | null): GatewayError {
	const who = lock
		? `rotation ${lock.id}${lock.since ? `, started ${lock.since}` : ''}, holds the lock until ${lock.until}`
		: 'another rotation took the lock first';
	return new GatewayError(
		'bad_request',
		`A rotation of this credential's key is already in progress (${who}): two rotations of one credential must not interleave`,
	);
}

/** Where a rotation records itself in the new key's metadata (id, old fingerprint, strategy). */
export const ROTATION_META = 'jlab_llm_rotation';

/** Metadata for a new key: the old key's, without its lock. */
export function withoutLock(metadata: IDataObject): IDataObject {
	const copy = { ...metadata };
	delete copy[ROTATION_LOCK];
	return copy;
}
