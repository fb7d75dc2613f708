import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { GatewayError, inputError } from '../../shared/errors';
import {
	checkApiKey,
	CREDENTIAL_TYPE,
	gatewayRequest,
	gatewayRequestWithKey,
	gatewaySettings,
} from '../../shared/gateway';
import { answeredForReplacement } from '../../shared/keyRow';
import { fingerprint, FULL_HASH, keyHash } from '../../shared/redact';
import { type FailureStep, retryDelayMs, withRetries } from '../../shared/retry';
import { settle } from '../../shared/settle';
import type { KeyInfoResponse, KeyInfoRow } from '../../shared/types';
import { gatewayTime, newVirtualKey, ownKeyInfo, type RequestTuning } from '../helpers/keys';
import { deleteKey, isAmbiguous } from '../helpers/mint';
import { checkCredentialWritable, n8nApiSettings, updateCredentialData } from '../helpers/n8nApi';
import { durationMs } from '../helpers/params';
import { awaitRefusal, isStaleKeyAnswer, notYetEffective } from '../helpers/propagation';
import {
	inProgress,
	lockHeldByOther,
	locked,
	lockOf,
	metadataOf,
	ROTATION_META,
	unlocked,
	withoutLock,
} from '../helpers/rotationLock';
import * as advice from './advice';
import { iso, type RotationInput, type RotationOutcome, RotationRecord } from './report';
import { regenerateRequest, siblingRequest, writable } from './requests';
import { DEFAULT_REGENERATE_GRACE, MIN_REGENERATE_GRACE_MS, type Strategy } from './states';

/**
 * How long a LiteLLM worker caches a key row (UserAPIKeyCacheTTLEnum, 60 s): a deleted key dies
 * everywhere by then.
 */
const STALE_CACHE_MS = 60_000;

/** `stale`: the key authenticated but its row is gone (a gateway worker caches a deleted key). */
type Probe =
	| { result: 'accepted'; row: KeyInfoRow; hash?: string }
	| { result: 'refused' | 'unknown' | 'stale'; error: GatewayError };

type Minted =
	| { result: 'minted'; body: IDataObject }
	| { result: 'refused' | 'unknown' | 'collision'; error: GatewayError };

/** Why this run no longer holds the lock on the key it started from. */
type LockLoss = { why: 'unreadable' | 'moved' | 'taken'; error: GatewayError };

/** A transition's result: the run's outcome when it stopped there, undefined when it goes on. */
export type Stopped = RotationOutcome | undefined;

/** The node's own credential: the old key, and the fields a write must carry (n8n 2.8). */
async function readOwnCredential(ctx: IExecuteFunctions, itemIndex: number) {
	const data = (await ctx.getCredentials(
		CREDENTIAL_TYPE,
		itemIndex,
	)) as ICredentialDataDecryptedObject;
	return { apiKey: checkApiKey(data.apiKey), data: data as IDataObject };
}

/** One rotation of the node's credential: the run's context, and one method per transition. */
export class Rotation {
	readonly run: RotationRecord;

	private readonly itemIndex: number;

	private readonly tuning: RequestTuning;

	private readonly oldHash: string;

	/** The old key's row, as the gateway showed it at inspect. */
	private row!: KeyInfoRow;

	/** The hash the credential's key answers for (the replacement's, during a grace period). */
	private activeHash!: string;

	/** The old key's metadata without this run's lock. */
	private baseMetadata!: IDataObject;

	/** Whether the old key's row may carry this run's lock, which the run removes at its end. */
	private holdsLock = false;

	/** The new key's value (made by the node, stored nowhere but in the credential) and its hash. */
	private newKey!: string;

	private newHash!: string;

	/** This rotation's record in the new key's metadata (id, rotated_from, rotated_at). */
	private rotationMeta!: IDataObject;

	/** Replace: the new key's alias until the old key gives up the alias it holds. */
	private tempAlias: string | undefined;

	/** The strategy that minted the new key; undefined before mint. */
	strategy: Strategy | undefined;

	/** The grace period the old key gets; null: replace deletes it at once. */
	private grace: string | null = null;

	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly input: RotationInput,
		private readonly baseUrl: string,
		private readonly credentialId: string,
		private readonly oldKey: string,
	) {
		this.itemIndex = input.itemIndex;
		this.tuning = input.tuning;
		this.oldHash = keyHash(oldKey);
		this.run = new RotationRecord(ctx, input, credentialId, oldKey);
	}

	private get report() {
		return this.run.report;
	}

	/** Reads the old key and settings; throws for bad input, before the first request. */
	static async prepare(ctx: IExecuteFunctions, input: RotationInput): Promise<Rotation> {
		const i = input.itemIndex;
		const own = await readOwnCredential(ctx, i);
		const { baseUrl } = await gatewaySettings(ctx, i);
		// A bad n8n API credential is bad input: it fails before the first request, not after inspect.
		await n8nApiSettings(ctx, i);
		const ownId = ctx.getNode().credentials?.[CREDENTIAL_TYPE]?.id ?? undefined;
		// The old key is read from the node's credential: only that credential may receive the new one.
		if (input.credentialId && ownId && input.credentialId !== ownId) {
			throw inputError(
				'Credential ID',
				`must be the ID of this node's own JLab LLM API credential (${ownId}), whose key is the ` +
					'one rotated; leave it empty, or select the credential to rotate on the node',
			);
		}
		const credentialId = input.credentialId ?? ownId;
		if (!credentialId) {
			throw inputError(
				'Credential ID',
				"this node's JLab LLM API credential has no ID (save the workflow with a stored " +
					'credential), or give the ID of the credential to update',
			);
		}
		return new Rotation(ctx, input, baseUrl, credentialId, own.apiKey);
	}

	// ── Requests with an explicit key or through the credential ───────────────────────────

	/** The new key before it is stored, or the old one once the credential no longer holds it. */
	private async probe(key: string, retries = this.tuning.maxRetries): Promise<Probe> {
		try {
			const res = await gatewayRequestWithKey.call(this.ctx, {
				baseUrl: this.baseUrl,
				apiKey: key,
				route: '/key/info',
				itemIndex: this.itemIndex,
				timeoutMs: this.tuning.timeoutMs,
				maxRetries: retries,
				secrets: this.run.secrets,
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
			const err = this.run.asGatewayError(error);
			if (isStaleKeyAnswer(err)) return { result: 'stale', error: err };
			return { result: err.errorClass === 'invalid_key' ? 'refused' : 'unknown', error: err };
		}
	}

	private async viaCredential() {
		return await ownKeyInfo(this.ctx, this.itemIndex, this.tuning, this.run.secrets);
	}

	/** A POST with the credential's key (the authority over the old and the new key). */
	private async post(route: string, body: IDataObject, maxRetries = this.tuning.maxRetries) {
		return await gatewayRequest.call(this.ctx, {
			route,
			method: 'POST',
			body,
			itemIndex: this.itemIndex,
			timeoutMs: this.tuning.timeoutMs,
			maxRetries,
			secrets: this.run.secrets,
		});
	}

	// ── inspect ───────────────────────────────────────────────────────────────────────────

	/** The gateway confirms the credential's key and shows its settings; the lock is taken. */
	async inspect(): Promise<Stopped> {
		const { run, report } = this;
		try {
			const info = await this.viaCredential();
			this.row = info.row;
			// During a grace period /key/info answers with the row of the key that replaced this one.
			this.activeHash = answeredForReplacement(info.hash, this.oldHash) ? info.hash : this.oldHash;
		} catch (error) {
			const err = run.stumble('inspect', error);
			return run.stop(err, advice.NOTHING_CHANGED);
		}
		if (this.activeHash !== this.oldHash) {
			report.warnings.push(
				'The credential holds a key that an earlier rotation already replaced and that now lives ' +
					'on a grace period; this rotation replaces the key that took its place (fingerprint ' +
					`${this.activeHash.slice(0, 12)}).`,
			);
		}
		report.keyAlias = typeof this.row.key_alias === 'string' ? this.row.key_alias : null;

		// The lock: a marker in the key's metadata, seen by every n8n process; the last writer has it.
		this.baseMetadata = metadataOf(this.row);
		const other = lockHeldByOther(this.row, report.rotationId, Date.now());
		if (other) return run.stop(run.stumble('inspect', inProgress(other)), advice.ANOTHER_ROTATION);
		const lockFailure = await this.takeLock();
		if (lockFailure) {
			const err = run.stumble('inspect', lockFailure);
			return run.stop(
				err,
				lockFailure.message.includes('already in progress')
					? advice.ANOTHER_ROTATION
					: advice.LOCK_NOT_WRITTEN,
			);
		}
		run.go(
			'inspect',
			`old key ${report.oldKey.display} (${report.oldKey.hash}); rotation lock taken`,
		);
		return undefined;
	}

	/** Writes this run's lock into the key's metadata and reads it back: the last writer holds it. */
	private async takeLock(): Promise<GatewayError | undefined> {
		const { run, report } = this;
		const wrote = await settle(
			this.post('/key/update', {
				key: this.activeHash,
				metadata: locked(this.baseMetadata, report.rotationId, Date.now()),
			}),
		);
		// Read back even after a failed write: an answer lost after the write still took the lock.
		const back = await settle(this.viaCredential());
		if (back.ok && lockOf(back.value.row)?.id === report.rotationId) {
			this.holdsLock = true;
			return undefined;
		}
		if (back.ok && lockOf(back.value.row)) return inProgress(lockOf(back.value.row));
		// The write may have been applied: clear it (clearing another run's lock only stops that run).
		this.holdsLock = true;
		if (!wrote.ok) return run.asGatewayError(wrote.error);
		if (!back.ok) return run.asGatewayError(back.error);
		return new GatewayError(
			'invalid_response',
			"The gateway accepted the rotation lock but did not keep it in the key's metadata",
			{ route: '/key/update' },
		);
	}

	/** Why this run no longer holds the lock on the key it started from; undefined while it does. */
	private async lockLost(): Promise<LockLoss | undefined> {
		const mine = await settle(this.viaCredential());
		if (!mine.ok) return { why: 'unreadable', error: this.run.asGatewayError(mine.error) };
		// Not ours any more: the run that holds it now releases it, not this one.
		if (mine.value.hash !== this.activeHash) {
			this.holdsLock = false;
			return {
				why: 'moved',
				error: new GatewayError(
					'bad_request',
					"A rotation of this credential's key is already in progress: the key this run started " +
						'from was replaced meanwhile',
				),
			};
		}
		const held = lockOf(mine.value.row);
		if (held?.id === this.report.rotationId) return undefined;
		this.holdsLock = false;
		return { why: 'taken', error: inProgress(held) };
	}

	/** Removes this run's lock from the old key's row, if it may carry it (it outlives the run). */
	async releaseLock(): Promise<void> {
		if (!this.holdsLock) return;
		// Best effort: the lock expires anyway.
		const done = await settle(
			this.post(
				'/key/update',
				{ key: this.activeHash, metadata: unlocked(this.baseMetadata) },
				// A lock left behind blocks the next rotations until it expires: worth a few more tries.
				this.tuning.maxRetries + 3,
			),
		);
		if (!done.ok) {
			this.report.warnings.push(
				"The rotation lock could not be removed from the old key's metadata " +
					`(${this.run.asGatewayError(done.error).errorClass}); it expires on its own within 15 ` +
					'minutes.',
			);
		}
	}

	// ── checkN8n ──────────────────────────────────────────────────────────────────────────

	/**
	 * n8n would take a write to the credential; proved without writing any data, so a late check
	 * can never put back the key read at the start while another rotation replaced it.
	 */
	async checkN8n(): Promise<Stopped> {
		const { run, credentialId } = this;
		try {
			await checkCredentialWritable.call(this.ctx, {
				credentialId,
				secrets: run.secrets,
				itemIndex: this.itemIndex,
				timeoutMs: this.tuning.timeoutMs,
				maxRetries: this.tuning.maxRetries,
			});
		} catch (error) {
			const err = run.stumble('checkN8n', error);
			return run.stop(err, advice.n8nNotWritable(credentialId));
		}
		run.go('checkN8n', `n8n accepts writes to credential ${credentialId}`);
		return undefined;
	}

	// ── mint ──────────────────────────────────────────────────────────────────────────────

	/** A fresh value for the new key (made again once when the gateway already had it). */
	private makeNewKey(): void {
		this.newKey = newVirtualKey();
		this.run.secrets.push(this.newKey);
		this.newHash = keyHash(this.newKey);
	}

	/** The new key's metadata: the old key's, without the lock, with this rotation's record. */
	private newMetadata(strategy: Strategy): IDataObject {
		const { report } = this;
		return {
			// The new key carries no lock; a regenerated row drops it (null: gateways merge metadata).
			...(strategy === 'replace' ? withoutLock(this.baseMetadata) : unlocked(this.baseMetadata)),
			[ROTATION_META]: {
				...this.rotationMeta,
				strategy,
				...(strategy === 'replace' && report.keyAlias ? { previous_alias: report.keyAlias } : {}),
			},
		};
	}

	private graceFor(strategy: Strategy): string | undefined {
		return strategy === 'regenerate'
			? (this.input.gracePeriod ?? DEFAULT_REGENERATE_GRACE)
			: this.input.gracePeriod;
	}

	/** The mint request's body for a strategy, with the current new key. */
	private mintRequest(candidate: Strategy): IDataObject {
		return candidate === 'replace'
			? siblingRequest(
					this.row as KeyInfoRow & IDataObject,
					this.newKey,
					this.newMetadata('replace'),
					this.tempAlias,
					this.input.newKeyDuration,
				)
			: regenerateRequest(
					this.activeHash === this.oldHash ? this.oldKey : this.activeHash,
					this.newKey,
					this.newMetadata('regenerate'),
					this.graceFor('regenerate') as string,
					this.input.newKeyDuration,
				);
	}

	/** The gateway makes the new key (a value it already has is replaced once by a fresh one). */
	async mint(): Promise<Stopped> {
		const { run, report, input } = this;
		this.makeNewKey();
		this.rotationMeta = {
			id: report.rotationId,
			rotated_from: report.oldKey.hash,
			rotated_at: iso(Date.now()),
		};
		this.tempAlias = report.keyAlias
			? `${report.keyAlias}-rotating-${report.rotationId.slice(0, 8)}`
			: undefined;

		const plan: Strategy[] =
			input.strategy === 'auto' ? ['replace', 'regenerate'] : [input.strategy];
		if (input.strategy === 'regenerate') {
			// The swap cannot be undone: the lock is checked again right before it.
			const lost = await this.lockLost();
			if (lost)
				return run.stop(
					run.stumble('mint', lost.error),
					lost.why === 'unreadable' ? advice.NOTHING_CHANGED : advice.ANOTHER_ROTATION,
				);
		}
		let replaceRefusal: GatewayError | undefined;
		for (const candidate of plan) {
			const tried = await this.mintWith(candidate, replaceRefusal);
			if (tried === 'minted') break;
			if (tried instanceof GatewayError) {
				replaceRefusal = tried;
				continue;
			}
			return tried;
		}
		return this.minted();
	}

	/** One strategy's mint: 'minted', the refusal that lets auto fall back, or the run's outcome. */
	private async mintWith(
		candidate: Strategy,
		replaceRefusal: GatewayError | undefined,
	): Promise<'minted' | GatewayError | RotationOutcome> {
		const { run, report, input } = this;
		if (candidate === 'regenerate') {
			const grace = this.graceFor('regenerate') as string;
			if (durationMs(grace) < MIN_REGENERATE_GRACE_MS) {
				const err = inputError(
					'Grace Period',
					'regenerate swaps the key in place, so the old key must keep working until the ' +
						'credential holds the new one: use at least 1m (default 1h)',
				);
				run.stumble('mint', err);
				return run.stop(err, advice.NOTHING_CHANGED);
			}
		}
		let minted = await this.requestMint(candidate, this.mintRequest(candidate));
		if (minted.result === 'collision') {
			report.warnings.push(
				'The gateway already had a key with the value made for this rotation (it answered 500); ' +
					'the rotation made a fresh value and tried once more.',
			);
			this.makeNewKey();
			minted = await this.requestMint(candidate, this.mintRequest(candidate));
		}
		if (minted.result === 'minted') {
			this.strategy = candidate;
			return 'minted';
		}
		const err = run.stumble('mint', minted.error);
		if (minted.result === 'unknown') {
			return await this.unknownMint(candidate, err);
		}
		// A clean refusal changed nothing. Under auto, replace gives way to regenerate when the
		// gateway will not allow a second key (one key per person, restricted key creation).
		const notAllowed = err.errorClass === 'bad_request' || err.errorClass === 'permission_denied';
		if (candidate === 'replace' && input.strategy === 'auto' && notAllowed) {
			report.fallbackReason =
				'The gateway refused a second key ' + `(${err.errorClass}: ${err.message})`;
			report.steps.push({
				step: 'fallback',
				ok: true,
				state: run.state,
				at: iso(Date.now()),
				note: 'replace refused; trying regenerate',
			});
			return err;
		}
		if (candidate === 'regenerate' && replaceRefusal && err.errorClass === 'enterprise_required') {
			const both = new GatewayError(
				'enterprise_required',
				'Neither strategy is possible on this gateway: it refused a second key ' +
					`(${replaceRefusal.errorClass}) and regenerating a key needs LiteLLM Enterprise. ` +
					`${err.message}`,
				err.details,
			);
			return run.stop(both, advice.NEITHER_STRATEGY);
		}
		return run.stop(err, advice.NOTHING_CHANGED);
	}

	/** The mint went through: the report names the strategy and the new key. */
	private minted(): Stopped {
		const { run, report, strategy } = this;
		if (!strategy)
			throw new NodeOperationError(this.ctx.getNode(), 'Rotation defect: no strategy minted a key');
		report.strategy = strategy;
		report.newKey = fingerprint(this.newKey);
		const grace = this.graceFor(strategy) ?? null;
		this.grace = grace;
		report.gracePeriod = grace;
		if (strategy === 'regenerate') {
			// The regenerate reply has no revoke_at (GenerateKeyResponse): the end of the grace period
			// is counted here.
			report.oldKeyValidUntil = iso(Date.now() + durationMs(grace as string));
			// The swapped row carries no lock (its metadata was replaced with the regenerate's).
			this.holdsLock = false;
		}
		run.go('mint', `${strategy}: new key ${report.newKey.display} (${report.newKey.hash})`);
		return undefined;
	}

	/** One mint attempt per try; an answer lost on the way back is settled by trying the new key. */
	private async requestMint(candidate: Strategy, body: IDataObject): Promise<Minted> {
		const mint = { route: candidate === 'replace' ? '/key/generate' : '/key/regenerate' };
		return await withRetries<Minted>(
			async () => {
				const sent = await settle(this.post(mint.route, body, 0));
				if (sent.ok)
					return { ok: { result: 'minted', body: (sent.value.body ?? {}) as IDataObject } };
				return { err: this.run.asGatewayError(sent.error) };
			},
			{
				// The budget is counted in mintFailed, where the regenerate fallback spends an attempt.
				maxRetries: Number.MAX_SAFE_INTEGER,
				retryable: () => true,
				delayMs: (err, attempt) => retryDelayMs(err, attempt),
				onFailure: async (err, attempt) => await this.mintFailed(candidate, mint, err, attempt),
				signal: this.ctx.getExecutionCancelSignal?.(),
				onCancel: 'ignore',
			},
		);
	}

	/** What a failed mint request means: another route, an outcome settled by probing, or a retry. */
	private async mintFailed(
		candidate: Strategy,
		mint: { route: string },
		err: GatewayError,
		attempt: number,
	): Promise<FailureStep<Minted>> {
		const { report, tuning } = this;
		const route = mint.route;
		// A gateway without the body form of regenerate: the hash (never the key) goes in the path.
		if (
			route === '/key/regenerate' &&
			err.errorClass === 'permission_denied' &&
			err.details.status === 404
		) {
			mint.route = `/key/${this.activeHash}/regenerate`;
			return { resend: true };
		}
		if (!isAmbiguous(err) && err.errorClass !== 'rate_limited') {
			// LiteLLM's "needs Enterprise" is a bare 500 on regenerate, as a failure after the
			// swap and a duplicate new_key are: whether the new key works, and for which row,
			// tells them apart.
			if (candidate === 'regenerate' && err.errorClass === 'enterprise_required') {
				const made = await this.whoseKey(candidate, await this.probe(this.newKey, 0));
				if (made === 'ours') {
					report.warnings.push(
						`The gateway answered ${route} with an error (${err.errorClass}), but the new ` +
							'key works, so the rotation went on.',
					);
					return { value: { result: 'minted', body: {} } };
				}
				if (made === 'taken') return { value: { result: 'collision', error: err } };
			}
			return { value: { result: 'refused', error: err } };
		}
		if (err.errorClass !== 'rate_limited') {
			const p = await this.probe(this.newKey);
			const made = await this.whoseKey(candidate, p);
			if (made === 'ours') {
				report.warnings.push(
					`The gateway's answer to ${route} was lost (${err.errorClass}); the new key works, ` +
						'so the rotation went on.',
				);
				return { value: { result: 'minted', body: {} } };
			}
			if (made === 'taken') return { value: { result: 'collision', error: err } };
			if (p.result === 'unknown') return { value: { result: 'unknown', error: err } };
		}
		if (attempt < tuning.maxRetries) return undefined;
		if (isAmbiguous(err)) {
			const fp = fingerprint(this.newKey);
			const orAgain =
				candidate === 'regenerate'
					? ', or run Rotate again while the old key is in its grace period'
					: '';
			report.warnings.push(
				`The gateway did not answer ${route} and does not know the new key ${fp.display} ` +
					`(${fp.hash}); should it still carry the request out late, that key is stored ` +
					`nowhere: delete it${orAgain}.`,
			);
		}
		return { value: { result: 'refused', error: err } };
	}

	/**
	 * Whose key the new value is, once the gateway accepts it: this run's (the mint went through) or
	 * another key's (the value was taken: LiteLLM's unique constraint answers 500, like a failure).
	 * Replace: the row carries this run's id. Regenerate: the old key now answers for the new
	 * value's row.
	 */
	private async whoseKey(candidate: Strategy, p: Probe): Promise<'ours' | 'taken' | 'none'> {
		if (p.result !== 'accepted') return 'none';
		const id = (metadataOf(p.row)[ROTATION_META] as IDataObject | undefined)?.id;
		if (id === this.report.rotationId) return 'ours';
		if (candidate === 'replace') return 'taken';
		const old = await this.probe(this.oldKey, 0);
		if (old.result === 'accepted' && old.hash !== undefined)
			return old.hash === this.newHash ? 'ours' : 'taken';
		// The old key cannot tell: a gateway that keeps no metadata minted it, as before this check.
		return id === undefined ? 'ours' : 'taken';
	}

	/** The mint's outcome is unknown and the gateway cannot say: make sure no stray key survives. */
	private async unknownMint(candidate: Strategy, err: GatewayError): Promise<RotationOutcome> {
		const { run, report } = this;
		if (candidate === 'regenerate') {
			return run.stop(err, advice.swapUnknown(this.graceFor('regenerate')));
		}
		const gone = await this.deleteNew();
		if (gone) {
			return run.stop(err, advice.NOTHING_CHANGED);
		}
		report.newKey = fingerprint(this.newKey);
		return run.stop(err, advice.newKeyMayExist(report));
	}

	/** Deletes the new key (replace only); true once the gateway refuses it. */
	private async deleteNew(): Promise<boolean> {
		const { ctx, baseUrl, newKey, itemIndex, tuning, run } = this;
		return await deleteKey(ctx, baseUrl, newKey, itemIndex, tuning, run.secrets);
	}

	// ── verifyNew ─────────────────────────────────────────────────────────────────────────

	/** The gateway accepts the new key, presented on its own. */
	async verifyNew(): Promise<Stopped> {
		const { run, report } = this;
		const checked = await this.probe(this.newKey);
		if (
			checked.result !== 'accepted' ||
			(checked.hash !== undefined && checked.hash !== this.newHash)
		) {
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
			return await this.failBeforeWrite(err, 'the gateway did not confirm the new key');
		}
		report.newKeyExpires = gatewayTime(checked.row.expires);
		run.go('verifyNew', 'the gateway accepts the new key');
		return undefined;
	}

	// ── write ─────────────────────────────────────────────────────────────────────────────

	/** n8n stores the new key in the credential, unless the lock or the credential moved since. */
	async write(): Promise<Stopped> {
		const ready = await this.readBeforeWrite();
		if (!('data' in ready)) return ready.stopped;
		return await this.writeCredential(ready.data);
	}

	/** The lock and the credential checked again right before the write: the credential's data. */
	private async readBeforeWrite(): Promise<{ data: IDataObject } | { stopped: RotationOutcome }> {
		const { run } = this;
		// Replace: the lock is checked again (a rotation that started just before this one took the
		// lock may have written its own over it since); regenerate's swap lets only one run through.
		if (this.strategy === 'replace') {
			const lost = await this.lockLost();
			// A key that changed meanwhile is the credential check's below.
			if (lost && lost.why !== 'moved') {
				return {
					stopped: await this.failBeforeWrite(
						run.stumble('write', lost.error),
						lost.why === 'taken'
							? 'another rotation of this credential took the lock over'
							: 'the rotation lock could not be checked before the write',
					),
				};
			}
		}
		// The credential is read again right before the write: another rotation (or a person) may have
		// stored another key meanwhile, which this run must not overwrite.
		const fresh = await settle(readOwnCredential(this.ctx, this.itemIndex));
		if (!fresh.ok) {
			return {
				stopped: await this.failBeforeWrite(
					run.stumble('write', fresh.error),
					'the credential could not be read again before the write',
				),
			};
		}
		if (fresh.value.apiKey !== this.oldKey) {
			const err = run.stumble(
				'write',
				new GatewayError(
					'bad_request',
					'The credential no longer holds the key this rotation started from: another rotation ' +
						'or a person stored another key meanwhile',
					{
						field: 'Credential ID',
					},
				),
			);
			return { stopped: await this.credentialMoved(err) };
		}
		return { data: fresh.value.data };
	}

	/** PATCH the credential (partial data: baseUrl and the rest are kept). */
	private async writeCredential(current: IDataObject): Promise<Stopped> {
		const { run, credentialId } = this;
		try {
			await updateCredentialData.call(this.ctx, {
				credentialId,
				data: writable(current, this.newKey),
				current,
				secrets: run.secrets,
				itemIndex: this.itemIndex,
				timeoutMs: this.tuning.timeoutMs,
				maxRetries: this.tuning.maxRetries,
			});
			run.go('write', `n8n stored the new key in credential ${credentialId}`);
			return undefined;
		} catch (error) {
			return await this.writeFailed(run.stumble('write', error));
		}
	}

	/** The write failed or its answer was lost: which key the credential holds decides the way on. */
	private async writeFailed(err: GatewayError): Promise<Stopped> {
		const { run, report, credentialId } = this;
		const strategy = this.strategy as Strategy;
		// Only a refusal at the first attempt surely changed nothing: an earlier one may have applied.
		if (!isAmbiguous(err) && !err.details.mayHaveApplied) {
			return await this.failBeforeWrite(
				err,
				`n8n refused to store the new key in credential ${credentialId}`,
			);
		}
		// The answer was lost: the credential itself says which key it holds. Not after regenerate:
		// during the grace period the gateway answers for the swapped row whichever value is presented.
		let holds: 'old' | 'new' | 'unknown' = 'unknown';
		if (strategy === 'replace') {
			const now = await this.viaCredential().catch(() => undefined);
			if (now)
				holds =
					now.hash === this.newHash
						? 'new'
						: now.hash === this.activeHash || now.hash === this.oldHash
							? 'old'
							: 'unknown';
		}
		if (holds === 'old')
			return await this.failBeforeWrite(
				err,
				`n8n did not store the new key in credential ${credentialId} (the credential still holds ` +
					'the old key)',
			);
		if (holds === 'unknown') {
			report.credentialHolds = 'unknown';
			return run.stop(err, advice.writeUnknown(report, strategy));
		}
		run.go(
			'write',
			"n8n's answer was lost or a retry failed, but the credential holds the new key",
		);
		return undefined;
	}

	/** A failure before the credential holds the new key. */
	private async failBeforeWrite(err: GatewayError, what: string): Promise<RotationOutcome> {
		const { run, report } = this;
		if (this.strategy === 'regenerate') {
			// Deleting a regenerated key would kill the old one too: the grace period is the way back.
			return run.stop(err, advice.stoppedAfterSwap(report, what));
		}
		if (await this.deleteNew()) {
			run.go('rollBack', `deleted the new key ${report.newKey?.display}`);
			return run.stop(err, advice.stoppedRolledBack(what));
		}
		run.go('rollbackFailed', `could not delete the new key ${report.newKey?.display}`);
		return run.stop(err, advice.stoppedNewKeyStray(report, what));
	}

	/** The credential holds another key than this run started from: leave it, undo this run's. */
	private async credentialMoved(err: GatewayError): Promise<RotationOutcome> {
		const { run, report } = this;
		report.credentialHolds = 'unknown';
		if (this.strategy === 'regenerate') {
			return run.stop(err, advice.movedAfterSwap(report));
		}
		const gone = await this.deleteNew();
		run.go(
			gone ? 'rollBack' : 'rollbackFailed',
			gone
				? `deleted the new key ${report.newKey?.display}`
				: `could not delete the new key ${report.newKey?.display}`,
		);
		report.meaning = gone ? advice.MOVED_ROLLED_BACK_MEANING : advice.MOVED_STRAY_MEANING;
		return run.stop(err, gone ? advice.movedRolledBack() : advice.movedNewKeyStray(report));
	}

	// ── verifyCredential ──────────────────────────────────────────────────────────────────

	/** A request that n8n authenticates with the stored credential uses the new key. */
	async verifyCredential(): Promise<Stopped> {
		const { run, report, credentialId } = this;
		const strategy = this.strategy as Strategy;
		try {
			const now = await this.viaCredential();
			if (now.hash !== this.newHash) {
				const presentsOld = now.hash === this.oldHash || now.hash === this.activeHash;
				const err = run.stumble(
					'verifyCredential',
					new GatewayError(
						'bad_request',
						"n8n accepted the write, but this node's credential still presents " +
							`${presentsOld ? 'the old key' : 'another key'}: credential ${credentialId} may ` +
							'not be the one this node uses',
						{ field: 'Credential ID' },
					),
				);
				report.credentialHolds = presentsOld ? 'old' : 'unknown';
				return run.stop(err, advice.credentialPresentsOther(report, strategy));
			}
		} catch (error) {
			const err = run.stumble('verifyCredential', error);
			report.credentialHolds = 'unknown';
			return run.stop(err, advice.credentialUnconfirmed(report, strategy));
		}
		report.credentialHolds = 'new';
		run.go(
			'verifyCredential',
			strategy === 'replace'
				? 'a request through the credential used the new key'
				: 'a request through the credential was accepted for the swapped key (during the grace ' +
						"period the gateway answers alike for the old value, so n8n's confirmation of the " +
						'write is what shows the value)',
		);
		return undefined;
	}

	// ── revokeOld (replace) ───────────────────────────────────────────────────────────────

	/** Replace: delete the old key, or let it expire at the end of the grace period. */
	async revokeOld(): Promise<Stopped> {
		const { run, report } = this;
		const revoked = this.grace ? await this.retireOld(this.grace) : await this.deleteOld();
		if (!revoked) {
			return run.stop(
				run.lastError ?? new GatewayError('upstream_error', 'The old key could not be revoked'),
				advice.revokeOldByHand(report, this.activeHash),
			);
		}
		return undefined;
	}

	/** Replace, no grace: delete the old key (the new one has the authority), prove it refused. */
	private async deleteOld(): Promise<boolean> {
		const { run, report } = this;
		try {
			await this.post('/key/delete', { keys: [this.activeHash] });
		} catch (error) {
			const err = run.asGatewayError(error);
			// 404 after a retry means an earlier attempt went through; the probe settles it.
			if (err.details.status !== 404) {
				run.stumble('revokeOld', err);
				return false;
			}
		}
		const { old, waitedMs } = await this.awaitOldRefused();
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
				'The gateway confirmed the deletion; the check that it refuses the old key could not ' +
					`run: ${old.error.message}`,
			);
		report.oldKeyRevoked = true;
		// A revoked key has no "valid until": only cached copies on other workers give it one.
		report.oldKeyValidUntil = null;
		if (old.result === 'stale') {
			// Deleted at the gateway, not yet everywhere: an upper bound, not a failure of the rotation.
			report.warnings.push(
				`${notYetEffective(waitedMs)} Old key ${report.oldKey.display} ` +
					`(${this.activeHash.slice(0, 12)}).`,
			);
			report.oldKeyValidUntil = iso(Date.now() + STALE_CACHE_MS);
		}
		this.holdsLock = false;
		run.go(
			'revokeOld',
			old.result === 'stale'
				? 'the old key is deleted; some gateway workers still accept it from their cache'
				: 'the old key is deleted',
		);
		return true;
	}

	/** Workers that cached the old key accept it until their entry expires: awaited, bounded. */
	private async awaitOldRefused(): Promise<{ old: Probe; waitedMs: number }> {
		let old = await this.probe(this.oldKey);
		const waited = await awaitRefusal(
			this.ctx,
			async () => {
				if (old.result === 'stale') old = await this.probe(this.oldKey, 0);
				return { standing: old.result };
			},
			this.tuning.revocationWaitMs ?? 0,
		);
		return { old, waitedMs: waited.waitedMs };
	}

	/** Replace with grace: the old key expires at the grace period's end and gives up its alias. */
	private async retireOld(period: string): Promise<boolean> {
		const { run, report } = this;
		const body: IDataObject = {
			key: this.activeHash,
			duration: period,
			metadata: unlocked(this.baseMetadata),
		};
		if (report.keyAlias)
			body.key_alias = `${report.keyAlias}-retired-${report.rotationId.slice(0, 8)}`;
		try {
			const res = await this.post('/key/update', body);
			const expires = (res.body as IDataObject)?.expires;
			report.oldKeyValidUntil = gatewayTime(expires) ?? iso(Date.now() + durationMs(period));
		} catch (error) {
			run.stumble('revokeOld', error);
			return false;
		}
		this.holdsLock = false;
		run.go('revokeOld', `the old key expires at ${report.oldKeyValidUntil}`);
		return true;
	}

	// ── finish ────────────────────────────────────────────────────────────────────────────

	/** Replace: the new key takes the old alias back. Regenerate: the grace period ends the old. */
	async finish(): Promise<RotationOutcome> {
		const { run, report } = this;
		if (this.strategy === 'regenerate') {
			await this.checkGracePeriod();
			run.go(
				'finish',
				report.oldKeyRevoked
					? 'the old key no longer works'
					: `the old key stops working at ${report.oldKeyValidUntil}`,
			);
			return run.done();
		}
		await this.restoreAlias();
		run.go('finish', 'rotation complete');
		return run.done();
	}

	/** Regenerate: the old key must work during the grace period (some LiteLLM releases drop it). */
	private async checkGracePeriod(): Promise<void> {
		const { report } = this;
		const old = await this.probe(this.oldKey, 0);
		if (old.result === 'refused') {
			report.oldKeyValidUntil = null;
			report.oldKeyRevoked = true;
			report.warnings.push(
				'The gateway already refuses the old key: it did not keep it for the grace period.',
			);
		} else if (old.result === 'unknown') {
			report.warnings.push(
				'Could not check that the old key still works during the grace period: ' +
					`${old.error.message}`,
			);
		}
	}

	/** The new key takes back the old key's alias, which was unique to the old one until now. */
	private async restoreAlias(): Promise<void> {
		const { run, report, tempAlias } = this;
		if (!report.keyAlias || !tempAlias) return;
		try {
			await this.post('/key/update', { key: this.newHash, key_alias: report.keyAlias });
		} catch (error) {
			const err = run.asGatewayError(error);
			report.warnings.push(
				`The new key keeps the temporary alias "${tempAlias}": renaming it to ` +
					`"${report.keyAlias}" failed (${err.errorClass}). Rename it with Update Key.`,
			);
			report.keyAlias = tempAlias;
		}
	}
}
