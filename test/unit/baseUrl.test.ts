import { checkApiKey, normalizeBaseUrl } from '../../nodes/shared/gateway';
import { retryDelayMs } from '../../nodes/shared/retry';
import { GatewayError } from '../../nodes/shared/errors';

describe('normalizeBaseUrl', () => {
	it.each([
		['https://delphi.jlab.org/api', 'https://delphi.jlab.org/api'],
		['https://delphi.jlab.org/api/', 'https://delphi.jlab.org/api'],
		['https://delphi.jlab.org/api/v1', 'https://delphi.jlab.org/api'],
		['https://delphi.jlab.org/api/v1/', 'https://delphi.jlab.org/api'],
		['  https://delphi.jlab.org/api//  ', 'https://delphi.jlab.org/api'],
		['https://llm.example.org', 'https://llm.example.org'],
		['https://llm.example.org/v1', 'https://llm.example.org'],
		['http://127.0.0.1:4000/api', 'http://127.0.0.1:4000/api'],
		['http://localhost:4000', 'http://localhost:4000'],
		['http://[::1]:4000/api/v1', 'http://[::1]:4000/api'],
	])('%s → %s', (raw, expected) => {
		expect(normalizeBaseUrl(raw)).toBe(expected);
	});

	it.each([
		['', /Base URL: .*required/],
		['delphi.jlab.org/api', /Base URL: expected an http:\/\/ or https:\/\/ URL/],
		['ftp://delphi.jlab.org/api', /Base URL: expected an http:\/\/ or https:\/\/ URL, got ftp:/],
		['http://delphi.jlab.org/api', /Base URL: expected https:\/\/ .*unencrypted/],
		['https://user:pw@delphi.jlab.org/api', /Base URL: must not contain a user name or password/],
		['https://delphi.jlab.org/api?key=sk-abc', /Base URL: must not contain a query string/],
	])('refuses %j', (raw, message) => {
		let caught: unknown;
		try {
			normalizeBaseUrl(raw);
		} catch (e) {
			caught = e;
		}
		expect(caught).toBeInstanceOf(GatewayError);
		expect((caught as GatewayError).errorClass).toBe('bad_request');
		expect((caught as GatewayError).message).toMatch(message);
		expect((caught as GatewayError).details.field).toBe('Base URL');
	});

	it('accepts remote http:// only when explicitly allowed', () => {
		expect(normalizeBaseUrl('http://10.0.0.5:4000/api', true)).toBe('http://10.0.0.5:4000/api');
	});
});

describe('checkApiKey', () => {
	it('accepts a virtual key and trims it', () => {
		expect(checkApiKey('  sk-abc123  ')).toBe('sk-abc123');
	});
	it.each([[''], ['  '], [undefined], ['abc123'], ['sk-has space']])(
		'refuses %j naming the field',
		(raw) => {
			expect(() => checkApiKey(raw)).toThrow(/^API Key: /);
		},
	);
});

describe('retryDelayMs', () => {
	const err = (retryAfterMs?: number) => new GatewayError('rate_limited', 'x', { retryAfterMs });
	it('waits what the gateway asked, plus a little jitter', () => {
		expect(retryDelayMs(err(7000), 0, () => 0)).toBe(7000);
		expect(retryDelayMs(err(7000), 0, () => 0.99)).toBeLessThan(7250);
	});
	it('backs off exponentially with jitter, capped', () => {
		expect(retryDelayMs(err(), 0, () => 1)).toBe(500);
		expect(retryDelayMs(err(), 3, () => 1)).toBe(4000);
		expect(retryDelayMs(err(), 3, () => 0)).toBe(2000);
		expect(retryDelayMs(err(), 20, () => 1)).toBe(16000);
	});
});
