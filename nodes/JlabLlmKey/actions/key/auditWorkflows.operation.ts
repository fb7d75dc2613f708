import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ErrorClass } from '../../../shared/errors';
import { CREDENTIAL_TYPE, gatewayRequestWithKey, gatewaySettings } from '../../../shared/gateway';
import type { ItemResult } from '../../../shared/items';
import type { Pacer } from '../../../shared/pacing';
import { fingerprint, redact, redactDeep } from '../../../shared/redact';
import { settle } from '../../../shared/settle';
import type { KeyInfoResponse } from '../../../shared/types';
import { type Finding, isForeignKey, scanWorkflow } from '../../helpers/keyScan';
import type { RequestTuning } from '../../helpers/keys';
import { asGatewayError } from '../../helpers/mint';
import { createCredential, n8nApiList } from '../../helpers/n8nApi';
import { readTuning, tuningOptions } from '../../helpers/options';
import { text } from '../../helpers/params';
import { optionsCollection } from '../../../shared/properties';

export const HTTP_REQUEST_TYPE = 'n8n-nodes-base.httpRequest';

const properties: INodeProperties[] = [
	{
		displayName:
			'Reads every workflow the "JLab LLM N8N API" credential may see (scope workflow:list) and reports each raw LiteLLM key (sk-…) found in node parameters, pinned data, static data or the published version: one item per place, with the key\'s fingerprint, never the key. A last item sums up.',
		name: 'auditNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Check Keys Against the Gateway',
		name: 'checkKeys',
		type: 'boolean',
		default: true,
		description:
			"Whether to ask the gateway of this node's JLab LLM API credential, presenting a key found, whether it still works and whose it is (/key/info). Only keys found in a node whose URL literally names the gateway's host are sent; keys shaped like other providers' keys (sk-proj-, sk-ant-, legacy OpenAI keys, …) never are.",
	},
	{
		displayName: 'Move Keys Into Credentials',
		name: 'moveKeys',
		type: 'boolean',
		default: false,
		description:
			"Whether to create a JLab LLM API credential (scope credential:create) for each distinct key found in an HTTP Request node that calls this credential's gateway, for the JLab LLM node that replaces that HTTP Request node (the credential cannot be used by HTTP Request). Workflows are not changed.",
	},
	optionsCollection([
		{
			displayName: 'Project ID',
			name: 'projectId',
			type: 'string',
			default: '',
			description:
				"The n8n project to create moved-key credentials in; empty: the personal project of the n8n API key's owner",
		},
		...tuningOptions,
	]),
];

export const description = updateDisplayOptions(
	{ show: { operation: ['auditWorkflows'] } },
	properties,
);

/** What the gateway said about a key presented on its own. */
interface Lookup {
	live: boolean | null;
	liveReason: string | null;
	keyAlias: string | null;
	userId: string | null;
	teamId: string | null;
}

const DEAD: ReadonlySet<ErrorClass> = new Set(['invalid_key', 'expired_key', 'blocked_key']);

async function lookUp(
	ctx: IExecuteFunctions,
	baseUrl: string,
	key: string,
	itemIndex: number,
	tuning: RequestTuning,
): Promise<Lookup> {
	const none = { keyAlias: null, userId: null, teamId: null };
	if (isForeignKey(key)) {
		return {
			live: null,
			liveReason: `shaped like another provider's key (${key.slice(0, 7)}…): not sent to the gateway`,
			...none,
		};
	}
	const ask = async (route: string) =>
		await gatewayRequestWithKey.call(ctx, {
			baseUrl,
			apiKey: key,
			route,
			itemIndex,
			timeoutMs: tuning.timeoutMs,
			maxRetries: tuning.maxRetries,
			pacer: tuning.pacer,
		});
	const info = await settle(ask('/key/info'));
	if (info.ok) {
		const row = (info.value.body as unknown as KeyInfoResponse)?.info ?? {};
		return {
			live: true,
			liveReason: null,
			keyAlias: row.key_alias ?? null,
			userId: row.user_id ?? null,
			teamId: row.team_id ?? null,
		};
	}
	const err = asGatewayError(info.error);
	if (DEAD.has(err.errorClass))
		return { live: false, liveReason: `${err.errorClass}: the gateway refuses this key`, ...none };
	if (err.details.status === 404) {
		return {
			live: null,
			liveReason: 'the gateway does not expose /key/info, so the key could not be checked',
			...none,
		};
	}
	if (err.errorClass === 'permission_denied') {
		// A key restricted to LLM routes may not read /key/info; the model list still tells whether it works.
		const models = await settle(ask('/v1/models'));
		if (models.ok)
			return {
				live: true,
				liveReason: 'the key may not read /key/info; /v1/models accepted it (owner unknown)',
				...none,
			};
		const failure = asGatewayError(models.error);
		if (DEAD.has(failure.errorClass))
			return {
				live: false,
				liveReason: `${failure.errorClass}: the gateway refuses this key`,
				...none,
			};
	}
	return {
		live: null,
		liveReason: `not checked: ${err.errorClass}: ${redact(err.message, [key]).slice(0, 200)}`,
		...none,
	};
}

/** A finding that fix mode may move: an HTTP Request node in the workflow that calls the gateway. */
function movable(f: Finding, gatewayHost: string): boolean {
	return (
		f.nodeType === HTTP_REQUEST_TYPE &&
		(f.where === 'parameters' || f.where === 'publishedVersion') &&
		f.urlHost === gatewayHost
	);
}

/** Why a key was kept from the gateway: the node it was found in does not call the gateway's host. */
function notSentReason(f: Finding, gatewayHost: string): string {
	return f.urlHost === null
		? `not sent to the gateway: the host this node calls cannot be told (no URL, or one an expression computes), so it may be another service's key`
		: `not sent to the gateway: this node calls ${f.urlHost}, not the gateway's host ${gatewayHost}`;
}

type Move =
	| { credentialId: string; credentialName: string }
	| { credentialId: null; reason: string };

/** What one run of the audit has found so far; each step below adds to it. */
interface Audit {
	ctx: IExecuteFunctions;
	itemIndex: number;
	tuning: RequestTuning;
	baseUrl: string;
	gatewayHost: string;
	workflows: IDataObject[];
	nodes: number;
	findings: Finding[];
	keys: string[];
	lookups: Map<string, Lookup>;
	moves: Map<string, Move>;
}

const UNKNOWN_OWNER = { keyAlias: null, userId: null, teamId: null };

async function scanAll(a: Audit): Promise<void> {
	a.workflows = (await n8nApiList.call(a.ctx, {
		path: '/workflows',
		qs: { limit: 100 },
		itemIndex: a.itemIndex,
		timeoutMs: a.tuning.timeoutMs,
		maxRetries: a.tuning.maxRetries,
		maxPages: 1000,
	})) as IDataObject[];
	for (const wf of a.workflows) {
		const scanned = scanWorkflow(wf);
		a.nodes += scanned.nodes;
		a.findings.push(...scanned.findings);
	}
	// Every key found is a secret from here on: scrubbed from whatever leaves this operation.
	a.keys = [...new Set(a.findings.map((f) => f.key))];
}

async function lookUpAll(a: Audit, checkKeys: boolean): Promise<void> {
	for (const key of a.keys) {
		// A key from a node that calls another host (or an unknown one) is a third party's secret: never presented.
		const callsGateway = a.findings.some((f) => f.key === key && f.urlHost === a.gatewayHost);
		a.lookups.set(
			key,
			!checkKeys
				? {
						live: null,
						liveReason: 'not checked ("Check Keys Against the Gateway" is off)',
						...UNKNOWN_OWNER,
					}
				: callsGateway || isForeignKey(key)
					? await lookUp(a.ctx, a.baseUrl, key, a.itemIndex, a.tuning)
					: { live: null, liveReason: null, ...UNKNOWN_OWNER },
		);
	}
}

async function moveAll(a: Audit, projectId: string | undefined): Promise<void> {
	const creds = (await a.ctx.getCredentials(
		CREDENTIAL_TYPE,
		a.itemIndex,
	)) as ICredentialDataDecryptedObject;
	for (const key of a.keys) {
		const first = a.findings.find((f) => f.key === key && movable(f, a.gatewayHost));
		if (!first) continue;
		if (a.lookups.get(key)?.live === false) {
			a.moves.set(key, {
				credentialId: null,
				reason: 'the gateway refuses this key: delete it from the workflow instead',
			});
			continue;
		}
		const name = `JLab LLM (moved from ${first.workflowName}/${first.nodeName ?? ''})`.slice(
			0,
			128,
		);
		const created = await settle(
			createCredential.call(a.ctx, {
				name,
				type: CREDENTIAL_TYPE,
				data: { baseUrl: a.baseUrl, apiKey: key, allowHttp: creds.allowHttp === true },
				restrictToHost: new URL(a.baseUrl).hostname,
				projectId,
				secrets: a.keys,
				itemIndex: a.itemIndex,
				timeoutMs: a.tuning.timeoutMs,
			}),
		);
		a.moves.set(
			key,
			created.ok
				? { credentialId: created.value.id, credentialName: created.value.name }
				: {
						credentialId: null,
						reason: `n8n did not create the credential: ${asGatewayError(created.error).message}`,
					},
		);
	}
}

function findingItem(a: Audit, f: Finding, moveKeys: boolean): ItemResult {
	const look = a.lookups.get(f.key) as Lookup;
	const json: IDataObject = {
		type: 'finding',
		workflowId: f.workflowId,
		workflowName: f.workflowName,
		workflowActive: f.workflowActive,
		workflowArchived: f.workflowArchived,
		nodeName: f.nodeName,
		nodeType: f.nodeType,
		where: f.where,
		path: f.path,
		context: f.context,
		fingerprint: { ...fingerprint(f.key) },
		live: look.live,
		liveReason: look.liveReason ?? notSentReason(f, a.gatewayHost),
		keyAlias: look.keyAlias,
		userId: look.userId,
		teamId: look.teamId,
	};
	if (moveKeys) {
		const move = movable(f, a.gatewayHost) ? a.moves.get(f.key) : undefined;
		json.movedToCredential =
			move && move.credentialId !== null
				? { id: move.credentialId, name: move.credentialName }
				: null;
		json.moveNote = move
			? move.credentialId === null
				? move.reason
				: 'replace this HTTP Request node with a JLab LLM node (Chat, Usage, Key or Chat Model) using the new credential, delete the key from the workflow, then rotate the key: HTTP Request nodes cannot use JLab LLM API credentials'
			: 'not moved: only keys in an HTTP Request node whose URL points at the gateway are moved';
	}
	return { json };
}

function summaryItem(a: Audit, moveKeys: boolean): ItemResult {
	const { findings, keys, workflows, nodes } = a;
	const looks = keys.map((k) => a.lookups.get(k) as Lookup);
	const created = [...a.moves.values()].filter((m) => m.credentialId !== null);
	return {
		json: {
			type: 'summary',
			clean: findings.length === 0,
			workflowsChecked: workflows.length,
			nodesChecked: nodes,
			findings: findings.length,
			distinctKeys: keys.length,
			liveKeys: looks.filter((l) => l.live === true).length,
			deadKeys: looks.filter((l) => l.live === false).length,
			uncheckedKeys: looks.filter((l) => l.live === null).length,
			credentialsCreated: moveKeys ? created.length : null,
			message:
				findings.length === 0
					? `No raw key in ${workflows.length} workflow(s) and ${nodes} node(s)`
					: `${findings.length} raw key finding(s), ${keys.length} distinct key(s), in ${new Set(findings.map((f) => f.workflowId)).size} of ${workflows.length} workflow(s)`,
		},
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const checkKeys = this.getNodeParameter('checkKeys', itemIndex, true) === true;
	const moveKeys = this.getNodeParameter('moveKeys', itemIndex, false) === true;
	const o = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const tuning = readTuning(this, itemIndex, pacer);
	const { baseUrl } = await gatewaySettings(this, itemIndex);
	const audit: Audit = {
		ctx: this,
		itemIndex,
		tuning,
		baseUrl,
		gatewayHost: new URL(baseUrl).host.toLowerCase(),
		workflows: [],
		nodes: 0,
		findings: [],
		keys: [],
		lookups: new Map(),
		moves: new Map(),
	};
	await scanAll(audit);
	await lookUpAll(audit, checkKeys);
	if (moveKeys) await moveAll(audit, text(o.projectId));
	const items = audit.findings.map((f) => findingItem(audit, f, moveKeys));
	items.push(summaryItem(audit, moveKeys));
	// Belt and braces: nothing that leaves holds any piece of a key that was found.
	return redactDeep(items, audit.keys);
}
