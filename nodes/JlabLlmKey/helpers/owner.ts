import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { GatewayError, inputError } from '../../shared/errors';
import { gatewayRequest } from '../../shared/gateway';
import { settle } from '../../shared/settle';
import { ownKeyInfo, type RequestTuning } from './keys';

export interface KeyOwner {
	userId?: string;
	teamId?: string;
}

const isNotFound = (error: unknown) =>
	error instanceof GatewayError && error.details.status === 404;

/** The gateway user's role and team ids, or nothing when the gateway has no such user row. */
async function gatewayUser(
	ctx: IExecuteFunctions,
	itemIndex: number,
	userId: string,
	tuning: RequestTuning,
): Promise<{ role?: string; teams: string[] }> {
	const res = await settle(
		gatewayRequest.call(ctx, {
			route: '/user/info',
			qs: { user_id: userId },
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer: tuning.pacer,
		}),
	);
	if (!res.ok && isNotFound(res.error)) return { teams: [] };
	if (!res.ok) throw res.error;
	const body = (res.value.body as IDataObject) ?? {};
	const info = (body.user_info as IDataObject | null) ?? {};
	const ids = Array.isArray(info.teams)
		? info.teams
		: Array.isArray(body.teams)
			? (body.teams as IDataObject[]).map((t) => t?.team_id)
			: [];
	return {
		role: typeof info.user_role === 'string' ? info.user_role : undefined,
		teams: [...new Set(ids.filter((t): t is string => typeof t === 'string' && t !== ''))],
	};
}

/**
 * The owner to send for a key a non-admin credential creates with User ID left empty. Older
 * LiteLLM stores such a key without user_id, and then its maker can neither list, regenerate nor
 * delete it; newer LiteLLM fills in the caller and refuses a caller in several teams. So the
 * caller's user (and, for a user in several teams, the team of the credential's own key) is sent.
 */
export async function defaultKeyOwner(
	ctx: IExecuteFunctions,
	itemIndex: number,
	tuning: RequestTuning,
	teamId: string | undefined,
): Promise<KeyOwner> {
	const info = await settle(ownKeyInfo(ctx, itemIndex, tuning));
	// The master key has no row, and a gateway that hides /key/info hides /key/generate too: it answers for itself.
	if (!info.ok && isNotFound(info.error)) return {};
	if (!info.ok) throw info.error;
	const own = info.value;
	const userId =
		typeof own.row.user_id === 'string' && own.row.user_id !== '' ? own.row.user_id : undefined;
	if (!userId) {
		throw new GatewayError(
			'permission_denied',
			"This credential's key belongs to no gateway user, so a key it made would have no owner (and the gateway lets only a user's key or an admin key create keys). Use a credential whose key belongs to your gateway user, or an admin key with User ID set.",
		);
	}
	const user = await gatewayUser(ctx, itemIndex, userId, tuning);
	// An admin's keys are theirs to leave without owner; User ID names one.
	if (user.role === 'proxy_admin') return {};
	if (teamId || user.teams.length <= 1) return { userId };
	const ownTeam =
		typeof own.row.team_id === 'string' && own.row.team_id !== '' ? own.row.team_id : undefined;
	if (ownTeam) return { userId, teamId: ownTeam };
	throw inputError(
		'Team ID',
		`the gateway user ${userId} belongs to ${user.teams.length} teams (${user.teams.slice(0, 10).join(', ')}) and this credential's key to none of them: name the team the new key belongs to`,
	);
}
