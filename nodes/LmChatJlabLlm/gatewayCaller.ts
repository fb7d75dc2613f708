import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	explainModelRefusal,
	GatewayError,
	headlineOf,
	mayBeModelRefusal,
	toNodeError,
} from '../shared/errors';
import { CHAT_ROUTE } from '../shared/gateway';
import { DEFAULT_MAX_WAIT_MS, retryDelayMs, withRetries } from '../shared/retry';
import { classifyClientError, isCancellation } from './clientErrors';

export interface GatewayCallerOptions {
	node: INode;
	/** Retries after the first attempt, for the retryable classes only. */
	maxRetries: number;
	/** The longest wait a gateway may ask for; longer fails the call as rate_limited. */
	maxWaitMs?: number;
	/** Values to scrub from every message (the key). */
	secrets: string[];
	signal?: AbortSignal;
	/** The model asked for, and the key's model list, to tell an unknown model from a bad request. */
	model?: string;
	listModels?: () => Promise<string[]>;
	/** Backoff source; tests pass a fixed one. */
	random?: () => number;
}

type AnyAsyncIterable = { [Symbol.asyncIterator]: () => AsyncIterator<unknown> };

function isAsyncIterable(value: unknown): value is AnyAsyncIterable {
	return (
		value !== null &&
		typeof value === 'object' &&
		typeof (value as Partial<AnyAsyncIterable>)[Symbol.asyncIterator] === 'function'
	);
}

/**
 * Stands in for the chat model's retry helper (LangChain's AsyncCaller, whose only method the
 * OpenAI-compatible model uses is `call`): every request the model makes goes through here, so
 * failures are retried within Max Retries (honouring retry-after) and reach the agent or chain
 * as classified, redacted n8n errors — also the ones that arrive in the middle of a stream.
 */
export class GatewayCaller {
	// Read by code that inspects an AsyncCaller; this one runs calls as they come.
	readonly maxConcurrency = Infinity;

	constructor(private readonly options: GatewayCallerOptions) {}

	get maxRetries(): number {
		return this.options.maxRetries;
	}

	/** Classified and redacted: what the agent, the chain and n8n's run data get. */
	nodeError(failure: GatewayError): Error {
		return toNodeError(this.options.node, failure);
	}

	private cancelled(): NodeOperationError {
		return new NodeOperationError(
			this.options.node,
			'The execution was cancelled while the model was answering',
		);
	}

	async call<A extends unknown[], T>(callable: (...args: A) => Promise<T>, ...args: A): Promise<T> {
		const { maxRetries, secrets, signal, random } = this.options;
		const maxWaitMs = this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
		return await withRetries<T>(
			async (attempt) => {
				let failure: GatewayError;
				try {
					return { ok: this.checked(await callable(...args)) };
				} catch (error) {
					if (error instanceof GatewayError) {
						failure = error;
					} else if (isCancellation(error, signal)) {
						throw this.cancelled();
					} else {
						failure = classifyClientError(error, CHAT_ROUTE, secrets);
					}
				}
				failure.details.attempts = attempt + 1;
				return { err: failure };
			},
			{
				maxRetries,
				delayMs: (failure, attempt) => retryDelayMs(failure, attempt, random, maxWaitMs),
				maxWaitMs,
				maxWaitCheck: 'before-wait',
				explain: async (failure) => await this.explained(failure),
				toError: (failure) => this.nodeError(failure),
				signal,
				onCancel: () => this.cancelled(),
			},
		);
	}

	/** A refused model, classified by the key's model list as the Chat node does (errors.ts). */
	private async explained(failure: GatewayError): Promise<GatewayError> {
		const { model, listModels } = this.options;
		if (!model || !listModels || !mayBeModelRefusal(failure)) return failure;
		try {
			return explainModelRefusal(failure, model, await listModels());
		} catch {
			// Without the list the gateway's own words must do.
			return failure;
		}
	}

	/** LangChain's other entry point; the signal reaches the client through the request options. */
	async callWithOptions<A extends unknown[], T>(
		_options: { signal?: AbortSignal },
		callable: (...args: A) => Promise<T>,
		...args: A
	): Promise<T> {
		return await this.call(callable, ...args);
	}

	/** A non-stream answer must be JSON; a stream is watched for errors that come mid-way. */
	private checked<T>(value: T): T {
		if (typeof value === 'string') {
			throw new GatewayError(
				'invalid_response',
				`${headlineOf('invalid_response')}. ${CHAT_ROUTE} answered with a page that is not JSON`,
				{ route: CHAT_ROUTE, status: 200 },
			);
		}
		if (isAsyncIterable(value)) this.watchStream(value);
		return value;
	}

	/** Replaces the stream's iterator in place, so the client's other stream methods stay. */
	private watchStream(stream: AnyAsyncIterable): void {
		const original = stream[Symbol.asyncIterator].bind(stream);
		const caller = this;
		stream[Symbol.asyncIterator] = function () {
			return caller.guard(original());
		};
	}

	private async *guard(source: AsyncIterator<unknown>): AsyncGenerator<unknown> {
		const { secrets, signal } = this.options;
		let events = 0;
		let done = false;
		try {
			while (true) {
				let next: IteratorResult<unknown>;
				try {
					next = await source.next();
				} catch (error) {
					done = true;
					if (isCancellation(error, signal)) throw this.cancelled();
					throw this.nodeError(classifyClientError(error, CHAT_ROUTE, secrets, true));
				}
				if (next.done) {
					done = true;
					break;
				}
				events++;
				yield next.value;
			}
		} finally {
			// The consumer stopped early: let the client close the connection.
			if (!done) await source.return?.();
		}
		if (events === 0) {
			throw this.nodeError(
				new GatewayError(
					'invalid_response',
					`${headlineOf('invalid_response')}. ${CHAT_ROUTE} answered without any stream event`,
					{ route: CHAT_ROUTE, status: 200 },
				),
			);
		}
	}
}

/**
 * Puts the caller in place of the model's own retry helper, and of those of the objects it hands
 * its calls to (the OpenAI-compatible model delegates to a chat-completions and a responses
 * part, each with its own). Returns how many it replaced: 0 when the model has none.
 */
export function installCaller(model: unknown, caller: GatewayCaller): number {
	const hasCaller = (o: unknown): o is { caller: { call?: unknown } } => {
		const current = (o as { caller?: { call?: unknown } } | null)?.caller;
		return !!current && typeof current === 'object' && typeof current.call === 'function';
	};
	if (!model || typeof model !== 'object') return 0;
	let replaced = 0;
	for (const target of [model, ...Object.values(model)]) {
		if (target && typeof target === 'object' && hasCaller(target) && target.caller !== caller) {
			(target as { caller: unknown }).caller = caller;
			replaced++;
		}
	}
	return replaced;
}
