import { explainModelRefusal, GatewayError, mayBeModelRefusal } from './errors';
import type { GatewayContext } from './gateway';
import { listModelIds } from './models';

/** The key's model list, asked for at most once per node run and only when a model is refused. */
export class ModelListCache {
	private ids: Promise<string[]> | undefined;

	get(ctx: GatewayContext, itemIndex: number): Promise<string[]> {
		if (!this.ids) this.ids = listModelIds(ctx, itemIndex);
		return this.ids;
	}
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
	if (!(error instanceof GatewayError) || !mayBeModelRefusal(error)) return error;
	let ids: string[];
	try {
		ids = await models.get(ctx, itemIndex);
	} catch {
		// Without the list the gateway's own words must do.
		return error;
	}
	return explainModelRefusal(error, model, ids);
}
