/** Finds the package's nodes and credentials by the file layout of docs/architecture.md#the-layout-of-folders. */
import fs from 'fs';
import path from 'path';

import type { ICredentialType, INodeType, IVersionedNodeType } from 'n8n-workflow';

import { testNodeTypes } from './testNodes';

export const PACKAGE = 'n8n-nodes-jlab-llm';
const ROOT = path.resolve(__dirname, '..', '..');

let nodeCache: Record<string, INodeType | IVersionedNodeType> | undefined;
let credentialCache: Record<string, ICredentialType> | undefined;

/** Node types by the name an installed package gets: `n8n-nodes-jlab-llm.<name>`. */
export function packageNodeTypes(): Record<string, INodeType | IVersionedNodeType> {
	if (nodeCache) return nodeCache;
	const types: Record<string, INodeType | IVersionedNodeType> = { ...testNodeTypes() };
	const nodesDir = path.join(ROOT, 'nodes');
	for (const dir of fs.readdirSync(nodesDir)) {
		const file = path.join(nodesDir, dir, `${dir}.node.ts`);
		if (!fs.existsSync(file)) continue;
		const Ctor = require(file)[dir] as new () => INodeType;
		const instance = new Ctor();
		types[`${PACKAGE}.${instance.description.name}`] = instance;
	}
	nodeCache = types;
	return types;
}

export function packageCredentialTypes(): Record<string, ICredentialType> {
	if (credentialCache) return credentialCache;
	const types: Record<string, ICredentialType> = {};
	const dir = path.join(ROOT, 'credentials');
	for (const f of fs.readdirSync(dir)) {
		const m = /^(.*)\.credentials\.ts$/.exec(f);
		if (!m) continue;
		const Ctor = require(path.join(dir, f))[m[1]] as new () => ICredentialType;
		const instance = new Ctor();
		types[instance.name] = instance;
	}
	credentialCache = types;
	return types;
}
