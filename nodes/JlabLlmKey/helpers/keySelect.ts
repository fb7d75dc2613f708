import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { type KeySelect, type RequestTuning, type ResolvedKey, resolveKey } from './keys';

/** "Which key": by alias or fingerprint, and for some operations the credential's own key. */
export function keySelectProperties(withCredential: boolean): INodeProperties[] {
	const options = [
		{
			name: 'By Alias',
			value: 'alias',
			description: 'The key alias, as shown in the Key Manager portal',
		},
		{
			name: 'By Fingerprint',
			value: 'fingerprint',
			description:
				'The 12 hex characters this package prints for a key (or the full 64-character hash)',
		},
	];
	if (withCredential) {
		options.push({
			name: "This Credential's Key",
			value: 'credential',
			description: "The key of this node's JLab LLM API credential",
		});
	}
	return [
		{
			displayName: 'Key',
			name: 'keySelect',
			type: 'options',
			default: 'alias',
			options,
			description:
				'Which key to act on. A user key sees only its own keys; an admin key sees every key.',
		},
		{
			displayName: 'Key Alias',
			name: 'keyAlias',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. nightly-report-bot',
			displayOptions: { show: { keySelect: ['alias'] } },
		},
		{
			displayName: 'Key Fingerprint',
			name: 'keyFingerprint',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 3f2a9c1b7d4e',
			description:
				'The fingerprint hash this package prints for a key (12 hex characters) or the full 64-character hash',
			displayOptions: { show: { keySelect: ['fingerprint'] } },
		},
	];
}

export async function selectedKey(
	ctx: IExecuteFunctions,
	itemIndex: number,
	tuning: RequestTuning,
	withCredential: boolean,
): Promise<ResolvedKey> {
	const select = ctx.getNodeParameter('keySelect', itemIndex, 'alias') as KeySelect;
	const allowed: KeySelect[] = withCredential
		? ['alias', 'fingerprint', 'credential']
		: ['alias', 'fingerprint'];
	if (!allowed.includes(select)) {
		throw inputError(
			'Key',
			withCredential
				? "one of By Alias, By Fingerprint, This Credential's Key"
				: 'one of By Alias, By Fingerprint',
		);
	}
	const value =
		select === 'alias'
			? (ctx.getNodeParameter('keyAlias', itemIndex, '') as string)
			: select === 'fingerprint'
				? (ctx.getNodeParameter('keyFingerprint', itemIndex, '') as string)
				: undefined;
	if (select === 'alias' && !String(value ?? '').trim())
		throw inputError('Key Alias', 'the alias of the key to act on is required');
	if (select === 'fingerprint' && !String(value ?? '').trim()) {
		throw inputError(
			'Key Fingerprint',
			'the fingerprint of the key to act on is required (12 hex characters, e.g. 3f2a9c1b7d4e)',
		);
	}
	return await resolveKey(ctx, itemIndex, select, value, tuning);
}
