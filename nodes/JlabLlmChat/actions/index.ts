import type { INodeProperties } from 'n8n-workflow';

import * as complete from './completion/complete.operation';

export { complete };

/** The node's parameters: the operation, then each operation's own. */
export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'complete',
		options: [
			{
				name: 'Complete a Chat',
				value: 'complete',
				action: 'Complete a chat',
				description: 'Send messages to a model and get its reply, usage and cost',
			},
		],
	},
	...complete.description,
];
