/**
 * A hostile (or broken) gateway: it echoes the credential's key in its headers and bodies, on
 * answers and on errors. No piece of the key may reach an item, an error or the run data of the
 * Chat node (Simplify on and off), the Chat Model or the Usage node.
 */
import type { IDataObject } from 'n8n-workflow';

import { shutdownHarness } from '../harness';
import { leakedPieces } from '../helpers/leaks';

import { runChat, startSandbox, type Sandbox } from './chatSetup';
import { runModel } from './chatModelSetup';
import { runUsage } from './usageSetup';

const CANARY = 'sk-canary-HOSTILE-4f1c9e7a2b8d5c3e6f0a';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: CANARY, key_alias: 'hostile', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearFaults();
	sandbox.clearRequests();
});

/** Every header a node reads, each one carrying the key. */
const ECHO_HEADERS = {
	'x-litellm-call-id': CANARY,
	'x-litellm-model-group': `group-${CANARY}`,
	'x-litellm-model-id': CANARY.slice(3),
	'x-litellm-version': `Bearer ${CANARY}`,
	'x-litellm-response-cost': '0.001',
};

const echoingCompletion = {
	id: `chatcmpl-${CANARY}`,
	object: 'chat.completion',
	created: 1,
	model: CANARY,
	system_fingerprint: CANARY,
	choices: [
		{
			index: 0,
			finish_reason: 'stop',
			message: {
				role: 'assistant',
				content: `Your key is ${CANARY}`,
				reasoning_content: CANARY.slice(5),
			},
		},
	],
	usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
	[CANARY]: { nested: [`Bearer ${CANARY}`] },
};

const noKey = (value: unknown) => expect(leakedPieces(value, CANARY)).toEqual([]);

describe('a gateway that echoes the key', () => {
	it.each([true, false])(
		'in the headers and body of an answer: nothing of it in the Chat item (Simplify %s)',
		async (simplify) => {
			sandbox.injectFaults([
				{
					route: '/v1/chat/completions',
					kind: 'status',
					status: 200,
					body: echoingCompletion,
					headers: ECHO_HEADERS,
					times: 1,
				},
			]);
			const r = await runChat(
				sandbox,
				{ prompt: 'Hello', options: { simplify } },
				{ apiKey: CANARY },
			);
			expect(r.error('Chat')).toBeUndefined();
			expect(r.items).toHaveLength(1);
			const callId = simplify ? r.items[0].callId : (r.items[0].gateway as IDataObject).callId;
			// A call id that is not shaped like one is dropped, not shown.
			expect(callId).toBeNull();
			noKey(r.run.data);
		},
	);

	it('a call id that looks like one is kept', async () => {
		const id = '3f8e1d2c-7a6b-4c5d-9e0f-1a2b3c4d5e6f';
		sandbox.injectFaults([
			{
				route: '/v1/chat/completions',
				kind: 'status',
				status: 200,
				body: echoingCompletion,
				headers: { 'x-litellm-call-id': id },
				times: 1,
			},
		]);
		const r = await runChat(sandbox, { prompt: 'Hello' }, { apiKey: CANARY });
		expect(r.items[0].callId).toBe(id);
	});

	it.each([false, true])(
		'in the call id and body of an error: nothing of it in the Chat error (Continue On Fail %s)',
		async (continueOnFail) => {
			const body = {
				error: {
					message: `bad ${CANARY}`,
					type: 'invalid_request_error',
					param: null,
					code: '400',
				},
			};
			sandbox.injectFaults([
				{
					route: '/v1/chat/completions',
					kind: 'status',
					status: 400,
					body,
					headers: ECHO_HEADERS,
					times: 1,
				},
			]);
			const r = await runChat(sandbox, { prompt: 'Hello' }, { apiKey: CANARY, continueOnFail });
			if (continueOnFail) expect(r.items[0].errorType).toBe('bad_request');
			else expect(r.error('Chat')?.description).toMatch(/^bad_request: /);
			noKey(r.run.data);
		},
	);

	it('in the call id of an error: nothing of it in the Chat Model error', async () => {
		sandbox.injectFaults([
			{
				route: '/v1/chat/completions',
				kind: 'status',
				status: 400,
				body: {
					error: { message: 'refused', type: 'invalid_request_error', param: null, code: '400' },
				},
				headers: ECHO_HEADERS,
				times: 1,
			},
		]);
		const r = await runModel(sandbox as never, { apiKey: CANARY });
		expect(r.items[0].description).toMatch(/^bad_request: /);
		noKey(r.run);
	});

	it('in /key/info: nothing of it in the Usage item', async () => {
		const info = {
			key: CANARY,
			info: {
				key_name: 'sk-…0a9e',
				key_alias: `alias ${CANARY}`,
				user_id: CANARY,
				spend: 0,
				max_budget: null,
				metadata: { note: `Bearer ${CANARY}` },
				models: [],
			},
		};
		sandbox.injectFaults([
			{
				route: '/key/info',
				kind: 'status',
				status: 200,
				body: info,
				headers: ECHO_HEADERS,
				times: 5,
			},
		]);
		const r = await runUsage(sandbox as never, { operation: 'getKeyInfo' }, { apiKey: CANARY });
		expect(r.error('Usage')).toBeUndefined();
		expect(r.items).toHaveLength(1);
		noKey(r.run.data);
	});
});
