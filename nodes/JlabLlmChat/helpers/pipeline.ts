import { sleep } from 'n8n-workflow';

/**
 * Items prepared in one go: the first slice is checked whole before its first request leaves
 * (bad input among them sends nothing); between later slices, sends and answers go on.
 */
export const PREPARE_SLICE = 8;

/** Most items prepared but not yet sent: the run's memory does not grow with the batch. */
export const PREPARED_AHEAD = 32;

/** What a run's preparation did, for tests and benchmarks. */
export interface PipelineStats {
	count: number;
	prepared: number;
	unsent: number;
	/** Most prepared-but-unsent items at any moment. */
	peakUnsent: number;
	/** Items prepared when the first request was handed to the transport. */
	preparedAtFirstSend?: number;
}

/** Test-only view of the latest run's pipeline (the engine tests run nodes in-process). */
export const pipelineProbe: { last?: PipelineStats } = {};

export interface PipelineOptions<P> {
	count: number;
	/** Checks and builds one item's request; throws for bad input. */
	prepare: (itemIndex: number) => P;
	/** Without Continue On Fail, bad input among the first items is thrown at once. */
	continueOnFail: boolean;
	/** Bad input thrown at once (without Continue On Fail), as the node's error. */
	fail: (error: unknown, itemIndex: number) => Error;
	signal?: AbortSignal;
}

type Slot<P> = P | Error;

/**
 * Prepares items in input order while earlier items are sent: the first request leaves once the
 * first few items are checked, and at most PREPARED_AHEAD items wait prepared but unsent.
 * A failed preparation becomes that item's error; the items are taken in input order.
 */
export class ItemPipeline<P> {
	readonly stats: PipelineStats;

	private readonly slots: Array<Slot<P> | undefined>;

	private readonly waiting = new Map<number, () => void>();

	private room: (() => void) | undefined;

	/** Items below this were prepared (and counted as unsent); the rest were given up. */
	private counted = Number.POSITIVE_INFINITY;

	/** 1 for items sent (or ended): each leaves the unsent count once. */
	private readonly done: Uint8Array;

	constructor(private readonly options: PipelineOptions<P>) {
		this.slots = new Array(options.count);
		this.done = new Uint8Array(options.count);
		this.stats = { count: options.count, prepared: 0, unsent: 0, peakUnsent: 0 };
		pipelineProbe.last = this.stats;
	}

	/**
	 * Prepares the first items at once (throwing bad input without Continue On Fail, before any
	 * request), and on until one is valid; returns that one, which carries the run's settings.
	 */
	start(): P | undefined {
		let firstValid: P | undefined;
		const { count } = this.options;
		while (
			this.stats.prepared < count &&
			(this.stats.prepared < PREPARE_SLICE || firstValid === undefined)
		) {
			const i = this.stats.prepared;
			const slot = this.prepareOne(i);
			if (slot instanceof Error && !this.options.continueOnFail) throw this.options.fail(slot, i);
			if (!(slot instanceof Error) && firstValid === undefined) firstValid = slot;
		}
		void this.produce();
		return firstValid;
	}

	/** Item `i`'s request (or the error that stopped it); each item is taken once. */
	async take(i: number): Promise<P> {
		if (i >= this.stats.prepared) {
			await new Promise<void>((resolve) => this.waiting.set(i, resolve));
		}
		const slot = this.slots[i] as Slot<P>;
		// The plan is the caller's now: the pipeline keeps nothing of a taken item.
		this.slots[i] = undefined;
		if (slot instanceof Error) throw slot;
		return slot;
	}

	/**
	 * Item `i` has been handed to the transport, or has ended without a request: room for one
	 * more prepared item. Once per item; later calls do nothing.
	 */
	sent(i: number): void {
		if (this.done[i] || i >= this.counted) return;
		this.done[i] = 1;
		if (this.stats.preparedAtFirstSend === undefined)
			this.stats.preparedAtFirstSend = this.stats.prepared;
		this.stats.unsent = Math.max(0, this.stats.unsent - 1);
		const room = this.room;
		this.room = undefined;
		room?.();
	}

	private prepareOne(i: number): Slot<P> {
		let slot: Slot<P>;
		try {
			slot = this.options.prepare(i);
		} catch (error) {
			slot = error instanceof Error ? error : new Error(String(error));
		}
		this.slots[i] = slot;
		this.stats.prepared = i + 1;
		this.stats.unsent++;
		this.stats.peakUnsent = Math.max(this.stats.peakUnsent, this.stats.unsent);
		return slot;
	}

	/** The rest, a slice at a time with a turn of the event loop between, so sends are not held up. */
	private async produce(): Promise<void> {
		const { count, continueOnFail, signal } = this.options;
		while (this.stats.prepared < count) {
			if (this.stats.unsent >= PREPARED_AHEAD) {
				await new Promise<void>((resolve) => (this.room = resolve));
				continue;
			}
			await sleep(0);
			if (signal?.aborted) return this.giveUp(new Error('The execution was cancelled'));
			// While the first requests go out, one item per turn lets each leave before the next
			// is built; after that, slices cost fewer turns.
			const slice = this.stats.prepared < PREPARED_AHEAD ? 1 : PREPARE_SLICE;
			const end = Math.min(count, this.stats.prepared + slice);
			while (this.stats.prepared < end && this.stats.unsent < PREPARED_AHEAD) {
				const i = this.stats.prepared;
				const slot = this.prepareOne(i);
				this.wake(i);
				// Without Continue On Fail the run ends with this item: prepare nothing after it.
				if (slot instanceof Error && !continueOnFail) return this.giveUp(slot);
			}
		}
	}

	/** Items after a run-ending failure are not prepared: their takers get that failure. */
	private giveUp(error: Error): void {
		this.counted = this.stats.prepared;
		for (let i = this.stats.prepared; i < this.options.count; i++) {
			this.slots[i] = error;
			this.stats.prepared = i + 1;
			this.wake(i);
		}
	}

	private wake(i: number): void {
		const wake = this.waiting.get(i);
		this.waiting.delete(i);
		wake?.();
	}
}
