/** Which prompts the Chat node reads from the item's fields itself, and what it makes of them. */
import {
	compileFieldTemplate,
	renderFieldTemplate,
} from '../../nodes/JlabLlmChat/helpers/fieldTemplate';

describe('compileFieldTemplate', () => {
	it.each([
		['={{ $json.prompt }}', [['prompt']]],
		['=Summarise item {{ $json.i }}', ['Summarise item ', ['i']]],
		['={{$json.a.b}} and {{ $json["x y"] }}', [['a', 'b'], ' and ', ['x y']]],
		['=Rows: {{ $json.rows[2].text }}.', ['Rows: ', ['rows', '2', 'text'], '.']],
		["={{ $json['it''s'] }}", undefined],
	])('%s', (raw, expected) => {
		expect(compileFieldTemplate(raw)).toEqual(expected);
	});

	it.each([
		['no expression', 'Summarise this'],
		['not a string', 42],
		['no field', '=just text'],
		['another variable', '={{ $input.item.json.prompt }}'],
		['a call', '={{ $json.prompt.trim() }}'],
		['an operator', '={{ $json.a + $json.b }}'],
		['parentheses', '={{ ($json.prompt) }}'],
		['a guarded name', '={{ $json.__proto__ }}'],
		['constructor', '={{ $json.constructor }}'],
		['a brace in the text', '=Use {braces} with {{ $json.i }}'],
		['a backslash in the text', '=a\\{{ $json.i }}'],
		['an unfinished part', '=Item {{ $json.i }} and {{ $json.j'],
	])('leaves %s to n8n', (_label, raw) => {
		expect(compileFieldTemplate(raw)).toBeUndefined();
	});
});

describe('renderFieldTemplate', () => {
	const render = (raw: string, json: unknown) =>
		renderFieldTemplate(
			compileFieldTemplate(raw) as NonNullable<ReturnType<typeof compileFieldTemplate>>,
			json,
		);

	it('places text and finite numbers', () => {
		expect(render('=Item {{ $json.i }}: {{ $json.t }}', { i: 7, t: 'héllo' })).toBe(
			'Item 7: héllo',
		);
		expect(render('={{ $json.a.b }}', { a: { b: '' } })).toBe('');
		expect(render('=n={{ $json.n }}', { n: -0 })).toBe('n=0');
	});

	it.each([
		['a missing field', '=Item {{ $json.missing }}', { i: 1 }],
		['null', '=Item {{ $json.i }}', { i: null }],
		['a boolean', '=Item {{ $json.i }}', { i: true }],
		['an object', '=Item {{ $json.i }}', { i: { a: 1 } }],
		['NaN', '=Item {{ $json.i }}', { i: Number.NaN }],
		['a whole-field number (n8n keeps the type)', '={{ $json.i }}', { i: 3 }],
		['a step through text', '={{ $json.s.length }}', { s: 'abc' }],
		['an inherited name', '={{ $json.toString }}', {}],
	])('leaves %s to n8n', (_label, raw, json) => {
		expect(render(raw, json)).toBeUndefined();
	});
});
