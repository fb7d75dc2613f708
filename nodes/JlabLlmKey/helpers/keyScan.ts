import type { IDataObject } from 'n8n-workflow';

import { redact } from '../../shared/redact';

/**
 * Finds LiteLLM-style keys in the JSON of n8n workflows: node parameters (and notes), pinned data,
 * static data and, in n8n 2.x, the published version's nodes when it differs from the draft.
 * Pure functions: no request, no key in what they return except in `Finding.key`, which the
 * operation keeps in memory and never puts in an item.
 */

// `sk-` + at least 20 URL-safe characters, not glued to a word before it ("risk-", "task-").
const KEY = /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g;

export type Where = 'parameters' | 'pinData' | 'staticData' | 'publishedVersion';

/** How the key was written where it was found. */
export type KeyContext = 'bearer' | 'queryString' | 'expression' | 'text';

export interface Finding {
	workflowId: string;
	workflowName: string;
	workflowActive: boolean;
	workflowArchived: boolean;
	nodeName: string | null;
	nodeType: string | null;
	where: Where;
	/** e.g. parameters.headerParameters.parameters[0].value; keys in it are masked. */
	path: string;
	context: KeyContext;
	/** Host of the node's `url` parameter (HTTP Request nodes), for fix mode. */
	urlHost: string | null;
	/** The key itself: for the gateway lookup and fix mode only, never for an item. */
	key: string;
}

export interface ScanCounts {
	workflows: number;
	nodes: number;
}

/** Every key-shaped string in `text`, also after percent-decoding (e.g. `Bearer%20sk-…` in a URL). */
export function keysIn(text: string): Array<{ key: string; context: KeyContext }> {
	const out = new Map<string, KeyContext>();
	const scan = (s: string) => {
		for (const m of s.matchAll(KEY)) {
			if (out.has(m[0])) continue;
			const before = s.slice(Math.max(0, (m.index ?? 0) - 80), m.index);
			out.set(m[0], contextOf(s, before));
		}
	};
	scan(text);
	if (/%[0-9a-f]{2}/i.test(text)) {
		let decoded: string | undefined;
		try {
			decoded = decodeURIComponent(text);
		} catch {
			decoded = text.replace(/%20/g, ' ').replace(/%3d/gi, '=').replace(/%26/g, '&');
		}
		scan(decoded);
	}
	return [...out].map(([key, context]) => ({ key, context }));
}

function contextOf(whole: string, before: string): KeyContext {
	if (/bearer[\s"'+]*$/i.test(before)) return 'bearer';
	if (/[?&][A-Za-z0-9_.-]*=$/.test(before)) return 'queryString';
	if (whole.startsWith('=') || /\{\{[^}]*$/.test(before)) return 'expression';
	return 'text';
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** One path segment, masked if it is (or holds) a key. */
function segment(parent: string, name: string): string {
	const safe = redact(name);
	if (IDENT.test(safe)) return parent ? `${parent}.${safe}` : safe;
	return `${parent}[${JSON.stringify(safe)}]`;
}

const MAX_DEPTH = 64;

/** Walks any JSON value; calls `hit` for each key in a string (or in an object's key). */
export function walk(
	value: unknown,
	path: string,
	hit: (path: string, key: string, context: KeyContext) => void,
	depth = 0,
): void {
	if (depth > MAX_DEPTH && value !== null && typeof value === 'object') {
		// Deeper than the path is worth spelling: scan the rest as text, reported at this path.
		let rest = '';
		try {
			rest = JSON.stringify(value);
		} catch {
			rest = '';
		}
		for (const k of keysIn(rest)) hit(`${path}…`, k.key, k.context);
		return;
	}
	if (typeof value === 'string') {
		for (const k of keysIn(value)) hit(path, k.key, k.context);
		return;
	}
	if (value === null || typeof value !== 'object') return;
	if (Array.isArray(value)) {
		value.forEach((v, i) => walk(v, `${path}[${i}]`, hit, depth + 1));
		return;
	}
	for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
		const p = segment(path, name);
		for (const k of keysIn(name)) hit(p, k.key, 'text');
		walk(v, p, hit, depth + 1);
	}
}

interface WorkflowNode {
	name?: unknown;
	type?: unknown;
	parameters?: unknown;
	notes?: unknown;
}

function nodesOf(raw: unknown): WorkflowNode[] {
	return Array.isArray(raw)
		? (raw.filter((n) => n && typeof n === 'object') as WorkflowNode[])
		: [];
}

const str = (v: unknown): string | null =>
	typeof v === 'string' ? v : v === undefined || v === null ? null : String(v);

/** Scans one workflow object as GET /api/v1/workflows returns it. */
export function scanWorkflow(wf: IDataObject): { findings: Finding[]; nodes: number } {
	const findings: Finding[] = [];
	const nodes = nodesOf(wf.nodes);
	const typeOf = new Map<string, string | null>(nodes.map((n) => [String(n.name), str(n.type)]));
	const base = {
		workflowId: String(wf.id ?? ''),
		workflowName: redact(String(wf.name ?? '')),
		workflowActive: wf.active === true,
		workflowArchived: wf.isArchived === true,
	};
	const add =
		(where: Where, nodeName: string | null, nodeType: string | null, host?: string) =>
		(path: string, key: string, context: KeyContext) => {
			findings.push({
				...base,
				nodeName: nodeName === null ? null : redact(nodeName),
				nodeType,
				where,
				path,
				context,
				urlHost: host ?? null,
				key,
			});
		};
	const scanNodes = (list: WorkflowNode[], where: Where) => {
		for (const node of list) {
			const name = String(node.name ?? '');
			const host = urlHost((node.parameters as IDataObject | undefined)?.url);
			walk(node.parameters ?? {}, 'parameters', add(where, name, str(node.type), host));
			if (typeof node.notes === 'string')
				walk(node.notes, 'notes', add(where, name, str(node.type), host));
		}
	};
	scanNodes(nodes, 'parameters');

	// Pinned data: { "<node name>": [ { json: … }, … ] }.
	if (wf.pinData && typeof wf.pinData === 'object') {
		for (const [nodeName, data] of Object.entries(wf.pinData as IDataObject)) {
			walk(data, 'pinData', add('pinData', nodeName, typeOf.get(nodeName) ?? null));
		}
	}

	// Static data: { global: …, "node:<node name>": … }.
	if (wf.staticData && typeof wf.staticData === 'object') {
		for (const [scope, data] of Object.entries(wf.staticData as IDataObject)) {
			const nodeName = scope.startsWith('node:') ? scope.slice(5) : null;
			const hit = add(
				'staticData',
				nodeName,
				nodeName === null ? null : (typeOf.get(nodeName) ?? null),
			);
			for (const k of keysIn(scope)) hit(segment('staticData', scope), k.key, 'text');
			walk(data, segment('staticData', scope), hit);
		}
	}

	// n8n 2.x runs the published version, which may still hold a key the draft no longer has.
	const published = wf.activeVersion as IDataObject | null | undefined;
	if (published && typeof published === 'object' && published.versionId !== wf.versionId) {
		const seen = new Set(findings.map((f) => `${f.where}|${f.nodeName}|${f.path}|${f.key}`));
		const before = findings.length;
		scanNodes(nodesOf(published.nodes), 'publishedVersion');
		const extra = findings
			.splice(before)
			.filter((f) => !seen.has(`parameters|${f.nodeName}|${f.path}|${f.key}`));
		findings.push(...extra);
	}
	return { findings, nodes: nodes.length };
}

/** Keys of other providers that fit the pattern: never sent to the lab's gateway. */
const FOREIGN = /^sk-(proj|ant|or|svcacct|admin)-/;
// OpenAI's legacy keys (sk- + 48 characters) carry base64 "OpenAI" in the middle.
const OPENAI_MARKER = 'T3BlbkFJ';

export function isForeignKey(key: string): boolean {
	return FOREIGN.test(key) || key.includes(OPENAI_MARKER);
}

/**
 * The host (and port) an HTTP Request node's URL points at, or undefined when it cannot be told:
 * only a literal scheme://host that ends before any {{ expression }} counts, since anything an
 * expression computes may be another host at run time.
 */
export function urlHost(raw: unknown): string | undefined {
	if (typeof raw !== 'string') return undefined;
	const text = (raw.startsWith('=') ? raw.slice(1) : raw).trim();
	const open = text.indexOf('{{');
	const literal = open === -1 ? text : text.slice(0, open);
	const authority = /^https?:\/\/[^/?#\s]+(?=[/?#]|$)/i.exec(literal);
	if (!authority || (open !== -1 && authority[0].length === literal.length)) return undefined;
	try {
		return new URL(authority[0]).host.toLowerCase();
	} catch {
		return undefined;
	}
}
