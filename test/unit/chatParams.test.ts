/** JLab LLM Chat's run parameters: a parameter without an expression is resolved once per run. */
import type { IExecuteFunctions } from 'n8n-workflow';

import { hasExpression, RunParameters } from '../../nodes/JlabLlmChat/helpers/params';

function fakeContext(parameters: Record<string, unknown>) {
	const reads: string[] = [];
	const ctx = {
		getNode: () => ({ parameters }),
		getNodeParameter: (name: string, i: number) => {
			reads.push(`${name}@${i}`);
			return `${name} for item ${i}`;
		},
	} as unknown as IExecuteFunctions;
	return { ctx, reads };
}

describe('hasExpression', () => {
	it('finds a string starting with "=" anywhere in the value', () => {
		expect(hasExpression('=Summarise {{ $json.i }}')).toBe(true);
		expect(hasExpression('Summarise {{ $json.i }}')).toBe(false);
		expect(hasExpression({ __rl: true, mode: 'id', value: '={{ $json.model }}' })).toBe(true);
		expect(hasExpression({ __rl: true, mode: 'id', value: 'openai/gpt-oss-120b' })).toBe(false);
		expect(hasExpression({ values: [{ role: 'user', content: '={{ $json.q }}' }] })).toBe(true);
		expect(hasExpression({ temperature: 0.2, tags: 'a, b', simplify: true })).toBe(false);
		expect(hasExpression(undefined)).toBe(false);
	});
});

describe('RunParameters', () => {
	it('reads a constant parameter once and an expression for every item', () => {
		const { ctx, reads } = fakeContext({
			prompt: '={{ $json.p.trim() }}',
			systemMessage: 'Be brief',
			messages: { values: [{ role: 'user', content: '={{ $json.q }}' }] },
			options: { temperature: 0.2 },
		});
		const params = new RunParameters(ctx);
		for (let i = 0; i < 3; i++) {
			expect(params.get('prompt', i, '')).toBe(`prompt for item ${i}`);
			expect(params.get('systemMessage', i, '')).toBe('systemMessage for item 0');
			params.get('messages.values', i, []);
			params.get('inputMode', i, 'prompt');
		}
		expect(reads).toEqual([
			'prompt@0',
			'systemMessage@0',
			'messages.values@0',
			'inputMode@0',
			'prompt@1',
			'messages.values@1',
			'prompt@2',
			'messages.values@2',
		]);
	});

	it('builds from a constant parameter once, from an expression for every item', () => {
		const constant = new RunParameters(fakeContext({ options: { temperature: 0.2 } }).ctx);
		const perItem = new RunParameters(fakeContext({ options: { user: '={{ $json.u }}' } }).ctx);
		let built = 0;
		for (let i = 0; i < 3; i++) constant.derived('options', i, () => ++built);
		expect(built).toBe(1);
		for (let i = 0; i < 3; i++) perItem.derived('options', i, () => ++built);
		expect(built).toBe(4);
	});

	it('a failed read is not kept: the next item reads again', () => {
		let calls = 0;
		const ctx = {
			getNode: () => ({ parameters: { model: 'x' } }),
			getNodeParameter: () => {
				calls++;
				throw new Error('no');
			},
		} as unknown as IExecuteFunctions;
		const params = new RunParameters(ctx);
		expect(() => params.get('model', 0, '')).toThrow('no');
		expect(() => params.get('model', 1, '')).toThrow('no');
		expect(calls).toBe(2);
	});
});
