import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ItemResult } from '../../shared/items';
import type { Pacer } from '../../shared/pacing';
import * as auditWorkflows from './key/auditWorkflows.operation';
import * as block from './key/block.operation';
import * as createKey from './key/createKey.operation';
import * as listKeys from './key/listKeys.operation';
import * as revoke from './key/revoke.operation';
import * as rotate from './key/rotate.operation';
import * as unblock from './key/unblock.operation';
import * as updateKey from './key/updateKey.operation';

export type KeyOperation =
	| 'rotate'
	| 'revoke'
	| 'createKey'
	| 'updateKey'
	| 'block'
	| 'unblock'
	| 'listKeys'
	| 'auditWorkflows';

/** One input item in, its output items out; the run's pacer carries rate-limit waits across items. */
export type KeyRun = (
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
) => Promise<ItemResult[]>;

export const operations: Record<KeyOperation, KeyRun> = {
	rotate: rotate.execute,
	revoke: revoke.execute,
	createKey: createKey.execute,
	updateKey: updateKey.execute,
	block: block.execute,
	unblock: unblock.execute,
	listKeys: listKeys.execute,
	auditWorkflows: auditWorkflows.execute,
};

// The router reports the state a failed rotation left.
export { RotationError } from './key/rotate.operation';

export const operation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	default: 'rotate',
	options: [
		{
			name: 'Audit Workflows for Keys',
			value: 'auditWorkflows',
			action: 'Audit workflows for keys',
			description:
				'Find LiteLLM keys pasted into workflows (parameters, pinned and static data): one item per place, fingerprints only',
		},
		{
			name: 'Block Key',
			value: 'block',
			action: 'Block key',
			description: 'Make the gateway refuse a key until it is unblocked (admin)',
		},
		{
			name: 'Create Key',
			value: 'createKey',
			action: 'Create key',
			description: 'Mint a key for a bot or workflow and store it in a new n8n credential',
		},
		{
			name: 'List Keys',
			value: 'listKeys',
			action: 'List keys',
			description: 'One item per key the credential may see, with fingerprints',
		},
		{
			name: 'Revoke Key',
			value: 'revoke',
			action: 'Revoke key',
			description: "Delete the key of this node's credential at the gateway",
		},
		{
			name: 'Rotate Key',
			value: 'rotate',
			action: 'Rotate key',
			description: "Replace the key of this node's credential and write the new key into it",
		},
		{
			name: 'Unblock Key',
			value: 'unblock',
			action: 'Unblock key',
			description: 'Let the gateway accept a blocked key again (admin)',
		},
		{
			name: 'Update Key',
			value: 'updateKey',
			action: 'Update key',
			description: "Change a key's models, budget, limits, expiry, alias or metadata",
		},
	],
};

export const description: INodeProperties[] = [
	operation,
	...rotate.description,
	...revoke.description,
	...createKey.description,
	...updateKey.description,
	...block.description,
	...unblock.description,
	...listKeys.description,
	...auditWorkflows.description,
];
