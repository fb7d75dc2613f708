import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import { gatewayRequest, gatewayRequestWithKey } from '../../shared/gateway';
import { keyHash } from '../../shared/redact';
import { retryDelayMs, withRetries } from '../../shared/retry';
import { settle } from '../../shared/settle';
import type { KeyInfoResponse, KeyInfoRow } from '../../shared/types';
import type { RequestTuning } from './keys';
import { awaitRefusal, isStaleKeyAnswer, type KeyStanding } from './propagation';

/** `stale`: the key authenticated, but /key/info found no row for it (a gateway worker's cache still holds a deleted key). */
export type KeyCheck =
	| { result: 'accepted'; row?: KeyInfoRow; stale?: boolean }
	| { result: 'refused' | 'unknown'; error: GatewayError };

/**
 * Whether the gateway accepts `key`, presented on its own: /key/info, or /v1/models for a key
 * restricted to LLM routes (key_type llm_api), which may not read /key/info.
 */
export async function checkKey(
	ctx: IExecuteFunctions,
	baseUrl: string,
	key: string,
	itemIndex: number,
	tuning: RequestTuning,
	secrets: string[],
): Promise<KeyCheck> {
	const ask = async (route: string) =>
		await gatewayRequestWithKey.call(ctx, {
			baseUrl,
			apiKey: key,
			route,
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			secrets,
		});
	const info = await settle(ask('/key/info'));
	if (info.ok)
		return { result: 'accepted', row: (info.value.body as unknown as KeyInfoResponse)?.info };
	const err = asGatewayError(info.error);
	if (err.errorClass === 'invalid_key') return { result: 'refused', error: err };
	if (isStaleKeyAnswer(err)) return { result: 'accepted', stale: true };
	if (err.errorClass !== 'permission_denied') return { result: 'unknown', error: err };
	const models = await settle(ask('/v1/models'));
	if (models.ok) return { result: 'accepted' };
	const failure = asGatewayError(models.error);
	return { result: failure.errorClass === 'invalid_key' ? 'refused' : 'unknown', error: failure };
}

/**
 * POST /key/generate with a key made here. Never sent twice blindly: a lost answer is settled
 * by presenting the key. Returns the gateway's answer ({} when it was lost but the key works).
 */
export async function generateKey(
	ctx: IExecuteFunctions,
	baseUrl: string,
	body: IDataObject & { key: string },
	itemIndex: number,
	tuning: RequestTuning,
	secrets: string[],
): Promise<IDataObject> {
	return await withRetries<IDataObject>(
		async () => {
			const sent = await settle(
				gatewayRequest.call(ctx, {
					route: '/key/generate',
					method: 'POST',
					body,
					itemIndex,
					timeoutMs: tuning.timeoutMs,
					maxRetries: 0,
					secrets,
				}),
			);
			if (sent.ok) return { ok: (sent.value.body ?? {}) as IDataObject };
			return { err: asGatewayError(sent.error) };
		},
		{
			maxRetries: tuning.maxRetries,
			retryable: (error) => isAmbiguous(error) || error.errorClass === 'rate_limited',
			// A lost answer is settled by presenting the key: made (done), not made (retried) or unknown.
			onFailure: async (error) => {
				if (!isAmbiguous(error)) return undefined;
				const check = await checkKey(ctx, baseUrl, body.key, itemIndex, tuning, secrets);
				if (check.result === 'accepted') return { value: {} };
				if (check.result === 'unknown') {
					// Cannot tell: make sure the key does not exist, so nothing is left half-done.
					const gone = await deleteKey(ctx, baseUrl, body.key, itemIndex, tuning, secrets);
					error.message = `${error.message}. ${gone ? 'The gateway did not answer; the key it may have created was deleted.' : 'The gateway did not answer and may have created a key that could not be deleted: look for it by its alias.'}`;
					throw error;
				}
				return undefined;
			},
			delayMs: (error, attempt) => retryDelayMs(error, attempt),
			signal: ctx.getExecutionCancelSignal?.(),
			onCancel: 'ignore',
		},
	);
}

/** Classes where a request may or may not have been carried out: its answer never came. */
export function isAmbiguous(err: unknown): boolean {
	return (
		err instanceof GatewayError &&
		(err.errorClass === 'timeout' ||
			err.errorClass === 'gateway_unavailable' ||
			err.errorClass === 'upstream_error' ||
			err.errorClass === 'invalid_response')
	);
}

/** Anything thrown below the transport, as a classified failure. */
export function asGatewayError(error: unknown): GatewayError {
	if (error instanceof GatewayError) return error;
	return new GatewayError(
		'invalid_response',
		error instanceof Error ? error.message : String(error),
	);
}

/**
 * Deletes `key` (by hash) with the credential's authority, else the key deletes itself. True
 * when the gateway then refuses the key, or (if that check cannot run) confirmed the deletion.
 */
export async function deleteKey(
	ctx: IExecuteFunctions,
	baseUrl: string,
	key: string,
	itemIndex: number,
	tuning: RequestTuning,
	secrets: string[],
): Promise<boolean> {
	const body = { keys: [keyHash(key)] };
	const common = {
		route: '/key/delete',
		method: 'POST' as const,
		body,
		itemIndex,
		timeoutMs: tuning.timeoutMs,
		maxRetries: tuning.maxRetries,
		secrets,
	};
	const byCredential = await settle(gatewayRequest.call(ctx, common));
	let confirmed = byCredential.ok;
	// 404: already gone (an earlier attempt went through). Otherwise the key may delete itself.
	if (!byCredential.ok && asGatewayError(byCredential.error).details.status !== 404) {
		confirmed = (await settle(gatewayRequestWithKey.call(ctx, { ...common, baseUrl, apiKey: key })))
			.ok;
	}
	// The gateway's refusal of the key is what counts; its word for the deletion when that cannot be checked.
	// A confirmed deletion is awaited while gateway workers still accept the key from their cache.
	const check = async (): Promise<{ standing: KeyStanding }> => {
		const c = await checkKey(ctx, baseUrl, key, itemIndex, tuning, secrets);
		if (c.result === 'accepted' && c.stale) {
			// The row is gone: the deletion went through, whichever answer said what.
			confirmed = true;
			return { standing: 'stale' };
		}
		return { standing: c.result };
	};
	const settled = await awaitRefusal(ctx, check, tuning.revocationWaitMs ?? 0);
	return settled.standing === 'refused' || (settled.standing === 'unknown' && confirmed);
}
