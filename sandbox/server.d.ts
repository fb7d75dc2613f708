// Types of the sandbox gateway's programmatic API (sandbox/server.js), for the TypeScript tests.
// What each option and member does: sandbox/README.md.

/** A JSON value as the gateway parsed it, or the raw text of a body that was not JSON. */
type Json = any;

export type ProfileName = 'v1.83' | 'v1.9x' | 'next';

export type FaultKind =
	| 'status'
	| 'rate_limit'
	| 'reset'
	| 'delay'
	| 'hang'
	| 'html'
	| 'not_json'
	| 'midstream'
	| 'upstream';

/** A fault, matched on the path without basePath (`route` may end in `*`); `times: -1` = forever. */
export interface Fault {
	kind: FaultKind;
	route?: string;
	times?: number;
	[option: string]: Json;
}

export interface ChaosOptions {
	rate: number;
	kinds?: FaultKind[];
	seed?: number | string;
	routes?: string[];
	options?: Record<string, Json>;
}

export type Latency = number | string | { min: number; max?: number } | null;

/** A model the gateway serves: an id, or its limits and capabilities. */
export type ModelSeed =
	| string
	| {
			id: string;
			max_input_tokens?: number;
			max_output_tokens?: number;
			supports_vision?: boolean;
			supports_reasoning?: boolean;
			supports_function_calling?: boolean;
			[field: string]: Json;
	  };

export interface Price {
	input_cost_per_token: number;
	output_cost_per_token: number;
}

/** Seeds: keys (`key: 'sk-…'` or a hashed `token`), users, teams and daily-activity rows. */
export type Seed = Record<string, Json>;

/** The settings setConfig (and POST /__sandbox/config) changes. */
export interface SandboxSettings {
	/** A ProfileName. */
	profile?: string;
	enterprise?: boolean;
	latencyMs?: Latency;
	chaos?: ChaosOptions | null;
	echoKeyInErrors?: boolean;
	exposeManagement?: boolean;
	hiddenRoutes?: 'json' | 'html';
	oneKeyPerUser?: boolean;
	rateLimitWindowMs?: number;
	timeOffsetMs?: number;
	chunkDelayMs?: number;
	workers?: number | null;
	keyCacheTtlMs?: number;
}

export interface SandboxOptions extends Omit<SandboxSettings, 'timeOffsetMs'> {
	/** 0 (default): a free port. */
	port?: number;
	/** Only 127.0.0.1 is accepted. */
	host?: string;
	basePath?: string;
	masterKey?: string;
	keys?: Seed[];
	users?: Seed[];
	teams?: Seed[];
	activity?: Seed[];
	models?: ModelSeed[];
	prices?: Record<string, Price>;
	embeddingModels?: boolean;
	/** The gateway's clock (default Date.now). */
	now?: () => number;
	/** Seed of generated ids and keys. */
	seed?: string;
	maxLogEntries?: number;
	[option: string]: Json;
}

/** One entry of the request log (control routes are not logged). */
export interface LoggedRequest {
	id: number;
	/** Epoch ms of the sandbox clock. */
	time: number;
	method: string;
	/** Without basePath. */
	path: string;
	query: Record<string, string | string[]>;
	/** Every request header but authorization. */
	headers: Record<string, string>;
	/** The raw Authorization header, kept apart for leak checks. */
	authorization: string | null;
	keyHash: string | null;
	/** Parsed JSON, or the raw string when the body was not JSON. */
	body: Json;
	/** 0: no answer; null while in flight. */
	status: number;
	durationMs: number;
	/** The kind of fault applied to this request. */
	fault?: string;
}

/** A stored key row (keys are stored by hash only). */
export interface KeyRow {
	token: string;
	key_name: string | null;
	key_alias: string | null;
	user_id: string | null;
	team_id: string | null;
	spend: number;
	max_budget: number | null;
	expires: string | null;
	blocked: boolean | null;
	models: string[];
	metadata: Record<string, Json>;
	[field: string]: Json;
}

/** A key retired by /key/regenerate with a grace period: it authenticates as the new key until revoke_at. */
export interface DeprecatedKey {
	token: string;
	active_token_id: string;
	revoke_at: string;
	created_at: string;
}

export interface SandboxStore {
	keys: Record<string, KeyRow>;
	users: Record<string, Record<string, Json>>;
	teams: Record<string, Record<string, Json>>;
	deletedKeys: KeyRow[];
	deprecatedKeys: Record<string, DeprecatedKey>;
	spendLogs: Array<Record<string, Json>>;
	activity: Array<Record<string, Json>>;
	rateLimits: Record<
		string,
		{ windowStart: number; requests: number; tokens: number; inFlight: number }
	>;
	masterKeyHash: string | null;
}

export interface SandboxStats {
	requests: number;
	inFlight: number;
	maxInFlight: number;
	byStatus: Record<string, number>;
}

export interface Sandbox {
	/** Origin + basePath. */
	url: string;
	origin: string;
	port: number;
	basePath: string;
	/** The request log (the same array for the sandbox's life). */
	requests: LoggedRequest[];
	store: SandboxStore;
	models: Array<Exclude<ModelSeed, string>>;
	prices: Record<string, Price>;
	readonly config: Required<SandboxSettings>;
	close(): Promise<void>;
	clearRequests(): void;
	/** Queues faults; returns how many are queued. */
	injectFaults(faults: Fault | Fault[] | Array<Record<string, Json>>): number;
	clearFaults(): void;
	faults: Fault[];
	addKey(seed: Seed): { hash: string };
	addUser(seed: Seed): Record<string, Json>;
	addTeam(seed: Seed): Record<string, Json>;
	addActivity(row: Seed): void;
	/** The live stored row of a key, by plaintext or hash. */
	getKey(hashOrKey: string): KeyRow | undefined;
	setConfig(partial: SandboxSettings | Record<string, Json>): Required<SandboxSettings>;
	stats(): SandboxStats;
	hashKey(key: string): string;
	/** How many workers still authenticate `key` from their cache; 0 without workers. */
	workersHolding(key: string): number;
}

export function startSandbox(options?: SandboxOptions): Promise<Sandbox>;
/** Most requests the gateway had open at once, from its request log (`time` + `durationMs`). */
export function maxOverlap(requests: Array<Pick<LoggedRequest, 'time' | 'durationMs'>>): number;
export function hashKey(key: string): string;
/** `sk-…abcd` + first 12 hex of the key's hash. */
export function fingerprint(key: string): string;
export const DEFAULT_MODELS: Array<Exclude<ModelSeed, string>>;
export const DEFAULT_PRICES: Record<string, Price>;
export const EMBEDDING_MODELS: Array<Exclude<ModelSeed, string>>;
export const PROFILES: Record<ProfileName, Record<string, Json>>;
export const FAULT_KINDS: FaultKind[];
export const ENTERPRISE_REGENERATE_MESSAGE: string;
