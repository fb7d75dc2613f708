/**
 * Two stand-ins for n8n-nodes-base nodes the harness has no copy of: the Manual Trigger
 * (one empty item) and a source of fixed items (the "items" parameter, JSON).
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { errorItemJson, GatewayError, toNodeError } from '../../nodes/shared/errors';
import { gatewayRequest, gatewaySettings } from '../../nodes/shared/gateway';
import { Pacer } from '../../nodes/shared/pacing';

class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'stand-in',
		defaults: { name: 'Manual' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [[{ json: {} }]];
	}
}

class Items implements INodeType {
	description = {
		displayName: 'Items',
		name: 'items',
		group: ['transform'],
		version: 1,
		description: 'stand-in',
		defaults: { name: 'Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as unknown;
		const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<
			Record<string, unknown>
		>;
		return [
			list.map((json) => ({ json: json as INodeExecutionData['json'], pairedItem: { item: 0 } })),
		];
	}
}

/**
 * Calls the shared transport once per item with the item's {route, method, body, qs,
 * maxRetries, timeoutMs}: lets tests exercise gatewayRequest() inside the real engine.
 */
class GatewayProbe implements INodeType {
	description = {
		displayName: 'Gateway Probe',
		name: 'gatewayProbe',
		group: ['transform'],
		version: 1,
		description: 'test node',
		defaults: { name: 'Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const pacer = new Pacer();
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const j = items[i].json as IDataObject;
			try {
				const res = await gatewayRequest.call(this, {
					route: (j.route as string) ?? '/v1/models',
					method: (j.method as 'GET' | 'POST') ?? 'GET',
					body: j.body as IDataObject | undefined,
					qs: j.qs as IDataObject | undefined,
					maxRetries: j.maxRetries as number | undefined,
					timeoutMs: j.timeoutMs as number | undefined,
					itemIndex: i,
					pacer,
				});
				out.push({
					json: {
						status: res.status,
						attempts: res.attempts,
						body: res.body as IDataObject,
						headers: res.headers,
					},
					pairedItem: { item: i },
				});
			} catch (error) {
				const secrets = (await gatewaySettings(this, i).catch(() => ({ secrets: [] as string[] })))
					.secrets;
				if (this.continueOnFail()) {
					out.push({
						json: {
							...errorItemJson(error, secrets),
							attempts: (error as GatewayError).details?.attempts ?? null,
						},
						pairedItem: { item: i },
					});
					continue;
				}
				if (error instanceof GatewayError) throw toNodeError(this.getNode(), error, i);
				throw error;
			}
		}
		return [out];
	}
}

export function testNodeTypes(): Record<string, INodeType> {
	return {
		'n8n-nodes-base.manualTrigger': new ManualTrigger(),
		'test.items': new Items(),
		'test.gatewayProbe': new GatewayProbe(),
	};
}
