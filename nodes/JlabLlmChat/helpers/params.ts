import type { IExecuteFunctions, IGetNodeParameterOptions, INodeExecutionData } from 'n8n-workflow';

import { compileFieldTemplate, renderFieldTemplate, type FieldTemplate } from './fieldTemplate';

/** Reads a node parameter for one item. */
export interface ParameterReader {
	get(
		name: string,
		itemIndex: number,
		fallback: unknown,
		options?: IGetNodeParameterOptions,
	): unknown;
}

/** Whether a raw parameter value holds an n8n expression anywhere (a string starting with '='). */
export function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value !== null && typeof value === 'object')
		return Object.values(value as Record<string, unknown>).some(hasExpression);
	return false;
}

/**
 * A run's parameter reads: a parameter without an expression has the same value for every item,
 * so n8n resolves it once (its copy, checks and expression scan cost about as much as a request);
 * a text parameter that only places input fields (`{{ $json.field }}`) reads them directly.
 */
export class RunParameters implements ParameterReader {
	private readonly raw: Record<string, unknown>;

	private readonly constant = new Map<string, unknown>();

	private readonly templates = new Map<string, FieldTemplate | undefined>();

	private items: INodeExecutionData[] | undefined;

	constructor(private readonly ctx: IExecuteFunctions) {
		this.raw = (ctx.getNode().parameters ?? {}) as Record<string, unknown>;
	}

	/** Whether the parameter (a dotted path, as n8n takes it) may differ from item to item. */
	perItem(name: string): boolean {
		let value: unknown = this.raw;
		for (const part of name.split('.')) {
			if (value === null || typeof value !== 'object') return false;
			value = (value as Record<string, unknown>)[part];
		}
		return hasExpression(value);
	}

	get(name: string, itemIndex: number, fallback: unknown, options?: IGetNodeParameterOptions) {
		const key = options?.extractValue ? `${name}#value` : name;
		if (this.constant.has(key)) return this.constant.get(key);
		const text = options ? undefined : this.fromFields(name, itemIndex);
		if (text !== undefined) return text;
		const value = this.ctx.getNodeParameter(name, itemIndex, fallback, options) as unknown;
		if (!this.perItem(name)) this.constant.set(key, value);
		return value;
	}

	/** A top-level text parameter's value read from the item's fields, when n8n's would be the same. */
	private fromFields(name: string, itemIndex: number): string | undefined {
		if (!this.templates.has(name)) this.templates.set(name, compileFieldTemplate(this.raw[name]));
		const template = this.templates.get(name);
		if (!template) return undefined;
		this.items ??= this.ctx.getInputData();
		return renderFieldTemplate(template, this.items[itemIndex]?.json);
	}

	/** `build(itemIndex)` once for the run when `name` holds no expression, else for every item. */
	derived<T>(name: string, itemIndex: number, build: (itemIndex: number) => T): T {
		const key = `${name}#derived`;
		if (this.constant.has(key)) return this.constant.get(key) as T;
		const value = build(itemIndex);
		if (!this.perItem(name)) this.constant.set(key, value);
		return value;
	}
}
