import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';

import { gatewayRequest, type GatewayContext } from './gateway';
import type { ModelList } from './types';

/** Every model the key may call, as the gateway lists it (GET /v1/models), sorted by id. */
export async function listModelIds(
	ctx: GatewayContext,
	itemIndex = 0,
	timeoutMs = 30_000,
): Promise<string[]> {
	const res = await gatewayRequest.call(ctx, {
		route: '/v1/models',
		itemIndex,
		maxRetries: 1,
		timeoutMs,
	});
	const body = res.body as unknown as ModelList;
	const ids = (Array.isArray(body?.data) ? body.data : [])
		.map((m) => (m && typeof m === 'object' ? (m as IDataObject).id : undefined))
		.filter((id): id is string => typeof id === 'string' && id.length > 0);
	return [...new Set(ids)].sort((a, b) => a.localeCompare(b));
}

/** Resource-locator search: the key's models, filtered by the text typed (any part of the id). */
export async function searchModels(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const ids = await listModelIds(this);
	const needle = (filter ?? '').trim().toLowerCase();
	return {
		results: ids
			.filter((id) => !needle || id.toLowerCase().includes(needle))
			.map((id) => ({ name: id, value: id })),
	};
}

/** The same list for an options dropdown. */
export async function getModels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return (await listModelIds(this)).map((id) => ({ name: id, value: id }));
}

/** The model the lab documents for its gateway. */
export const DEFAULT_MODEL = 'openai/gpt-oss-120b';

/** The model picker of every node that calls a model: the key's models (searchModels) or an ID. */
export const modelProperty: INodeProperties = {
	displayName: 'Model',
	name: 'model',
	type: 'resourceLocator',
	// The lab's documented model, so that a new node's first run works.
	default: { mode: 'list', value: DEFAULT_MODEL },
	required: true,
	description: 'The model to answer: every model this key may call, as the gateway lists it',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a model…',
			typeOptions: { searchListMethod: 'searchModels', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. openai/gpt-oss-120b',
		},
	],
};
