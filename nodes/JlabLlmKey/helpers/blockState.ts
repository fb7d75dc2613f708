import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { credentialKeyHash, gatewayRequest } from '../../shared/gateway';
import type { ItemResult } from '../../shared/items';
import type { Pacer } from '../../shared/pacing';
import { keySummary } from './keys';
import { keySelectProperties, selectedKey } from './keySelect';
import { readTuning, tuningOptions } from './options';
import { optionsCollection } from '../../shared/properties';

const CONFIRM_OWN = "Block This Credential's Own Key";

const OWN_KEY_BLOCKED =
	"This credential's own key is now blocked: every request with it fails, Unblock included. Only a gateway admin (or the admin of the key's team) can unblock it.";

const confirmOwnProperty: INodeProperties = {
	displayName: CONFIRM_OWN,
	name: 'confirmBlockOwnKey',
	type: 'boolean',
	default: false,
	description:
		"Whether to block the key even when it is the key of this node's credential. Every workflow using the credential then stops, and the credential cannot unblock its own key: only a gateway admin can.",
};

function refuseOwnKey(): never {
	throw inputError(
		CONFIRM_OWN,
		"the key to block is this credential's own key; a blocked key cannot unblock itself and only a gateway admin can unblock it. Turn this option on to block it anyway.",
	);
}

/** A fingerprint that can only name the credential's own key: refused before any request. */
function namesOwnKey(ctx: IExecuteFunctions, itemIndex: number, ownHash: string): boolean {
	if (ctx.getNodeParameter('keySelect', itemIndex, 'alias') !== 'fingerprint') return false;
	const fp = String(ctx.getNodeParameter('keyFingerprint', itemIndex, '') ?? '')
		.trim()
		.toLowerCase();
	return /^[0-9a-f]{12,64}$/.test(fp) && ownHash.startsWith(fp);
}

/** Block and Unblock differ only in the route and the state they set: one definition for both. */
export function blockStateOperation(operation: 'block' | 'unblock', notice: string) {
	const blocked = operation === 'block';
	const properties: INodeProperties[] = [
		{ displayName: notice, name: `${operation}Notice`, type: 'notice', default: '' },
		...keySelectProperties(false),
		...(blocked ? [confirmOwnProperty] : []),
		optionsCollection([...tuningOptions]),
	];

	async function execute(
		this: IExecuteFunctions,
		itemIndex: number,
		pacer: Pacer,
	): Promise<ItemResult[]> {
		const tuning = readTuning(this, itemIndex, pacer);
		const confirmOwn =
			blocked && this.getNodeParameter('confirmBlockOwnKey', itemIndex, false) === true;
		const ownHash = blocked ? await credentialKeyHash(this, itemIndex) : undefined;
		if (ownHash && !confirmOwn && namesOwnKey(this, itemIndex, ownHash)) refuseOwnKey();
		const target = await selectedKey(this, itemIndex, tuning, false);
		const ownKey = ownHash !== undefined && target.hash === ownHash;
		if (ownKey && !confirmOwn) refuseOwnKey();
		const res = await gatewayRequest.call(this, {
			route: `/key/${operation}`,
			method: 'POST',
			body: { key: target.hash },
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer,
		});
		const row = { ...(target.row ?? {}), ...((res.body as IDataObject) ?? {}) };
		return [
			{
				json: {
					...keySummary(row, target.hash),
					blocked,
					...(ownKey && { ownKey: true, notice: OWN_KEY_BLOCKED }),
				},
			},
		];
	}

	return {
		description: updateDisplayOptions({ show: { operation: [operation] } }, properties),
		execute,
	};
}
