'use strict';
// /user/info: a user's row, keys and teams.

const U = require('../lib/util');
const { proxyError, wrappedHttpError } = require('../errors');
const { isTeamMember } = require('../store');
const { fullRow } = require('./keyHelpers');

function userInfo(state, ctx, req) {
	let uid = req.query.user_id;
	if (!ctx.viewAll) {
		if (uid && uid !== ctx.user_id) {
			throw proxyError(
				403,
				`key not allowed to access this user's info. user_id=${uid}, key's user_id=${U.pyStr(ctx.user_id)}`,
				'auth_error',
				'None',
			);
		}
		uid = ctx.user_id;
	}
	const keyRow = (r) => ({
		...fullRow(r),
		team_alias:
			r.team_id && state.store.teams[r.team_id] ? state.store.teams[r.team_id].team_alias : null,
	});
	if (!uid && ctx.viewAll) {
		return {
			body: {
				user_id: null,
				user_info: null,
				keys: Object.values(state.store.keys).map(keyRow),
				teams: Object.values(state.store.teams).map(U.clone),
			},
		};
	}
	const user = uid ? state.store.users[uid] : null;
	if (!user) throw wrappedHttpError(404, { error: `User ${U.pyStr(uid)} not found` });
	return {
		body: {
			user_id: uid,
			user_info: U.clone(user),
			keys: Object.values(state.store.keys)
				.filter((r) => r.user_id === uid)
				.map(keyRow),
			teams: Object.values(state.store.teams)
				.filter((t) => isTeamMember(uid, t))
				.map(U.clone),
		},
	};
}

module.exports = { userInfo };
