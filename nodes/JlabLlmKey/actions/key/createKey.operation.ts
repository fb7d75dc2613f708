import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { GatewayError, inputError } from '../../../shared/errors';
import { CREDENTIAL_TYPE, gatewaySettings } from '../../../shared/gateway';
import type { ItemResult } from '../../../shared/items';
import { optionalNumber } from '../../../shared/numbers';
import type { Pacer } from '../../../shared/pacing';
import { fingerprint } from '../../../shared/redact';
import { settle } from '../../../shared/settle';
import { gatewayTime, newVirtualKey } from '../../helpers/keys';
import { asGatewayError, checkKey, deleteKey, generateKey, isAmbiguous } from '../../helpers/mint';
import { createCredential, n8nApiSettings } from '../../helpers/n8nApi';
import { readTuning, tuningOptions } from '../../helpers/options';
import { defaultKeyOwner } from '../../helpers/owner';
import { alias, duration, jsonObject, modelList, text } from '../../helpers/params';
import { optionsCollection } from '../../../shared/properties';

const properties: INodeProperties[] = [
	{
		displayName:
			'Mints a key for a bot or workflow and stores it in a new n8n credential of type JLab LLM API (through the "JLab LLM N8N API" credential, scope credential:create). The key itself never reaches an item. Needs a gateway key that may create keys (an admin key, or a user key for its own user).',
		name: 'createKeyNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Key Alias',
		name: 'keyAlias',
		type: 'string',
		default: '',
		placeholder: 'e.g. nightly-report-bot',
		description:
			'A name for the key, unique on the gateway; shown in the Key Manager portal and in spend reports',
	},
	{
		displayName: 'Credential Name',
		name: 'credentialName',
		type: 'string',
		default: '',
		placeholder: 'e.g. JLab LLM - nightly-report-bot',
		description:
			'Name of the new n8n credential. Empty: "JLab LLM - " and the key alias (or the key fingerprint).',
	},
	{
		displayName: 'Model Names or IDs',
		name: 'models',
		type: 'multiOptions',
		default: [],
		typeOptions: { loadOptionsMethod: 'getModels' },
		description:
			'The models the new key may call. None selected: every model. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	optionsCollection([
		{
			displayName: 'Budget Duration',
			name: 'budgetDuration',
			type: 'string',
			default: '',
			placeholder: 'e.g. 30d',
			description: 'How often the spend resets to zero (e.g. 1d, 7d, 30d, 1mo); empty: never',
		},
		{
			displayName: 'Expiry',
			name: 'duration',
			type: 'string',
			default: '',
			placeholder: 'e.g. 90d',
			description: 'Lifetime of the key from now (e.g. 30d, 90d, 1mo); empty: never expires',
		},
		{
			displayName: 'Key Type',
			name: 'keyType',
			type: 'options',
			default: 'default',
			options: [
				{
					name: 'Default',
					value: 'default',
					description: 'May call every route its owner may call',
				},
				{
					name: 'LLM API Only',
					value: 'llm_api',
					description: 'May only call models (chat, completions, embeddings), not manage keys',
				},
			],
			description: 'Which gateway routes the key may call',
		},
		{
			displayName: 'Max Budget (USD)',
			name: 'maxBudget',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, numberPrecision: 2 },
			description: 'Spend limit of the key in US dollars; 0: no budget',
		},
		{
			displayName: 'Max Parallel Requests',
			name: 'maxParallelRequests',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, numberPrecision: 0 },
			description: 'Requests the key may have in flight at once; 0: no limit',
		},
		{
			displayName: 'Metadata',
			name: 'metadata',
			type: 'json',
			default: '{}',
			description:
				'A JSON object stored with the key, e.g. {"owner": "data-team", "workflow": "nightly report"}',
		},
		{
			displayName: 'Project ID',
			name: 'projectId',
			type: 'string',
			default: '',
			description:
				"The n8n project to create the credential in; empty: the personal project of the n8n API key's owner",
		},
		{
			displayName: 'RPM Limit',
			name: 'rpmLimit',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, numberPrecision: 0 },
			description: 'Requests per minute the key may send; 0: no limit',
		},
		{
			displayName: 'Team ID',
			name: 'teamId',
			type: 'string',
			default: '',
			description: 'The gateway team the key belongs to (its spend counts against the team budget)',
		},
		{
			displayName: 'TPM Limit',
			name: 'tpmLimit',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0, numberPrecision: 0 },
			description: 'Tokens per minute the key may use; 0: no limit',
		},
		{
			displayName: 'User ID',
			name: 'userId',
			type: 'string',
			default: '',
			description:
				"The gateway user who owns the key (admin keys only). Empty: a user key's own user (and, for a user in several teams, the team of this credential's key), so the maker can still manage the new key; an admin key leaves the key without owner.",
		},
		...tuningOptions,
	]),
];

export const description = updateDisplayOptions({ show: { operation: ['createKey'] } }, properties);

/** Zero means "no limit" in the form; LiteLLM means that by leaving the field out. */
function positive(n: number | undefined): number | undefined {
	return n === undefined || n === 0 ? undefined : n;
}

async function ownAllowHttp(ctx: IExecuteFunctions, itemIndex: number): Promise<boolean> {
	const data = (await ctx.getCredentials(
		CREDENTIAL_TYPE,
		itemIndex,
	)) as ICredentialDataDecryptedObject;
	return data.allowHttp === true;
}

/** The form, checked: everything is read and validated before the first request. */
interface CreateForm {
	keyAlias: string | undefined;
	credentialName: string | undefined;
	models: string[] | undefined;
	maxBudget: number | undefined;
	budgetDuration: string | undefined;
	keyDuration: string | undefined;
	rpmLimit: number | undefined;
	tpmLimit: number | undefined;
	maxParallelRequests: number | undefined;
	metadata: IDataObject;
	teamId: string | undefined;
	userId: string | undefined;
	projectId: string | undefined;
	keyType: string;
}

function readForm(ctx: IExecuteFunctions, itemIndex: number): CreateForm {
	const keyAlias = alias(ctx.getNodeParameter('keyAlias', itemIndex, ''), 'Key Alias');
	const credentialName = text(ctx.getNodeParameter('credentialName', itemIndex, ''));
	if (credentialName && credentialName.length > 128)
		throw inputError('Credential Name', 'expected at most 128 characters');
	const models = modelList(ctx.getNodeParameter('models', itemIndex, []), 'Model Names or IDs');
	const o = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const form: CreateForm = {
		keyAlias,
		credentialName,
		models,
		maxBudget: positive(optionalNumber(o.maxBudget, 'Max Budget (USD)', 0, 1e9)),
		budgetDuration: duration(o.budgetDuration, 'Budget Duration'),
		keyDuration: duration(o.duration, 'Expiry'),
		rpmLimit: positive(optionalNumber(o.rpmLimit, 'RPM Limit', 0, 1e9, true)),
		tpmLimit: positive(optionalNumber(o.tpmLimit, 'TPM Limit', 0, 1e12, true)),
		maxParallelRequests: positive(
			optionalNumber(o.maxParallelRequests, 'Max Parallel Requests', 0, 1e6, true),
		),
		metadata: jsonObject(o.metadata, 'Metadata') ?? {},
		teamId: text(o.teamId),
		userId: text(o.userId),
		projectId: text(o.projectId),
		keyType: text(o.keyType) ?? 'default',
	};
	if (!['default', 'llm_api'].includes(form.keyType))
		throw inputError('Key Type', 'one of Default, LLM API Only');
	return form;
}

/** The /key/generate body: LiteLLM reads a left-out field as "no limit" or "the default". */
function generateBody(
	f: CreateForm,
	newKey: string,
	credentialName: string,
	owner: { userId?: string | null; teamId?: string | null },
): IDataObject & { key: string } {
	const body: IDataObject & { key: string } = {
		key: newKey,
		metadata: {
			...f.metadata,
			jlab_llm_created: {
				by: 'n8n',
				credential_name: credentialName,
				at: new Date().toISOString(),
			},
		},
	};
	if (f.keyAlias) body.key_alias = f.keyAlias;
	if (f.models && f.models.length) body.models = f.models;
	if (f.maxBudget !== undefined) body.max_budget = f.maxBudget;
	if (f.budgetDuration) body.budget_duration = f.budgetDuration;
	if (f.keyDuration) body.duration = f.keyDuration;
	if (f.rpmLimit !== undefined) body.rpm_limit = f.rpmLimit;
	if (f.tpmLimit !== undefined) body.tpm_limit = f.tpmLimit;
	if (f.maxParallelRequests !== undefined) body.max_parallel_requests = f.maxParallelRequests;
	if (f.teamId ?? owner.teamId) body.team_id = f.teamId ?? owner.teamId;
	if (owner.userId) body.user_id = owner.userId;
	if (f.keyType !== 'default') body.key_type = f.keyType;
	return body;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	pacer: Pacer,
): Promise<ItemResult[]> {
	const form = readForm(this, itemIndex);
	const { keyAlias, models, maxBudget, budgetDuration, rpmLimit, tpmLimit, keyType } = form;
	const { teamId, userId, projectId } = form;
	const tuning = readTuning(this, itemIndex, pacer);

	const { baseUrl } = await gatewaySettings(this, itemIndex);
	// A bad n8n API credential fails here, before a key is minted that would have to be deleted again.
	await n8nApiSettings(this, itemIndex);
	// A key without owner could not be listed or deleted by its maker: name the caller (read-only requests).
	const owner = userId ? { userId } : await defaultKeyOwner(this, itemIndex, tuning, teamId);
	const allowHttp = await ownAllowHttp(this, itemIndex);
	const newKey = newVirtualKey();
	const secrets = [newKey];
	const fp = fingerprint(newKey);
	const credentialName = form.credentialName ?? `JLab LLM - ${keyAlias ?? fp.display}`;

	const body = generateBody(form, newKey, credentialName, owner);

	const generated = await generateKey(this, baseUrl, body, itemIndex, tuning, secrets);

	// The key must work before it goes anywhere.
	const check = await checkKey(this, baseUrl, newKey, itemIndex, tuning, secrets);
	if (check.result !== 'accepted') {
		const gone = await deleteKey(this, baseUrl, newKey, itemIndex, tuning, secrets);
		throw new GatewayError(
			check.error.errorClass,
			`The gateway created the key but does not accept it (${check.error.message}); ${gone ? 'it was deleted, nothing was created' : `it could not be deleted: delete key ${fp.display} (${fp.hash}) by hand`}`,
			check.error.details,
		);
	}

	const created = await settle(
		createCredential.call(this, {
			name: credentialName,
			type: CREDENTIAL_TYPE,
			data: { baseUrl, apiKey: newKey, allowHttp },
			restrictToHost: new URL(baseUrl).hostname,
			projectId,
			secrets,
			itemIndex,
			timeoutMs: tuning.timeoutMs,
		}),
	);
	if (!created.ok) {
		// Nothing half-done: a key no credential holds is deleted again.
		const err = asGatewayError(created.error);
		const gone = await deleteKey(this, baseUrl, newKey, itemIndex, tuning, secrets);
		const keyFate = gone
			? `The new key ${fp.display} (${fp.hash}) was deleted again, so nothing is left half-done`
			: `The new key ${fp.display} (${fp.hash}) could not be deleted: delete it by hand`;
		const lost = isAmbiguous(err)
			? `. n8n's answer was lost: if a credential named "${credentialName}" appears, delete it (it holds the deleted key)`
			: '';
		err.message = `n8n did not create the credential "${credentialName}": ${err.message}. ${keyFate}${lost}.`;
		throw err;
	}

	const row = (check.row ?? {}) as IDataObject;
	return [
		{
			json: {
				credentialId: created.value.id,
				credentialName: created.value.name,
				credentialType: created.value.type,
				fingerprint: fp,
				keyAlias: (row.key_alias as string | undefined) ?? keyAlias ?? null,
				models: (row.models as string[] | undefined) ?? models ?? [],
				maxBudget: (row.max_budget as number | undefined) ?? maxBudget ?? null,
				budgetDuration: (row.budget_duration as string | undefined) ?? budgetDuration ?? null,
				expires: gatewayTime(row.expires ?? generated.expires),
				rpmLimit: (row.rpm_limit as number | undefined) ?? rpmLimit ?? null,
				tpmLimit: (row.tpm_limit as number | undefined) ?? tpmLimit ?? null,
				teamId: (row.team_id as string | undefined) ?? body.team_id ?? null,
				userId: (row.user_id as string | undefined) ?? body.user_id ?? null,
				keyType,
			},
		},
	];
}
