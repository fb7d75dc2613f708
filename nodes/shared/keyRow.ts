import { FULL_HASH } from './redact';

/**
 * /key/info answered for another key than the one presented: the presented key was swapped by a
 * regenerate and authenticates only until its grace period ends, and the row the gateway answers
 * with (spend, budget, expiry, metadata) is the new key's, not the presented key's
 * (LiteLLM's user_api_key_auth resolves a deprecated key to its active token's row).
 */
export function answeredForReplacement(answeredHash: unknown, presentedHash: string): boolean {
	return (
		typeof answeredHash === 'string' &&
		FULL_HASH.test(answeredHash) &&
		answeredHash !== presentedHash
	);
}

export const REPLACED_KEY_WARNING =
	'The key in this credential has already been replaced by a rotation: the gateway accepts it only until the grace period ends. Store the new key in the credential.';
