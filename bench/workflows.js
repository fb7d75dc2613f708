'use strict';
/**
 * The in-process benches' one workflow shape, "Items → node", for n8n's engine (test/harness):
 * `test.items` emits N numbered items `{ i }`, the node under test gets them on its main input.
 */

const MODEL = 'openai/gpt-oss-120b';

/** The Chat node's parameters in every bench: only Model and the bench's prompt. */
function chatParameters(options = {}) {
	return {
		model: { __rl: true, mode: 'id', value: MODEL },
		prompt: '=Summarise item {{ $json.i }}',
		options,
	};
}

/** `node` (name, type, parameters, …) after an Items node of `count` items; credential "bench". */
function itemsWorkflow(id, count, node) {
	return {
		id,
		name: id,
		nodes: [
			{
				id: '1',
				name: 'Items',
				type: 'test.items',
				typeVersion: 1,
				position: [0, 0],
				parameters: { items: JSON.stringify(Array.from({ length: count }, (_, i) => ({ i }))) },
			},
			{
				id: '2',
				typeVersion: 1,
				position: [200, 0],
				credentials: { jlabLlmApi: { id: 'bench', name: 'bench' } },
				...node,
			},
		],
		connections: { Items: { main: [[{ node: node.name, type: 'main', index: 0 }]] } },
	};
}

module.exports = { MODEL, chatParameters, itemsWorkflow };
