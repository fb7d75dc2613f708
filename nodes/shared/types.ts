/** Wire types of the LiteLLM gateway (docs/gateway.md); only what the nodes read. */

export interface ModelList {
	object?: string;
	data: Array<{ id: string; object?: string; created?: number; owned_by?: string }>;
}

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
	content: string | null | ChatContentPart[];
	name?: string;
	tool_calls?: ToolCall[] | null;
	tool_call_id?: string;
	reasoning_content?: string | null;
}

export type ChatContentPart =
	| { type: 'text'; text: string }
	| { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface ToolCall {
	id: string;
	type: 'function';
	function: { name: string; arguments: string };
}

export interface Usage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
	prompt_tokens_details?: Record<string, unknown> | null;
	completion_tokens_details?: Record<string, unknown> | null;
}

export interface ChatCompletion {
	id: string;
	object: 'chat.completion';
	created: number;
	model: string;
	system_fingerprint?: string | null;
	choices: Array<{
		index: number;
		finish_reason: string | null;
		message: ChatMessage & { function_call?: unknown | null };
	}>;
	usage?: Usage;
}

/** GET /key/info → info: the key's row, without its token. */
export interface KeyInfoRow {
	key_name?: string | null;
	key_alias?: string | null;
	spend?: number | null;
	max_budget?: number | null;
	budget_duration?: string | null;
	budget_reset_at?: string | null;
	expires?: string | null;
	models?: string[] | null;
	user_id?: string | null;
	team_id?: string | null;
	organization_id?: string | null;
	metadata?: Record<string, unknown> | null;
	tpm_limit?: number | null;
	rpm_limit?: number | null;
	max_parallel_requests?: number | null;
	blocked?: boolean | null;
	created_at?: string | null;
	updated_at?: string | null;
	auto_rotate?: boolean | null;
	rotation_interval?: string | null;
	key_rotation_at?: string | null;
	last_rotation_at?: string | null;
	rotation_count?: number | null;
	key_type?: string | null;
	allowed_routes?: string[] | null;
}

export interface KeyInfoResponse {
	key: string;
	info: KeyInfoRow;
}
