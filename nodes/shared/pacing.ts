import { sleep } from 'n8n-workflow';

/** The longest delay a timer holds (2^31 - 1 ms): a longer one fires after 1 ms instead, with a warning. */
export const TIMER_MAX_MS = 2_147_483_647;

/** Waits `ms` (at most TIMER_MAX_MS), or less when the execution is cancelled (the timer itself cannot be cleared). */
export async function pause(requestedMs: number, signal?: AbortSignal): Promise<void> {
	const ms = Math.min(requestedMs, TIMER_MAX_MS);
	if (!(ms > 0)) return;
	if (!signal) return await sleep(ms);
	if (signal.aborted) return;
	await new Promise<void>((resolve) => {
		const onAbort = () => resolve();
		signal.addEventListener('abort', onAbort, { once: true });
		void sleep(ms).then(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		});
	});
}

/**
 * Pacing shared by every request of one node run: when the gateway says "wait" (429 with
 * retry-after / reset_at), all requests wait, instead of each one burning its retries.
 */
export class Pacer {
	private resumeAt = 0;

	/** Answers that passed during this run: tells a rate-limit wait apart from a stall. */
	progress = 0;

	/** The longest wait the gateway may ask for before a request fails instead (Max Wait option). */
	maxWaitMs?: number;

	constructor(protected readonly now: () => number = Date.now) {}

	/** Milliseconds until requests may flow again. */
	get waitMs(): number {
		return Math.max(0, this.resumeAt - this.now());
	}

	async wait(signal?: AbortSignal): Promise<void> {
		// Loop: another request may extend the pause while we sleep.
		for (let ms = this.waitMs; ms > 0 && !signal?.aborted; ms = this.waitMs) {
			await pause(ms, signal);
		}
	}

	pauseFor(ms: number): void {
		this.resumeAt = Math.max(this.resumeAt, this.now() + Math.min(ms, TIMER_MAX_MS));
	}

	/** The transport reports every answer that passed (lower-case headers). */
	noteSuccess(_headers: Record<string, string>): void {
		this.progress++;
	}

	/** The transport reports every failed attempt, retried or not. */
	noteFailure(_failure: PacedFailure): void {}
}

/** What the pacer learns from a failed attempt (a GatewayError has this shape). */
export interface PacedFailure {
	errorClass: string;
	details: { status?: number; retryAfterMs?: number };
}
