/** Pieces of the test root nodes that pull a sub-node (AI model, embeddings) the way n8n's AI nodes do. */
import type { IDataObject, INodeType } from 'n8n-workflow';

/** An error as an output item: what the probe saw, for the test to check. */
export function errorJson(error: unknown): IDataObject {
	const e = error as Error & { description?: string; httpCode?: string | null };
	return {
		errorName: e?.constructor?.name ?? null,
		message: e?.message ?? String(error),
		description: e?.description ?? null,
		httpCode: e?.httpCode ?? null,
	};
}

/** A root node's description with one main input and one required AI input of `type`. */
export function probeDescription(
	displayName: string,
	name: string,
	input: { type: string; displayName: string },
): INodeType['description'] {
	return {
		displayName,
		name,
		group: ['transform'],
		version: 1,
		description: 'test root node',
		defaults: { name: 'Probe' },
		inputs: ['main', { ...input, required: true, maxConnections: 1 }],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];
}
