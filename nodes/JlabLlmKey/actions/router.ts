import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { runEach, type ItemResult } from '../../shared/items';
import { Pacer } from '../../shared/pacing';
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

type Run = (this: IExecuteFunctions, itemIndex: number, pacer: Pacer) => Promise<ItemResult[]>;

const operations: Record<KeyOperation, Run> = {
	rotate: rotate.execute,
	revoke: revoke.execute,
	createKey: createKey.execute,
	updateKey: updateKey.execute,
	block: block.execute,
	unblock: unblock.execute,
	listKeys: listKeys.execute,
	auditWorkflows: auditWorkflows.execute,
};

/**
 * Runs the operation once per input item, one after another (key changes must not race).
 * List Keys yields one item per key, Audit Workflows one per finding plus a summary, the others
 * one item per input item; each carries pairedItem. A failure becomes an error item under "Continue On Fail" ({error, errorType},
 * plus the full rotation report for Rotate), otherwise the node error — classified, redacted.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as KeyOperation;
	const run = operations[operation];
	const pacer = new Pacer();
	const results = await runEach.call(
		this,
		async function (this: IExecuteFunctions, i: number) {
			if (!run)
				throw inputError(
					'Operation',
					'one of rotate, revoke, createKey, updateKey, block, unblock, listKeys, auditWorkflows',
				);
			return await run.call(this, i, pacer);
		},
		// A failed rotation still reports the state it left, with fingerprints.
		(error) => (error instanceof rotate.RotationError ? (error.itemJson as IDataObject) : {}),
	);
	return [results.map((r) => r.item)];
}
