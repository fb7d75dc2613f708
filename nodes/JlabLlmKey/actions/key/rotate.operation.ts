import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { GatewayError, inputError } from '../../../shared/errors';
import type { ItemResult } from '../../../shared/items';
import type { Pacer } from '../../../shared/pacing';
import { redact, redactDeep } from '../../../shared/redact';
import { readTuning, tuningOptions } from '../../helpers/options';
import { revocationWaitOption } from '../../helpers/propagation';
import { duration, durationMs, text } from '../../helpers/params';
import {
	MIN_REGENERATE_GRACE_MS,
	type RequestedStrategy,
	type RotationReport,
	rotateKey,
} from '../../rotation';
import { optionsCollection } from '../../../shared/properties';

const properties: INodeProperties[] = [
	{
		displayName:
			"Gives this node's JLab LLM API credential a new key and saves it into the credential (through the JLab LLM N8N API credential, whose n8n API key must be allowed to update credentials). Workflows that use the credential keep working. The old key stops working when the rotation ends, or when the Grace Period ends: scripts and tools outside n8n that still use it will then fail. The output shows what happened, with key fingerprints, never a key.",
		name: 'rotateNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Strategy',
		name: 'strategy',
		type: 'options',
		default: 'auto',
		options: [
			{
				name: 'Auto',
				value: 'auto',
				description: 'Replace when the gateway allows a second key, otherwise regenerate',
			},
			{
				name: 'Regenerate',
				value: 'regenerate',
				description:
					'Swap the key in place (/key/regenerate): spend, budget, alias and limits stay on the same row. Needs LiteLLM Enterprise.',
			},
			{
				name: 'Replace',
				value: 'replace',
				description:
					'Mint a sibling key with the same models, budget, limits, team and metadata, then revoke the old one. Works on open-source LiteLLM.',
			},
		],
	},
	{
		displayName: 'Grace Period',
		name: 'gracePeriod',
		type: 'string',
		default: '',
		placeholder: 'e.g. 1h',
		description:
			'How long the old key keeps working once the credential holds the new one (e.g. 30m, 24h, 2d). Empty: Replace deletes the old key at once; Regenerate keeps it for 1h (Regenerate needs at least 1m, or the credential would hold a dead key for a moment).',
		hint: 'Empty: the old key stops working when the rotation ends (Regenerate: 1 hour later). Set e.g. 24h if something outside n8n still uses it.',
	},
	{
		displayName: 'New Key Expiry',
		name: 'newKeyDuration',
		type: 'string',
		default: '',
		placeholder: 'e.g. 90d',
		description:
			'Lifetime of the new key from now (e.g. 30d, 90d, 1mo). Empty: the same expiry date as the old key (none if it has none).',
	},
	optionsCollection([
		{
			displayName: 'Credential ID',
			name: 'credentialId',
			type: 'string',
			default: '',
			description:
				"The n8n ID of the credential to write the new key into. Empty: this node's JLab LLM API credential, which is the only one allowed: the key rotated is the one it holds.",
		},
		...tuningOptions,
		revocationWaitOption,
	]),
];

export const description = updateDisplayOptions({ show: { operation: ['rotate'] } }, properties);

/** A rotation that stopped: the error a node throws, carrying the full report. */
export class RotationError extends GatewayError {
	readonly report: RotationReport;

	constructor(failure: GatewayError, report: RotationReport, secrets: string[]) {
		const what = report.remaining ? ` ${report.remaining}` : '';
		const message = `Rotation stopped in state "${report.state}": ${failure.message.replace(/\.$/, '')}.${what}`;
		super(failure.errorClass, redact(message, secrets), failure.details);
		this.name = 'RotationError';
		this.report = report;
	}

	/** What a Continue On Fail item carries besides n8n's `error`. */
	get itemJson(): IDataObject {
		return { ...(this.report as unknown as IDataObject) };
	}
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const strategy = this.getNodeParameter('strategy', itemIndex, 'auto') as RequestedStrategy;
	if (!['auto', 'replace', 'regenerate'].includes(strategy))
		throw inputError('Strategy', 'one of Auto, Replace, Regenerate');
	const gracePeriod = duration(this.getNodeParameter('gracePeriod', itemIndex, ''), 'Grace Period');
	// Regenerate kills the old value at once without a grace period; Auto may end up regenerating.
	if (gracePeriod && strategy !== 'replace' && durationMs(gracePeriod) < MIN_REGENERATE_GRACE_MS) {
		throw inputError(
			'Grace Period',
			'at least 1m when the strategy may regenerate the key (Auto, Regenerate): the old key must keep working until the credential holds the new one',
		);
	}
	const newKeyDuration = duration(
		this.getNodeParameter('newKeyDuration', itemIndex, ''),
		'New Key Expiry',
	);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const credentialId = text(options.credentialId);
	const tuning = readTuning(this, itemIndex, pacer);

	const outcome = await rotateKey.call(this, {
		itemIndex,
		strategy,
		gracePeriod,
		newKeyDuration,
		credentialId,
		tuning,
	});
	const report = redactDeep(outcome.report, outcome.secrets);
	if (!outcome.failure) return [{ json: report as unknown as IDataObject }];
	throw new RotationError(outcome.failure, report, outcome.secrets);
}
