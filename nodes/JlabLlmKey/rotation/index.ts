import type { IExecuteFunctions } from 'n8n-workflow';

import type { RotationInput, RotationOutcome } from './report';
import { Rotation } from './Rotation';

export type { RotationInput, RotationOutcome, RotationReport, RotationStep } from './report';
export { regenerateRequest, siblingRequest } from './requests';
export {
	DEFAULT_REGENERATE_GRACE,
	MIN_REGENERATE_GRACE_MS,
	type RequestedStrategy,
	ROTATION_STATES,
	type RotationState,
	STATE_MEANING,
	type Strategy,
	type Transition,
	TRANSITIONS,
} from './states';

/**
 * Key rotation as an explicit state machine (docs/architecture.md, invariant 2; docs/rotation.md):
 *
 *   started ─inspect→ inspected ─checkN8n→ n8n_ready ─mint→ minted ─verifyNew→ new_verified
 *     ─write→ written ─verifyCredential→ credential_verified
 *     ─revokeOld→ old_revoked ─finish→ completed
 *
 * (regenerate finishes straight from credential_verified: the grace period retires the old key).
 * A failure before `write` under replace takes `rollBack` (new key deleted → rolled_back) or,
 * when that fails, `rollbackFailed`. A failure after `write` never deletes the new key. At every
 * state the credential holds a key the gateway accepts; the report says which, with fingerprints.
 *
 * Runs one rotation of the node's credential; never throws for gateway or n8n failures.
 */
export async function rotateKey(
	this: IExecuteFunctions,
	input: RotationInput,
): Promise<RotationOutcome> {
	const rotation = await Rotation.prepare(this, input);
	const outcome = await follow(rotation);
	// The rotation lock, while the old key's row still carries it.
	await rotation.releaseLock();
	return outcome;
}

/** The transitions in the diagram's order; the first that stops the run gives its outcome. */
async function follow(rotation: Rotation): Promise<RotationOutcome> {
	const stopped =
		(await rotation.inspect()) ??
		(await rotation.checkN8n()) ??
		(await rotation.mint()) ??
		(await rotation.verifyNew()) ??
		(await rotation.write()) ??
		(await rotation.verifyCredential()) ??
		(rotation.strategy === 'replace' ? await rotation.revokeOld() : undefined);
	return stopped ?? (await rotation.finish());
}
