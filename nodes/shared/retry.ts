import { GatewayError, headlineOf } from './errors';
import { pause, type Pacer } from './pacing';

/** Default of every node's "Max Wait (Seconds)": the longest wait a gateway may impose on one request. */
export const DEFAULT_MAX_WAIT_MS = 120_000;

/** Exponential backoff with jitter; the gateway's retry-after wins when it gave one (never beyond `maxWaitMs`). */
export function retryDelayMs(
	err: GatewayError,
	attempt: number,
	random: () => number = Math.random,
	maxWaitMs = DEFAULT_MAX_WAIT_MS,
): number {
	const asked = err.details.retryAfterMs;
	if (asked !== undefined) return Math.min(maxWaitMs, asked + Math.floor(random() * 250));
	const ceiling = Math.min(16_000, 500 * 2 ** attempt);
	return Math.min(maxWaitMs, Math.floor(ceiling * (0.5 + random() * 0.5)));
}

function seconds(ms: number): string {
	const s = ms / 1000;
	const text = s >= 1e6 ? s.toExponential(2) : String(Math.round(s * 10) / 10);
	return s >= 86_400 ? `${text} s (about ${Math.round(s / 86_400)} days)` : `${text} s`;
}

/**
 * A rate limit whose wait is longer than the node may wait: the failure to report instead of
 * waiting (a gateway could otherwise stall a run for good), or undefined when the wait is fine.
 */
export function waitTooLong(err: GatewayError, maxWaitMs: number): GatewayError | undefined {
	const asked = err.details.retryAfterMs;
	if (err.errorClass !== 'rate_limited' || asked === undefined || asked <= maxWaitMs)
		return undefined;
	const headline = headlineOf('rate_limited');
	const rest = err.message.startsWith(headline)
		? err.message.slice(headline.length).replace(/^\.\s*/, '')
		: err.message;
	const said = `The gateway asked to wait ${seconds(asked)}, longer than Max Wait (Seconds) allows (${seconds(maxWaitMs)}): not waiting`;
	return new GatewayError('rate_limited', [headline, said, rest].filter(Boolean).join('. '), {
		...err.details,
	});
}

/** One attempt: the answer (with its headers, for the pacer), or its failure classified and redacted. */
export type Attempted<T> = { ok: T; headers?: Record<string, string> } | { err: GatewayError };

/** What onFailure makes of a failure: send again at once (no wait, no retry spent), or the answer after all. */
export type FailureStep<T> = { resend: true } | { value: T } | undefined;

export interface RetryPolicy<T> {
	/** Retries after the first attempt; a free wait spends none. */
	maxRetries: number;
	/** Which failures are tried again; default the retryable classes (GatewayError.retryable). */
	retryable?: (failure: GatewayError) => boolean;
	/** The wait before the next attempt, after attempt number `attempt` (0-based) failed. */
	delayMs: (failure: GatewayError, attempt: number) => number;
	/** The longest wait the far side may ask for: a longer one ends the loop (waitTooLong). Unset: not checked. */
	maxWaitMs?: number;
	/** 'first': before the retry budget, so the last attempt's over-long wait reports as such too; 'before-wait': only a failure about to be retried. */
	maxWaitCheck?: 'first' | 'before-wait';
	/** The run's shared pacing, waited for before every attempt. */
	pacer?: Pacer;
	/** The pacer also hears of every answer and failure, and pauses the whole run for a wait the gateway asked for. */
	reportToPacer?: boolean;
	/** A wait the gateway asked for spends no retry when it is the first, or the run got an answer through since the last one (needs reportToPacer). */
	freeWaitsWhileProgressing?: boolean;
	/** Sees every failure before the policy does: may throw, send again at once, or supply the answer. */
	onFailure?: (failure: GatewayError, attempt: number) => Promise<FailureStep<T>>;
	/** A failure that is not retried may be explained better first (another request tells causes apart). */
	explain?: (failure: GatewayError) => Promise<GatewayError>;
	/** What is thrown for the failure that ends the loop; default the failure itself. */
	toError?: (failure: GatewayError) => Error;
	/** The execution's cancel signal: cuts every wait short. */
	signal?: AbortSignal;
	/** Once cancelled: 'stop' throws the failure instead of waiting; 'ignore' goes on (the next attempt meets the cancellation); a function's error is thrown after the wait. */
	onCancel: 'stop' | 'ignore' | (() => Error);
}

/** Tells a rate-limit wait during a run that makes progress (free) from a gateway that refuses everything. */
class ProgressWaits {
	private progressAtLastWait: number | undefined;

	constructor(
		private readonly pacer: Pacer | undefined,
		private readonly maxRetries: number,
	) {}

	/** Whether this asked-for wait spends no retry: the first one, or any after some answer got through. */
	isFree(askedToWait: boolean): boolean {
		const progress = this.pacer?.progress;
		const free =
			askedToWait &&
			this.maxRetries > 0 &&
			progress !== undefined &&
			(this.progressAtLastWait === undefined || progress > this.progressAtLastWait);
		if (askedToWait) this.progressAtLastWait = progress;
		return free;
	}
}

/**
 * The one retry loop: attempts until an answer, a failure the policy does not retry, the retry
 * budget spent, or an over-long wait. Every difference between callers is a field of the policy.
 */
export async function withRetries<T>(
	send: (attempt: number) => Promise<Attempted<T>>,
	policy: RetryPolicy<T>,
): Promise<T> {
	const { maxRetries, pacer, signal, onCancel } = policy;
	const reported = policy.reportToPacer ? pacer : undefined;
	const retryable = policy.retryable ?? ((failure: GatewayError) => failure.retryable);
	const toError = policy.toError ?? ((failure: GatewayError) => failure);
	const waits = policy.freeWaitsWhileProgressing ? new ProgressWaits(reported, maxRetries) : null;
	let retries = 0;
	for (let attempt = 0; ; attempt++) {
		if (pacer) await pacer.wait(signal);
		const sent = await send(attempt);
		if ('ok' in sent) {
			reported?.noteSuccess(sent.headers ?? {});
			return sent.ok;
		}
		const failure = sent.err;
		const tooLong =
			policy.maxWaitMs === undefined ? undefined : waitTooLong(failure, policy.maxWaitMs);
		const askedToWait =
			failure.errorClass === 'rate_limited' && failure.details.retryAfterMs !== undefined;
		if (askedToWait && !tooLong) reported?.pauseFor(failure.details.retryAfterMs as number);
		reported?.noteFailure(failure);
		if (tooLong && policy.maxWaitCheck === 'first') throw toError(tooLong);
		// Read before any hook yields, so the run's progress is the one this failure met.
		const free = waits?.isFree(askedToWait) ?? false;
		const step = policy.onFailure ? await policy.onFailure(failure, attempt) : undefined;
		if (step && 'resend' in step) continue;
		if (step && 'value' in step) return step.value;
		if (!retryable(failure))
			throw toError(policy.explain ? await policy.explain(failure) : failure);
		if (!free && retries >= maxRetries) throw toError(failure);
		if (onCancel === 'stop' && signal?.aborted) throw toError(failure);
		if (tooLong) throw toError(tooLong);
		if (!free) retries++;
		await pause(policy.delayMs(failure, attempt), signal);
		if (typeof onCancel === 'function' && signal?.aborted) throw onCancel();
	}
}
