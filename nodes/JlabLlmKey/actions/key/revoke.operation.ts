import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { GatewayError, inputError } from '../../../shared/errors';
import { gatewayRequest } from '../../../shared/gateway';
import type { ItemResult } from '../../../shared/items';
import type { Pacer } from '../../../shared/pacing';
import { settle } from '../../../shared/settle';
import { displayOf, ownKeyInfo } from '../../helpers/keys';
import { asGatewayError } from '../../helpers/mint';
import { readTuning, tuningOptions } from '../../helpers/options';
import {
	awaitRefusal,
	isStaleKeyAnswer,
	type KeyStanding,
	notYetEffective,
	revocationWaitOption,
} from '../../helpers/propagation';
import { optionsCollection } from '../../../shared/properties';

const CONFIRM = 'I Understand Workflows Using This Credential Will Stop Working';

const properties: INodeProperties[] = [
	{
		displayName:
			"Deletes the key of this node's JLab LLM API credential at the gateway. Every workflow using this credential (or a copy of the key) stops working until a new key is pasted into it.",
		name: 'revokeNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: CONFIRM,
		name: 'confirmRevoke',
		type: 'boolean',
		default: false,
		description:
			"Whether to really delete the credential's key; nothing is sent to the gateway while this is off",
	},
	optionsCollection([...tuningOptions, revocationWaitOption]),
];

export const description = updateDisplayOptions({ show: { operation: ['revoke'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	if (this.getNodeParameter('confirmRevoke', itemIndex, false) !== true) {
		throw inputError(
			CONFIRM,
			'turn this on to delete the key; workflows using this credential will stop working',
		);
	}
	const tuning = readTuning(this, itemIndex, pacer);
	const own = await ownKeyInfo(this, itemIndex, tuning);
	const fingerprint = { display: displayOf(own.row.key_name), hash: own.hash.slice(0, 12) };
	const deleted = await settle(
		gatewayRequest.call(this, {
			route: '/key/delete',
			method: 'POST',
			body: { keys: [own.hash] },
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer,
		}),
	);
	// Deleted means the gateway now refuses the credential's key. This also settles a lost answer,
	// whose retry fails (404, or 401 with the key already gone).
	const check = async (): Promise<{ standing: KeyStanding; error?: unknown }> => {
		const r = await settle(ownKeyInfo(this, itemIndex, { ...tuning, maxRetries: 0 }));
		if (r.ok) return { standing: 'accepted' };
		const err = asGatewayError(r.error);
		if (err.errorClass === 'invalid_key') return { standing: 'refused' };
		// A worker still caches the key, but its row is gone: the deletion went through.
		if (isStaleKeyAnswer(err)) return { standing: 'stale' };
		return { standing: 'unknown', error: err };
	};
	const after = await awaitRefusal(this, check, tuning.revocationWaitMs ?? 0);
	const out = { deleted: true, fingerprint, keyAlias: own.row.key_alias ?? null };
	if (after.standing === 'refused') return [{ json: out }];
	if (after.standing === 'stale')
		return [{ json: { ...out, effective: false, warning: notYetEffective(after.waitedMs) } }];
	if (!deleted.ok) throw asGatewayError(deleted.error);
	if (after.standing === 'unknown') throw asGatewayError(after.error);
	const which = [fingerprint.display, `(${fingerprint.hash})`].filter(Boolean).join(' ');
	throw new GatewayError(
		'upstream_error',
		`The gateway confirmed the deletion but still accepts the key ${which}`,
		{ route: '/key/delete' },
	);
}
