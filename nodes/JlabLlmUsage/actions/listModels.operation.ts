import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { settle } from '../../shared/settle';
import { GatewayError } from '../../shared/errors';
import { gatewayRequest } from '../../shared/gateway';
import type { ItemResult } from '../../shared/items';
import { listModelIds } from '../../shared/models';
import { timeoutMsOf, timeoutOption } from '../helpers/params';
import { optionsCollection } from '../../shared/properties';

const properties: INodeProperties[] = [
	{
		displayName: 'Include Details',
		name: 'includeDetails',
		type: 'boolean',
		default: true,
		description:
			"Whether to add the context window and the price per million tokens from the gateway's /model/info, where the key may read it (keys limited to LLM routes get plain model IDs with a note)",
	},
	optionsCollection([timeoutOption]),
];

export const description = updateDisplayOptions(
	{ show: { operation: ['listModels'] } },
	properties,
);

/** What /model/info says about one model group, in the node's words. */
export interface ModelDetails {
	maxInputTokens: number | null;
	maxOutputTokens: number | null;
	inputUsdPerMillionTokens: number | null;
	outputUsdPerMillionTokens: number | null;
	mode: string | null;
	supportsVision: boolean | null;
	supportsReasoning: boolean | null;
	supportsFunctionCalling: boolean | null;
}

const EMPTY: ModelDetails = {
	maxInputTokens: null,
	maxOutputTokens: null,
	inputUsdPerMillionTokens: null,
	outputUsdPerMillionTokens: null,
	mode: null,
	supportsVision: null,
	supportsReasoning: null,
	supportsFunctionCalling: null,
};

const isObject = (v: unknown): v is IDataObject =>
	v !== null && typeof v === 'object' && !Array.isArray(v);

function positive(value: unknown): number | null {
	if (value === null || value === undefined || value === '') return null;
	const n = Number(value);
	return Number.isFinite(n) && n >= 0 ? n : null;
}

/** USD per token → USD per million tokens, without floating-point dust. */
export function perMillion(value: unknown): number | null {
	const n = positive(value);
	return n === null ? null : Math.round(n * 1e6 * 1e6) / 1e6;
}

function flag(value: unknown): boolean | null {
	return typeof value === 'boolean' ? value : null;
}

/**
 * /model/info rows by model group. Only the fields above are read: the rows also carry the
 * upstream api_base and headers, which do not belong in a workflow.
 */
export function detailsByModel(body: unknown): Map<string, ModelDetails> {
	const out = new Map<string, ModelDetails>();
	const rows = isObject(body) && Array.isArray(body.data) ? body.data : [];
	for (const row of rows) {
		if (!isObject(row) || typeof row.model_name !== 'string') continue;
		const info = isObject(row.model_info) ? row.model_info : {};
		const found: ModelDetails = {
			maxInputTokens: positive(info.max_input_tokens),
			maxOutputTokens: positive(info.max_output_tokens) ?? positive(info.max_tokens),
			inputUsdPerMillionTokens: perMillion(info.input_cost_per_token),
			outputUsdPerMillionTokens: perMillion(info.output_cost_per_token),
			mode: typeof info.mode === 'string' ? info.mode : null,
			supportsVision: flag(info.supports_vision),
			supportsReasoning: flag(info.supports_reasoning),
			supportsFunctionCalling: flag(info.supports_function_calling),
		};
		// Several deployments may serve one group: the first one that knows a value wins.
		const seen = out.get(row.model_name);
		if (!seen) {
			out.set(row.model_name, found);
			continue;
		}
		for (const k of Object.keys(found) as Array<keyof ModelDetails>) {
			if (seen[k] === null && found[k] !== null) (seen as unknown as IDataObject)[k] = found[k];
		}
	}
	return out;
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<ItemResult[]> {
	const includeDetails = this.getNodeParameter('includeDetails', itemIndex, true) === true;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const timeoutMs = timeoutMsOf(options);
	const ids = await listModelIds(this, itemIndex, timeoutMs);

	let details: Map<string, ModelDetails> | undefined;
	let note: string | null = includeDetails
		? null
		: 'Details not requested (Include Details is off).';
	if (includeDetails) {
		const res = await settle(
			gatewayRequest.call(this, {
				route: '/model/info',
				itemIndex,
				maxRetries: 1,
				timeoutMs: timeoutMs ?? 30_000,
			}),
		);
		if (res.ok) {
			details = detailsByModel(res.value.body);
		} else {
			const error = res.error;
			if (!(error instanceof GatewayError)) throw error;
			// Details are optional: keys limited to LLM routes get 403 here, some gateways 404.
			note =
				error.errorClass === 'permission_denied'
					? `Plain model IDs only: the gateway does not let this key read /model/info (HTTP ${error.details.status ?? '?'}), which is normal for keys limited to LLM routes.`
					: `Plain model IDs only: /model/info failed (${error.errorClass}).`;
		}
	}

	if (!ids.length) {
		// The input item still gets an answer.
		return [
			{ json: { id: null, ...EMPTY, note: 'The gateway lists no model this key may call.' } },
		];
	}
	return ids.map((id) => {
		const found = details?.get(id);
		return {
			json: {
				id,
				...(found ?? EMPTY),
				note: found ? null : (note ?? 'The gateway has no details for this model.'),
			},
		};
	});
}
