'use strict';
// Who owns a key a non-admin makes, who may update, block and unblock a key, and what /key/update
// answers: LiteLLM's rules for these, apart from server.js so each names the source it follows.

const U = require('./util');

/**
 * Profiles whose /key/generate fills in the owner of a key a non-admin makes without user_id.
 * Older builds (key_management_endpoints.py @ 00670428, generate_key_fn → _common_key_generation_helper)
 * set only created_by: the key is stored without user_id. Newer builds stamp the caller's user_id
 * (PR #23795, "auto-assign caller's user_id") and, as modelled for `next`, the team when the user
 * has exactly one and a 400 when there are several.
 */
const OWNER_DEFAULT_PROFILES = new Set(['next']);

/** Python's json.dumps (default separators, ensure_ascii): how LiteLLM writes JSON columns. */
function pyJsonDumps(value) {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'number')
		return Number.isFinite(value)
			? Number.isInteger(value)
				? String(value)
				: U.pyFloat(value)
			: 'NaN';
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (typeof value === 'string')
		return JSON.stringify(value).replace(
			/[\u007f-\uffff]/g,
			(c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
		);
	if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
	return (
		'{' +
		Object.entries(value)
			.map(([k, v]) => pyJsonDumps(k) + ': ' + pyJsonDumps(v))
			.join(', ') +
		'}'
	);
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function makeKeyRules({ store, profileName, isTeamMember, proxyError, wrappedHttpError }) {
	/**
	 * user_id and team_id of a key a caller makes. Admins get what they send. Non-admins on the
	 * older profiles get what they send too (no user_id: an ownerless key); on `next` the caller
	 * becomes the owner, and the team is named for them when they have one, required when several
	 * (key_management_endpoints.py, apply_key_generation_ownership_defaults in newer builds).
	 */
	function ownerOfNewKey(ctx, body) {
		const sent = { user_id: body.user_id ?? null, team_id: body.team_id ?? null };
		if (ctx.admin || !OWNER_DEFAULT_PROFILES.has(profileName())) return sent;
		const userId = sent.user_id ?? ctx.user_id ?? null;
		let teamId = sent.team_id;
		const teams = (ctx.user && ctx.user.teams) || [];
		if (teamId === null && teams.length === 1) teamId = teams[0];
		else if (teamId === null && teams.length > 1) {
			throw wrappedHttpError(
				400,
				`User=${userId} belongs to multiple teams. Specify team_id when generating a key. teams=${U.pyList(teams)}`,
			);
		}
		return { user_id: userId, team_id: teamId };
	}

	/**
	 * Non-admin /key/update: `_validate_update_key_data` → `common_key_access_checks(user_id=row.user_id)`
	 * asserts the caller is the row's user only when the row has one (`_is_allowed_to_make_key_request`),
	 * so a personal key without user_id passes; team keys need their team's admin (TeamMemberPermissionChecks).
	 */
	function mayUpdate(ctx, row) {
		if (ctx.admin) return true;
		if (row.user_id !== null && row.user_id !== undefined)
			return (
				row.user_id === ctx.user_id || isTeamMember(ctx.user_id, store.teams[row.team_id], true)
			);
		if (row.team_id) return isTeamMember(ctx.user_id, store.teams[row.team_id], true);
		return true;
	}

	/**
	 * /key/block: the route is in key_management_routes ⊂ internal_user_routes (proxy/_types.py,
	 * LiteLLMRoutes; auth/route_checks.py, non_proxy_admin_allowed_routes_check) and block_key has
	 * no role or owner check of its own: an internal user may block any key, their own included.
	 */
	function mayBlock(ctx) {
		return ctx.admin || ctx.role === 'internal_user';
	}

	/**
	 * /key/unblock: the route check is the same as for block, but newer docs make unblocking a
	 * proxy, team or org admin's job; modelled so (unblock_key @ 00670428 has no check: unsettled).
	 */
	function checkUnblock(ctx, row) {
		if (
			ctx.admin ||
			(row && row.team_id && isTeamMember(ctx.user_id, store.teams[row.team_id], true))
		)
			return;
		throw wrappedHttpError(403, {
			error: `Only a proxy admin or the key's team admin can unblock a key. Your role=${U.pyStr(ctx.role)}`,
		});
	}

	/**
	 * update_key_fn returns {"key": <as passed>, **PrismaClient.update_data(...)["data"]}: the fields
	 * sent (duration as expires, budget_duration with budget_reset_at), the merged metadata, and
	 * token = the hash (utils.py, update_data); jsonify_object turns every object into a JSON string.
	 */
	function updateReply(passedKey, sentFields, row) {
		const out = { key: passedKey };
		for (const k of Object.keys(sentFields)) {
			if (k === 'duration') out.expires = row.expires;
			else if (k === 'key_type') out.allowed_routes = row.allowed_routes;
			else if (k in row) out[k] = row[k];
			if (k === 'budget_duration') out.budget_reset_at = row.budget_reset_at;
		}
		// prepare_metadata_fields: metadata is always written, the stored one when none was sent.
		out.metadata = row.metadata;
		for (const [k, v] of Object.entries(out)) if (isObj(v)) out[k] = pyJsonDumps(v);
		out.token = row.token;
		return out;
	}

	return { ownerOfNewKey, mayUpdate, mayBlock, checkUnblock, updateReply };
}

module.exports = { makeKeyRules, pyJsonDumps, OWNER_DEFAULT_PROFILES };
