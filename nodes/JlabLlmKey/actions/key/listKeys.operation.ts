import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ItemResult } from '../../../shared/items';
import type { Pacer } from '../../../shared/pacing';
import { keySummary, listAllKeys } from '../../helpers/keys';
import { readTuning, tuningOptions } from '../../helpers/options';
import { text } from '../../helpers/params';
import { optionsCollection } from '../../../shared/properties';

const properties: INodeProperties[] = [
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		options: [
			{
				displayName: 'Include Team Keys',
				name: 'includeTeamKeys',
				type: 'boolean',
				default: false,
				description: "Whether to include the keys of the teams the credential's user belongs to",
			},
			{
				displayName: 'Key Alias',
				name: 'keyAlias',
				type: 'string',
				default: '',
				description: 'Only the key with this alias',
			},
			{
				displayName: 'Team ID',
				name: 'teamId',
				type: 'string',
				default: '',
				description: 'Only keys of this gateway team',
			},
			{
				displayName: 'User ID',
				name: 'userId',
				type: 'string',
				default: '',
				description:
					'Only keys of this gateway user (admin keys only; a user key sees only its own keys)',
			},
		],
	},
	optionsCollection([...tuningOptions]),
];

export const description = updateDisplayOptions({ show: { operation: ['listKeys'] } }, properties);

/** One item per key the credential's key may see, every page; fingerprints only. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const f = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const qs: IDataObject = {};
	const keyAlias = text(f.keyAlias);
	if (keyAlias) qs.key_alias = keyAlias;
	const teamId = text(f.teamId);
	if (teamId) qs.team_id = teamId;
	const userId = text(f.userId);
	if (userId) qs.user_id = userId;
	if (f.includeTeamKeys === true) qs.include_team_keys = true;
	const tuning = readTuning(this, itemIndex, pacer);
	const rows = await listAllKeys(this, itemIndex, qs, tuning);
	return rows.map((row) => ({
		json: keySummary(row, typeof row.token === 'string' ? row.token : undefined),
	}));
}
