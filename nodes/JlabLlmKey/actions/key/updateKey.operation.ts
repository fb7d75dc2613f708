import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../../shared/errors';
import { gatewayRequest } from '../../../shared/gateway';
import type { ItemResult } from '../../../shared/items';
import { optionalNumber } from '../../../shared/numbers';
import type { Pacer } from '../../../shared/pacing';
import { keySummary } from '../../helpers/keys';
import { keySelectProperties, selectedKey } from '../../helpers/keySelect';
import { readTuning, tuningOptions } from '../../helpers/options';
import { alias, duration, jsonObject, modelList, text } from '../../helpers/params';
import { optionsCollection } from '../../../shared/properties';

const properties: INodeProperties[] = [
	...keySelectProperties(true),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		options: [
			{
				displayName: 'Budget Duration',
				name: 'budgetDuration',
				type: 'string',
				default: '',
				placeholder: 'e.g. 30d',
				description: 'How often the spend resets to zero (e.g. 1d, 7d, 30d, 1mo)',
			},
			{
				displayName: 'Expiry',
				name: 'duration',
				type: 'string',
				default: '',
				placeholder: 'e.g. 90d',
				description: 'New lifetime of the key from now (e.g. 30d, 90d, 1mo), or -1 for never',
			},
			{
				displayName: 'Key Alias',
				name: 'newKeyAlias',
				type: 'string',
				default: '',
				description: 'A new alias for the key (unique on the gateway)',
			},
			{
				displayName: 'Max Budget (USD)',
				name: 'maxBudget',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0, numberPrecision: 2 },
				description: 'New spend limit of the key in US dollars',
			},
			{
				displayName: 'Max Parallel Requests',
				name: 'maxParallelRequests',
				type: 'number',
				default: 1,
				typeOptions: { minValue: 1, numberPrecision: 0 },
				description: 'Requests the key may have in flight at once',
			},
			{
				displayName: 'Metadata',
				name: 'metadata',
				type: 'json',
				default: '{}',
				description: 'A JSON object that replaces the metadata stored with the key',
			},
			{
				displayName: 'Model Names or IDs',
				name: 'models',
				type: 'multiOptions',
				default: [],
				typeOptions: { loadOptionsMethod: 'getModels' },
				description:
					'The models the key may call (replaces the list). Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'RPM Limit',
				name: 'rpmLimit',
				type: 'number',
				default: 60,
				typeOptions: { minValue: 1, numberPrecision: 0 },
				description: 'Requests per minute the key may send',
			},
			{
				displayName: 'Team ID',
				name: 'teamId',
				type: 'string',
				default: '',
				description: 'The gateway team the key belongs to',
			},
			{
				displayName: 'TPM Limit',
				name: 'tpmLimit',
				type: 'number',
				default: 100000,
				typeOptions: { minValue: 1, numberPrecision: 0 },
				description: 'Tokens per minute the key may use',
			},
		],
	},
	optionsCollection([...tuningOptions]),
];

export const description = updateDisplayOptions({ show: { operation: ['updateKey'] } }, properties);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const f = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const changes: IDataObject = {};
	const keyAlias = alias(f.newKeyAlias, 'Key Alias');
	if (keyAlias) changes.key_alias = keyAlias;
	const models = modelList(f.models, 'Model Names or IDs');
	if (models && models.length) changes.models = models;
	const maxBudget = optionalNumber(f.maxBudget, 'Max Budget (USD)', 0, 1e9);
	if (maxBudget !== undefined) changes.max_budget = maxBudget;
	const budgetDuration = duration(f.budgetDuration, 'Budget Duration');
	if (budgetDuration) changes.budget_duration = budgetDuration;
	if (f.duration !== undefined && String(f.duration).trim() === '-1') changes.duration = '-1';
	else {
		const d = duration(f.duration, 'Expiry');
		if (d) changes.duration = d;
	}
	const rpm = optionalNumber(f.rpmLimit, 'RPM Limit', 1, 1e9, true);
	if (rpm !== undefined) changes.rpm_limit = rpm;
	const tpm = optionalNumber(f.tpmLimit, 'TPM Limit', 1, 1e12, true);
	if (tpm !== undefined) changes.tpm_limit = tpm;
	const parallel = optionalNumber(f.maxParallelRequests, 'Max Parallel Requests', 1, 1e6, true);
	if (parallel !== undefined) changes.max_parallel_requests = parallel;
	const teamId = text(f.teamId);
	if (teamId) changes.team_id = teamId;
	const metadata = jsonObject(f.metadata, 'Metadata');
	if (metadata !== undefined && f.metadata !== undefined) changes.metadata = metadata;
	if (Object.keys(changes).length === 0) {
		throw inputError(
			'Update Fields',
			'add at least one field to change (e.g. Max Budget, Models, Expiry)',
		);
	}
	const tuning = readTuning(this, itemIndex, pacer);

	const target = await selectedKey(this, itemIndex, tuning, true);
	const res = await gatewayRequest.call(this, {
		route: '/key/update',
		method: 'POST',
		body: { key: target.hash, ...changes },
		itemIndex,
		timeoutMs: tuning.timeoutMs,
		maxRetries: tuning.maxRetries,
		pacer,
	});
	const answer = { ...((res.body as IDataObject) ?? {}) };
	delete answer.key;
	delete answer.token;
	return [
		{
			json: {
				updated: true,
				...keySummary({ ...(target.row ?? {}), ...answer }, target.hash),
				changed: Object.keys(changes),
			},
		},
	];
}
