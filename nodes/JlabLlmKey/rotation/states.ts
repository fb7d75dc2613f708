/** The rotation's states, the transitions between them and what each state leaves behind. */

/** What the person asked for: `auto` tries replace, then regenerate if a second key is refused. */
export type RequestedStrategy = 'auto' | 'replace' | 'regenerate';
/** replace: a sibling key (/key/generate); regenerate: the key swapped in place, old on grace. */
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
		'n8n accepted the new key for the credential; a request through the credential has not ' +
		'confirmed it yet, so both keys stay valid.',
	credential_verified:
		'The credential holds the new key and the gateway accepts it through the credential; the old ' +
		'key is still valid.',
	old_revoked:
		'The credential holds the new key; the old key is revoked (or set to expire at the end of ' +
		'the grace period).',
	completed: 'Rotation complete: the credential holds the new key.',
	rolled_back:
		'Rolled back: the new key was deleted; the credential holds the old key, which still works.',
	rollback_failed:
		'The credential holds the old key, which still works; the new key could not be deleted and ' +
		'is stored nowhere.',
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
	/** The gateway confirms the key the credential holds; the rotation lock is taken. */
	inspect: { from: ['started'], to: 'inspected' },
	/** n8n would accept a write to the credential (proved without writing). */
	checkN8n: { from: ['inspected'], to: 'n8n_ready' },
	/** The gateway made the new key (replace: a sibling; regenerate: the swap). */
	mint: { from: ['n8n_ready'], to: 'minted' },
	/** The gateway accepts the new key, presented on its own. */
	verifyNew: { from: ['minted'], to: 'new_verified' },
	/** n8n stored the new key in the credential. */
	write: { from: ['new_verified'], to: 'written' },
	/** A request authenticated by n8n with the credential uses the new key. */
	verifyCredential: { from: ['written'], to: 'credential_verified' },
	/** Replace: the old key is deleted, or set to expire at the end of the grace period. */
	revokeOld: { from: ['credential_verified'], to: 'old_revoked' },
	/** The run is complete (regenerate comes straight from credential_verified). */
	finish: { from: ['credential_verified', 'old_revoked'], to: 'completed' },
	/** A failure before the write under replace: the new key was deleted. */
	rollBack: { from: ['minted', 'new_verified'], to: 'rolled_back' },
	/** A failure before the write under replace, and the new key could not be deleted. */
	rollbackFailed: { from: ['minted', 'new_verified'], to: 'rollback_failed' },
};

/** Regenerate keeps the old key alive this long unless told otherwise (never zero: see below). */
export const DEFAULT_REGENERATE_GRACE = '1h';
/** Without a grace period a regenerated key's old value dies at once, the credential's with it. */
export const MIN_REGENERATE_GRACE_MS = 60_000;
