/**
 * A prompt that only places input fields (`{{ $json.field }}`) is read by the Chat node itself,
 * without n8n's expression engine: whatever the field holds, the request and the item's result
 * must be exactly what n8n's own evaluation gives. The same template with each field in
 * parentheses is not read directly, so n8n evaluates it: the two runs must agree item for item.
 */
import type { IDataObject } from 'n8n-workflow';

import * as fieldTemplate from '../../nodes/JlabLlmChat/helpers/fieldTemplate';
import { shutdownHarness } from '../harness';

import { expectNoKeyIn, runChat, startSandbox, type Sandbox } from './chatSetup';

const KEY = 'sk-canary-FIELDTPL-3b5d8a1c9e7f20416c2d';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({
		port: 0,
		basePath: '/api',
		keys: [{ key: KEY, key_alias: 'fields', user_id: 'alice' }],
	});
});

afterAll(async () => {
	await sandbox.close();
	await shutdownHarness();
});

beforeEach(() => sandbox.clearRequests());
afterEach(() => jest.restoreAllMocks());

const VALUES: unknown[] = [
	'plain text',
	'',
	'   ',
	'héllo ✓ 𝄞 — "quoted" \'single\'',
	'with {{ $json.v }} braces inside',
	'a\\b\nnew line\ttab',
	'x'.repeat(5000),
	0,
	-0,
	1.5,
	-1e-7,
	1e21,
	2 ** 53 + 2,
	true,
	false,
	null,
	{ a: 1, b: 'two' },
	[1, 'two', null],
	[],
	{},
];

/** Items with the value under `v`, under `w.x`, and one item missing both. */
const items: IDataObject[] = [
	...VALUES.map((v, i) => ({ i, v, w: { x: v } }) as IDataObject),
	{ i: VALUES.length },
];

/** Per item: the user message the gateway got, or the error the item came out with. */
async function outcome(prompt: string): Promise<unknown[]> {
	const r = await runChat(sandbox, { prompt }, { apiKey: KEY, items, continueOnFail: true });
	expect(r.error('Chat')).toBeUndefined();
	expectNoKeyIn(r.run.data, KEY);
	const replies = r.items.map((j) =>
		j.error !== undefined
			? { error: j.error, field: j.field }
			: { echo: (j.reply as IDataObject)?.echo },
	);
	return [
		replies,
		r.chatRequests.map((q) => (q.body.messages as IDataObject[]).at(-1)?.content).sort(),
	];
}

describe.each([
	[
		'text around two fields',
		'=Item {{ $json.i }}: {{ $json.v }} / {{ $json.w.x }}',
		'=Item {{ ($json.i) }}: {{ ($json.v) }} / {{ ($json.w.x) }}',
	],
	['one whole field', '={{ $json.v }}', '={{ ($json.v) }}'],
	['a nested whole field', '={{ $json.w.x }}', '={{ ($json.w.x) }}'],
	['bracket notation', '=Say: {{ $json["w"]["x"] }}', "=Say: {{ ($json['w']['x']) }}"],
])('%s', (_label, direct, evaluated) => {
	it('gives n8n’s own result for every kind of value', async () => {
		const render = jest.spyOn(fieldTemplate, 'renderFieldTemplate');
		const mine = await outcome(direct);
		const used = render.mock.results.filter((r) => r.value !== undefined).length;
		render.mockClear();
		const theirs = await outcome(evaluated);
		expect(render.mock.results.filter((r) => r.value !== undefined)).toHaveLength(0);
		expect(mine).toEqual(theirs);
		// The direct read was really taken, for the text values at least.
		expect(used).toBeGreaterThanOrEqual(7);
	});
});
