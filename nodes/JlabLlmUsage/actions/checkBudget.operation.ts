import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { numberIn } from '../../shared/numbers';
import { settle } from '../../shared/settle';
import { GatewayError, inputError } from '../../shared/errors';
import { gatewaySettings } from '../../shared/gateway';
import { answeredForReplacement, REPLACED_KEY_WARNING } from '../../shared/keyRow';
import type { ItemResult } from '../../shared/items';
import { fingerprint } from '../../shared/redact';
import { readDailyActivity } from '../helpers/activity';
import { addDays, clock, utcDate } from '../helpers/dates';
import { budgetOf, readKeyInfo, type BudgetNumbers, type KeyInfo } from '../helpers/keyInfo';
import { money, usd } from '../helpers/money';
import { timeoutMsOf, timeoutOption, wholeNumber } from '../helpers/params';
import { optionsCollection } from '../../shared/properties';

/** Output 0 and 1 of the node while Check Budget is selected. */
export const WITHIN_BUDGET = 0;
export const OVER_THRESHOLD = 1;

const properties: INodeProperties[] = [
	{
		displayName: 'Threshold Type',
		name: 'thresholdType',
		type: 'options',
		default: 'percentUsed',
		options: [
			{
				name: 'Percent Used',
				value: 'percentUsed',
				description: 'Over threshold when this share of the max budget is spent',
			},
			{
				name: 'USD Left',
				value: 'remainingUsd',
				description: 'Over threshold when this many dollars or fewer are left',
			},
		],
	},
	{
		displayName: 'Percent Used',
		name: 'percentThreshold',
		type: 'number',
		default: 80,
		typeOptions: { minValue: 0, maxValue: 100, numberPrecision: 2 },
		displayOptions: { show: { thresholdType: ['percentUsed'] } },
		description: 'Items go to "Over" when at least this percentage of the max budget is spent',
	},
	{
		displayName: 'USD Left',
		name: 'usdThreshold',
		type: 'number',
		default: 1,
		typeOptions: { minValue: 0, numberPrecision: 2 },
		displayOptions: { show: { thresholdType: ['remainingUsd'] } },
		description: 'Items go to "Over" when this many US dollars or fewer are left of the max budget',
	},
	{
		displayName: 'Average Over Last (Days)',
		name: 'projectionDays',
		type: 'number',
		default: 7,
		typeOptions: { minValue: 1, maxValue: 90, numberPrecision: 0 },
		description:
			'The run-out date is projected from the average daily spend of this many days, today included',
	},
	optionsCollection([timeoutOption]),
];

export const description = updateDisplayOptions(
	{ show: { operation: ['checkBudget'] } },
	properties,
);

export interface Projection {
	averageDailySpendUsd: number | null;
	projectedRunOutDate: string | null;
	runsOutBeforeReset: boolean | null;
	projectionNote: string | null;
}

/** Past a century a run-out date says nothing, and a tiny average would carry it off the calendar. */
export const PROJECTION_HORIZON_DAYS = 36_500;

/**
 * The day the budget runs out if spending goes on at `averageDaily` a day: today when nothing
 * is left; null without a budget, without spending, or past the horizon.
 */
export function projectRunOut(
	budget: BudgetNumbers,
	averageDaily: number | null,
	nowMs: number,
): Pick<Projection, 'projectedRunOutDate' | 'runsOutBeforeReset'> {
	if (!budget.hasBudget || budget.remainingBudgetUsd === null) {
		return { projectedRunOutDate: null, runsOutBeforeReset: null };
	}
	const today = utcDate(nowMs);
	let date: string | null;
	if (budget.remainingBudgetUsd <= 0) date = today;
	else if (averageDaily === null || averageDaily <= 0) date = null;
	else {
		const days = Math.ceil(budget.remainingBudgetUsd / averageDaily);
		date = days > PROJECTION_HORIZON_DAYS ? null : addDays(today, days);
	}
	if (date === null) return { projectedRunOutDate: null, runsOutBeforeReset: null };
	const reset = budget.budgetResetsAt ? Date.parse(budget.budgetResetsAt) : NaN;
	return {
		projectedRunOutDate: date,
		runsOutBeforeReset: Number.isNaN(reset) ? null : Date.parse(`${date}T00:00:00Z`) < reset,
	};
}

async function projection(
	ctx: IExecuteFunctions,
	key: KeyInfo,
	budget: BudgetNumbers,
	days: number,
	nowMs: number,
	itemIndex: number,
	timeoutMs: number | undefined,
): Promise<Projection> {
	const none = (note: string | null): Projection => ({
		averageDailySpendUsd: null,
		projectedRunOutDate: null,
		runsOutBeforeReset: null,
		projectionNote: note,
	});
	if (!budget.hasBudget) return none(null);
	if (!key.info.user_id) {
		return none(
			'No projection: the key is not tied to a user, so the gateway cannot report its daily activity.',
		);
	}
	const endDate = utcDate(nowMs);
	const startDate = addDays(endDate, -(days - 1));
	// A key on its grace period spends from the row of the key that replaced it: that key's activity.
	const rowHash =
		key.gatewayHash && answeredForReplacement(key.gatewayHash, key.keyHash)
			? key.gatewayHash
			: key.keyHash;
	const activity = await settle(
		readDailyActivity(ctx, {
			startDate,
			endDate,
			pageSize: 1000,
			scope: 'key',
			keyHash: rowHash,
			itemIndex,
			timeoutMs,
		}),
	);
	if (!activity.ok) {
		// The budget check stands without a projection where the activity route is closed.
		if (
			activity.error instanceof GatewayError &&
			activity.error.errorClass === 'permission_denied'
		) {
			return none(`No projection: ${activity.error.message}`);
		}
		throw activity.error;
	}
	const spent = activity.value.days.reduce((s, d) => s + d.metrics.spendUsd, 0);
	const average = usd(spent / days);
	const runOut = projectRunOut(budget, average, nowMs);
	return {
		averageDailySpendUsd: average,
		...runOut,
		projectionNote:
			runOut.projectedRunOutDate === null &&
			budget.remainingBudgetUsd !== null &&
			budget.remainingBudgetUsd > 0
				? average > 0
					? `No projection: at the recent average of ${money(average)} a day, the ${money(budget.remainingBudgetUsd)} left lasts more than ${PROJECTION_HORIZON_DAYS / 365} years.`
					: `No projection: nothing was spent from ${startDate} to ${endDate}.`
				: null,
	};
}

function reasonText(budget: BudgetNumbers, over: boolean, type: string, threshold: number): string {
	if (!budget.hasBudget) return 'The key has no max budget, so there is nothing to run out of.';
	const used = `${budget.percentUsed}% of the ${money(budget.maxBudgetUsd as number)} budget is spent, ${money(budget.remainingBudgetUsd as number)} left`;
	const limit = type === 'percentUsed' ? `${threshold}% used` : `${money(threshold)} left`;
	return `${used}: ${over ? 'at or past' : 'within'} the threshold of ${limit}.`;
}

/** The threshold the user set, checked: a percentage used or US dollars left. */
function readThreshold(ctx: IExecuteFunctions, itemIndex: number) {
	const thresholdType = ctx.getNodeParameter('thresholdType', itemIndex, 'percentUsed') as string;
	if (thresholdType === 'percentUsed') {
		const threshold = numberIn(
			ctx.getNodeParameter('percentThreshold', itemIndex, 80),
			'Percent Used',
			0,
			100,
			'a percentage from 0 to 100',
		);
		return { thresholdType, threshold };
	}
	if (thresholdType === 'remainingUsd') {
		const threshold = numberIn(
			ctx.getNodeParameter('usdThreshold', itemIndex, 1),
			'USD Left',
			0,
			1e9,
			'an amount of US dollars, 0 or more',
		);
		return { thresholdType, threshold };
	}
	throw inputError('Threshold Type', '"percentUsed" or "remainingUsd"');
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult[]> {
	const { thresholdType, threshold } = readThreshold(this, itemIndex);
	const projectionDays = wholeNumber(
		this.getNodeParameter('projectionDays', itemIndex, 7),
		'Average Over Last (Days)',
		1,
		90,
		'a whole number of days from 1 to 90',
	);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const timeoutMs = timeoutMsOf(options);
	const nowMs = clock.now();
	const checkedAt = new Date(nowMs).toISOString();

	const read = await settle(readKeyInfo(this, itemIndex, timeoutMs));
	if (!read.ok) {
		// Older gateways refuse even /key/info once the key's budget is spent: that is the answer.
		if (read.error instanceof GatewayError && read.error.errorClass === 'budget_exceeded') {
			const secret = (await gatewaySettings(this, itemIndex)).secrets[0];
			return [
				{
					json: {
						overThreshold: true,
						hasBudget: true,
						budgetExceeded: true,
						reason:
							"The gateway refused to report the key's numbers because its budget is used up.",
						fingerprint: fingerprint(secret) as unknown as IDataObject,
						alias: null,
						spendUsd: null,
						maxBudgetUsd: null,
						remainingBudgetUsd: 0,
						percentUsed: null,
						thresholdType,
						threshold,
						budgetDuration: null,
						budgetResetsAt: null,
						averageDailySpendUsd: null,
						projectionDays,
						projectedRunOutDate: utcDate(nowMs),
						runsOutBeforeReset: null,
						projectionNote: null,
						checkedAt,
					},
				},
			];
		}
		throw read.error;
	}
	const key = read.value;
	// The numbers are the row's; for a key already replaced by a rotation that row is the new key's.
	const keyReplaced = answeredForReplacement(key.gatewayHash, key.keyHash);
	const budget = budgetOf(key.info);
	let over = false;
	if (budget.hasBudget) {
		over =
			thresholdType === 'percentUsed'
				? (budget.percentUsed as number) >= threshold
				: (budget.remainingBudgetUsd as number) <= threshold;
	}
	const projected = await projection(
		this,
		key,
		budget,
		projectionDays,
		nowMs,
		itemIndex,
		timeoutMs,
	);
	return [
		{
			json: {
				overThreshold: over,
				hasBudget: budget.hasBudget,
				budgetExceeded: budget.hasBudget && (budget.percentUsed as number) >= 100,
				reason: reasonText(budget, over, thresholdType, threshold),
				fingerprint: { ...key.fingerprint },
				alias: key.info.key_alias ?? null,
				spendUsd: budget.spendUsd,
				maxBudgetUsd: budget.maxBudgetUsd,
				remainingBudgetUsd: budget.remainingBudgetUsd,
				percentUsed: budget.percentUsed,
				thresholdType,
				threshold,
				budgetDuration: budget.budgetDuration,
				budgetResetsAt: budget.budgetResetsAt,
				averageDailySpendUsd: projected.averageDailySpendUsd,
				projectionDays,
				projectedRunOutDate: projected.projectedRunOutDate,
				runsOutBeforeReset: projected.runsOutBeforeReset,
				projectionNote: projected.projectionNote,
				keyReplaced,
				...(keyReplaced
					? {
							warning: `${REPLACED_KEY_WARNING} Spend and budget above are those of the key that replaced it, which this key spends from until then.`,
						}
					: {}),
				checkedAt,
			},
		},
	];
}
