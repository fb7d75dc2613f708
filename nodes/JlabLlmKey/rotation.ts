import { randomUUID } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { GatewayError, inputError } from '../shared/errors';
import {
	checkApiKey,
	CREDENTIAL_TYPE,
	gatewayRequest,
	gatewayRequestWithKey,
	gatewaySettings,
} from '../shared/gateway';
import { answeredForReplacement } from '../shared/keyRow';
import { pause } from '../shared/pacing';
import { fingerprint, FULL_HASH, type KeyFingerprint, keyHash, redact } from '../shared/redact';
import { retryDelayMs } from '../shared/retry';
import { settle } from '../shared/settle';
import type { KeyInfoResponse, KeyInfoRow } from '../shared/types';
import { gatewayTime, newVirtualKey, ownKeyInfo, type RequestTuning } from './helpers/keys';
import { deleteKey, isAmbiguous } from './helpers/mint';
import { checkCredentialWritable, n8nApiSettings, updateCredentialData } from './helpers/n8nApi';
import { durationMs } from './helpers/params';
import { awaitRefusal, isStaleKeyAnswer, notYetEffective } from './helpers/propagation';
import {
	inProgress,
	lockHeldByOther,
	locked,
	lockOf,
	metadataOf,
	ROTATION_META,
	unlocked,
	withoutLock,
} from './helpers/rotationLock';

/**
 * Key rotation as an explicit state machine (DESIGN.md invariant 2):
 *
 *   started ─inspect→ inspected ─checkN8n→ n8n_ready ─mint→ minted ─verifyNew→ new_verified
 *     ─write→ written ─verifyCredential→ credential_verified ─revokeOld→ old_revoked ─finish→ completed
 *
 * (regenerate finishes straight from credential_verified: the grace period retires the old key).
 * A failure before `write` under replace takes `rollBack` (new key deleted → rolled_back) or,
 * when that fails, `rollbackFailed`. A failure after `write` never deletes the new key. At every
 * state the credential holds a key the gateway accepts; the report says which, with fingerprints.
 */

export type RequestedStrategy = 'auto' | 'replace' | 'regenerate';
export type Strategy = 'replace' | 'regenerate';

export const ROTATION_STATES = [
	'started',
	'inspected',
	'n8n_ready',
	'minted',
	'new_verified',
	'written',
	'credential_verified',
	'old_revoked',
	'completed',
	'rolled_back',
	'rollback_failed',
] as const;

export type RotationState = (typeof ROTATION_STATES)[number];

/** What each state leaves behind, in the words the output uses. */
export const STATE_MEANING: Record<RotationState, string> = {
	started: 'Nothing changed: the credential holds the old key.',
	inspected: 'Nothing changed: the gateway confirmed the old key the credential holds.',
	n8n_ready:
		'Nothing changed: n8n accepts writes to the credential, which still holds the old key.',
	minted: 'The gateway has a new key that is not verified yet; the credential holds the old key.',
	new_verified: 'The gateway accepts the new key; the credential still holds the old key.',
	written:
		'n8n accepted the new key for the credential; a request through the credential has not confirmed it yet, so both keys stay valid.',
	credential_verified:
		'The credential holds the new key and the gateway accepts it through the credential; the old key is still valid.',
	old_revoked:
		'The credential holds the new key; the old key is revoked (or set to expire at the end of the grace period).',
	completed: 'Rotation complete: the credential holds the new key.',
	rolled_back:
		'Rolled back: the new key was deleted; the credential holds the old key, which still works.',
	rollback_failed:
		'The credential holds the old key, which still works; the new key could not be deleted and is stored nowhere.',
};

export type Transition =
	| 'inspect'
	| 'checkN8n'
	| 'mint'
	| 'verifyNew'
	| 'write'
	| 'verifyCredential'
	| 'revokeOld'
	| 'finish'
	| 'rollBack'
	| 'rollbackFailed';

export const TRANSITIONS: Record<
	Transition,
	{ from: readonly RotationState[]; to: RotationState }
> = {
	inspect: { from: ['started'], to: 'inspected' },
	checkN8n: { from: ['inspected'], to: 'n8n_ready' },
	mint: { from: ['n8n_ready'], to: 'minted' },
	verifyNew: { from: ['minted'], to: 'new_verified' },
	write: { from: ['new_verified'], to: 'written' },
	verifyCredential: { from: ['written'], to: 'credential_verified' },
	revokeOld: { from: ['credential_verified'], to: 'old_revoked' },
	finish: { from: ['credential_verified', 'old_revoked'], to: 'completed' },
	rollBack: { from: ['minted', 'new_verified'], to: 'rolled_back' },
	rollbackFailed: { from: ['minted', 'new_verified'], to: 'rollback_failed' },
};

/** How long a LiteLLM worker caches a key row (UserAPIKeyCacheTTLEnum, 60 s): a deleted key dies everywhere by then. */
const STALE_CACHE_MS = 60_000;

/** Regenerate keeps the old key alive this long unless told otherwise (never zero: see below). */
export const DEFAULT_REGENERATE_GRACE = '1h';
/** A regenerated key's old value dies at once without a grace period, leaving the credential a dead key. */
export const MIN_REGENERATE_GRACE_MS = 60_000;

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
	/** When the old key stops working: the end of the grace period (or of gateway workers' caches); null once revoked, or when it has no end. */
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

/** The node's own credential: the old key and the fields a write must carry (n8n 2.8 workaround). */
async function readOwnCredential(ctx: IExecuteFunctions, itemIndex: number) {
	const data = (await ctx.getCredentials(
		CREDENTIAL_TYPE,
		itemIndex,
	)) as ICredentialDataDecryptedObject;
	return { apiKey: checkApiKey(data.apiKey), data: data as IDataObject };
}

/** A partial write: the key, plus the unchanged base URL that n8n 2.8.x's schema requires. */
function writable(current: IDataObject, apiKey: string): IDataObject {
	return typeof current.baseUrl === 'string' ? { apiKey, baseUrl: current.baseUrl } : { apiKey };
}

/** `stale`: the key authenticated but its row is gone (a gateway worker still caches a deleted key). */
type Probe =
	| { result: 'accepted'; row: KeyInfoRow; hash?: string }
	| { result: 'refused' | 'unknown' | 'stale'; error: GatewayError };

const iso = (ms: number) => new Date(ms).toISOString();

class Rotation {
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

/** What a run must undo when it ends: its rotation lock, while the old key's row still carries it. */
interface LockState {
	release?: () => Promise<void>;
}

/** Runs one rotation of the node's credential; never throws for gateway or n8n failures. */
export async function rotateKey(
	this: IExecuteFunctions,
	input: RotationInput,
): Promise<RotationOutcome> {
	const lock: LockState = {};
	const outcome = await rotate.call(this, input, lock);
	if (lock.release) await lock.release();
	return outcome;
}

async function rotate(
	this: IExecuteFunctions,
	input: RotationInput,
	lock: LockState,
): Promise<RotationOutcome> {
	const ctx = this;
	const i = input.itemIndex;
	const { tuning } = input;
	const own = await readOwnCredential(ctx, i);
	const { baseUrl } = await gatewaySettings(ctx, i);
	// A bad n8n API credential is bad input: it fails before the first request, not after inspect.
	await n8nApiSettings(ctx, i);
	const ownId = ctx.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? undefined;
	// The old key is read from the node's credential, so only that credential may receive the new one.
	if (input.credentialId && ownId && input.credentialId !== ownId) {
		throw inputError(
			'Credential ID',
			`must be the ID of this node's own JLab LLM API credential (${ownId}), whose key is the one rotated; leave it empty, or select the credential to rotate on the node`,
		);
	}
	const credentialId = input.credentialId ?? ownId;
	if (!credentialId) {
		throw inputError(
			'Credential ID',
			"this node's JLab LLM API credential has no ID (save the workflow with a stored credential), or give the ID of the credential to update",
		);
	}
	const oldKey = own.apiKey;
	const oldHash = keyHash(oldKey);
	const run = new Rotation(ctx, input, credentialId, oldKey);
	const report = run.report;
	const nobodyChanged =
		'Nothing changed: the credential still holds the old key, which the gateway accepts. Fix the cause and run Rotate again.';

	// Requests with an explicit key (the new one before it is stored; the old one once the credential no longer holds it).
	const probe = async (key: string, retries = tuning.maxRetries): Promise<Probe> => {
		try {
			const res = await gatewayRequestWithKey.call(ctx, {
				baseUrl,
				apiKey: key,
				route: '/key/info',
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				maxRetries: retries,
				secrets: run.secrets,
			});
			const body = res.body as unknown as KeyInfoResponse;
			if (!body?.info || typeof body.info !== 'object') {
				return {
					result: 'unknown',
					error: new GatewayError(
						'invalid_response',
						'The gateway answered /key/info without key information',
						{ route: '/key/info' },
					),
				};
			}
			const hash = typeof body.key === 'string' && FULL_HASH.test(body.key) ? body.key : undefined;
			return { result: 'accepted', row: body.info, hash };
		} catch (error) {
			const err = run.asGatewayError(error);
			if (isStaleKeyAnswer(err)) return { result: 'stale', error: err };
			return { result: err.errorClass === 'invalid_key' ? 'refused' : 'unknown', error: err };
		}
	};
	const viaCredential = async () => await ownKeyInfo(ctx, i, tuning, run.secrets);

	// ── inspect: the gateway confirms the key the credential holds, and shows its settings.
	let row: KeyInfoRow;
	let activeHash: string;
	try {
		const info = await viaCredential();
		row = info.row;
		// During a grace period /key/info answers with the row of the key that replaced this one.
		activeHash = answeredForReplacement(info.hash, oldHash) ? info.hash : oldHash;
	} catch (error) {
		const err = run.stumble('inspect', error);
		return run.stop(err, nobodyChanged);
	}
	if (activeHash !== oldHash) {
		report.warnings.push(
			`The credential holds a key that an earlier rotation already replaced and that now lives on a grace period; this rotation replaces the key that took its place (fingerprint ${activeHash.slice(0, 12)}).`,
		);
	}
	report.keyAlias = typeof row.key_alias === 'string' ? row.key_alias : null;

	// The lock: a marker in the key's metadata, seen by every n8n process; the last writer holds it.
	const baseMetadata = metadataOf(row);
	const busy = `This run changed nothing. Another rotation of this credential is under way: wait for it to end (its output says what it did), then run Rotate again if it is still needed.`;
	const other = lockHeldByOther(row, report.rotationId, Date.now());
	if (other) return run.stop(run.stumble('inspect', inProgress(other)), busy);
	const lockFailure = await takeLock();
	if (lockFailure) {
		const err = run.stumble('inspect', lockFailure);
		return run.stop(
			err,
			lockFailure.message.includes('already in progress')
				? busy
				: `${nobodyChanged} (The rotation lock could not be written to the key's metadata with /key/update.)`,
		);
	}
	run.go(
		'inspect',
		`old key ${report.oldKey.display} (${report.oldKey.hash}); rotation lock taken`,
	);

	// ── checkN8n: n8n would take a write to the credential; proved without writing any data, so a
	// late check can never put back the key read at the start while another rotation replaced it.
	try {
		await checkCredentialWritable.call(ctx, {
			credentialId,
			secrets: run.secrets,
			itemIndex: i,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
		});
	} catch (error) {
		const err = run.stumble('checkN8n', error);
		return run.stop(
			err,
			`${nobodyChanged} (n8n's public API refused or failed the check that credential ${credentialId} can be written.)`,
		);
	}
	run.go('checkN8n', `n8n accepts writes to credential ${credentialId}`);

	// ── mint (a value already taken at the gateway is replaced once by a fresh one: see mint()).
	let newKey = newVirtualKey();
	run.secrets.push(newKey);
	let newHash = keyHash(newKey);
	const rotationMeta: IDataObject = {
		id: report.rotationId,
		rotated_from: report.oldKey.hash,
		rotated_at: iso(Date.now()),
	};
	const metadata = (strategy: Strategy): IDataObject => ({
		// The new key carries no lock; a regenerated row drops it (null, for gateways that merge metadata).
		...(strategy === 'replace' ? withoutLock(baseMetadata) : unlocked(baseMetadata)),
		[ROTATION_META]: {
			...rotationMeta,
			strategy,
			...(strategy === 'replace' && report.keyAlias ? { previous_alias: report.keyAlias } : {}),
		},
	});
	const tempAlias = report.keyAlias
		? `${report.keyAlias}-rotating-${report.rotationId.slice(0, 8)}`
		: undefined;
	const graceFor = (strategy: Strategy) =>
		strategy === 'regenerate' ? (input.gracePeriod ?? DEFAULT_REGENERATE_GRACE) : input.gracePeriod;

	const plan: Strategy[] = input.strategy === 'auto' ? ['replace', 'regenerate'] : [input.strategy];
	if (input.strategy === 'regenerate') {
		// The swap cannot be undone: the lock is checked again right before it.
		const lost = await lockLost();
		if (lost)
			return run.stop(
				run.stumble('mint', lost.error),
				lost.why === 'unreadable' ? nobodyChanged : busy,
			);
	}
	let strategy: Strategy | undefined;
	let replaceRefusal: GatewayError | undefined;
	for (const candidate of plan) {
		if (candidate === 'regenerate') {
			const grace = graceFor('regenerate') as string;
			if (durationMs(grace) < MIN_REGENERATE_GRACE_MS) {
				const err = inputError(
					'Grace Period',
					'regenerate swaps the key in place, so the old key must keep working until the credential holds the new one: use at least 1m (default 1h)',
				);
				run.stumble('mint', err);
				return run.stop(err, nobodyChanged);
			}
		}
		const body = () =>
			candidate === 'replace'
				? siblingRequest(
						row as KeyInfoRow & IDataObject,
						newKey,
						metadata('replace'),
						tempAlias,
						input.newKeyDuration,
					)
				: regenerateRequest(
						activeHash === oldHash ? oldKey : activeHash,
						newKey,
						metadata('regenerate'),
						graceFor('regenerate') as string,
						input.newKeyDuration,
					);
		let minted = await mint(candidate, body());
		if (minted.result === 'collision') {
			report.warnings.push(
				'The gateway already had a key with the value made for this rotation (it answered 500); the rotation made a fresh value and tried once more.',
			);
			newKey = newVirtualKey();
			run.secrets.push(newKey);
			newHash = keyHash(newKey);
			minted = await mint(candidate, body());
		}
		if (minted.result === 'minted') {
			strategy = candidate;
			break;
		}
		const err = run.stumble('mint', minted.error);
		if (minted.result === 'unknown') {
			return await unknownMint(candidate, err);
		}
		// A clean refusal changed nothing. Under auto, replace gives way to regenerate when the
		// gateway will not allow a second key (one key per person, restricted key creation).
		const notAllowed = err.errorClass === 'bad_request' || err.errorClass === 'permission_denied';
		if (candidate === 'replace' && input.strategy === 'auto' && notAllowed) {
			replaceRefusal = err;
			report.fallbackReason = `The gateway refused a second key (${err.errorClass}: ${err.message})`;
			report.steps.push({
				step: 'fallback',
				ok: true,
				state: run.state,
				at: iso(Date.now()),
				note: 'replace refused; trying regenerate',
			});
			continue;
		}
		if (candidate === 'regenerate' && replaceRefusal && err.errorClass === 'enterprise_required') {
			const both = new GatewayError(
				'enterprise_required',
				`Neither strategy is possible on this gateway: it refused a second key (${replaceRefusal.errorClass}) and regenerating a key needs LiteLLM Enterprise. ${err.message}`,
				err.details,
			);
			return run.stop(
				both,
				`${nobodyChanged} Ask the gateway admins for a second key (replace) or for LiteLLM Enterprise (regenerate).`,
			);
		}
		return run.stop(err, nobodyChanged);
	}
	if (!strategy)
		throw new NodeOperationError(ctx.getNode(), 'Rotation defect: no strategy minted a key');
	report.strategy = strategy;
	report.newKey = fingerprint(newKey);
	const grace = graceFor(strategy) ?? null;
	report.gracePeriod = grace;
	if (strategy === 'regenerate') {
		// The regenerate reply has no revoke_at (GenerateKeyResponse): the end of the grace period is counted here.
		report.oldKeyValidUntil = iso(Date.now() + durationMs(grace as string));
		// The swapped row carries no lock (its metadata was replaced with the regenerate's).
		lock.release = undefined;
	}
	run.go('mint', `${strategy}: new key ${report.newKey.display} (${report.newKey.hash})`);

	// ── verifyNew: the gateway accepts the new key, presented on its own.
	const checked = await probe(newKey);
	if (checked.result !== 'accepted' || (checked.hash !== undefined && checked.hash !== newHash)) {
		const err = run.stumble(
			'verifyNew',
			checked.result === 'accepted'
				? new GatewayError(
						'invalid_response',
						'The gateway answered for another key than the new one',
						{ route: '/key/info' },
					)
				: checked.error,
		);
		return await failBeforeWrite(err, 'the gateway did not confirm the new key');
	}
	report.newKeyExpires = gatewayTime(checked.row.expires);
	run.go('verifyNew', 'the gateway accepts the new key');

	// Replace: the lock is checked again (a rotation that started just before this one took the lock
	// may have written its own over it since); regenerate's swap itself lets only one run through.
	if (strategy === 'replace') {
		const lost = await lockLost();
		// A key that changed meanwhile is the credential check's below.
		if (lost && lost.why !== 'moved') {
			return await failBeforeWrite(
				run.stumble('write', lost.error),
				lost.why === 'taken'
					? 'another rotation of this credential took the lock over'
					: 'the rotation lock could not be checked before the write',
			);
		}
	}
	// The credential is read again right before the write: another rotation (or a person) may have
	// stored another key meanwhile, which this run must not overwrite.
	const fresh = await settle(readOwnCredential(ctx, i));
	if (!fresh.ok) {
		return await failBeforeWrite(
			run.stumble('write', fresh.error),
			'the credential could not be read again before the write',
		);
	}
	if (fresh.value.apiKey !== oldKey) {
		const err = run.stumble(
			'write',
			new GatewayError(
				'bad_request',
				'The credential no longer holds the key this rotation started from: another rotation or a person stored another key meanwhile',
				{
					field: 'Credential ID',
				},
			),
		);
		return await credentialMoved(err);
	}

	// ── write: PATCH the credential (partial data: baseUrl and the rest are kept).
	try {
		await updateCredentialData.call(ctx, {
			credentialId,
			data: writable(fresh.value.data, newKey),
			current: fresh.value.data,
			secrets: run.secrets,
			itemIndex: i,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
		});
		run.go('write', `n8n stored the new key in credential ${credentialId}`);
	} catch (error) {
		const err = run.stumble('write', error);
		// Only a refusal at the first attempt surely changed nothing: an earlier attempt may have been applied.
		if (!isAmbiguous(err) && !err.details.mayHaveApplied) {
			return await failBeforeWrite(
				err,
				`n8n refused to store the new key in credential ${credentialId}`,
			);
		}
		// The answer was lost: the credential itself says which key it holds. Not after regenerate:
		// during the grace period the gateway answers for the swapped row whichever value is presented.
		let holds: 'old' | 'new' | 'unknown' = 'unknown';
		if (strategy === 'replace') {
			const now = await viaCredential().catch(() => undefined);
			if (now)
				holds =
					now.hash === newHash
						? 'new'
						: now.hash === activeHash || now.hash === oldHash
							? 'old'
							: 'unknown';
		}
		if (holds === 'old')
			return await failBeforeWrite(
				err,
				`n8n did not store the new key in credential ${credentialId} (the credential still holds the old key)`,
			);
		if (holds === 'unknown') {
			report.credentialHolds = 'unknown';
			return run.stop(
				err,
				`It is not known whether n8n stored the new key in credential ${credentialId}: both keys were kept. ${keepBothAdvice(strategy)}`,
			);
		}
		run.go(
			'write',
			"n8n's answer was lost or a retry failed, but the credential holds the new key",
		);
	}

	// ── verifyCredential: a request that n8n authenticates with the stored credential uses the new key.
	try {
		const now = await viaCredential();
		if (now.hash !== newHash) {
			const err = run.stumble(
				'verifyCredential',
				new GatewayError(
					'bad_request',
					`n8n accepted the write, but this node's credential still presents ${now.hash === oldHash || now.hash === activeHash ? 'the old key' : 'another key'}: credential ${credentialId} may not be the one this node uses`,
					{ field: 'Credential ID' },
				),
			);
			report.credentialHolds = now.hash === oldHash || now.hash === activeHash ? 'old' : 'unknown';
			return run.stop(err, `Both keys were kept. ${keepBothAdvice(strategy)}`);
		}
	} catch (error) {
		const err = run.stumble('verifyCredential', error);
		report.credentialHolds = 'unknown';
		return run.stop(
			err,
			`n8n stored the new key, but a request through the credential could not confirm it, so both keys were kept. ${keepBothAdvice(strategy)}`,
		);
	}
	report.credentialHolds = 'new';
	run.go(
		'verifyCredential',
		strategy === 'replace'
			? 'a request through the credential used the new key'
			: "a request through the credential was accepted for the swapped key (during the grace period the gateway answers alike for the old value, so n8n's confirmation of the write is what shows the value)",
	);

	if (strategy === 'regenerate') {
		// The grace period retires the old key; check it was honoured (some LiteLLM releases drop it).
		const old = await probe(oldKey, 0);
		if (old.result === 'refused') {
			report.oldKeyValidUntil = null;
			report.oldKeyRevoked = true;
			report.warnings.push(
				'The gateway already refuses the old key: it did not keep it for the grace period.',
			);
		} else if (old.result === 'unknown') {
			report.warnings.push(
				`Could not check that the old key still works during the grace period: ${old.error.message}`,
			);
		}
		run.go(
			'finish',
			report.oldKeyRevoked
				? 'the old key no longer works'
				: `the old key stops working at ${report.oldKeyValidUntil}`,
		);
		return run.done();
	}

	// ── revokeOld (replace): delete the old key, or let it expire at the end of the grace period.
	const revoked = grace ? await retireOld(grace) : await deleteOld();
	if (!revoked) {
		return run.stop(
			run.lastError ?? new GatewayError('upstream_error', 'The old key could not be revoked'),
			`The credential holds the new key and works. The old key is still valid: revoke it by hand (fingerprint ${report.oldKey.display}, ${activeHash.slice(0, 12)}) with the Revoke/Update Key operation or in the Key Manager portal.`,
		);
	}
	await restoreAlias();
	run.go('finish', 'rotation complete');
	return run.done();

	// ──────────────────────────────────────────────────────────────────────────────
	type Minted =
		| { result: 'minted'; body: IDataObject }
		| { result: 'refused' | 'unknown' | 'collision'; error: GatewayError };

	/** One mint attempt per try; an answer lost on the way back is settled by trying the new key. */
	async function mint(candidate: Strategy, body: IDataObject): Promise<Minted> {
		let route = candidate === 'replace' ? '/key/generate' : '/key/regenerate';
		for (let attempt = 0; ; attempt++) {
			try {
				const res = await gatewayRequest.call(ctx, {
					route,
					method: 'POST',
					body,
					itemIndex: i,
					timeoutMs: tuning.timeoutMs,
					maxRetries: 0,
					secrets: run.secrets,
				});
				return { result: 'minted', body: (res.body ?? {}) as IDataObject };
			} catch (error) {
				const err = run.asGatewayError(error);
				// A gateway without the body form of regenerate: the hash (never the key) goes in the path.
				if (
					route === '/key/regenerate' &&
					err.errorClass === 'permission_denied' &&
					err.details.status === 404
				) {
					route = `/key/${activeHash}/regenerate`;
					continue;
				}
				if (!isAmbiguous(err) && err.errorClass !== 'rate_limited') {
					// LiteLLM's "needs Enterprise" is a bare 500 on regenerate, as a failure after the swap and a
					// duplicate new_key are: whether the new key works, and for which row, tells them apart.
					if (candidate === 'regenerate' && err.errorClass === 'enterprise_required') {
						const made = await whoseKey(candidate, await probe(newKey, 0));
						if (made === 'ours') {
							report.warnings.push(
								`The gateway answered ${route} with an error (${err.errorClass}), but the new key works, so the rotation went on.`,
							);
							return { result: 'minted', body: {} };
						}
						if (made === 'taken') return { result: 'collision', error: err };
					}
					return { result: 'refused', error: err };
				}
				if (err.errorClass !== 'rate_limited') {
					const p = await probe(newKey);
					const made = await whoseKey(candidate, p);
					if (made === 'ours') {
						report.warnings.push(
							`The gateway's answer to ${route} was lost (${err.errorClass}); the new key works, so the rotation went on.`,
						);
						return { result: 'minted', body: {} };
					}
					if (made === 'taken') return { result: 'collision', error: err };
					if (p.result === 'unknown') return { result: 'unknown', error: err };
				}
				if (attempt >= tuning.maxRetries) {
					if (isAmbiguous(err)) {
						report.warnings.push(
							`The gateway did not answer ${route} and does not know the new key ${fingerprint(newKey).display} (${fingerprint(newKey).hash}); should it still carry the request out late, that key is stored nowhere: delete it${candidate === 'regenerate' ? ', or run Rotate again while the old key is in its grace period' : ''}.`,
						);
					}
					return { result: 'refused', error: err };
				}
				await pause(retryDelayMs(err, attempt), ctx.getExecutionCancelSignal?.());
			}
		}
	}

	/**
	 * Whose key the new value is, once the gateway accepts it: this run's (the mint went through) or
	 * another key's (the value was taken: LiteLLM's unique constraint answers 500, like a failure).
	 * Replace: the row carries this run's id. Regenerate: the old key now answers for the new value's row.
	 */
	async function whoseKey(candidate: Strategy, p: Probe): Promise<'ours' | 'taken' | 'none'> {
		if (p.result !== 'accepted') return 'none';
		const id = (metadataOf(p.row)[ROTATION_META] as IDataObject | undefined)?.id;
		if (id === report.rotationId) return 'ours';
		if (candidate === 'replace') return 'taken';
		const old = await probe(oldKey, 0);
		if (old.result === 'accepted' && old.hash !== undefined)
			return old.hash === newHash ? 'ours' : 'taken';
		// The old key cannot tell: a gateway that keeps no metadata minted it, as before this check existed.
		return id === undefined ? 'ours' : 'taken';
	}

	/** The mint's outcome is unknown and the gateway cannot say: make sure no stray key survives. */
	async function unknownMint(candidate: Strategy, err: GatewayError): Promise<RotationOutcome> {
		if (candidate === 'regenerate') {
			return run.stop(
				err,
				`It is not known whether the gateway swapped the key. The credential still holds the old key; if the swap happened, the old key works until its grace period ends (${graceFor('regenerate')}). Run Rotate again before then: it recovers from the old key.`,
			);
		}
		const gone = await deleteNew();
		if (gone) {
			return run.stop(err, nobodyChanged);
		}
		report.newKey = fingerprint(newKey);
		return run.stop(
			err,
			`The credential still holds the old key, which works. The gateway may have created key ${report.newKey.display} (${report.newKey.hash}), stored nowhere: if it exists, delete it by hand.`,
		);
	}

	/** Deletes the new key (replace only); true once the gateway refuses it. */
	async function deleteNew(): Promise<boolean> {
		return await deleteKey(ctx, baseUrl, newKey, i, tuning, run.secrets);
	}

	/** A failure before the credential holds the new key. */
	async function failBeforeWrite(err: GatewayError, what: string): Promise<RotationOutcome> {
		if (strategy === 'regenerate') {
			// Deleting a regenerated key would kill the old one with it: the grace period is the way back.
			return run.stop(
				err,
				`Stopped because ${what}. The gateway already swapped the key: the credential still holds the old key, which works until ${report.oldKeyValidUntil} (grace period). Fix the cause and run Rotate again before then; it recovers from the old key.`,
			);
		}
		if (await deleteNew()) {
			run.go('rollBack', `deleted the new key ${report.newKey?.display}`);
			return run.stop(err, `Stopped because ${what}; the new key was deleted. ${nobodyChanged}`);
		}
		run.go('rollbackFailed', `could not delete the new key ${report.newKey?.display}`);
		return run.stop(
			err,
			`Stopped because ${what}. The credential still holds the old key, which works. The new key ${report.newKey?.display} (${report.newKey?.hash}) could not be deleted and is stored nowhere: delete it by hand.`,
		);
	}

	/** Writes this run's lock into the key's metadata, then reads it back: the last writer holds it. */
	async function takeLock(): Promise<GatewayError | undefined> {
		const wrote = await settle(
			gatewayRequest.call(ctx, {
				route: '/key/update',
				method: 'POST',
				body: { key: activeHash, metadata: locked(baseMetadata, report.rotationId, Date.now()) },
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				maxRetries: tuning.maxRetries,
				secrets: run.secrets,
			}),
		);
		// Read back even after a failed write: an answer lost after the write still took the lock.
		const back = await settle(viaCredential());
		if (back.ok && lockOf(back.value.row)?.id === report.rotationId) {
			lock.release = releaseLock;
			return undefined;
		}
		if (back.ok && lockOf(back.value.row)) return inProgress(lockOf(back.value.row));
		// The write may have been applied: clear it (clearing another run's lock only makes that run stop).
		lock.release = releaseLock;
		if (!wrote.ok) return run.asGatewayError(wrote.error);
		if (!back.ok) return run.asGatewayError(back.error);
		return new GatewayError(
			'invalid_response',
			"The gateway accepted the rotation lock but did not keep it in the key's metadata",
			{ route: '/key/update' },
		);
	}

	/** Why this run no longer holds the lock on the key it started from, or undefined while it does. */
	async function lockLost(): Promise<
		{ why: 'unreadable' | 'moved' | 'taken'; error: GatewayError } | undefined
	> {
		const mine = await settle(viaCredential());
		if (!mine.ok) return { why: 'unreadable', error: run.asGatewayError(mine.error) };
		// Not ours any more: the run that holds it now releases it, not this one.
		if (mine.value.hash !== activeHash) {
			lock.release = undefined;
			return {
				why: 'moved',
				error: new GatewayError(
					'bad_request',
					"A rotation of this credential's key is already in progress: the key this run started from was replaced meanwhile",
				),
			};
		}
		const held = lockOf(mine.value.row);
		if (held?.id === report.rotationId) return undefined;
		lock.release = undefined;
		return { why: 'taken', error: inProgress(held) };
	}

	/** Removes this run's lock from the old key's row, which outlives the run (best effort: it expires anyway). */
	async function releaseLock(): Promise<void> {
		const done = await settle(
			gatewayRequest.call(ctx, {
				route: '/key/update',
				method: 'POST',
				body: { key: activeHash, metadata: unlocked(baseMetadata) },
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				// A lock left behind blocks the next rotations until it expires: worth a few more tries.
				maxRetries: tuning.maxRetries + 3,
				secrets: run.secrets,
			}),
		);
		if (!done.ok) {
			report.warnings.push(
				`The rotation lock could not be removed from the old key's metadata (${run.asGatewayError(done.error).errorClass}); it expires on its own within 15 minutes.`,
			);
		}
	}

	/** The credential holds another key than this run started from: leave it alone, undo what this run made. */
	async function credentialMoved(err: GatewayError): Promise<RotationOutcome> {
		report.credentialHolds = 'unknown';
		const check = 'Find out which key the credential holds now with JLab LLM Usage → Get Key Info.';
		if (strategy === 'regenerate') {
			return run.stop(
				err,
				`The gateway already swapped the key this run started from (it works until ${report.oldKeyValidUntil}, grace period), but the credential holds another key now, so this run did not write it. ${check} Keys: old ${report.oldKey.display} (${report.oldKey.hash}), new ${report.newKey?.display} (${report.newKey?.hash}).`,
			);
		}
		const gone = await deleteNew();
		run.go(
			gone ? 'rollBack' : 'rollbackFailed',
			gone
				? `deleted the new key ${report.newKey?.display}`
				: `could not delete the new key ${report.newKey?.display}`,
		);
		report.meaning = gone
			? 'Rolled back: the new key was deleted; the credential holds another key than this run started from, and was left alone.'
			: 'The credential holds another key than this run started from, and was left alone; the new key could not be deleted and is stored nowhere.';
		return run.stop(
			err,
			gone
				? `This run's new key was deleted and the credential left alone. ${check}`
				: `The credential was left alone. The new key ${report.newKey?.display} (${report.newKey?.hash}) could not be deleted and is stored nowhere: delete it by hand. ${check}`,
		);
	}

	function keepBothAdvice(s: Strategy): string {
		const fps = `old ${report.oldKey.display} (${report.oldKey.hash}), new ${report.newKey?.display} (${report.newKey?.hash})`;
		return s === 'regenerate'
			? `If n8n did not store the new key, the credential's old key stops working at ${report.oldKeyValidUntil}: run Rotate again before then, it starts over from the key the credential holds. Keys: ${fps}.`
			: `Find out which key the credential holds (JLab LLM Usage → Get Key Info shows its fingerprint), then delete the other one by hand. Keys: ${fps}.`;
	}

	/** Replace without grace: delete the old key (the credential's new key has the authority), then prove it is refused. */
	async function deleteOld(): Promise<boolean> {
		try {
			await gatewayRequest.call(ctx, {
				route: '/key/delete',
				method: 'POST',
				body: { keys: [activeHash] },
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				maxRetries: tuning.maxRetries,
				secrets: run.secrets,
			});
		} catch (error) {
			const err = run.asGatewayError(error);
			// 404 after a retry means an earlier attempt went through; the probe settles it.
			if (err.details.status !== 404) {
				run.stumble('revokeOld', err);
				return false;
			}
		}
		// Gateway workers that cached the old key accept it until their entry expires: that is awaited, bounded.
		let old = await probe(oldKey);
		const waited = await awaitRefusal(
			ctx,
			async () => {
				if (old.result === 'stale') old = await probe(oldKey, 0);
				return { standing: old.result };
			},
			tuning.revocationWaitMs ?? 0,
		);
		if (old.result === 'accepted') {
			run.stumble(
				'revokeOld',
				new GatewayError(
					'upstream_error',
					'The gateway confirmed the deletion but still accepts the old key',
				),
			);
			return false;
		}
		if (old.result === 'unknown')
			report.warnings.push(
				`The gateway confirmed the deletion; the check that it refuses the old key could not run: ${old.error.message}`,
			);
		report.oldKeyRevoked = true;
		// A revoked key has no "valid until": only cached copies on other workers give it one.
		report.oldKeyValidUntil = null;
		if (old.result === 'stale') {
			// Deleted at the gateway, not yet everywhere: an upper bound, not a failure of the rotation.
			report.warnings.push(
				`${notYetEffective(waited.waitedMs)} Old key ${report.oldKey.display} (${activeHash.slice(0, 12)}).`,
			);
			report.oldKeyValidUntil = iso(Date.now() + STALE_CACHE_MS);
		}
		lock.release = undefined;
		run.go(
			'revokeOld',
			old.result === 'stale'
				? 'the old key is deleted; some gateway workers still accept it from their cache'
				: 'the old key is deleted',
		);
		return true;
	}

	/** Replace with grace: the old key expires at the end of the grace period and gives up its alias. */
	async function retireOld(period: string): Promise<boolean> {
		const body: IDataObject = {
			key: activeHash,
			duration: period,
			metadata: unlocked(baseMetadata),
		};
		if (report.keyAlias)
			body.key_alias = `${report.keyAlias}-retired-${report.rotationId.slice(0, 8)}`;
		try {
			const res = await gatewayRequest.call(ctx, {
				route: '/key/update',
				method: 'POST',
				body,
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				maxRetries: tuning.maxRetries,
				secrets: run.secrets,
			});
			const expires = (res.body as IDataObject)?.expires;
			report.oldKeyValidUntil = gatewayTime(expires) ?? iso(Date.now() + durationMs(period));
		} catch (error) {
			run.stumble('revokeOld', error);
			return false;
		}
		lock.release = undefined;
		run.go('revokeOld', `the old key expires at ${report.oldKeyValidUntil}`);
		return true;
	}

	/** The new key takes back the old key's alias, which was unique to the old one until now. */
	async function restoreAlias(): Promise<void> {
		if (!report.keyAlias || !tempAlias) return;
		try {
			await gatewayRequest.call(ctx, {
				route: '/key/update',
				method: 'POST',
				body: { key: newHash, key_alias: report.keyAlias },
				itemIndex: i,
				timeoutMs: tuning.timeoutMs,
				maxRetries: tuning.maxRetries,
				secrets: run.secrets,
			});
		} catch (error) {
			const err = run.asGatewayError(error);
			report.warnings.push(
				`The new key keeps the temporary alias "${tempAlias}": renaming it to "${report.keyAlias}" failed (${err.errorClass}). Rename it with Update Key.`,
			);
			report.keyAlias = tempAlias;
		}
	}
}

/** /key/generate body for a sibling of `row`: same models, budget, limits, team, user and metadata. */
export function siblingRequest(
	row: KeyInfoRow & IDataObject,
	newKey: string,
	metadata: IDataObject,
	tempAlias: string | undefined,
	newKeyDuration: string | undefined,
	nowMs = Date.now(),
): IDataObject {
	const body: IDataObject = { key: newKey, metadata };
	const copy = [
		'models',
		'max_budget',
		'budget_duration',
		'soft_budget',
		'tpm_limit',
		'rpm_limit',
		'max_parallel_requests',
		'team_id',
		'user_id',
		'organization_id',
	] as const;
	for (const k of copy) {
		const v = row[k];
		if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
			body[k] = v as IDataObject[string];
	}
	for (const k of [
		'aliases',
		'model_max_budget',
		'model_rpm_limit',
		'model_tpm_limit',
		'permissions',
	] as const) {
		const v = row[k];
		if (v && typeof v === 'object' && Object.keys(v as object).length) body[k] = v as IDataObject;
	}
	if (Array.isArray(row.allowed_routes) && row.allowed_routes.length)
		body.allowed_routes = row.allowed_routes;
	// Spend carries over with a budget, so a rotation does not refill it.
	if (typeof row.max_budget === 'number' && typeof row.spend === 'number' && row.spend > 0)
		body.spend = row.spend;
	if (row.auto_rotate === true && row.rotation_interval) {
		body.auto_rotate = true;
		body.rotation_interval = row.rotation_interval;
	}
	if (tempAlias) body.key_alias = tempAlias;
	if (newKeyDuration) {
		body.duration = newKeyDuration;
	} else if (typeof row.expires === 'string') {
		// Keep the old expiry date: LiteLLM takes a duration, not a date.
		const at = Date.parse(
			/[zZ]|[+-]\d\d:?\d\d$/.test(row.expires) ? row.expires : `${row.expires}Z`,
		);
		if (!Number.isNaN(at)) body.duration = `${Math.max(1, Math.ceil((at - nowMs) / 1000))}s`;
	}
	return body;
}

/** /key/regenerate body: the key travels in the body, never in the URL; the new value is ours. */
export function regenerateRequest(
	keyRef: string,
	newKey: string,
	metadata: IDataObject,
	gracePeriod: string,
	newKeyDuration: string | undefined,
): IDataObject {
	const body: IDataObject = { key: keyRef, new_key: newKey, grace_period: gracePeriod, metadata };
	if (newKeyDuration) body.duration = newKeyDuration;
	return body;
}
