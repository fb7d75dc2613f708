import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import { pause } from '../../shared/pacing';

/**
 * LiteLLM workers cache key rows in memory for 60 s (`UserAPIKeyCacheTTLEnum`); a deletion, block
 * or update clears only the cache of the worker that served it. Another worker accepts a deleted
 * key until its entry expires, and answers /key/info for it with 404 "Key not found in database".
 * So a deletion the gateway confirmed is awaited, bounded, before it is called effective.
 */
export const DEFAULT_REVOCATION_WAIT_S = 75;

export const revocationWaitOption: INodeProperties = {
	displayName: 'Revocation Wait (Seconds)',
	name: 'revocationWait',
	type: 'number',
	default: DEFAULT_REVOCATION_WAIT_S,
	typeOptions: { minValue: 0, maxValue: 600, numberPrecision: 0 },
	description:
		'How long to wait, after the gateway confirmed a deletion, until it refuses the deleted key everywhere: each gateway worker keeps keys in a cache for up to a minute. When the wait runs out the output says that the deletion is confirmed but not yet in effect.',
};

/**
 * What presenting a key to the gateway showed: refused; `stale`, authenticated by a worker's cache
 * although its row is gone (a deletion on its way); accepted with its row; or unknown.
 */
export type KeyStanding = 'refused' | 'stale' | 'accepted' | 'unknown';

/**
 * /key/info answered 404 for the key presented on its own: the key authenticated (a worker still
 * caches it) but its row is gone from the database. Not a bad request: a deletion on its way.
 */
export function isStaleKeyAnswer(error: unknown): boolean {
	return (
		error instanceof GatewayError &&
		error.details.status === 404 &&
		error.details.route === '/key/info' &&
		error.errorClass === 'bad_request'
	);
}

export interface RefusalWait {
	/** The last standing seen: refused, still stale when the wait ran out, or what ended the wait. */
	standing: KeyStanding;
	/** The last check's error, when it could not tell. */
	error?: unknown;
	waitedMs: number;
}

/**
 * Checks `probe` while the key is stale, until the gateway refuses it or the wait runs out; any
 * other answer ends the wait at once (no point waiting on a gateway that does not answer, or that
 * still has the row). `waitMs` 0: a single check.
 */
export async function awaitRefusal(
	ctx: IExecuteFunctions,
	probe: () => Promise<{ standing: KeyStanding; error?: unknown }>,
	waitMs: number,
): Promise<RefusalWait> {
	const started = Date.now();
	const interval = Math.min(2_000, Math.max(50, Math.floor(waitMs / 20)));
	for (;;) {
		const seen = await probe();
		const waitedMs = Date.now() - started;
		if (seen.standing !== 'stale' || waitedMs >= waitMs) return { ...seen, waitedMs };
		await pause(Math.min(interval, waitMs - waitedMs), ctx.getExecutionCancelSignal?.());
	}
}

/** The sentence an output carries when the wait ran out before every worker refused the key. */
export function notYetEffective(waitedMs: number): string {
	return `The gateway confirmed the deletion, but after ${Math.round(waitedMs / 1000)} s some of its workers still accepted the key from their cache; they stop within a minute or so (LiteLLM caches keys for 60 s per worker).`;
}
