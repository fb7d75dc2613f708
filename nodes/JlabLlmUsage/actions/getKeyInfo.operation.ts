import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { numberIn } from '../../shared/numbers';
import type { ItemResult } from '../../shared/items';
import { clock } from '../helpers/dates';
import { describeKey, readKeyInfo } from '../helpers/keyInfo';
import { timeoutMsOf, timeoutOption, wholeNumber } from '../helpers/params';
import { optionsCollection } from '../../shared/properties';

const properties: INodeProperties[] = [
	{
		displayName: 'Rotate After (Days)',
		name: 'rotateAfterDays',
		type: 'number',
		default: 90,
		typeOptions: { minValue: 0, maxValue: 3650, numberPrecision: 0 },
		description:
			'Your rotation policy: a key this many days old (since it was created or last rotated) is due for rotation. 0 turns the check off.',
	},
	optionsCollection([
		timeoutOption,
		{
			displayName: 'Warn at Budget Used (%)',
			name: 'budgetWarningPercent',
			type: 'number',
			default: 80,
			typeOptions: { minValue: 0, maxValue: 100 },
			description: 'Add a warning when this share of the max budget is spent',
		},
		{
			displayName: 'Warn Before Expiry (Days)',
			name: 'expiryWarningDays',
			type: 'number',
			default: 14,
			typeOptions: { minValue: 0, maxValue: 3650, numberPrecision: 0 },
			description: 'Add a warning when the key expires within this many days',
		},
	]),
];

export const description = updateDisplayOptions(
	{ show: { operation: ['getKeyInfo'] } },
	properties,
);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult[]> {
	const rotateAfterDays = wholeNumber(
		this.getNodeParameter('rotateAfterDays', itemIndex, 90),
		'Rotate After (Days)',
		0,
		3650,
		'a whole number of days from 0 (no rotation policy) to 3650',
	);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const expiryWarningDays = wholeNumber(
		options.expiryWarningDays ?? 14,
		'Warn Before Expiry (Days)',
		0,
		3650,
		'a whole number of days from 0 to 3650',
	);
	const budgetWarningPercent = numberIn(
		options.budgetWarningPercent ?? 80,
		'Warn at Budget Used (%)',
		0,
		100,
		'a percentage from 0 to 100',
	);

	const key = await readKeyInfo(this, itemIndex, timeoutMsOf(options));
	return [
		{
			json: describeKey(key, {
				rotateAfterDays,
				expiryWarningDays,
				budgetWarningPercent,
				nowMs: clock.now(),
			}),
		},
	];
}
