/** What remains to do when a rotation stops: the `remaining` texts of the report. */
import type { RotationReport } from './report';
import type { Strategy } from './states';

/** Any stop before the gateway made a new key, or after it was deleted again. */
export const NOTHING_CHANGED =
	'Nothing changed: the credential still holds the old key, which the gateway accepts. ' +
	'Fix the cause and run Rotate again.';

/** Another run holds the rotation lock. */
export const ANOTHER_ROTATION =
	'This run changed nothing. Another rotation of this credential is under way: wait for it to ' +
	'end (its output says what it did), then run Rotate again if it is still needed.';

export const LOCK_NOT_WRITTEN =
	`${NOTHING_CHANGED} (The rotation lock could not be written to the key's metadata ` +
	'with /key/update.)';

export const n8nNotWritable = (credentialId: string) =>
	`${NOTHING_CHANGED} (n8n's public API refused or failed the check that credential ` +
	`${credentialId} can be written.)`;

export const NEITHER_STRATEGY =
	`${NOTHING_CHANGED} Ask the gateway admins for a second key (replace) or for LiteLLM ` +
	'Enterprise (regenerate).';

const fingerprints = (report: RotationReport) =>
	`old ${report.oldKey.display} (${report.oldKey.hash}), ` +
	`new ${report.newKey?.display} (${report.newKey?.hash})`;

/** Both keys were kept because the run could not prove which one the credential holds. */
export function keepBothAdvice(report: RotationReport, s: Strategy): string {
	return s === 'regenerate'
		? "If n8n did not store the new key, the credential's old key stops working at " +
				`${report.oldKeyValidUntil}: run Rotate again before then, it starts over from the key ` +
				`the credential holds. Keys: ${fingerprints(report)}.`
		: 'Find out which key the credential holds (JLab LLM Usage → Get Key Info shows its ' +
				`fingerprint), then delete the other one by hand. Keys: ${fingerprints(report)}.`;
}

export const writeUnknown = (report: RotationReport, s: Strategy) =>
	`It is not known whether n8n stored the new key in credential ${report.credentialId}: ` +
	`both keys were kept. ${keepBothAdvice(report, s)}`;

export const credentialPresentsOther = (report: RotationReport, s: Strategy) =>
	`Both keys were kept. ${keepBothAdvice(report, s)}`;

export const credentialUnconfirmed = (report: RotationReport, s: Strategy) =>
	'n8n stored the new key, but a request through the credential could not confirm it, so both ' +
	`keys were kept. ${keepBothAdvice(report, s)}`;

export const revokeOldByHand = (report: RotationReport, activeHash: string) =>
	'The credential holds the new key and works. The old key is still valid: revoke it by hand ' +
	`(fingerprint ${report.oldKey.display}, ${activeHash.slice(0, 12)}) with the Revoke/Update ` +
	'Key operation or in the Key Manager portal.';

export const swapUnknown = (grace: string | undefined) =>
	'It is not known whether the gateway swapped the key. The credential still holds the old ' +
	'key; if the swap happened, the old key works until its grace period ends ' +
	`(${grace}). Run Rotate again before then: it recovers from the old key.`;

export const newKeyMayExist = (report: RotationReport) =>
	'The credential still holds the old key, which works. The gateway may have created key ' +
	`${report.newKey?.display} (${report.newKey?.hash}), stored nowhere: if it exists, delete ` +
	'it by hand.';

/** Before the write, after regenerate: deleting the key would kill the old value with it. */
export const stoppedAfterSwap = (report: RotationReport, what: string) =>
	`Stopped because ${what}. The gateway already swapped the key: the credential still holds ` +
	`the old key, which works until ${report.oldKeyValidUntil} (grace period). Fix the cause and ` +
	'run Rotate again before then; it recovers from the old key.';

export const stoppedRolledBack = (what: string) =>
	`Stopped because ${what}; the new key was deleted. ${NOTHING_CHANGED}`;

export const stoppedNewKeyStray = (report: RotationReport, what: string) =>
	`Stopped because ${what}. The credential still holds the old key, which works. The new key ` +
	`${report.newKey?.display} (${report.newKey?.hash}) could not be deleted and is stored ` +
	'nowhere: delete it by hand.';

const FIND_CREDENTIAL_KEY =
	'Find out which key the credential holds now with JLab LLM Usage → Get Key Info.';

/** The credential holds another key than the run started from (someone stored one meanwhile). */
export const movedAfterSwap = (report: RotationReport) =>
	'The gateway already swapped the key this run started from (it works until ' +
	`${report.oldKeyValidUntil}, grace period), but the credential holds another key now, so ` +
	`this run did not write it. ${FIND_CREDENTIAL_KEY} Keys: ${fingerprints(report)}.`;

export const MOVED_ROLLED_BACK_MEANING =
	'Rolled back: the new key was deleted; the credential holds another key than this run ' +
	'started from, and was left alone.';

export const MOVED_STRAY_MEANING =
	'The credential holds another key than this run started from, and was left alone; the new ' +
	'key could not be deleted and is stored nowhere.';

export const movedRolledBack = () =>
	`This run's new key was deleted and the credential left alone. ${FIND_CREDENTIAL_KEY}`;

export const movedNewKeyStray = (report: RotationReport) =>
	`The credential was left alone. The new key ${report.newKey?.display} ` +
	`(${report.newKey?.hash}) could not be deleted and is stored nowhere: delete it by hand. ` +
	FIND_CREDENTIAL_KEY;
