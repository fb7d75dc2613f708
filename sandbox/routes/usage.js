'use strict';
// /user/daily/activity: the daily-activity ledger by day, with per-model, per-provider and per-key breakdowns.

const U = require('../lib/util');
const { HttpError, detailError, NO_USER_ID_MESSAGE } = require('../errors');

function dailyActivity(state, ctx, req) {
	const q = req.query;
	if (!q.start_date || !q.end_date)
		throw detailError(400, { error: 'Please provide start_date and end_date' });
	const dateRe = /^\d{4}-\d{2}-\d{2}$/;
	if (!dateRe.test(q.start_date) || !dateRe.test(q.end_date)) {
		throw detailError(400, { error: 'Invalid date format. Use YYYY-MM-DD' });
	}
	if (!ctx.isMaster && !ctx.user_id) throw detailError(403, { error: NO_USER_ID_MESSAGE });
	const page = q.page === undefined ? 1 : Number(q.page);
	const pageSize = q.page_size === undefined ? 50 : Number(q.page_size);
	if (!Number.isInteger(page) || page < 1) {
		throw new HttpError(422, {
			detail: [
				{
					type: 'greater_than_equal',
					loc: ['query', 'page'],
					msg: 'Input should be greater than or equal to 1',
					input: q.page,
					ctx: { ge: 1 },
				},
			],
		});
	}
	if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
		throw new HttpError(422, {
			detail: [
				{
					type: pageSize > 1000 ? 'less_than_equal' : 'greater_than_equal',
					loc: ['query', 'page_size'],
					msg:
						pageSize > 1000
							? 'Input should be less than or equal to 1000'
							: 'Input should be greater than or equal to 1',
					input: q.page_size,
					ctx: pageSize > 1000 ? { le: 1000 } : { ge: 1 },
				},
			],
		});
	}
	const userId = ctx.viewAll ? q.user_id || null : ctx.user_id;
	let apiKey = q.api_key || null;
	if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
	const rows = state.store.activity.filter(
		(a) =>
			a.date >= q.start_date &&
			a.date <= q.end_date &&
			(!userId || a.user_id === userId) &&
			// common_daily_activity.py, get_daily_activity: `model` filters the deployment column,
			// `api_key` the hashed token (internal_user_endpoints.py, get_user_daily_activity's query params).
			(!q.model || a.model === q.model) &&
			(!apiKey || a.api_key === apiKey),
	);
	const { dates, totals } = dailyResults(state, rows);
	const totalPages = Math.ceil(dates.length / pageSize);
	return {
		body: {
			results: dates.slice((page - 1) * pageSize, page * pageSize),
			metadata: {
				total_spend: totals.spend,
				total_prompt_tokens: totals.prompt_tokens,
				total_completion_tokens: totals.completion_tokens,
				total_tokens: totals.total_tokens,
				total_api_requests: totals.api_requests,
				total_successful_requests: totals.successful_requests,
				total_failed_requests: totals.failed_requests,
				total_cache_read_input_tokens: 0,
				total_cache_creation_input_tokens: 0,
				page,
				total_pages: totalPages,
				has_more: page < totalPages,
			},
		},
	};
}

/** The rows summed per day (ascending) with their breakdowns, and the totals over all rows. */
function dailyResults(state, rows) {
	const emptyMetrics = () => ({
		spend: 0,
		prompt_tokens: 0,
		completion_tokens: 0,
		cache_read_input_tokens: 0,
		cache_creation_input_tokens: 0,
		total_tokens: 0,
		successful_requests: 0,
		failed_requests: 0,
		api_requests: 0,
	});
	const addTo = (m, a) => {
		m.spend += a.spend;
		m.prompt_tokens += a.prompt_tokens;
		m.completion_tokens += a.completion_tokens;
		m.total_tokens += a.prompt_tokens + a.completion_tokens;
		m.successful_requests += a.successful_requests;
		m.failed_requests += a.failed_requests;
		m.api_requests += a.api_requests;
	};
	const keyMeta = (a) => {
		const r = a.api_key ? state.store.keys[a.api_key] : null;
		return {
			key_alias: r ? r.key_alias : (a.key_alias ?? null),
			team_id: r ? r.team_id : (a.team_id ?? null),
		};
	};
	const byDate = new Map();
	const totals = emptyMetrics();
	for (const a of rows) {
		addTo(totals, a);
		let d = byDate.get(a.date);
		if (!d) {
			d = {
				date: a.date,
				metrics: emptyMetrics(),
				breakdown: {
					models: {},
					model_groups: {},
					mcp_servers: {},
					providers: {},
					endpoints: {},
					api_keys: {},
					entities: {},
				},
			};
			byDate.set(a.date, d);
		}
		addTo(d.metrics, a);
		const keyId = a.api_key || 'unknown';
		const bucket = (obj, name) => {
			if (!obj[name]) obj[name] = { metrics: emptyMetrics(), metadata: {}, api_key_breakdown: {} };
			const e = obj[name];
			addTo(e.metrics, a);
			if (!e.api_key_breakdown[keyId])
				e.api_key_breakdown[keyId] = { metrics: emptyMetrics(), metadata: keyMeta(a) };
			addTo(e.api_key_breakdown[keyId].metrics, a);
		};
		// litellm/proxy/management_endpoints/common_daily_activity.py, update_breakdown_metrics:
		// `models` by the deployment (record.model), `model_groups` by record.model_group or record.model.
		bucket(d.breakdown.models, a.model);
		bucket(d.breakdown.model_groups, a.model_group || a.model);
		bucket(d.breakdown.providers, 'hosted_vllm');
		if (!d.breakdown.api_keys[keyId])
			d.breakdown.api_keys[keyId] = { metrics: emptyMetrics(), metadata: keyMeta(a) };
		addTo(d.breakdown.api_keys[keyId].metrics, a);
	}
	const dates = [...byDate.values()].sort((x, y) =>
		x.date < y.date ? -1 : x.date > y.date ? 1 : 0,
	);
	return { dates, totals };
}

module.exports = { dailyActivity };
