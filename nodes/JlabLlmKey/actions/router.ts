import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { inputError } from '../../shared/errors';
import { runEach } from '../../shared/items';
import { Pacer } from '../../shared/pacing';
import { operations, RotationError, type KeyOperation } from './index';

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
		(error) => (error instanceof RotationError ? (error.itemJson as IDataObject) : {}),
	);
	return [results.map((r) => r.item)];
}
