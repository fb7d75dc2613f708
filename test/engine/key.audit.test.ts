/**
 * Key → Audit Workflows inside n8n's engine, against the sandbox gateway and the stand-in n8n
 * public API listing workflows with keys planted in every place a user might paste one, and
 * look-alikes that are not keys: exactly the expected findings, fingerprints only, every page.
 */
import fs from 'fs';
import path from 'path';

import type { IConnections, IDataObject, INode } from 'n8n-workflow';

import {
	isForeignKey,
	keysIn,
	scanWorkflow,
	urlHost,
} from '../../nodes/JlabLlmKey/helpers/keyScan';
import { runWorkflow, shutdownHarness } from '../harness';
import {
	ADMIN,
	CANARY,
	exposed,
	leaks,
	N8N_KEY,
	NOUSER,
	runKeyNode,
	sha,
	startWorld,
	type World,
} from './keySetup';

afterAll(async () => {
	await shutdownHarness();
});

const TUNING = { timeoutMs: 3000, maxRetries: 0 };

// Planted keys: each a different canary, none of them the credential's key.
const HDR = 'sk-canary-AUDIT-hdr-0a1b2c3d4e5f6g7h8i9j'; // live at the gateway, alias bot-one
const BEARER = 'sk-canary-AUDIT-brr-1b2c3d4e5f6g7h8i9j0k'; // blocked at the gateway
const QS = 'sk-canary-AUDIT-qs_-2c3d4e5f6g7h8i9j0k1l'; // unknown to the gateway
const CODE = 'sk-canary-AUDIT-code-3d4e5f6g7h8i9j0k1l2m';
const SET = 'sk-canary-AUDIT-set-4e5f6g7h8i9j0k1l2m3n';
const EXPR = 'sk-canary-AUDIT-expr-5f6g7h8i9j0k1l2m3n4o'; // live, alias bot-two
const PIN = 'sk-canary-AUDIT-pin-6g7h8i9j0k1l2m3n4o5p';
const STATIC = 'sk-canary-AUDIT-static-7h8i9j0k1l2m3n4o5p6q';
const PLANTED = [HDR, BEARER, QS, CODE, SET, EXPR, PIN, STATIC];

const fp = (key: string) => ({ display: `sk-…${key.slice(-4)}`, hash: sha(key).slice(0, 12) });

let n = 0;
const node = (name: string, type: string, parameters: IDataObject) => ({
	id: `n${++n}`,
	name,
	type,
	typeVersion: 1,
	position: [0, 0],
	parameters,
});

/** The planted workflows, as n8n 2.41's GET /api/v1/workflows returns them. */
function plantedWorkflows(gateway: string): IDataObject[] {
	const wf = (
		id: string,
		name: string,
		nodes: IDataObject[],
		extra: IDataObject = {},
	): IDataObject => ({
		id,
		name,
		active: false,
		isArchived: false,
		versionId: `v-${id}`,
		nodes,
		connections: {},
		settings: {},
		staticData: null,
		pinData: {},
		activeVersion: null,
		...extra,
	});
	return [
		wf(
			'wfHeaders',
			'Gateway calls',
			[
				node('Manual', 'n8n-nodes-base.manualTrigger', {}),
				node('Call With Header', 'n8n-nodes-base.httpRequest', {
					method: 'POST',
					url: `${gateway}/v1/chat/completions`,
					sendHeaders: true,
					headerParameters: { parameters: [{ name: 'x-litellm-api-key', value: HDR }] },
				}),
				node('Call With Bearer', 'n8n-nodes-base.httpRequest', {
					url: `${gateway}/v1/models`,
					sendHeaders: true,
					headerParameters: { parameters: [{ name: 'Authorization', value: `Bearer ${BEARER}` }] },
				}),
				node('Call With Expression', 'n8n-nodes-base.httpRequest', {
					url: `=${gateway}/v1/models?x={{ $json.x }}`,
					sendHeaders: true,
					headerParameters: {
						parameters: [{ name: 'Authorization', value: `={{ "Bearer ${EXPR}" }}` }],
					},
				}),
			],
			{ active: true },
		),
		wf('wfQuery', 'Elsewhere', [
			node('Query Key', 'n8n-nodes-base.httpRequest', {
				url: `https://tools.example.org/v1/run?mode=x&api_key=${QS}&y=1`,
			}),
			node('Code', 'n8n-nodes-base.code', {
				jsCode: `const key = '${CODE}';\nreturn [{ json: { key } }];`,
			}),
			node('Set Key', 'n8n-nodes-base.set', {
				assignments: { assignments: [{ id: 'a1', name: 'token', value: SET, type: 'string' }] },
			}),
		]),
		wf('wfData', 'Pinned and static', [node('Webhook', 'n8n-nodes-base.webhook', { path: 'x' })], {
			pinData: { Webhook: [{ json: { headers: { authorization: `Bearer ${PIN}` } } }] },
			staticData: { global: { lastToken: STATIC } },
		}),
		wf('wfCopy', 'Same key again', [
			node('Again', 'n8n-nodes-base.httpRequest', {
				url: `${gateway}/v1/chat/completions`,
				headerParameters: { parameters: [{ name: 'x-litellm-api-key', value: HDR }] },
			}),
		]),
		wf('wfLookalikes', 'Look-alikes, no keys', [
			node('Notes', 'n8n-nodes-base.set', {
				assignments: {
					assignments: [
						{ name: 'short', value: 'sk-short1234567' },
						{ name: 'task', value: 'task-0123456789abcdefghijklmnop' },
						{ name: 'risk', value: 'risk-assessment-2024-quarterly-review-final' },
						{ name: 'hash', value: sha('whatever') },
						{ name: 'abbrev', value: 'sk-...Qx7w' },
						{ name: 'fingerprint', value: 'sk-…Qx7w (3f2a9c1b7d4e)' },
						{ name: 'desk', value: 'desk-reservation-system-for-the-lab' },
					],
				},
			}),
			node('Gateway Node', 'n8n-nodes-jlab-llm.jlabLlmChat', {
				model: 'openai/gpt-oss-120b',
				prompt: 'hello',
			}),
		]),
	];
}

interface Expected {
	workflowId: string;
	nodeName: string | null;
	where: string;
	path: string;
	key: string;
	context: string;
}

const EXPECTED: Expected[] = [
	{
		workflowId: 'wfHeaders',
		nodeName: 'Call With Header',
		where: 'parameters',
		path: 'parameters.headerParameters.parameters[0].value',
		key: HDR,
		context: 'text',
	},
	{
		workflowId: 'wfHeaders',
		nodeName: 'Call With Bearer',
		where: 'parameters',
		path: 'parameters.headerParameters.parameters[0].value',
		key: BEARER,
		context: 'bearer',
	},
	{
		workflowId: 'wfHeaders',
		nodeName: 'Call With Expression',
		where: 'parameters',
		path: 'parameters.headerParameters.parameters[0].value',
		key: EXPR,
		context: 'bearer',
	},
	{
		workflowId: 'wfQuery',
		nodeName: 'Query Key',
		where: 'parameters',
		path: 'parameters.url',
		key: QS,
		context: 'queryString',
	},
	{
		workflowId: 'wfQuery',
		nodeName: 'Code',
		where: 'parameters',
		path: 'parameters.jsCode',
		key: CODE,
		context: 'text',
	},
	{
		workflowId: 'wfQuery',
		nodeName: 'Set Key',
		where: 'parameters',
		path: 'parameters.assignments.assignments[0].value',
		key: SET,
		context: 'text',
	},
	{
		workflowId: 'wfData',
		nodeName: 'Webhook',
		where: 'pinData',
		path: 'pinData[0].json.headers.authorization',
		key: PIN,
		context: 'bearer',
	},
	{
		workflowId: 'wfData',
		nodeName: null,
		where: 'staticData',
		path: 'staticData.global.lastToken',
		key: STATIC,
		context: 'text',
	},
	{
		workflowId: 'wfCopy',
		nodeName: 'Again',
		where: 'parameters',
		path: 'parameters.headerParameters.parameters[0].value',
		key: HDR,
		context: 'text',
	},
];

const shape = (j: IDataObject) => ({
	workflowId: j.workflowId,
	nodeName: j.nodeName,
	where: j.where,
	path: j.path,
	fingerprint: j.fingerprint,
	context: j.context,
});

async function auditWorld(options: Parameters<typeof startWorld>[0] = {}): Promise<World> {
	const workflows: IDataObject[] = [];
	const world = await startWorld({
		workflows,
		extraKeys: [
			{ key: HDR, key_alias: 'bot-one', user_id: 'alice' },
			{ key: EXPR, key_alias: 'bot-two', user_id: 'alice' },
			{ key: BEARER, key_alias: 'bot-blocked', user_id: 'alice', blocked: true },
		],
		...options,
	});
	workflows.push(...plantedWorkflows(world.proxy.url));
	return world;
}

function noKeys(run: Parameters<typeof exposed>[0]) {
	const text = exposed(run);
	for (const key of [...PLANTED, CANARY, ADMIN, NOUSER, N8N_KEY])
		expect({ key: key.slice(0, 20), leaks: leaks(text, key) }).toEqual({
			key: key.slice(0, 20),
			leaks: [],
		});
}

describe('keyScan helpers', () => {
	it('matches sk- + 20 URL-safe characters only, not glued to a word, also percent-encoded', () => {
		expect(keysIn(`x ${HDR} y`).map((k) => k.key)).toEqual([HDR]);
		expect(
			keysIn(
				'sk-short1234567 task-0123456789abcdefghijklmnop risk-assessment-2024-quarterly-review',
			),
		).toEqual([]);
		expect(keysIn('sk-...abcd sk-…abcd')).toEqual([]);
		expect(keysIn(sha('x'))).toEqual([]);
		expect(keysIn(`https://h/x?auth=Bearer%20${QS}`).map((k) => k.key)).toEqual([QS]);
		expect(keysIn(`?a=1&key=${QS}`)[0].context).toBe('queryString');
		expect(keysIn(`={{ $json.x + "${QS}" }}`)[0].context).toBe('expression');
	});

	it('masks a key that is an object key in the path, and scans a differing published version', () => {
		const { findings } = scanWorkflow({
			id: 'w',
			name: 'w',
			versionId: 'draft',
			nodes: [{ name: 'A', type: 't', parameters: { [HDR]: 'x' } }],
			activeVersion: {
				versionId: 'published',
				nodes: [{ name: 'A', type: 't', parameters: { [HDR]: 'x', old: CODE } }],
			},
		});
		expect(findings.map((f) => [f.where, f.key])).toEqual([
			['parameters', HDR],
			['publishedVersion', CODE],
		]);
		expect(leaks(findings[0].path, HDR)).toEqual([]);
	});

	it('tells the host of a URL, also inside an expression; recognises other providers', () => {
		expect(urlHost('https://Delphi.jlab.org/api/v1/x')).toBe('delphi.jlab.org');
		expect(urlHost('=https://delphi.jlab.org:8443/api/{{ $json.p }}')).toBe('delphi.jlab.org:8443');
		expect(urlHost('={{ $json.url }}')).toBeUndefined();
		expect(isForeignKey('sk-proj-abcdefghijklmnopqrstuvwxyz')).toBe(true);
		expect(isForeignKey(HDR)).toBe(false);
	});
});

describe('Audit Workflows', () => {
	it('finds every planted key, one item per place, nothing else, then a summary; following every page', async () => {
		const world = await auditWorld({ maxPageSize: 2 });
		try {
			const run = await runKeyNode(world, { operation: 'auditWorkflows', options: TUNING });
			expect(run.error).toBeUndefined();
			const findings = run.items.filter((i) => i.json.type === 'finding').map((i) => i.json);
			expect(findings.map(shape)).toEqual(
				EXPECTED.map(({ key, ...e }) => ({ ...e, fingerprint: fp(key) })),
			);
			// 5 workflows, 2 per page: three pages, each asked for once.
			expect(world.n8n.calls.filter((c) => c.path === '/api/v1/workflows').length).toBe(3);
			const summary = run.items[run.items.length - 1].json;
			expect(summary).toMatchObject({
				type: 'summary',
				clean: false,
				workflowsChecked: 5,
				nodesChecked: 11,
				findings: 9,
				distinctKeys: 8,
				liveKeys: 2,
				deadKeys: 1,
				uncheckedKeys: 5,
				credentialsCreated: null,
			});
			expect(run.items.every((i) => i.pairedItem !== undefined)).toBe(true);

			const byKey = (key: string) =>
				findings.filter((f) => (f.fingerprint as IDataObject).hash === fp(key).hash);
			expect(byKey(HDR).map((f) => [f.live, f.keyAlias, f.userId])).toEqual([
				[true, 'bot-one', 'alice'],
				[true, 'bot-one', 'alice'],
			]);
			expect(byKey(EXPR)[0]).toMatchObject({
				live: true,
				keyAlias: 'bot-two',
				workflowActive: true,
				nodeType: 'n8n-nodes-base.httpRequest',
			});
			expect(byKey(BEARER)[0]).toMatchObject({
				live: false,
				liveReason: expect.stringMatching(/^blocked_key: /),
				keyAlias: null,
			});
			// Only keys found in a node calling the gateway's own host are presented; the others are third parties' secrets.
			expect(byKey(QS)[0]).toMatchObject({
				live: null,
				liveReason: expect.stringContaining('this node calls tools.example.org'),
				workflowActive: false,
			});
			for (const key of [CODE, SET, PIN, STATIC])
				expect(byKey(key)[0]).toMatchObject({
					live: null,
					liveReason: expect.stringContaining('cannot be told'),
				});
			// Each distinct gateway key was presented once, on its own, to /key/info.
			const infos = world.sandbox.requests.filter((q) => q.path.endsWith('/key/info'));
			expect(infos.length).toBe(3);
			// The planted canaries share a prefix with the keys that were sent: look for each whole key.
			const log = JSON.stringify(world.sandbox.requests);
			expect([QS, CODE, SET, PIN, STATIC].filter((key) => log.includes(key))).toEqual([]);
			noKeys(run);
			// Nothing was created without fix mode.
			expect(world.n8n.calls.some((c) => c.method === 'POST')).toBe(false);
		} finally {
			await world.close();
		}
	});

	it('with the gateway check off, sends nothing to the gateway and says so', async () => {
		const world = await auditWorld();
		try {
			const run = await runKeyNode(world, {
				operation: 'auditWorkflows',
				checkKeys: false,
				options: TUNING,
			});
			expect(run.error).toBeUndefined();
			const findings = run.items.filter((i) => i.json.type === 'finding');
			expect(findings).toHaveLength(9);
			expect(
				findings.every(
					(f) => f.json.live === null && /not checked/.test(String(f.json.liveReason)),
				),
			).toBe(true);
			expect(world.sandbox.requests.length).toBe(0);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('a gateway that hides /key/info gives live: null with a reason', async () => {
		const world = await auditWorld({ exposeManagement: false });
		try {
			const run = await runKeyNode(world, { operation: 'auditWorkflows', options: TUNING });
			expect(run.error).toBeUndefined();
			const findings = run.items.filter((i) => i.json.type === 'finding');
			expect(findings).toHaveLength(9);
			for (const f of findings)
				expect(f.json).toMatchObject({
					live: null,
					liveReason: expect.stringMatching(/\/key\/info|not sent to the gateway/),
				});
			expect(findings.filter((f) => String(f.json.liveReason).includes('/key/info'))).toHaveLength(
				4,
			);
			expect(run.items[run.items.length - 1].json).toMatchObject({ uncheckedKeys: 8, liveKeys: 0 });
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('a clean instance yields one summary item', async () => {
		const world = await startWorld({
			workflows: [
				{
					id: 'ok1',
					name: 'Clean',
					active: true,
					nodes: [
						node('A', 'n8n-nodes-base.manualTrigger', {}),
						node('B', 'n8n-nodes-base.set', { x: 'task-0123456789abcdefghijklmnop' }),
					],
					pinData: {},
					staticData: { global: {} },
				},
			],
		});
		try {
			const run = await runKeyNode(world, { operation: 'auditWorkflows', options: TUNING });
			expect(run.items.map((i) => i.json)).toEqual([
				{
					type: 'summary',
					clean: true,
					workflowsChecked: 1,
					nodesChecked: 2,
					findings: 0,
					distinctKeys: 0,
					liveKeys: 0,
					deadKeys: 0,
					uncheckedKeys: 0,
					credentialsCreated: null,
					message: 'No raw key in 1 workflow(s) and 2 node(s)',
				},
			]);
		} finally {
			await world.close();
		}
	});

	it('fix mode creates one credential per distinct live key found in an HTTP Request node that calls the gateway', async () => {
		const world = await auditWorld();
		try {
			const run = await runKeyNode(world, {
				operation: 'auditWorkflows',
				moveKeys: true,
				options: TUNING,
			});
			expect(run.error).toBeUndefined();
			const created = world.n8n.calls.filter(
				(c) => c.method === 'POST' && c.path === '/api/v1/credentials',
			);
			// HDR (two places, one credential) and EXPR; not BEARER (refused by the gateway), not QS (another host).
			expect(created).toHaveLength(2);
			const stored = [...world.store.byId.values()].filter((c) => c.id.startsWith('created'));
			expect(stored.map((c) => [c.name, c.type, c.data.apiKey, c.data.baseUrl])).toEqual([
				[
					'JLab LLM (moved from Gateway calls/Call With Header)',
					'jlabLlmApi',
					HDR,
					world.proxy.url,
				],
				[
					'JLab LLM (moved from Gateway calls/Call With Expression)',
					'jlabLlmApi',
					EXPR,
					world.proxy.url,
				],
			]);
			const findings = run.items.filter((i) => i.json.type === 'finding').map((i) => i.json);
			const moved = (key: string) =>
				findings
					.filter((f) => (f.fingerprint as IDataObject).hash === fp(key).hash)
					.map((f) => f.movedToCredential);
			expect(moved(HDR)).toEqual([
				{ id: stored[0].id, name: stored[0].name },
				{ id: stored[0].id, name: stored[0].name },
			]);
			expect(moved(EXPR)).toEqual([{ id: stored[1].id, name: stored[1].name }]);
			// The new credentials serve JLab LLM nodes: HTTP Request may take them to the gateway's host only.
			for (const c of stored)
				expect([c.data.allowedHttpRequestDomains, c.data.allowedDomains]).toEqual([
					'domains',
					new URL(world.proxy.url).hostname,
				]);
			// The advice replaces the HTTP Request node; it never sends users to HTTP Request with the credential.
			const note = String(
				findings.find((f) => (f.fingerprint as IDataObject).hash === fp(HDR).hash)?.moveNote,
			);
			expect(note).toMatch(/^replace this HTTP Request node with a JLab LLM node/);
			expect(note).not.toMatch(/Predefined Credential Type/);
			expect(moved(BEARER)).toEqual([null]);
			expect(
				findings.find((f) => (f.fingerprint as IDataObject).hash === fp(BEARER).hash)?.moveNote,
			).toMatch(/refuses/);
			for (const key of [QS, CODE, SET, PIN, STATIC]) expect(moved(key)).toEqual([null]);
			expect(run.items[run.items.length - 1].json.credentialsCreated).toBe(2);
			// The keys went to n8n only in the credential body; nothing shows them.
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it('fix mode: a credential n8n refuses to create is reported per finding, and its echo of the key is scrubbed', async () => {
		const world = await auditWorld();
		try {
			// A careless n8n that repeats the request body (with the key) in its error message.
			world.n8n.faults.add({
				method: 'POST',
				path: '/api/v1/credentials',
				kind: 'status',
				status: 400,
				echo: true,
				times: 10,
			});
			const run = await runKeyNode(world, {
				operation: 'auditWorkflows',
				moveKeys: true,
				options: TUNING,
			});
			expect(run.error).toBeUndefined();
			const findings = run.items.filter((i) => i.json.type === 'finding').map((i) => i.json);
			const hdr = findings.filter((f) => (f.fingerprint as IDataObject).hash === fp(HDR).hash);
			expect(hdr.map((f) => f.movedToCredential)).toEqual([null, null]);
			expect(String(hdr[0].moveNote)).toMatch(/^n8n did not create the credential: /);
			expect(run.items[run.items.length - 1].json.credentialsCreated).toBe(0);
			expect([...world.store.byId.keys()].some((id) => id.startsWith('created'))).toBe(false);
			noKeys(run);
		} finally {
			await world.close();
		}
	});

	it("reports another provider's key without sending it to the gateway", async () => {
		const foreign = 'sk-proj-canaryFOREIGN0a1b2c3d4e5f6g7h8i9j';
		const world = await startWorld({
			workflows: [
				{
					id: 'f1',
					name: 'OpenAI call',
					active: false,
					nodes: [
						node('Call OpenAI', 'n8n-nodes-base.httpRequest', {
							url: 'https://api.openai.com/v1/models',
							headerParameters: {
								parameters: [{ name: 'Authorization', value: `Bearer ${foreign}` }],
							},
						}),
					],
				},
			],
		});
		try {
			const run = await runKeyNode(world, { operation: 'auditWorkflows', options: TUNING });
			expect(run.items.map((i) => i.json.type)).toEqual(['finding', 'summary']);
			expect(run.items[0].json).toMatchObject({
				fingerprint: fp(foreign),
				live: null,
				liveReason: expect.stringContaining("another provider's key"),
			});
			expect(world.sandbox.requests.length).toBe(0);
			expect(leaks(exposed(run), foreign)).toEqual([]);
		} finally {
			await world.close();
		}
	});

	it('an n8n API key without workflow:list fails with permission_denied, before any gateway request', async () => {
		const world = await auditWorld({ n8nScopes: ['credential:create'] });
		try {
			const run = await runKeyNode(
				world,
				{ operation: 'auditWorkflows', options: TUNING },
				{ continueOnFail: true },
			);
			expect(run.items).toHaveLength(1);
			expect(run.items[0].json).toMatchObject({ errorType: 'permission_denied' });
			expect(world.sandbox.requests.length).toBe(0);
			noKeys(run);
		} finally {
			await world.close();
		}
	});
});

describe('Audit Workflows: a key goes to the gateway only from a node that calls it', () => {
	const OTHER = 'sk-canary-AUDIT-other-8i9j0k1l2m3n4o5p6q7r';
	const LEGACY = 'sk-canaryLEGACY0a1b2c3T3BlbkFJd4e5f6g7h8i9j0k1l';
	const DEEP = 'sk-canary-AUDIT-deep-9j0k1l2m3n4o5p6q7r8s';
	const nest = (levels: number, leaf: unknown): unknown => {
		let v = leaf;
		for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { d: v };
		return v;
	};

	it('never presents a key from a node calling another host, nor a legacy OpenAI key, nor one behind an expression host', async () => {
		const workflows: IDataObject[] = [];
		const world = await startWorld({ workflows });
		workflows.push({
			id: 'x1',
			name: 'Third parties',
			active: true,
			nodes: [
				node('Other Host', 'n8n-nodes-base.httpRequest', {
					url: 'https://api.example.com/v1/models',
					headerParameters: { parameters: [{ name: 'Authorization', value: `Bearer ${OTHER}` }] },
				}),
				// The gateway's own host, but an OpenAI key: a user's mistake, still not the gateway's to see.
				node('Legacy At Gateway', 'n8n-nodes-base.httpRequest', {
					url: `${world.proxy.url}/v1/models`,
					headerParameters: { parameters: [{ name: 'Authorization', value: `Bearer ${LEGACY}` }] },
				}),
				node('Expression Host', 'n8n-nodes-base.httpRequest', {
					url: '={{ $json.base }}/v1/models',
					headerParameters: { parameters: [{ name: 'Authorization', value: `Bearer ${DEEP}` }] },
				}),
			],
		});
		try {
			const run = await runKeyNode(world, { operation: 'auditWorkflows', options: TUNING });
			expect(run.error).toBeUndefined();
			const findings = run.items.filter((i) => i.json.type === 'finding').map((i) => i.json);
			expect(findings.map((f) => [f.nodeName, f.live])).toEqual([
				['Other Host', null],
				['Legacy At Gateway', null],
				['Expression Host', null],
			]);
			expect(String(findings[0].liveReason)).toMatch(/api\.example\.com/);
			expect(String(findings[1].liveReason)).toMatch(/another provider's key/);
			expect(String(findings[2].liveReason)).toMatch(/cannot be told/);
			expect(run.items[run.items.length - 1].json).toMatchObject({ uncheckedKeys: 3 });
			for (const key of [OTHER, LEGACY, DEEP]) {
				expect(leaks(JSON.stringify(world.sandbox.requests), key)).toEqual([]);
				expect(leaks(exposed(run), key)).toEqual([]);
			}
			expect(world.sandbox.requests.length).toBe(0);
		} finally {
			await world.close();
		}
	});

	it('recognises a legacy OpenAI key (T3BlbkFJ) as foreign', () => {
		expect(isForeignKey(LEGACY)).toBe(true);
		expect(isForeignKey('sk-proj-abcT3BlbkFJdefghijklmnopqrstu')).toBe(true);
		expect(isForeignKey(DEEP)).toBe(false);
	});

	it('a host inside an expression, or after one, is not a host that can be told', () => {
		expect(urlHost('={{ "https://delphi.jlab.org/api" + $json.p }}')).toBeUndefined();
		expect(urlHost('=https://{{ $json.host }}/api')).toBeUndefined();
		expect(urlHost('=https://delphi.jlab.org{{ $json.port }}/api')).toBeUndefined();
		expect(urlHost('=https://delphi.jlab.org/api/{{ $json.route }}')).toBe('delphi.jlab.org');
	});

	it.each([50, 200])(
		'finds a key nested %i levels deep, in parameters and in pinned data',
		(levels) => {
			const { findings } = scanWorkflow({
				id: 'deep',
				name: 'deep',
				nodes: [
					{
						name: 'A',
						type: 'n8n-nodes-base.set',
						parameters: { x: nest(levels, `Bearer ${DEEP}`) },
					},
				],
				pinData: { A: [{ json: nest(levels, { [OTHER]: 1 }) }] },
			});
			expect(findings.map((f) => [f.where, f.key])).toEqual([
				['parameters', DEEP],
				['pinData', OTHER],
			]);
			for (const f of findings)
				expect([leaks(f.path, DEEP), leaks(f.path, OTHER)]).toEqual([[], []]);
		},
	);
});

describe('examples/key-audit-workflows.json', () => {
	const RAW = fs.readFileSync(
		path.resolve(__dirname, '..', '..', 'examples', 'key-audit-workflows.json'),
		'utf8',
	);
	const example = JSON.parse(RAW) as { nodes: INode[]; connections: IConnections };
	it('is Manual Trigger → JLab LLM Key (auditWorkflows, check on, fix off), with the named credentials and no key', () => {
		expect(example.nodes.map((nd) => [nd.name, nd.type])).toEqual([
			['Run Audit', 'n8n-nodes-base.manualTrigger'],
			['Audit Workflows', 'n8n-nodes-jlab-llm.jlabLlmKey'],
		]);
		expect(example.nodes[1].parameters).toMatchObject({
			operation: 'auditWorkflows',
			checkKeys: true,
			moveKeys: false,
		});
		expect(example.nodes[1].credentials).toEqual({
			jlabLlmApi: { id: 'jlabLlmSandbox01', name: 'JLab LLM (sandbox)' },
			jlabLlmN8nApi: { id: 'jlabLlmN8nLocal01', name: 'n8n API (local)' },
		});
		expect(keysIn(RAW)).toEqual([]);
	});

	it('runs whole: the findings, then the summary, and no key', async () => {
		const world = await auditWorld();
		try {
			const result = await runWorkflow(example, [], { store: world.store });
			expect(result.error('Audit Workflows')).toBeUndefined();
			const out = result.output('Audit Workflows');
			expect(out.map((i) => i.json.type)).toEqual([...Array(9).fill('finding'), 'summary']);
			const everything = JSON.stringify(result.run.data.resultData);
			for (const key of PLANTED) expect(leaks(everything, key)).toEqual([]);
		} finally {
			await world.close();
		}
	});
});
