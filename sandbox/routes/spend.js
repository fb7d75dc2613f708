'use strict';
// /spend/logs: spend log rows, or a per-day summary between two dates.

const U = require('../lib/util');
const { detailError } = require('../errors');
const { onlyAdminError } = require('../auth');

const truthy = U.truthy;

function spendLogs(state, ctx, req) {
	if (
		!ctx.isMaster &&
		!ctx.viewAll &&
		ctx.role !== 'internal_user' &&
		ctx.role !== 'internal_user_viewer'
	) {
		throw onlyAdminError(ctx, '/spend/logs');
	}
	const q = req.query;
	let apiKey = q.api_key || null;
	if (apiKey && apiKey.startsWith('sk-')) apiKey = U.hashKey(apiKey);
	const userId = ctx.viewAll ? q.user_id || null : ctx.user_id;
	let rows = state.store.spendLogs.filter(
		(r) =>
			(!apiKey || r.api_key === apiKey) &&
			(!userId || r.user === userId) &&
			(!q.request_id || r.request_id === q.request_id),
	);
	if (!q.start_date || !q.end_date) return { body: rows.map(U.clone) };
	const start = Date.parse(q.start_date + 'T00:00:00Z');
	const end = Date.parse(q.end_date + 'T00:00:00Z');
	if (Number.isNaN(start) || Number.isNaN(end))
		throw detailError(400, { error: 'Invalid date format. Use YYYY-MM-DD' });
	rows = rows.filter((r) => {
		const d = r.startTime.slice(0, 10);
		return d >= q.start_date && d <= q.end_date;
	});
	if (q.summarize !== undefined && !truthy(q.summarize)) return { body: rows.map(U.clone) };
	const out = [];
	for (let t = start, i = 0; t <= end && i < 3660; t += 86400e3, i++) {
		const day = U.dateOnly(t);
		const entry = { startTime: day, spend: 0, users: {}, models: {} };
		for (const r of rows.filter((x) => x.startTime.slice(0, 10) === day)) {
			entry.spend += r.spend;
			if (r.user) entry.users[r.user] = (entry.users[r.user] || 0) + r.spend;
			entry.models[r.model] = (entry.models[r.model] || 0) + r.spend;
			entry[r.api_key] = (entry[r.api_key] || 0) + r.spend;
		}
		out.push(entry);
	}
	return { body: out };
}

module.exports = { spendLogs };
