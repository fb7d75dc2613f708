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
 * An API key of this n8n instance's public API. The JLab LLM Key node uses it only to write a
 * new gateway key straight into a stored n8n credential (rotation, bot keys), so the key never
 * passes through an item.
 */
export class JlabLlmN8nApi implements ICredentialType {
	name = 'jlabLlmN8nApi';

	// The lint's title case turns "n8n" into "N8n" (only n8n's own "n8n API" is exempt); N8N is how n8n spells itself in headers.
	displayName = 'JLab LLM N8N API';

	icon: Icon = { light: 'file:jlabLlmN8n.svg', dark: 'file:jlabLlmN8n.dark.svg' };

	documentationUrl = 'https://github.com/jlab/n8n-nodes-jlab-llm#credential-jlab-llm-n8n-api';

	// The n8n API key may write credentials: only the Key node may use it, never HTTP Request.
	supportedNodes = ['jlabLlmKey'];

	restrictToSupportedNodes = true as const;

	properties: INodeProperties[] = [
		{
			displayName: 'n8n Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://localhost:5678',
			required: true,
			placeholder: 'https://n8n.example.org',
			description:
				'The address of this n8n instance, as in the browser. A trailing /api/v1 is accepted and ignored.',
		},
		{
			displayName: 'n8n API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'An n8n API key (Settings → n8n API → Create an API key) with the scope credential:update (rotation), credential:create for Create Key, and workflow:list for Audit Workflows',
		},
		{
			displayName: 'Allow Unencrypted HTTP',
			name: 'allowHttp',
			type: 'boolean',
			default: false,
			description:
				'Whether to allow an http:// n8n URL on another machine. Off, only https:// is accepted, except for n8n on this machine (localhost).',
		},
		{
			displayName: 'Allow Another n8n Instance',
			name: 'allowOtherInstance',
			type: 'boolean',
			default: false,
			description:
				"Whether gateway keys may be written into another n8n than the one running the workflow. Off, the n8n Base URL must be this instance's own address (as n8n knows it, N8N_EDITOR_BASE_URL) or this machine (localhost).",
		},
	];

	/** `X-N8N-API-KEY` only towards the credential's own n8n Base URL, over https:// unless local or allowed. */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		assertKeyTarget(
			{
				credential: 'JLab LLM N8N API',
				urlField: 'n8n Base URL',
				baseUrl: credentials.baseUrl,
				allowHttp: credentials.allowHttp === true,
			},
			requestOptions,
		);
		requestOptions.headers = {
			...(requestOptions.headers ?? {}),
			'X-N8N-API-KEY': String(credentials.apiKey ?? ''),
		};
		return requestOptions;
	}

	// The schema route needs a valid API key but no scope, and proves that this n8n knows the
	// JLab LLM API credential type the key is written into.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{ String($credentials.baseUrl || "").trim().replace(/\\/+$/, "").replace(/\\/api\\/v1$/i, "").replace(/\\/+$/, "") + "/api/v1" }}',
			url: '/credentials/schema/jlabLlmApi',
			method: 'GET',
		},
	};
}
