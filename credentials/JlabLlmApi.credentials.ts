import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

/**
 * A LiteLLM virtual key for the lab's gateway. The key leaves n8n only in the Authorization
 * header that `authenticate` adds; the nodes never read it into parameters, items or URLs.
 */
export class JlabLlmApi implements ICredentialType {
	name = 'jlabLlmApi';

	displayName = 'JLab LLM API';

	icon: Icon = { light: 'file:jlabLlm.svg', dark: 'file:jlabLlm.dark.svg' };

	documentationUrl = 'https://github.com/jlab/n8n-nodes-jlab-llm#credential-jlab-llm-api';

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
	 * `Authorization: Bearer <key>` on every request n8n sends with this credential. Written as code,
	 * not as an expression: n8n 2.x evaluates a credential's expressions in an isolated VM for every
	 * request (about 0.7 ms each), which was a fifth of the Chat node's cost per item in a batch.
	 */
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		requestOptions.headers = { ...(requestOptions.headers ?? {}), Authorization: `Bearer ${String(credentials.apiKey ?? '')}` };
		return requestOptions;
	}

	// /key/info with no query proves the key is known, not blocked, not expired; the gateway's
	// own error type names the reason, so every answer is read (ignoreHttpStatusErrors) and
	// matched below. Rules are checked in order; the last one catches any other failure.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{ String($credentials.baseUrl || "").trim().replace(/\\/+$/, "").replace(/\\/v1$/i, "").replace(/\\/+$/, "") }}',
			url: '/key/info',
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
						"budget_exceeded: The key is valid but its budget is used up; the gateway refuses requests until the budget resets or an admin raises it.",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'detail',
					value: 'Not Found',
					message:
						'permission_denied: This gateway does not expose /key/info (HTTP 404), so the key could not be checked here. Check that the Base URL is the gateway root (e.g. https://delphi.jlab.org/api); the nodes still work where only /v1 routes are exposed.',
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
						'permission_denied: The gateway answered, but this key may not read /key/info. It may still work for chat completions.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'info',
					value: undefined,
					message:
						'invalid_response: The gateway did not confirm the key: no key information came back. Check that the Base URL is the gateway root (e.g. https://delphi.jlab.org/api), that the gateway is up, and that the key may read /key/info.',
				},
			},
		],
	};
}
