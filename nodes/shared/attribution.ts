import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

/** What every n8n function context offers to say where a request came from. */
export type AttributionContext = Pick<
	IExecuteFunctions,
	'getWorkflow' | 'getExecutionId' | 'getNode'
>;

export interface AttributionSettings {
	/** The user's spend-tracking tags (LiteLLM metadata.tags). */
	tags: string[];
	/** Whether to name the workflow, execution and node. */
	attribution: boolean;
}

/**
 * LiteLLM request metadata: the user's tags and, with attribution on, where in n8n the spend
 * came from. Top-level keys reach LiteLLM's callbacks; spend_logs_metadata is what its spend
 * logs keep. Undefined when there is nothing to send.
 */
export function spendMetadata(
	ctx: AttributionContext,
	settings: AttributionSettings,
): IDataObject | undefined {
	const metadata: IDataObject = {};
	if (settings.tags.length) metadata.tags = settings.tags;
	if (settings.attribution) {
		const workflow = ctx.getWorkflow();
		const origin: IDataObject = {
			n8n_workflow_id: workflow.id ?? null,
			n8n_workflow_name: workflow.name ?? null,
			n8n_execution_id: ctx.getExecutionId() ?? null,
			n8n_node_name: ctx.getNode().name,
		};
		Object.assign(metadata, origin, { spend_logs_metadata: { ...origin } });
	}
	return Object.keys(metadata).length ? metadata : undefined;
}
