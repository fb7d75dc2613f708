import { GatewayError } from '../../../shared/errors';
import type { GatewayContext } from '../../../shared/gateway';
import { listModelIds } from '../../../shared/models';

const SHOWN = 40;

/** The key's model list, asked for at most once per node run and only when a model is refused. */
export class ModelListCache {
	private ids: Promise<string[]> | undefined;

	get(ctx: GatewayContext, itemIndex: number): Promise<string[]> {
		if (!this.ids) this.ids = listModelIds(ctx, itemIndex);
		return this.ids;
	}
}

function named(ids: string[]): string {
	if (ids.length === 0) return 'This key can use no models at all';
	const shown = ids.slice(0, SHOWN).join(', ');
	return `This key can use: ${shown}${ids.length > SHOWN ? ` and ${ids.length - SHOWN} more` : ''}`;
}

/**
 * Adds the models the key may use to a refused model. LiteLLM says `key_model_access_denied`
 * (model_not_allowed) or, for a model it does not know, a 400/404 that names `model` or no
 * parameter at all; the last case is told apart by the key's own model list, not by text.
 */
export async function explainModelError(
	ctx: GatewayContext,
	error: unknown,
	model: string,
	models: ModelListCache,
	itemIndex: number,
): Promise<unknown> {
	if (!(error instanceof GatewayError)) return error;
	const { errorClass, details } = error;
	const unnamed = errorClass === 'bad_request' && (details.status === 400 || details.status === 404) && !details.param && !details.field;
	if (errorClass !== 'model_not_allowed' && errorClass !== 'unknown_model' && !unnamed) return error;
	let ids: string[];
	try {
		ids = await models.get(ctx, itemIndex);
	} catch {
		// Without the list the gateway's own words must do.
		return error;
	}
	const listed = ids.includes(model);
	if (unnamed && listed) return error;
	const cls = errorClass === 'model_not_allowed' ? 'model_not_allowed' : 'unknown_model';
	const what =
		cls === 'model_not_allowed'
			? `The key may not use "${model}". ${named(ids)}.`
			: listed
				? `The gateway refused "${model}". ${named(ids)}.`
				: `"${model}" is not in the gateway's model list for this key. ${named(ids)}.`;
	return new GatewayError(cls, `${error.message}. ${what}`, details);
}
