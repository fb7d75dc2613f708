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
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Project ID',
				name: 'projectId',
				type: 'string',
				default: '',
				description:
					"The n8n project to create moved-key credentials in; empty: the personal project of the n8n API key's owner",
			},
			...tuningOptions,
		],
	},
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

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const checkKeys = this.getNodeParameter('checkKeys', itemIndex, true) === true;
	const moveKeys = this.getNodeParameter('moveKeys', itemIndex, false) === true;
	const o = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const projectId = text(o.projectId);
	const tuning = readTuning(this, itemIndex, pacer);

	const { baseUrl } = await gatewaySettings(this, itemIndex);
	const gatewayHost = new URL(baseUrl).host.toLowerCase();

	const workflows = (await n8nApiList.call(this, {
		path: '/workflows',
		qs: { limit: 100 },
		itemIndex,
		timeoutMs: tuning.timeoutMs,
		maxRetries: tuning.maxRetries,
		maxPages: 1000,
	})) as IDataObject[];

	const findings: Finding[] = [];
	let nodes = 0;
	for (const wf of workflows) {
		const scanned = scanWorkflow(wf);
		nodes += scanned.nodes;
		findings.push(...scanned.findings);
	}
	// Every key found is a secret from here on: scrubbed from whatever leaves this operation.
	const keys = [...new Set(findings.map((f) => f.key))];

	const lookups = new Map<string, Lookup>();
	for (const key of keys) {
		// A key from a node that calls another host (or an unknown one) is a third party's secret: never presented.
		const callsGateway = findings.some((f) => f.key === key && f.urlHost === gatewayHost);
		lookups.set(
			key,
			!checkKeys
				? {
						live: null,
						liveReason: 'not checked ("Check Keys Against the Gateway" is off)',
						keyAlias: null,
						userId: null,
						teamId: null,
					}
				: callsGateway || isForeignKey(key)
					? await lookUp(this, baseUrl, key, itemIndex, tuning)
					: { live: null, liveReason: null, keyAlias: null, userId: null, teamId: null },
		);
	}

	const moves = new Map<string, Move>();
	if (moveKeys) {
		const creds = (await this.getCredentials(
			CREDENTIAL_TYPE,
			itemIndex,
		)) as ICredentialDataDecryptedObject;
		for (const key of keys) {
			const first = findings.find((f) => f.key === key && movable(f, gatewayHost));
			if (!first) continue;
			if (lookups.get(key)?.live === false) {
				moves.set(key, {
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
				createCredential.call(this, {
					name,
					type: CREDENTIAL_TYPE,
					data: { baseUrl, apiKey: key, allowHttp: creds.allowHttp === true },
					restrictToHost: new URL(baseUrl).hostname,
					projectId,
					secrets: keys,
					itemIndex,
					timeoutMs: tuning.timeoutMs,
				}),
			);
			moves.set(
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

	const items: ItemResult[] = findings.map((f) => {
		const look = lookups.get(f.key) as Lookup;
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
			liveReason: look.liveReason ?? notSentReason(f, gatewayHost),
			keyAlias: look.keyAlias,
			userId: look.userId,
			teamId: look.teamId,
		};
		if (moveKeys) {
			const move = movable(f, gatewayHost) ? moves.get(f.key) : undefined;
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
	});

	const looks = keys.map((k) => lookups.get(k) as Lookup);
	const created = [...moves.values()].filter((m) => m.credentialId !== null);
	items.push({
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
	});
	// Belt and braces: nothing that leaves holds any piece of a key that was found.
	return redactDeep(items, keys);
}
