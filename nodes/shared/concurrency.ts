import { Pacer, type PacedFailure } from './pacing';

/** Items a node starts with before the gateway has shown how much it takes, unless it names its own start (the Chat node does). */
export const START_CONCURRENCY = 16;

/** Slots added per clean answer at first: 1 doubles the window every round trip. */
export const SLOW_START_GROWTH = 1;

/** Smallest gap between two back-offs: one burst of refusals is one signal, not many. */
const BACKOFF_GAP_MS = 1_000;

export interface AdaptiveConcurrencyOptions {
	/** The user's cap: never more items in flight than this. */
	max: number;
	/** Where to start (default START_CONCURRENCY, never above max). */
	start?: number;
	/** Slots added per clean answer until the first back-off (default SLOW_START_GROWTH). */
	growth?: number;
	now?: () => number;
}

/** First of the named headers that holds a number. */
function numberHeader(headers: Record<string, string>, names: string[]): number | undefined {
	for (const name of names) {
		const raw = headers[name];
		if (raw === undefined || raw === '') continue;
		const n = Number(raw);
		if (Number.isFinite(n)) return n;
	}
	return undefined;
}

// LiteLLM's own limiter (v3) names the key; older builds and upstream counters use the plain names.
const REMAINING_REQUESTS = [
	'x-ratelimit-api_key-remaining-requests',
	'x-ratelimit-remaining-requests',
];
const LIMIT_REQUESTS = [
	'x-ratelimit-api_key-limit-requests',
	'x-ratelimit-limit-requests',
	'x-litellm-key-rpm-limit',
];
const REMAINING_TOKENS = ['x-ratelimit-api_key-remaining-tokens', 'x-ratelimit-remaining-tokens'];
const LIMIT_PARALLEL = ['x-ratelimit-api_key-limit-max_parallel_requests'];

/**
 * Decides how many items of a node run are in flight, and when each attempt may go out.
 *
 * Items (acquire/release): the window starts small, grows while answers come without limit
 * signals (one slot per answer: it doubles every round trip, up to `max`), halves on a rate
 * limit, an unavailable gateway or a timeout, then grows by about one slot per window.
 *
 * Attempts (wait, called by the transport before every attempt, retries included): never more
 * attempts outstanding than the gateway said remain in the key's rate-limit window (one probe
 * when none remain; its 429 pauses everyone until the window resets), nor more than the key's
 * parallel-request limit. Attempts still on their way are assumed not yet counted by the
 * gateway, which errs on the polite side.
 */
export class AdaptiveConcurrency extends Pacer {
	readonly max: number;

	private window: number;

	private growing = true;

	private readonly growth: number;

	private inFlight = 0;

	private readonly queue: Array<() => void> = [];

	private lastBackoffAt = Number.NEGATIVE_INFINITY;

	/** Attempts sent that have not been answered yet. */
	private outstanding = 0;

	/** Requests left in the gateway's current window, as its last answer said. */
	private remaining: number | undefined;

	/** The key's request limit per window, once the gateway has named it. */
	private limit: number | undefined;

	/** The key's limit on parallel requests, once the gateway has named it. */
	private parallel: number | undefined;

	/** Attempts waiting for news that may let them go. */
	private readonly held: Array<() => void> = [];

	constructor(options: AdaptiveConcurrencyOptions) {
		super(options.now);
		this.max = Math.max(1, Math.floor(options.max));
		this.window = Math.min(this.max, Math.max(1, Math.floor(options.start ?? START_CONCURRENCY)));
		this.growth = Math.max(1, options.growth ?? SLOW_START_GROWTH);
	}

	/** Items that may be in flight right now. */
	get allowed(): number {
		return Math.max(1, Math.min(this.max, Math.floor(this.window)));
	}

	/** For reports and tests: the window, what is in flight, and what the gateway said. */
	get state() {
		return {
			window: Math.floor(this.window),
			allowed: this.allowed,
			inFlight: this.inFlight,
			outstanding: this.outstanding,
			remaining: this.remaining,
			limit: this.limit,
			parallel: this.parallel,
		};
	}

	/** Waits for an item slot; callers queue in arrival order. Pair every acquire with release(). */
	async acquire(signal?: AbortSignal): Promise<void> {
		if (this.queue.length === 0 && this.inFlight < this.allowed) {
			this.inFlight++;
			return;
		}
		await new Promise<void>((resolve) => {
			const entry = () => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			};
			const onAbort = () => {
				const at = this.queue.indexOf(entry);
				if (at >= 0) this.queue.splice(at, 1);
				// A cancelled waiter still holds a slot, so release() stays balanced.
				this.inFlight++;
				resolve();
			};
			this.queue.push(entry);
			signal?.addEventListener('abort', onAbort, { once: true });
		});
	}

	release(): void {
		this.inFlight = Math.max(0, this.inFlight - 1);
		this.drain();
	}

	private drain(): void {
		while (this.queue.length > 0 && this.inFlight < this.allowed) {
			this.inFlight++;
			(this.queue.shift() as () => void)();
		}
	}

	/** Whether one more attempt fits what the gateway said it takes. */
	private mayAttempt(): boolean {
		if (this.parallel !== undefined && this.outstanding >= this.parallel) return false;
		if (this.remaining !== undefined && this.outstanding >= Math.max(1, this.remaining))
			return false;
		return true;
	}

	/** Before every attempt: the shared pause, then room in the key's limits. */
	async wait(signal?: AbortSignal): Promise<void> {
		for (;;) {
			await super.wait(signal);
			if (signal?.aborted) return;
			if (this.mayAttempt()) {
				this.outstanding++;
				return;
			}
			await new Promise<void>((resolve) => this.held.push(resolve));
		}
	}

	/** News from the gateway: let held attempts look again. */
	private wake(): void {
		const held = this.held.splice(0, this.held.length);
		for (const resolve of held) resolve();
		this.drain();
	}

	noteSuccess(headers: Record<string, string>): void {
		super.noteSuccess(headers);
		this.outstanding = Math.max(0, this.outstanding - 1);
		const limit = numberHeader(headers, LIMIT_REQUESTS);
		if (limit !== undefined && limit > 0) this.limit = limit;
		const parallel = numberHeader(headers, LIMIT_PARALLEL);
		if (parallel !== undefined && parallel > 0) this.parallel = parallel;
		const remaining = numberHeader(headers, REMAINING_REQUESTS);
		const tokens = numberHeader(headers, REMAINING_TOKENS);
		// No tokens left is as binding as no requests left: one probe, not a burst.
		this.remaining = tokens !== undefined && tokens <= 0 ? 0 : remaining;
		const limited = this.remaining !== undefined && this.remaining < this.window;
		if (!limited && this.window < this.max) {
			this.window = Math.min(
				this.max,
				this.window + (this.growing ? this.growth : 1 / this.window),
			);
		}
		this.wake();
	}

	noteFailure(failure: PacedFailure): void {
		super.noteFailure(failure);
		this.outstanding = Math.max(0, this.outstanding - 1);
		const cls = failure.errorClass;
		// After the pause a 429 asks for, the window has reset: a whole window is there.
		if (cls === 'rate_limited') this.remaining = this.limit;
		if (cls === 'rate_limited' || cls === 'gateway_unavailable' || cls === 'timeout') {
			const now = this.now();
			if (now - this.lastBackoffAt >= BACKOFF_GAP_MS) {
				this.lastBackoffAt = now;
				this.growing = false;
				this.window = Math.max(1, Math.floor(this.window / 2));
			}
		}
		this.wake();
	}
}
