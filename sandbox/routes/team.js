'use strict';
// /team/info: a team's row and keys.

const U = require('../lib/util');
const { wrappedHttpError } = require('../errors');
const { isTeamMember } = require('../store');
const { fullRow } = require('./keyHelpers');

function teamInfo(state, ctx, req) {
	const teamId = req.query.team_id || (ctx.row && ctx.row.team_id);
	if (!teamId) throw wrappedHttpError(400, { error: 'Missing team_id in request' });
	const team = state.store.teams[teamId];
	if (!team) throw wrappedHttpError(404, { error: `Team not found, passed team_id=${teamId}` });
	const allowed =
		ctx.viewAll || (ctx.row && ctx.row.team_id === teamId) || isTeamMember(ctx.user_id, team);
	if (!allowed)
		throw wrappedHttpError(403, {
			error: `User=${U.pyStr(ctx.user_id)} not authorized to access this team=${teamId}`,
		});
	return {
		body: {
			team_id: teamId,
			team_info: U.clone(team),
			keys: Object.values(state.store.keys)
				.filter((r) => r.team_id === teamId)
				.map(fullRow),
			team_memberships: [],
		},
	};
}

module.exports = { teamInfo };
