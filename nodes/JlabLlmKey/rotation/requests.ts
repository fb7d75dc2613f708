import type { IDataObject } from 'n8n-workflow';

import type { KeyInfoRow } from '../../shared/types';

/** /key/generate body for a sibling of `row`: same models, budget, limits, team, user, metadata. */
export function siblingRequest(
	row: KeyInfoRow & IDataObject,
	newKey: string,
	metadata: IDataObject,
	tempAlias: string | undefined,
	newKeyDuration: string | undefined,
	nowMs = Date.now(),
): IDataObject {
	const body: IDataObject = { key: newKey, metadata };
	const copy = [
		'models',
		'max_budget',
		'budget_duration',
		'soft_budget',
		'tpm_limit',
		'rpm_limit',
		'max_parallel_requests',
		'team_id',
		'user_id',
		'organization_id',
	] as const;
	for (const k of copy) {
		const v = row[k];
		if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
			body[k] = v as IDataObject[string];
	}
	for (const k of [
		'aliases',
		'model_max_budget',
		'model_rpm_limit',
		'model_tpm_limit',
		'permissions',
	] as const) {
		const v = row[k];
		if (v && typeof v === 'object' && Object.keys(v as object).length) body[k] = v as IDataObject;
	}
	if (Array.isArray(row.allowed_routes) && row.allowed_routes.length)
		body.allowed_routes = row.allowed_routes;
	// Spend carries over with a budget, so a rotation does not refill it.
	if (typeof row.max_budget === 'number' && typeof row.spend === 'number' && row.spend > 0)
		body.spend = row.spend;
	if (row.auto_rotate === true && row.rotation_interval) {
		body.auto_rotate = true;
		body.rotation_interval = row.rotation_interval;
	}
	if (tempAlias) body.key_alias = tempAlias;
	if (newKeyDuration) {
		body.duration = newKeyDuration;
	} else if (typeof row.expires === 'string') {
		// Keep the old expiry date: LiteLLM takes a duration, not a date.
		const at = Date.parse(
			/[zZ]|[+-]\d\d:?\d\d$/.test(row.expires) ? row.expires : `${row.expires}Z`,
		);
		if (!Number.isNaN(at)) body.duration = `${Math.max(1, Math.ceil((at - nowMs) / 1000))}s`;
	}
	return body;
}

/** /key/regenerate body: the key travels in the body, never in the URL; the new value is ours. */
export function regenerateRequest(
	keyRef: string,
	newKey: string,
	metadata: IDataObject,
	gracePeriod: string,
	newKeyDuration: string | undefined,
): IDataObject {
	const body: IDataObject = { key: keyRef, new_key: newKey, grace_period: gracePeriod, metadata };
	if (newKeyDuration) body.duration = newKeyDuration;
	return body;
}

/** A partial credential write: the key, and the unchanged base URL n8n 2.8.x's schema requires. */
export function writable(current: IDataObject, apiKey: string): IDataObject {
	return typeof current.baseUrl === 'string' ? { apiKey, baseUrl: current.baseUrl } : { apiKey };
}
