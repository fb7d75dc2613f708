/**
 * The package in n8n's editor, driven by Debian's Chromium through playwright-core: sign in, create
 * a "JLab LLM API" credential in the UI, open every node of the package on a canvas, execute an
 * example workflow from the editor. Screenshots go to docs/images/ (the README shows them).
 *
 *   npm run test:browser     (needs /usr/bin/chromium: apt-get install -y chromium)
 */
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Committed and shown by the README; JLAB_LLM_SCREENSHOTS puts them elsewhere (e.g. to compare).
const IMAGES = path.resolve(
	process.env.JLAB_LLM_SCREENSHOTS || path.join(lib.ROOT, 'docs', 'images'),
);
const CANARY = lib.canaryKey('ui');
const WRONG_KEY = 'sk-wrong-key-ui-00000000000000000000';
// Nodes whose default operation only reads (safe to execute in the panel for its screenshot).
const READ_ONLY_DEFAULT = new Set([`${PREFIX}jlabLlmUsage`]);
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

async function shot(page: Page, name: string) {
	fs.mkdirSync(IMAGES, { recursive: true });
	await page.screenshot({ path: path.join(IMAGES, name) });
}

describe(`n8n ${lib.CURRENT.n8n} editor in Chromium`, () => {
	let stack: any;
	let ctx: BrowserContext;
	let page: Page;
	let userDataDir: string;
	let nodeTypes: Array<{
		name: string;
		displayName: string;
		version: number | number[];
		inputs?: unknown;
		credentials?: Array<{ name: string }>;
	}> = [];

	beforeAll(async () => {
		if (!fs.existsSync(CHROMIUM))
			throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
		stack = await lib.startStack({
			apiKey: CANARY,
			sandbox: {
				keys: [
					{ key: CANARY, key_alias: 'ui-canary', user_id: 'ui-user', max_budget: 25, spend: 5 },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
		const manifest = JSON.parse(
			fs.readFileSync(
				path.join(
					stack.n8n.userFolder,
					'.n8n',
					'nodes',
					'node_modules',
					lib.PACKAGE_NAME,
					'package.json',
				),
				'utf8',
			),
		);
		const names = (manifest.n8n.nodes as string[]).map((p) => {
			const stem = path.basename(p, '.node.js');
			return `${PREFIX}${stem[0].toLowerCase()}${stem.slice(1)}`;
		});
		const types = await stack.client.request('GET', '/types/nodes.json');
		nodeTypes = names.map((n) => {
			const t = types.body.find((x: { name: string }) => x.name === n);
			if (!t) throw new Error(`n8n did not load ${n}`);
			return t;
		});
		userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-chromium-'));
		ctx = await chromium.launchPersistentContext(userDataDir, {
			executablePath: CHROMIUM,
			headless: true,
			viewport: { width: 1440, height: 900 },
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
		page = ctx.pages()[0] ?? (await ctx.newPage());
		page.setDefaultTimeout(60000);
	});

	afterAll(async () => {
		if (ctx) await ctx.close();
		if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
		if (stack) await stack.stop();
	});

	it('signs in as the owner', async () => {
		await page.goto(`${stack.n8n.url}/signin`);
		await page.fill('input[name=emailOrLdapLoginId]', lib.OWNER.email);
		await page.fill('input[name=password]', lib.OWNER.password);
		await page.getByRole('button', { name: /sign in/i }).click();
		await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
		expect(new URL(page.url()).pathname).not.toBe('/signin');
	});

	it('creates a "JLab LLM API" credential: a wrong key shows the classified message, the right key passes the test', async () => {
		await page.goto(`${stack.n8n.url}/home/credentials/create`);
		await page.getByPlaceholder(/Search for app/).click();
		await page.keyboard.type('JLab LLM API');
		await page.getByText('JLab LLM API', { exact: true }).first().click();
		await page.getByRole('button', { name: /continue/i }).click();
		const dialog = page.locator('[data-test-id=credential-edit-dialog]');
		await page.locator('[data-test-id=parameter-input-baseUrl] input').fill(stack.sandbox.url);
		await page.locator('[data-test-id=parameter-input-apiKey] input').fill(WRONG_KEY);
		await page.locator('[data-test-id=credential-save-button]').click();
		await dialog.getByText(/Couldn.t connect with these settings/).waitFor();
		await dialog.getByText('More details').click();
		const message = dialog.getByText(/^invalid_key: /);
		await message.waitFor();
		expect(await message.innerText()).toMatch(
			/^invalid_key: The gateway does not recognise this key/,
		);
		await shot(page, 'credential-invalid-key.png');

		await page.locator('[data-test-id=parameter-input-apiKey] input').fill(CANARY);
		await page.locator('[data-test-id=credential-save-button]').click();
		await dialog.getByText(/Connection tested successfully/i).waitFor();
		expect(await dialog.getByText(/Couldn.t connect/).count()).toBe(0);
		await shot(page, 'credential-dialog.png');
		expect(
			stack.sandbox.requests.some(
				(q: any) => q.path === '/v1/models' && q.keyHash === sha256(CANARY),
			),
		).toBe(true);

		// Opened again from the server, the saved credential shows no piece of the key (n8n sends a placeholder).
		const saved = await stack.client.request('GET', '/rest/credentials');
		const mine = saved.body.data.find(
			(c: { name: string; type: string; id: string }) =>
				c.type === 'jlabLlmApi' && c.id !== lib.SANDBOX_CREDENTIAL.id,
		);
		expect(mine).toBeDefined();
		await page.goto(`${stack.n8n.url}/home/credentials/${mine.id}`);
		await page.locator('[data-test-id=parameter-input-apiKey] input').waitFor();
		expect(lib.leakedPieces(await page.content(), CANARY)).toEqual([]);
		expect(
			lib.leakedPieces(
				await page.locator('[data-test-id=parameter-input-apiKey] input').inputValue(),
				CANARY,
			),
		).toEqual([]);
		await page.keyboard.press('Escape');
	});

	it("opens every node of the package on a canvas; a model picker lists the gateway's models", async () => {
		expect(nodeTypes.length).toBeGreaterThan(0);
		for (const type of nodeTypes) {
			const version = Array.isArray(type.version) ? Math.max(...type.version) : type.version;
			const credentials: Record<string, unknown> = {};
			if ((type.credentials ?? []).some((c) => c.name === 'jlabLlmApi'))
				credentials.jlabLlmApi = {
					id: lib.SANDBOX_CREDENTIAL.id,
					name: lib.SANDBOX_CREDENTIAL.name,
				};
			const created = await stack.client.request(
				'POST',
				'/api/v1/workflows',
				{
					name: `Panel: ${type.displayName}`,
					settings: {},
					nodes: [
						{
							id: 'start',
							name: 'Start',
							type: 'n8n-nodes-base.manualTrigger',
							typeVersion: 1,
							position: [0, 0],
							parameters: {},
						},
						{
							id: 'node',
							name: type.displayName,
							type: type.name,
							typeVersion: version,
							position: [320, 0],
							parameters: {},
							credentials,
						},
					],
					// Sub-nodes (no main input) stand alone; the others hang off the trigger.
					connections: JSON.stringify(type.inputs ?? []).includes('main')
						? { Start: { main: [[{ node: type.displayName, type: 'main', index: 0 }]] } }
						: {},
				},
				{ auth: 'apiKey' },
			);
			expect(created.status).toBe(200);
			await page.goto(`${stack.n8n.url}/workflow/${created.body.id}`);
			await page
				.locator('[data-test-id=canvas-node]')
				.filter({ hasText: type.displayName })
				.first()
				.dblclick();
			const ndv = page.locator('[data-test-id=ndv]');
			await ndv.waitFor();
			await ndv.locator('[data-test-id=node-parameters]').waitFor();
			const picker = ndv.locator('[data-test-id=resource-locator-model]');
			if ((await picker.count()) > 0) {
				const before = stack.sandbox.requests.length;
				await picker.locator('[data-test-id=rlc-input]').click();
				await page
					.locator('[data-test-id=rlc-item]')
					.filter({ hasText: 'openai/gpt-oss-120b' })
					.first()
					.waitFor();
				const listed = await page.locator('[data-test-id=rlc-item]').allInnerTexts();
				expect(listed).toEqual(
					expect.arrayContaining(['openai/gpt-oss-120b', 'openai/gpt-oss-20b']),
				);
				expect(
					stack.sandbox.requests
						.slice(before)
						.some((q: any) => q.path === '/v1/models' && q.keyHash === sha256(CANARY)),
				).toBe(true);
			}
			if (READ_ONLY_DEFAULT.has(type.name)) {
				// Its default operation only reads, so the panel can show a real answer from the gateway.
				await ndv.locator('[data-test-id=node-execute-button]').click();
				await ndv
					.locator('[data-test-id=output-panel]')
					.getByText(/\d+ items?/)
					.first()
					.waitFor();
				expect(
					lib.leakedPieces(await ndv.locator('[data-test-id=output-panel]').innerText(), CANARY),
				).toEqual([]);
			}
			await shot(page, `node-${type.name.slice(PREFIX.length)}.png`);
			await page.keyboard.press('Escape');
		}
	});

	it('executes an example workflow from the editor and shows the output', async () => {
		const example =
			stack.examples.find((e: any) => e.file === 'chat-batch-summaries.json') ?? stack.examples[0];
		expect(example).toBeDefined();
		await page.goto(`${stack.n8n.url}/workflow/${example.workflow.id}`);
		await page.locator('[data-test-id=canvas-node]').first().waitFor();
		await page.locator('[data-test-id=execute-workflow-button]').click();
		await page
			.getByText(/Workflow executed successfully/i)
			.first()
			.waitFor();
		await shot(page, 'workflow-executed.png');
		const packageNode = example.workflow.nodes.find((n: { type: string }) =>
			n.type.startsWith(PREFIX),
		);
		await page
			.locator('[data-test-id=canvas-node]')
			.filter({ hasText: packageNode.name })
			.first()
			.dblclick();
		const output = page.locator('[data-test-id=output-panel]');
		await output.waitFor();
		await output
			.getByText(/\d+ items?/)
			.first()
			.waitFor();
		// The item count shows before the schema/table body renders, so wait for the field itself.
		if (packageNode.type === `${PREFIX}jlabLlmChat`)
			await output.getByText('reply').first().waitFor({ timeout: 20_000 });
		const text = await output.innerText();
		if (packageNode.type === `${PREFIX}jlabLlmChat`) expect(text).toContain('reply');
		expect(lib.leakedPieces(text, CANARY)).toEqual([]);
		await shot(page, 'workflow-output.png');
	});
});
