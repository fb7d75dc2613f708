import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { searchModels } from '../shared/models';

import * as chat from './actions';
import { router } from './actions/router';

/** Chat completion through the lab's LiteLLM gateway, item by item, with cost and attribution. */
export class JlabLlmChat implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'JLab LLM Chat',
		name: 'jlabLlmChat',
		icon: { light: 'file:jlabLlmChat.svg', dark: 'file:jlabLlmChat.dark.svg' },
		group: ['transform'],
		version: 1,
		// n8n hands a resource locator to expressions as its value; older versions as the object.
		subtitle:
			'={{ (typeof $parameter["model"] === "object" ? $parameter["model"].value : $parameter["model"]) || "no model chosen" }}',
		description: "Ask a model on Jefferson Lab's LLM gateway; returns the reply with its cost",
		defaults: { name: 'JLab LLM Chat' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'jlabLlmApi', required: true }],
		properties: chat.description,
	};

	methods = { listSearch: { searchModels } };

	execute = router;
}
