/**
 * A proxy in front of the sandbox gateway that can fail, hang, or let a request through and
 * then drop the answer (the change is applied, the client never hears of it) at any call.
 * The sandbox's own faults all strike before a request is handled; this adds the lost answer.
 */
import http from 'http';
import type { AddressInfo, Socket } from 'net';

import { type Call, FaultBook } from './n8nPublicApi';

export interface FaultyProxy {
	/** The proxy's URL with the sandbox's base path, e.g. http://127.0.0.1:1234/api */
	url: string;
	calls: Call[];
	faults: FaultBook;
	close(): Promise<void>;
}

export async function startFaultyProxy(
	target: string,
	options: {
		timeline?: Call[];
		afterEach?: (call: Call) => void;
		delay?: (call: Call) => number;
	} = {},
): Promise<FaultyProxy> {
	const targetUrl = new URL(target);
	const calls: Call[] = [];
	const faults = new FaultBook();
	const sockets = new Set<Socket>();
	const agent = new http.Agent({ keepAlive: false });

	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', async () => {
			const raw = Buffer.concat(chunks);
			const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
			const method = req.method ?? 'GET';
			let body: unknown;
			try {
				body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
			} catch {
				body = undefined;
			}
			const call: Call = { server: 'gateway', method, path, status: null, body };
			// Held before it reaches the gateway: races between concurrent runs.
			const hold = options.delay?.(call) ?? 0;
			if (hold > 0) await new Promise((r) => setTimeout(r, hold));
			calls.push(call);
			options.timeline?.push(call);
			const fault = faults.take(method, path);
			if (fault) call.fault = fault.kind;
			if (fault?.kind === 'hang') return;
			if (fault?.kind === 'reset') {
				req.socket.destroy();
				options.afterEach?.(call);
				return;
			}
			if (fault?.kind === 'status') {
				const status = fault.status ?? 500;
				call.status = status;
				res.writeHead(status, { 'content-type': 'application/json' });
				const message = fault.echo
					? `Invalid request ${raw.toString('utf8')} from Authorization=${String(req.headers.authorization)}`
					: 'Internal server error';
				const type = fault.echo ? 'bad_request_error' : 'internal_server_error';
				res.end(
					JSON.stringify(
						fault.body ?? { error: { message, type, param: null, code: String(status) } },
					),
				);
				options.afterEach?.(call);
				return;
			}
			const headers = { ...req.headers, host: targetUrl.host };
			const upstream = http.request(
				{ host: targetUrl.hostname, port: targetUrl.port, method, path: req.url, headers, agent },
				(up) => {
					const parts: Buffer[] = [];
					up.on('data', (c: Buffer) => parts.push(c));
					up.on('end', () => {
						call.status = up.statusCode ?? null;
						if (fault?.kind === 'lose') {
							req.socket.destroy();
						} else if (fault?.kind === 'applied_error') {
							res.writeHead(500, { 'content-type': 'application/json' });
							res.end(
								JSON.stringify({
									error: {
										message: 'Internal server error',
										type: 'internal_server_error',
										param: null,
										code: '500',
									},
								}),
							);
						} else {
							const h = { ...up.headers };
							delete h['content-length'];
							delete h['transfer-encoding'];
							res.writeHead(up.statusCode ?? 502, h);
							res.end(Buffer.concat(parts));
						}
						options.afterEach?.(call);
					});
				},
			);
			upstream.on('error', () => {
				if (!res.headersSent) {
					res.writeHead(502);
					res.end();
				}
			});
			upstream.end(raw);
		});
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${port}${targetUrl.pathname.replace(/\/+$/, '')}`,
		calls,
		faults,
		close: async () => {
			for (const s of sockets) s.destroy();
			agent.destroy();
			await new Promise<void>((r) => server.close(() => r()));
		},
	};
}
