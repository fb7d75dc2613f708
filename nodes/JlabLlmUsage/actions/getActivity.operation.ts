import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { gatewaySettings } from '../../shared/gateway';
import type { ItemResult } from '../../shared/items';
import { fingerprint, keyHash } from '../../shared/redact';
import {
	emptyMetrics,
	predecessorsOf,
	readDailyActivity,
	requireUser,
	type ActivityDay,
	type ActivityScope,
	type UsageMetrics,
} from '../helpers/activity';
import { addDays, clock, dateParameter, daysBetween, eachDate, utcDate } from '../helpers/dates';
import { money, usd } from '../helpers/money';
import { timeoutMsOf, timeoutOption, wholeNumber } from '../helpers/params';
import { renderSpendChart } from '../helpers/spendChart';
import { renderSpendChartPng } from '../helpers/spendChartPng';
import { optionsCollection } from '../../shared/properties';

/** Longest range one run reads: two years of days guards against a mistyped year. */
export const MAX_RANGE_DAYS = 731;
export const DEFAULT_RANGE_DAYS = 30;

const properties: INodeProperties[] = [
	{
		displayName: 'Start Date',
		name: 'startDate',
		type: 'dateTime',
		default: '',
		description:
			'First day of the range (UTC). Empty: 29 days before the end date, so the range is the last 30 days.',
	},
	{
		displayName: 'End Date',
		name: 'endDate',
		type: 'dateTime',
		default: '',
		description: 'Last day of the range, included (UTC). Empty: today.',
	},
	{
		displayName: 'Activity Of',
		name: 'scope',
		type: 'options',
		default: 'key',
		options: [
			{
				name: 'All Keys of the User',
				value: 'user',
				description: "Everything the key's user spent, with any of their keys",
			},
			{
				name: 'This Key',
				value: 'key',
				description: "Only what the credential's key spent",
			},
		],
	},
	{
		displayName: 'Granularity',
		name: 'granularity',
		type: 'options',
		default: 'day',
		options: [
			{ name: 'Per Day', value: 'day', description: 'One item per day' },
			{
				name: 'Per Day and Model',
				value: 'dayAndModel',
				description: 'One item per day and model',
			},
		],
	},
	{
		displayName: 'Add Spend Chart',
		name: 'addChart',
		type: 'boolean',
		default: false,
		description:
			'Whether to attach a bar chart of daily spend (one bar per day of the range) to the first item: an SVG image with titles, to mail or save, and the same chart as a PNG (field name + "Png") that n8n previews',
	},
	{
		displayName: 'Put Chart in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'chart',
		required: true,
		displayOptions: { show: { addChart: [true] } },
		description: 'The name of the binary field to put the chart in',
	},
	optionsCollection([
		{
			displayName: 'Include Days Without Activity',
			name: 'includeEmptyDays',
			type: 'boolean',
			default: false,
			description:
				'Whether to output an item with zeros for each day of the range without activity',
		},
		{
			displayName: 'Page Size',
			name: 'pageSize',
			type: 'number',
			default: 100,
			typeOptions: { minValue: 1, maxValue: 1000, numberPrecision: 0 },
			description: 'Days the gateway returns per page; every page is read',
		},
		timeoutOption,
	]),
];

export const description = updateDisplayOptions(
	{ show: { operation: ['getActivity'] } },
	properties,
);

export interface DateRange {
	startDate: string;
	endDate: string;
}

/** The range from the two date parameters: empty end = today, empty start = 30 days up to the end. */
export function resolveRange(
	startRaw: unknown,
	endRaw: unknown,
	nowMs: number,
	defaultDays = DEFAULT_RANGE_DAYS,
): DateRange {
	const end = dateParameter(endRaw);
	if (end === null) throw inputError('End Date', 'a date such as 2026-05-31, or empty for today');
	const start = dateParameter(startRaw);
	if (start === null)
		throw inputError('Start Date', 'a date such as 2026-05-01, or empty for the last 30 days');
	const endDate = end ?? utcDate(nowMs);
	const startDate = start ?? addDays(endDate, -(defaultDays - 1));
	if (startDate > endDate) {
		throw inputError(
			'Start Date',
			`a date on or before the End Date (${endDate}), got ${startDate}`,
		);
	}
	if (daysBetween(startDate, endDate) + 1 > MAX_RANGE_DAYS) {
		throw inputError(
			'Start Date',
			`a range of at most ${MAX_RANGE_DAYS} days, got ${startDate} to ${endDate}`,
		);
	}
	return { startDate, endDate };
}

/** A valid n8n binary field name (also a valid JavaScript identifier, so expressions can use it). */
function binaryField(value: unknown): string {
	const name = typeof value === 'string' ? value.trim() : '';
	if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
		throw inputError(
			'Put Chart in Field',
			'a field name made of letters, digits and _ (e.g. chart)',
		);
	}
	return name;
}

function dayItem(date: string | null, m: UsageMetrics, model?: string | null): IDataObject {
	const json: IDataObject = { date };
	if (model !== undefined) json.model = model;
	return { ...json, ...m };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult[]> {
	const range = resolveRange(
		this.getNodeParameter('startDate', itemIndex, ''),
		this.getNodeParameter('endDate', itemIndex, ''),
		clock.now(),
	);
	const scope = this.getNodeParameter('scope', itemIndex, 'key') as ActivityScope;
	if (scope !== 'key' && scope !== 'user')
		throw inputError('Activity Of', '"key" (this key) or "user" (all keys of the user)');
	const granularity = this.getNodeParameter('granularity', itemIndex, 'day') as string;
	if (granularity !== 'day' && granularity !== 'dayAndModel') {
		throw inputError('Granularity', '"day" or "dayAndModel"');
	}
	const addChart = this.getNodeParameter('addChart', itemIndex, false) === true;
	const chartField = addChart
		? binaryField(this.getNodeParameter('binaryPropertyName', itemIndex, 'chart'))
		: '';
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const includeEmptyDays = options.includeEmptyDays === true;
	const pageSize = wholeNumber(
		options.pageSize ?? 100,
		'Page Size',
		1,
		1000,
		'a whole number from 1 to 1000',
	);
	const timeoutMs = timeoutMsOf(options);

	const key = await requireUser(this, itemIndex, timeoutMs);
	const secret = (await gatewaySettings(this, itemIndex)).secrets[0];
	// After a rotation the key's earlier days were spent by the key it replaced: count them as its own.
	const predecessors = scope === 'key' ? predecessorsOf(key?.info.metadata) : [];
	const result = await readDailyActivity(this, {
		...range,
		pageSize,
		scope,
		keyHash: key?.keyHash ?? keyHash(secret),
		predecessors,
		itemIndex,
		timeoutMs,
	});

	const byDate = new Map<string, ActivityDay>(result.days.map((d) => [d.date, d]));
	const dates = includeEmptyDays
		? eachDate(range.startDate, range.endDate)
		: result.days.map((d) => d.date);
	const items: ItemResult[] = [];
	for (const date of dates) {
		const day = byDate.get(date);
		if (granularity === 'day') {
			items.push({ json: dayItem(date, day ? day.metrics : emptyMetrics()) });
		} else if (day && day.models.length) {
			for (const m of day.models) items.push({ json: dayItem(date, m.metrics, m.model) });
		} else if (day || includeEmptyDays) {
			// Activity without a model breakdown, or an idle day: one item without a model.
			items.push({ json: dayItem(date, day ? day.metrics : emptyMetrics(), null) });
		}
	}

	if (!items.length) {
		// An idle range still answers for its input item (and carries the chart, if any).
		items.push({
			json: {
				...dayItem(null, emptyMetrics(), granularity === 'day' ? undefined : null),
				startDate: range.startDate,
				endDate: range.endDate,
				noActivity: true,
			},
		});
	}

	if (addChart) {
		const chartDays = eachDate(range.startDate, range.endDate).map((date) => ({
			date,
			spendUsd: byDate.get(date)?.metrics.spendUsd ?? 0,
		}));
		const total = usd(chartDays.reduce((s, d) => s + d.spendUsd, 0));
		const who =
			scope === 'key'
				? `Key ${key?.info.key_alias ? `"${key.info.key_alias}" ` : ''}${(key?.fingerprint ?? fingerprint(secret)).display}`
				: `All keys of ${key?.info.user_id ?? 'the user'}`;
		const svg = renderSpendChart(chartDays, {
			title: `Daily spend, ${range.startDate} to ${range.endDate}`,
			subtitle: `${who} · total ${money(total)} · days in UTC`,
		});
		const fileName = `spend-${range.startDate}-to-${range.endDate}.svg`;
		const binary = await this.helpers.prepareBinaryData(
			Buffer.from(svg, 'utf8'),
			fileName,
			'image/svg+xml',
		);
		// n8n's binary view previews PNG but not SVG: the same chart as a PNG beside it.
		const png = await this.helpers.prepareBinaryData(
			renderSpendChartPng(chartDays),
			fileName.replace(/\.svg$/, '.png'),
			'image/png',
		);
		items[0].binary = { [chartField]: binary, [`${chartField}Png`]: png };
	}
	if (predecessors.length) {
		// Say whose days these are: the key and the key(s) it replaced in a rotation.
		for (const item of items) item.json.includesReplacedKeys = predecessors;
	}
	if (result.scopeFellBackToUser) {
		// Rare (older gateways): say so on every item rather than mislabel the numbers.
		for (const item of items)
			item.json.scopeNote =
				'The gateway gave no per-key breakdown: these are the totals of all keys of the user.';
	}
	return items;
}
