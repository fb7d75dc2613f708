import { randomUUID } from 'crypto';
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { GatewayError } from '../../shared/errors';
import { fingerprint, type KeyFingerprint, redact } from '../../shared/redact';
import type { RequestTuning } from '../helpers/keys';
import {
	type RequestedStrategy,
	type RotationState,
	STATE_MEANING,
	type Strategy,
	type Transition,
	TRANSITIONS,
} from './states';

export interface RotationInput {
	itemIndex: number;
	strategy: RequestedStrategy;
	/** Validated LiteLLM duration, or undefined. */
	gracePeriod?: string;
	/** Validated LiteLLM duration for the new key's lifetime; undefined keeps the old expiry. */
	newKeyDuration?: string;
	/** The n8n credential to write; default the node's own jlabLlmApi credential. */
	credentialId?: string;
	tuning: RequestTuning;
}

export interface RotationStep {
	step: Transition | 'fallback';
	ok: boolean;
	state: RotationState;
	at: string;
	note?: string;
	errorType?: string;
}

export interface RotationReport {
	operation: 'rotate';
	ok: boolean;
	state: RotationState;
	meaning: string;
	rotationId: string;
	strategyRequested: RequestedStrategy;
	strategy: Strategy | null;
	fallbackReason: string | null;
	credentialId: string;
	/** The key the credential holds when the run ends, as far as the run could prove. */
	credentialHolds: 'old' | 'new' | 'unknown';
	oldKey: KeyFingerprint;
	newKey: KeyFingerprint | null;
	oldKeyRevoked: boolean;
	/**
	 * When the old key stops working: the end of the grace period (or of gateway workers' caches);
	 * null once revoked, or when it has no end.
	 */
	oldKeyValidUntil: string | null;
	newKeyExpires: string | null;
	keyAlias: string | null;
	gracePeriod: string | null;
	steps: RotationStep[];
	warnings: string[];
	/** What a person must still do, or null. */
	remaining: string | null;
}

export interface RotationOutcome {
	report: RotationReport;
	/** The failure that stopped the run (already redacted), when report.ok is false. */
	failure?: GatewayError;
	/** Every key value this run handled, to scrub from anything it emits. */
	secrets: string[];
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The run's record: its state, the report it builds step by step, and the keys it handled. */
export class RotationRecord {
	state: RotationState = 'started';

	readonly report: RotationReport;

	failure?: GatewayError;

	/** The last failed step's error: what a run that stops later reports. */
	lastError?: GatewayError;

	readonly secrets: string[] = [];

	constructor(
		private readonly ctx: IExecuteFunctions,
		input: RotationInput,
		credentialId: string,
		oldKey: string,
	) {
		this.secrets.push(oldKey);
		this.report = {
			operation: 'rotate',
			ok: false,
			state: 'started',
			meaning: STATE_MEANING.started,
			rotationId: randomUUID(),
			strategyRequested: input.strategy,
			strategy: null,
			fallbackReason: null,
			credentialId,
			credentialHolds: 'old',
			oldKey: fingerprint(oldKey),
			newKey: null,
			oldKeyRevoked: false,
			oldKeyValidUntil: null,
			newKeyExpires: null,
			keyAlias: null,
			gracePeriod: null,
			steps: [],
			warnings: [],
			remaining: null,
		};
	}

	/** Takes a named transition; any other order is a defect, never a silent skip. */
	go(transition: Transition, note?: string): void {
		const spec = TRANSITIONS[transition];
		if (!spec.from.includes(this.state)) {
			throw new NodeOperationError(
				this.ctx.getNode(),
				`Rotation defect: ${transition} is not allowed in state ${this.state}`,
			);
		}
		this.state = spec.to;
		this.report.state = spec.to;
		this.report.meaning = STATE_MEANING[spec.to];
		this.report.steps.push({
			step: transition,
			ok: true,
			state: spec.to,
			at: iso(Date.now()),
			...(note ? { note } : {}),
		});
	}

	/** Records a failed step; the state stays where it was. */
	stumble(step: Transition, error: unknown): GatewayError {
		const err = this.asGatewayError(error);
		this.lastError = err;
		this.report.steps.push({
			step,
			ok: false,
			state: this.state,
			at: iso(Date.now()),
			note: err.message,
			errorType: err.errorClass,
		});
		return err;
	}

	asGatewayError(error: unknown): GatewayError {
		if (error instanceof GatewayError) {
			// Messages are redacted where they are made; this pass also covers keys minted since.
			error.message = redact(error.message, this.secrets);
			return error;
		}
		const message = error instanceof Error ? error.message : String(error);
		return new GatewayError('invalid_response', redact(message, this.secrets));
	}

	/** Ends the run in failure, saying what remains to do. */
	stop(failure: GatewayError, remaining: string | null): RotationOutcome {
		this.failure = failure;
		this.report.ok = false;
		this.report.remaining = remaining;
		return { report: this.report, failure, secrets: this.secrets };
	}

	done(): RotationOutcome {
		this.report.ok = true;
		return { report: this.report, secrets: this.secrets };
	}
}
