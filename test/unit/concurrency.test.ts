/** AdaptiveConcurrency: items in flight and attempts sent, as the gateway's answers teach it. */
import { AdaptiveConcurrency, START_CONCURRENCY } from '../../nodes/shared/concurrency';

const limited = { errorClass: 'rate_limited', details: { status: 429, retryAfterMs: 1000 } };

/** Lets queued promise callbacks run. */
const settle = async () => {
	for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Starts `n` attempts; returns how many got through wait() so far. */
function attempts(c: AdaptiveConcurrency, n: number) {
	const passed: number[] = [];
	const all = Array.from({ length: n }, (_, i) => c.wait().then(() => passed.push(i)));
	return { passed, all };
}

describe('AdaptiveConcurrency: items in flight', () => {
	it('starts at 16 (never above the cap) and grows by one per clean answer up to the cap', () => {
		expect(START_CONCURRENCY).toBe(16);
		expect(new AdaptiveConcurrency({ max: 3 }).allowed).toBe(3);
		const c = new AdaptiveConcurrency({ max: 40 });
		expect(c.allowed).toBe(16);
		for (let i = 0; i < 16; i++) c.noteSuccess({});
		expect(c.allowed).toBe(32);
		for (let i = 0; i < 50; i++) c.noteSuccess({});
		expect(c.allowed).toBe(40);
	});

	it('halves on a rate limit, an unavailable gateway or a timeout, once per burst, then grows slowly', () => {
		const clock = { t: 0 };
		const c = new AdaptiveConcurrency({ max: 64, start: 32, now: () => clock.t });
		c.noteFailure(limited);
		c.noteFailure(limited);
		c.noteFailure({ errorClass: 'gateway_unavailable', details: { status: 503 } });
		expect(c.allowed).toBe(16);
		clock.t = 2000;
		c.noteFailure({ errorClass: 'timeout', details: {} });
		expect(c.allowed).toBe(8);
		// After a back-off: about one more slot per window's worth of answers.
		for (let i = 0; i < 8; i++) c.noteSuccess({});
		expect(c.allowed).toBe(8);
		for (let i = 0; i < 9; i++) c.noteSuccess({});
		expect(c.allowed).toBe(9);
		// Other failures say nothing about load.
		c.noteFailure({ errorClass: 'bad_request', details: { status: 400 } });
		c.noteFailure({ errorClass: 'budget_exceeded', details: { status: 429 } });
		expect(c.allowed).toBe(9);
	});

	it('does not grow while the gateway says little remains', () => {
		const c = new AdaptiveConcurrency({ max: 64, start: 16 });
		for (let i = 0; i < 10; i++) c.noteSuccess({ 'x-ratelimit-api_key-remaining-requests': '5' });
		expect(c.allowed).toBe(16);
	});

	it('hands out item slots in arrival order and no more than allowed', async () => {
		const c = new AdaptiveConcurrency({ max: 2, start: 2 });
		const order: number[] = [];
		await c.acquire();
		await c.acquire();
		const waiting = [3, 4, 5].map((n) => c.acquire().then(() => order.push(n)));
		await settle();
		expect(order).toEqual([]);
		c.release();
		await waiting[0];
		expect(order).toEqual([3]);
		c.release();
		c.release();
		await Promise.all(waiting);
		expect(order).toEqual([3, 4, 5]);
		expect(c.state.inFlight).toBe(2);
	});

	it('lets a cancelled waiter go without losing a slot', async () => {
		const c = new AdaptiveConcurrency({ max: 1 });
		await c.acquire();
		const abort = new AbortController();
		const waiter = c.acquire(abort.signal);
		abort.abort();
		await waiter;
		c.release();
		c.release();
		expect(c.state.inFlight).toBe(0);
	});
});

describe('AdaptiveConcurrency: attempts and the key limits', () => {
	it('lets attempts go freely while the gateway names no limit', async () => {
		const c = new AdaptiveConcurrency({ max: 4 });
		const { passed, all } = attempts(c, 50);
		await Promise.all(all);
		expect(passed).toHaveLength(50);
		expect(c.state.outstanding).toBe(50);
	});

	it('keeps outstanding attempts within what remains in the window; one probe when nothing remains', async () => {
		const c = new AdaptiveConcurrency({ max: 64 });
		await c.wait();
		c.noteSuccess({
			'x-ratelimit-api_key-remaining-requests': '3',
			'x-ratelimit-api_key-limit-requests': '60',
		});
		const first = attempts(c, 10);
		await settle();
		expect(first.passed).toHaveLength(3);
		// An answer saying nothing remains: of the 3 outstanding one comes back, 2 remain out, none more go.
		c.noteSuccess({
			'x-ratelimit-api_key-remaining-requests': '0',
			'x-ratelimit-api_key-limit-requests': '60',
		});
		await settle();
		expect(first.passed).toHaveLength(3);
		c.noteSuccess({ 'x-ratelimit-api_key-remaining-requests': '0' });
		c.noteSuccess({ 'x-ratelimit-api_key-remaining-requests': '0' });
		await settle();
		// Nothing outstanding: exactly one probe goes.
		expect(first.passed).toHaveLength(4);
		// The probe is refused with retry-after: everyone waits; then a whole window (60) may go.
		c.pauseFor(30);
		c.noteFailure(limited);
		await settle();
		expect(first.passed).toHaveLength(4);
		await Promise.all(first.all);
		expect(first.passed).toHaveLength(10);
		expect(c.state.remaining).toBe(60);
	});

	it('a probe that fails for another reason lets the next probe go (no deadlock)', async () => {
		const c = new AdaptiveConcurrency({ max: 8 });
		await c.wait();
		c.noteSuccess({ 'x-ratelimit-remaining-requests': '0' });
		const { passed } = attempts(c, 3);
		await settle();
		expect(passed).toHaveLength(1);
		c.noteFailure({ errorClass: 'upstream_error', details: { status: 500 } });
		await settle();
		expect(passed).toHaveLength(2);
	});

	it('no tokens left counts as no requests left; the parallel-request limit caps outstanding attempts', async () => {
		const c = new AdaptiveConcurrency({ max: 64 });
		await c.wait();
		c.noteSuccess({
			'x-ratelimit-remaining-requests': '50',
			'x-ratelimit-api_key-remaining-tokens': '0',
		});
		const a = attempts(c, 3);
		await settle();
		expect(a.passed).toHaveLength(1);

		const p = new AdaptiveConcurrency({ max: 64 });
		await p.wait();
		p.noteSuccess({ 'x-ratelimit-api_key-limit-max_parallel_requests': '2' });
		const b = attempts(p, 5);
		await settle();
		expect(b.passed).toHaveLength(2);
	});

	it('counts progress for the transport (answers that passed)', () => {
		const c = new AdaptiveConcurrency({ max: 4 });
		c.noteSuccess({});
		c.noteFailure(limited);
		c.noteSuccess({});
		expect(c.progress).toBe(2);
	});
});
