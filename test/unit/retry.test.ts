/** withRetries: the one retry loop, each policy field on its own (delays of 0 ms keep it fast). */
import { GatewayError } from '../../nodes/shared/errors';
import { Pacer } from '../../nodes/shared/pacing';
import { type Attempted, type RetryPolicy, withRetries } from '../../nodes/shared/retry';

const failure = (
	errorClass: ConstructorParameters<typeof GatewayError>[0],
	retryAfterMs?: number,
) => new GatewayError(errorClass, errorClass, { retryAfterMs });

/** Answers with the given outcomes in turn, counting the attempts. */
function script(outcomes: Array<GatewayError | string>) {
	const sent: number[] = [];
	const send = async (attempt: number): Promise<Attempted<string>> => {
		sent.push(attempt);
		const next = outcomes[Math.min(attempt, outcomes.length - 1)];
		return typeof next === 'string' ? { ok: next, headers: {} } : { err: next };
	};
	return { send, sent };
}

const base: RetryPolicy<string> = { maxRetries: 2, delayMs: () => 0, onCancel: 'stop' };

describe('withRetries', () => {
	it('retries the retryable classes within maxRetries, and no others', async () => {
		const flaky = script([failure('timeout'), failure('upstream_error'), 'answer']);
		await expect(withRetries(flaky.send, base)).resolves.toBe('answer');
		expect(flaky.sent).toEqual([0, 1, 2]);

		const down = script([failure('gateway_unavailable')]);
		await expect(withRetries(down.send, base)).rejects.toThrow('gateway_unavailable');
		expect(down.sent).toEqual([0, 1, 2]);

		const refused = script([failure('invalid_key')]);
		await expect(withRetries(refused.send, base)).rejects.toThrow('invalid_key');
		expect(refused.sent).toEqual([0]);
	});

	it('takes the caller’s own idea of what to retry', async () => {
		const odd = script([failure('invalid_response'), 'answer']);
		const retryable = (f: GatewayError) => f.errorClass === 'invalid_response';
		await expect(withRetries(odd.send, { ...base, retryable })).resolves.toBe('answer');
	});

	it('checks the wait limit before the budget only when asked to', async () => {
		const long = () => script([failure('rate_limited', 60_000)]);
		const first = long();
		await expect(
			withRetries(first.send, { ...base, maxRetries: 0, maxWaitMs: 1000, maxWaitCheck: 'first' }),
		).rejects.toThrow(/longer than Max Wait/);
		const late = long();
		await expect(
			withRetries(late.send, {
				...base,
				maxRetries: 0,
				maxWaitMs: 1000,
				maxWaitCheck: 'before-wait',
			}),
		).rejects.toThrow(/^rate_limited$/);
		const retried = long();
		await expect(
			withRetries(retried.send, { ...base, maxWaitMs: 1000, maxWaitCheck: 'before-wait' }),
		).rejects.toThrow(/longer than Max Wait/);
		expect(retried.sent).toEqual([0]);
	});

	it('lets onFailure resend at once without spending a retry, or supply the answer', async () => {
		const once = script([failure('invalid_key'), failure('invalid_key')]);
		let resent = false;
		const onFailure = async () => {
			if (resent) return undefined;
			resent = true;
			return { resend: true as const };
		};
		await expect(withRetries(once.send, { ...base, maxRetries: 0, onFailure })).rejects.toThrow(
			'invalid_key',
		);
		expect(once.sent).toEqual([0, 1]);

		const lost = script([failure('timeout')]);
		const found = async () => ({ value: 'found' });
		await expect(withRetries(lost.send, { ...base, onFailure: found })).resolves.toBe('found');
	});

	it('explains and wraps only the failure that ends the loop', async () => {
		const blocked = script([failure('blocked_key')]);
		const explain = async (f: GatewayError) =>
			new GatewayError('permission_denied', `why ${f.message}`);
		const toError = (f: GatewayError) => new Error(`node: ${f.message}`);
		await expect(withRetries(blocked.send, { ...base, explain, toError })).rejects.toThrow(
			'node: why blocked_key',
		);
	});

	it('spends no retry on an asked-for wait while the run makes progress', async () => {
		const pacer = new Pacer();
		pacer.noteSuccess({});
		const outcomes = [failure('rate_limited', 0), failure('rate_limited', 0), 'answer'];
		const paced = script(outcomes);
		const send = async (attempt: number) => {
			if (attempt === 1) pacer.noteSuccess({});
			return await paced.send(attempt);
		};
		const policy = { ...base, maxRetries: 1, pacer, reportToPacer: true };
		await expect(withRetries(send, { ...policy, freeWaitsWhileProgressing: true })).resolves.toBe(
			'answer',
		);
		const stalled = script(outcomes);
		await expect(withRetries(stalled.send, policy)).rejects.toThrow('rate_limited');
		expect(stalled.sent).toEqual([0, 1]);
	});

	it('ends at a cancellation as the caller says', async () => {
		const controller = new AbortController();
		controller.abort();
		const signal = controller.signal;
		const stop = script([failure('timeout')]);
		await expect(withRetries(stop.send, { ...base, signal })).rejects.toThrow('timeout');
		expect(stop.sent).toEqual([0]);

		const own = script([failure('timeout')]);
		const onCancel = () => new Error('cancelled');
		await expect(withRetries(own.send, { ...base, signal, onCancel })).rejects.toThrow('cancelled');

		const ignore = script([failure('timeout'), 'answer']);
		await expect(withRetries(ignore.send, { ...base, signal, onCancel: 'ignore' })).resolves.toBe(
			'answer',
		);
	});
});
