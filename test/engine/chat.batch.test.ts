/**
 * JLab LLM Chat in a batch: the run starts with 32 items in flight; it reads the credential once,
 * not once per request (n8n would otherwise read and decrypt it from its database for every
 * request), and still follows a key rotated while the run goes on: a request refused with the old
 * key reads the credential again and is sent again with the new one. The credential adds its
 * Bearer header in code, not through an expression.
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	INodeCredentialsDetails,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { JlabLlmApi } from '../../credentials/JlabLlmApi.credentials';
import { CredentialStore, runWorkflow, shutdownHarness, type RunResult } from '../harness';
import { packageCredentialTypes } from '../harness/registry';

import { CHAT_TYPE, expectNoKeyIn, modelParam, startSandbox, type Sandbox } from './chatSetup';

const OLD_KEY = 'sk-canary-CREDOLD-1f3870be274f6c49b3e31a0c';
const NEW_KEY = 'sk-canary-CREDNEW-8e296a067a37563370ded05f';
const CRED = { id: 'cred-batch', name: 'JLab LLM (sandbox)', type: 'jlabLlmApi' };

/** Counts every time n8n reads the credential; from read `rotatedAt` on it holds another key. */
class RotatingStore extends CredentialStore {
	reads = 0;

	constructor(
		baseUrl: string,
		private readonly first: string,
		private readonly rotated?: { key: string; fromRead: number },
	) {
		super(packageCredentialTypes(), [{ ...CRED, data: { baseUrl, apiKey: first } }]);
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		this.reads++;
		const data = await super.getDecrypted(additionalData, nodeCredentials, type);
		const rotated = this.rotated && this.reads >= this.rotated.fromRead;
		return { ...data, apiKey: rotated ? this.rotated!.key : this.first };
	}
}

let sandbox: Sandbox;

beforeAll(async () => {
	// The gateway knows only the new key: the old one was revoked by the rotation.
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: NEW_KEY, key_alias: 'batch', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => {
	sandbox.clearRequests();
	sandbox.setConfig({ latencyMs: 0 });
});

async function runBatch(store: RotatingStore, count: number): Promise<RunResult> {
	const chat: INode = {
		id: 'chat',
		name: 'Chat',
		type: CHAT_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters: { model: modelParam(), prompt: '=Item {{ $json.i }}' },
		credentials: { jlabLlmApi: { id: CRED.id, name: CRED.name } },
		onError: 'continueRegularOutput',
	};
	const source: INode = {
		id: 'items',
		name: 'Items',
		type: 'test.items',
		typeVersion: 1,
		position: [0, 0],
		parameters: { items: JSON.stringify(Array.from({ length: count }, (_, i) => ({ i }))) },
	};
	return await runWorkflow(
		{
			nodes: [source, chat],
			connections: { Items: { main: [[{ node: 'Chat', type: 'main', index: 0 }]] } },
		},
		[],
		{ store },
	);
}

const chats = () => sandbox.requests.filter((q) => q.path === '/v1/chat/completions');

describe('a batch', () => {
	it('starts with 32 items in flight by default, then grows while answers come without limit signals', async () => {
		// Answers take 1 s: every request sent before the first answer is the first burst, even on a
		// loaded machine (at 200 ms a busy one may not get all 32 out before the first answer).
		sandbox.setConfig({ latencyMs: 1000 });
		const store = new RotatingStore(sandbox.url, NEW_KEY);
		const r = await runBatch(store, 100);
		expect(r.output('Chat').filter((o) => o.json.errorType === undefined)).toHaveLength(100);
		const log = chats();
		const firstAnswer = Math.min(...log.map((q) => q.time + q.durationMs));
		expect(log.filter((q) => q.time < firstAnswer)).toHaveLength(32);
		const most = Math.max(
			...log.map(
				(q) => log.filter((o) => o.time <= q.time && o.time + o.durationMs > q.time).length,
			),
		);
		expect(most).toBeGreaterThan(32);
		expect(most).toBeLessThanOrEqual(64);
	});
});

describe('a batch and its credential', () => {
	it('reads the credential once for the whole run, however many items it sends', async () => {
		const store = new RotatingStore(sandbox.url, NEW_KEY);
		const r = await runBatch(store, 40);
		const out = r.output('Chat');
		expect(out).toHaveLength(40);
		expect(out.every((o) => typeof o.json.reply === 'string')).toBe(true);
		expect(out.map((o) => o.pairedItem)).toEqual(
			Array.from({ length: 40 }, (_, i) => ({ item: i })),
		);
		expect(chats()).toHaveLength(40);
		expect(chats().every((q) => q.authorization === `Bearer ${NEW_KEY}` && q.status === 200)).toBe(
			true,
		);
		// One read when the run starts; none per request.
		expect(store.reads).toBe(1);
	});

	it('follows a key rotated during the run: refused requests read the credential again, once, and go out with the new key', async () => {
		const store = new RotatingStore(sandbox.url, OLD_KEY, { key: NEW_KEY, fromRead: 2 });
		const r = await runBatch(store, 12);
		const out = r.output('Chat');
		expect(out).toHaveLength(12);
		expect(out.map((o) => o.json.errorType)).toEqual(Array(12).fill(undefined));
		expect(out.map((o) => o.json.reply)).toEqual(
			Array.from({ length: 12 }, (_, i) => expect.stringContaining(`Item ${i}`)),
		);
		const refused = chats().filter((q) => q.authorization === `Bearer ${OLD_KEY}`);
		const accepted = chats().filter((q) => q.authorization === `Bearer ${NEW_KEY}`);
		expect(refused.length).toBeGreaterThan(0);
		expect(refused.every((q) => q.status === 401)).toBe(true);
		expect(accepted).toHaveLength(12);
		expect(accepted.every((q) => q.status === 200)).toBe(true);
		// The start of the run, and one re-read shared by every refused request.
		expect(store.reads).toBe(2);
		expectNoKeyIn(out, OLD_KEY);
		expectNoKeyIn(out, NEW_KEY);
	});

	it('a refused key the credential still holds fails each item as invalid_key, sent once', async () => {
		const store = new RotatingStore(sandbox.url, OLD_KEY);
		const r = await runBatch(store, 5);
		const out = r.output('Chat');
		expect(out.map((o) => o.json.errorType)).toEqual(Array(5).fill('invalid_key'));
		expect(chats()).toHaveLength(5);
		expect(store.reads).toBe(2);
		expectNoKeyIn(out, OLD_KEY);
	});
});

describe('the credential', () => {
	it("adds the Bearer header in code and keeps the request's other headers", async () => {
		const options = await new JlabLlmApi().authenticate(
			{
				apiKey: NEW_KEY,
				baseUrl: 'https://delphi.jlab.org/api',
			} as IDataObject as ICredentialDataDecryptedObject,
			{ url: 'https://delphi.jlab.org/api/v1/models', headers: { 'x-litellm-tags': 'a' } },
		);
		expect(options.headers).toEqual({ 'x-litellm-tags': 'a', Authorization: `Bearer ${NEW_KEY}` });
		expect(typeof new JlabLlmApi().authenticate).toBe('function');
	});
});
