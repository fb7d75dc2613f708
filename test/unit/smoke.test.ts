import http from 'http';
import type { AddressInfo } from 'net';

import { runWorkflow, shutdownHarness, testCredential } from '../harness';

const KEY = 'sk-canary-SMOKE0123456789abcdef';

describe('harness smoke', () => {
	let server: http.Server;
	let url: string;
	const seen: string[] = [];
	beforeAll(async () => {
		server = http.createServer((req, res) => {
			seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
			res.setHeader('content-type', 'application/json');
			res.end(
				JSON.stringify(req.url === '/api/key/info' ? { key: 'abc', info: {} } : { data: [] }),
			);
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
	});
	afterAll(async () => {
		await new Promise((r) => server.close(r));
		await shutdownHarness();
	});

	it('runs a node through WorkflowExecute with the generic Bearer header', async () => {
		const result = await runWorkflow(
			{
				nodes: [
					{
						id: '1',
						name: 'Items',
						type: 'test.items',
						typeVersion: 1,
						position: [0, 0],
						parameters: { items: '[{"route":"/v1/models"}]' },
					},
					{
						id: '2',
						name: 'Probe',
						type: 'test.gatewayProbe',
						typeVersion: 1,
						position: [200, 0],
						parameters: {},
						credentials: { jlabLlmApi: { id: 'c1', name: 'c' } },
					},
				],
				connections: { Items: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] } },
			},
			[{ id: 'c1', name: 'c', type: 'jlabLlmApi', data: { baseUrl: `${url}/v1/`, apiKey: KEY } }],
		);
		expect(result.error('Probe')).toBeUndefined();
		expect(result.output('Probe')[0].json.status).toBe(200);
		expect(seen).toContain(`GET /api/v1/models Bearer ${KEY}`);
	});

	it('runs the credential test', async () => {
		expect(await testCredential('jlabLlmApi', { baseUrl: url, apiKey: KEY })).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
	});
});
