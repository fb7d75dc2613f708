import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { errorItemJson, GatewayError, toNodeError } from './errors';
import { gatewaySettings } from './gateway';
import { redact, redactDeep } from './redact';

/** What one item's operation returns: its json (and binary), without pairedItem. */
export type ItemResult = Omit<INodeExecutionData, 'pairedItem'> & { json: IDataObject };

export type ItemHandler = (this: IExecuteFunctions, itemIndex: number) => Promise<ItemResult>;

export interface RunItemsOptions {
	/** Items in flight at once (1 = one after another). */
	concurrency?: number;
}

/**
 * One item in, one item out: runs `handler` for every input item (at most `concurrency`
 * at a time), and returns the results in input order with pairedItem. A failure becomes
 * an error item under "Continue On Fail", otherwise the node error of the first failing
 * item (by input order) — never a raw error, never a key.
 */
export async function runItems(
	this: IExecuteFunctions,
	handler: ItemHandler,
	options: RunItemsOptions = {},
): Promise<INodeExecutionData[]> {
	const count = this.getInputData().length;
	const results: Array<INodeExecutionData | undefined> = new Array(count);
	const failures: Array<unknown> = new Array(count);
	const limit = Math.max(1, Math.min(options.concurrency ?? 1, count || 1));
	const continueOnFail = this.continueOnFail();
	let next = 0;
	let stop = false;

	const worker = async () => {
		while (!stop && next < count) {
			const i = next++;
			try {
				const r = await handler.call(this, i);
				results[i] = { ...r, json: r.json, pairedItem: { item: i } };
			} catch (error) {
				failures[i] = error;
				// Without Continue On Fail the run ends: start no new items.
				if (!continueOnFail) stop = true;
			}
		}
	};
	await Promise.all(Array.from({ length: limit }, worker));

	const secrets = await gatewaySettings(this).then(
		(s) => s.secrets,
		() => [] as string[],
	);
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < count; i++) {
		if (failures[i] === undefined && results[i]) {
			// Answers carry gateway text (bodies, headers): redacted like errors are.
			const result = results[i] as INodeExecutionData;
			out.push({ ...result, json: redactDeep(result.json, secrets) });
			continue;
		}
		const error = failures[i];
		if (error === undefined) continue;
		if (continueOnFail) {
			out.push(errorItem(this, error, i, secrets));
			continue;
		}
		throw asNodeError(this, error, i, secrets);
	}
	return out;
}

/**
 * The "Continue On Fail" item of a failed input: `{ error, errorType, … }` (plus `extra`).
 * Under "Continue (using error output)" n8n moves an item to the error output only when its
 * json holds nothing but error/message/details, so there everything else goes into `details`.
 */
export function errorItem(
	ctx: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
	secrets: string[] = [],
	extra: IDataObject = {},
): INodeExecutionData {
	const { error: message, ...rest } = errorItemJson(error, secrets);
	const more = { ...rest, ...redactDeep(extra, secrets) } as IDataObject;
	const json: IDataObject =
		ctx.getNode().onError === 'continueErrorOutput'
			? { error: message, details: more }
			: { error: message, ...more };
	return { json, pairedItem: { item: itemIndex } };
}

export type MultiItemHandler = (
	this: IExecuteFunctions,
	itemIndex: number,
) => Promise<ItemResult[]>;

export interface EachResult {
	item: INodeExecutionData;
	/** True for the error item of a failed input (Continue On Fail). */
	failed: boolean;
}

/**
 * Inputs one after another, for operations where an input may yield several items (one per
 * day, model or key) or where calls must not race (key changes). Every result carries
 * pairedItem; a failure becomes an error item under "Continue On Fail" (with `errorExtra`'s
 * fields), otherwise the node error of that input.
 */
export async function runEach(
	this: IExecuteFunctions,
	handler: MultiItemHandler,
	errorExtra: (error: unknown) => IDataObject = () => ({}),
): Promise<EachResult[]> {
	const count = this.getInputData().length;
	const continueOnFail = this.continueOnFail();
	const out: EachResult[] = [];
	for (let i = 0; i < count; i++) {
		try {
			const results = await handler.call(this, i);
			// Answers carry gateway text (bodies, headers): redacted like errors are.
			const secrets =
				results.length === 0
					? []
					: await gatewaySettings(this, i).then(
							(s) => s.secrets,
							() => [] as string[],
						);
			for (const r of results) {
				out.push({
					item: { ...r, json: redactDeep(r.json, secrets), pairedItem: { item: i } },
					failed: false,
				});
			}
		} catch (error) {
			const secrets = await gatewaySettings(this, i).then(
				(s) => s.secrets,
				() => [] as string[],
			);
			if (!continueOnFail) throw asNodeError(this, error, i, secrets);
			out.push({ item: errorItem(this, error, i, secrets, errorExtra(error)), failed: true });
		}
	}
	return out;
}

/** Any failure as the n8n error a node may throw, with the item index and redacted text. */
export function asNodeError(
	ctx: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
	secrets: string[] = [],
) {
	if (error instanceof GatewayError) return toNodeError(ctx.getNode(), error, itemIndex);
	if (
		error instanceof NodeOperationError ||
		(error as { name?: string })?.name === 'NodeApiError'
	) {
		const e = error as NodeOperationError;
		e.message = redact(e.message, secrets);
		if (typeof e.description === 'string') e.description = redact(e.description, secrets);
		if (e.context) e.context.itemIndex = itemIndex;
		return e;
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(ctx.getNode(), redact(message, secrets), { itemIndex });
}
