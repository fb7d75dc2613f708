import type { INodeProperties } from 'n8n-workflow';

/** The "Options" collection every operation ends with: fields the user adds one by one. */
export function optionsCollection(options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options,
	};
}
