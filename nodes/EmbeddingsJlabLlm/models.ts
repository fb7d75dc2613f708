import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodeProperties,
} from 'n8n-workflow';

import { gatewayRequest } from '../shared/gateway';
import { listModelIds, modelProperty } from '../shared/models';

/**
 * The models LiteLLM's /model/info marks `mode: "embedding"`. Empty when the gateway does not
 * expose that route (it is a management route the lab's proxy may hide): the list is then unsorted.
 */
async function embeddingModelIds(ctx: ILoadOptionsFunctions): Promise<Set<string>> {
	const found = new Set<string>();
	let rows: unknown;
	try {
		const res = await gatewayRequest.call(ctx, {
			route: '/model/info',
			maxRetries: 0,
			timeoutMs: 15_000,
		});
		rows = (res.body as IDataObject)?.data;
	} catch {
		// Not exposed or not allowed for this key: every model stays in the list, just unsorted.
		return found;
	}
	for (const row of Array.isArray(rows) ? (rows as IDataObject[]) : []) {
		const info = row?.model_info as IDataObject | undefined;
		if (typeof row?.model_name === 'string' && info?.mode === 'embedding')
			found.add(row.model_name);
	}
	return found;
}

/** Resource-locator search: the key's models, embedding models first, filtered by the text typed. */
export async function searchEmbeddingModels(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const [ids, embedding] = await Promise.all([listModelIds(this), embeddingModelIds(this)]);
	const needle = (filter ?? '').trim().toLowerCase();
	const shown = ids.filter((id) => !needle || id.toLowerCase().includes(needle));
	const first = [
		...shown.filter((id) => embedding.has(id)),
		...shown.filter((id) => !embedding.has(id)),
	];
	return {
		results: first.map((id) => ({ name: embedding.has(id) ? `${id} (embedding)` : id, value: id })),
	};
}

/** The model picker: the key's models (embedding models first) or an ID. */
export const embeddingModelProperty: INodeProperties = {
	...modelProperty,
	description:
		'The embedding model: every model this key may call, embedding models first where the gateway says which they are',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a model…',
			typeOptions: { searchListMethod: 'searchEmbeddingModels', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. nomic-ai/nomic-embed-text-v1.5',
		},
	],
};
