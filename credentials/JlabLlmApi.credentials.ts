import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { assertKeyTarget } from '../nodes/shared/keyTarget';

/**
 * A LiteLLM virtual key for the lab's gateway. The key leaves n8n only in the Authorization
 * header that `authenticate` adds; the nodes never read it into parameters, items or URLs.
 */
export class JlabLlmApi implements ICredentialType {
	name = 'jlabLlmApi';

	displayName = 'JLab LLM API';

	icon: Icon = { light: 'file:jlabLlm.svg', dark: 'file:jlabLlm.dark.svg' };

	documentationUrl = 'https://github.com/jlab/n8n-nodes-jlab-llm#credential-jlab-llm-api';

	// Whoever may only use a shared credential must not read its key through another node
	// (HTTP Request echoes headers back). n8n replaces this list with the full type names of
	// the nodes that declare the credential, their AI-tool variants included.
	supportedNodes = [
		'jlabLlmChat',
		'jlabLlmUsage',
		'jlabLlmKey',
		'lmChatJlabLlm',
		'embeddingsJlabLlm',
	];

	restrictToSupportedNodes = true as const;

	properties: INodeProperties[] = [
		{
			// Shown at the top of the dialog, not only in tooltips: where a key comes from, and where the gateway answers.
			displayName:
				"Get a key on the lab's LLM landing page: Manage API Keys → log in with CILogon → Create New Key. The key is shown only once: paste it below. The gateway answers only inside the lab's network (on site or VPN); elsewhere saving fails with ENOTFOUND, which means the gateway's name is not found off the lab network, not that the key is wrong.",
			name: 'keyNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://delphi.jlab.org/api',
			required: true,
			placeholder: 'https://delphi.jlab.org/api',
			description:
				"The gateway root, including the lab's /api prefix. A trailing / or /v1 is ignored. Reachable only from the lab's internal network.",
			hint: "Inside the lab's network only. ENOTFOUND on save: connect to the lab's network (VPN) and retry.",
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: 'sk-…',
			description:
				'Your LiteLLM virtual key from the Key Manager portal (LLM landing page → Manage API Keys, log in with CILogon). The portal shows a key only once, when it is created: paste it here and nowhere else.',
			hint: 'LLM landing page → Manage API Keys → CILogon → Create New Key (shown once)',
		},
		{
			displayName: 'Allow Unencrypted HTTP',
			name: 'allowHttp',
			type: 'boolean',
			default: false,
			description:
				'Whether to allow an http:// base URL on another machine. Off, only https:// is accepted, except for a gateway on this machine (localhost).',
		},
	];

	/**
	 * `Authorization: Bearer <key>` on every request n8n sends with this credential, and only to
	 * the credential's own gateway over https:// (or http:// to this machine or when allowed):
	 * otherwise it throws before the header is set, so the credential test, the nodes and, on
	 * n8n without node restriction, the HTTP Request node send nothing. Written as code, not as
	 * an expression: n8n 2.x evaluates a credential's expressions in an isolated VM for every
	 * request (about 0.7 ms each), which was a fifth of the Chat node's cost per item in a batch.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		assertKeyTarget(
			{
				credential: 'JLab LLM API',
				urlField: 'Base URL',
				baseUrl: credentials.baseUrl,
				allowHttp: credentials.allowHttp === true,
			},
			requestOptions,
		);
		requestOptions.headers = {
			...(requestOptions.headers ?? {}),
			Authorization: `Bearer ${String(credentials.apiKey ?? '')}`,
		};
		return requestOptions;
	}

	// /v1/models: LiteLLM runs the same key authentication there as on every route (unknown,
	// blocked, expired; the key's own budget too, as it is an LLM route), and a lab that hides
	// the management routes still exposes it. Every answer is read (ignoreHttpStatusErrors) and
	// matched by the gateway's error type; rules go in order, the last one catches the rest.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{ String($credentials.baseUrl || "").trim().replace(/\\/+$/, "").replace(/\\/v1$/i, "").replace(/\\/+$/, "") }}',
			url: '/v1/models',
			method: 'GET',
			ignoreHttpStatusErrors: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.type',
					value: 'token_not_found_in_db',
					message:
						'invalid_key: The gateway does not recognise this key (mistyped, deleted, or replaced by a rotation). Create a key in the Key Manager portal and paste it here.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.param',
					value: 'key',
					message:
						'invalid_key: The gateway does not recognise this key (mistyped, deleted, or replaced by a rotation). Create a key in the Key Manager portal and paste it here.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.type',
					value: 'expired_key',
					message: 'expired_key: The key has expired. Create a new key in the Key Manager portal.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.type',
					value: 'auth_error',
					message:
						'blocked_key: The gateway refuses this key: it (or its team) is blocked. Ask the gateway admins to unblock it.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.type',
					value: 'budget_exceeded',
					message:
						'budget_exceeded: The key is valid but its budget is used up; the gateway refuses requests until the budget resets or an admin raises it.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.code',
					value: '429',
					message:
						'rate_limited: The key is valid but hit its rate limit just now. Wait a minute and test again.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'error.code',
					value: '403',
					message:
						'permission_denied: The gateway answered, but this key may not list models (/v1/models). It may still work for chat completions.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'data',
					value: undefined,
					message:
						'invalid_response: No model list came back from /v1/models. Check that the Base URL is the gateway root (e.g. https://delphi.jlab.org/api) and that the gateway is up.',
				},
			},
		],
	};
}
