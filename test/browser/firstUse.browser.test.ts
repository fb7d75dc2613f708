/**
 * What a new user meets first, in n8n's editor (Debian's Chromium via playwright-core): the credential
 * dialog says where a key comes from and where the gateway answers; a new Chat node shows its model on
 * the canvas; "Add option" offers only options that apply, and options added as they come send
 * nothing (checked in the sandbox's request log); the rotation example, run from the editor, leaves
 * the demo key working. Screenshots go to docs/images/.
 *
 *   npm run test:browser -- firstUse
 */
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

const lib = require('../../scripts/n8n/lib');

const PREFIX = `${lib.PACKAGE_NAME}.`;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const IMAGES = path.resolve(
	process.env.JLAB_LLM_SCREENSHOTS || path.join(lib.ROOT, 'docs', 'images'),
);
const CANARY = lib.canaryKey('first');
const ROTATING = lib.canaryKey('firstrot');
const MODEL = 'openai/gpt-oss-120b';
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

async function shot(target: Page | Locator, name: string) {
	fs.mkdirSync(IMAGES, { recursive: true });
	await target.screenshot({ path: path.join(IMAGES, name) });
}

describe('a new user in the editor', () => {
	let stack: any;
	let ctx: BrowserContext;
	let page: Page;
	let userDataDir: string;
	let chatWorkflowId: string;

	beforeAll(async () => {
		if (!fs.existsSync(CHROMIUM))
			throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
		stack = await lib.startStack({
			apiKey: CANARY,
			rotationApiKey: ROTATING,
			sandbox: {
				keys: [
					{ key: CANARY, key_alias: 'first-use', user_id: 'jdoe' },
					{ key: ROTATING, key_alias: 'first-use-rotation', user_id: 'jdoe' },
				],
			},
			log: (line: string) => process.stdout.write(`${line}\n`),
		});
		userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jlab-llm-chromium-first-'));
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
		await page.goto(`${stack.n8n.url}/signin`);
		await page.fill('input[name=emailOrLdapLoginId]', lib.OWNER.email);
		await page.fill('input[name=password]', lib.OWNER.password);
		await page.getByRole('button', { name: /sign in/i }).click();
		await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
	});

	afterAll(async () => {
		if (ctx) await ctx.close();
		if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
		if (stack) await stack.stop();
	});

	it('the credential dialog shows where to get a key, and that the gateway answers only inside the lab', async () => {
		await page.goto(`${stack.n8n.url}/home/credentials/create`);
		await page.getByPlaceholder(/Search for app/).click();
		await page.keyboard.type('JLab LLM API');
		await page.getByText('JLab LLM API', { exact: true }).first().click();
		await page.getByRole('button', { name: /continue/i }).click();
		const dialog = page.locator('[data-test-id=credential-edit-dialog]');
		const notice = dialog.getByText(/Manage API Keys → log in with CILogon → Create New Key/);
		await notice.waitFor();
		expect(await notice.isVisible()).toBe(true);
		expect(
			await dialog
				.getByText(/only inside the lab's network/)
				.first()
				.isVisible(),
		).toBe(true);
		expect(
			await dialog
				.getByText(/ENOTFOUND/)
				.first()
				.isVisible(),
		).toBe(true);
		// The hints under the fields, not in a tooltip.
		expect(
			await dialog
				.getByText('LLM landing page → Manage API Keys → CILogon → Create New Key (shown once)', {
					exact: true,
				})
				.isVisible(),
		).toBe(true);
		expect(
			await dialog.getByText(/^Inside the lab's network only\. ENOTFOUND on save/).isVisible(),
		).toBe(true);
		await shot(page, 'credential-dialog-new.png');
		await page.keyboard.press('Escape');
	});

	it('a new Chat node has a model, and the canvas shows it', async () => {
		const created = await stack.client.request(
			'POST',
			'/api/v1/workflows',
			{
				name: 'First use: a new Chat node',
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
						id: 'chat',
						name: 'JLab LLM Chat',
						type: `${PREFIX}jlabLlmChat`,
						typeVersion: 1,
						position: [320, 0],
						parameters: { prompt: 'Hello' },
						credentials: {
							jlabLlmApi: { id: lib.SANDBOX_CREDENTIAL.id, name: lib.SANDBOX_CREDENTIAL.name },
						},
					},
				],
				connections: { Start: { main: [[{ node: 'JLab LLM Chat', type: 'main', index: 0 }]] } },
			},
			{ auth: 'apiKey' },
		);
		expect(created.status).toBe(200);
		chatWorkflowId = created.body.id;
		await page.goto(`${stack.n8n.url}/workflow/${chatWorkflowId}`);
		const node = page
			.locator('[data-test-id=canvas-node]')
			.filter({ hasText: 'JLab LLM Chat' })
			.first();
		await node.waitFor();
		await node.getByText(MODEL).first().waitFor();
		expect(await node.innerText()).toContain(MODEL);
		await shot(page, 'canvas-chat-model.png');
	});

	it('"Add option" offers only options that apply; options added as they come send nothing', async () => {
		await page.goto(`${stack.n8n.url}/workflow/${chatWorkflowId}`);
		await page
			.locator('[data-test-id=canvas-node]')
			.filter({ hasText: 'JLab LLM Chat' })
			.first()
			.dblclick();
		const ndv = page.locator('[data-test-id=ndv]');
		await ndv.locator('[data-test-id=node-parameters]').waitFor();

		// n8n's "Add option" is a filterable select; its options are listed in a popper.
		const select = ndv.locator('[data-test-id=collection-parameter-add]').first();
		const options = page.locator('[data-test-id=collection-parameter-option]:visible');
		const offered = async (): Promise<string[]> => {
			await select.click();
			await options.first().waitFor();
			const names = (await options.allInnerTexts()).map((t) => t.trim());
			// Closed by a second click (Escape would close the whole panel).
			await select.click();
			await options.first().waitFor({ state: 'hidden' });
			return names;
		};
		const add = async (name: string) => {
			await select.click();
			await options
				.filter({ hasText: new RegExp(`^\\s*${name.replace(/[()]/g, '\\$&')}\\s*$`) })
				.first()
				.click();
			await options.first().waitFor({ state: 'hidden' });
		};

		const first = await offered();
		expect(first).toEqual(
			expect.arrayContaining([
				'Tools',
				'Seed',
				'Response Format',
				'Output Randomness (Temperature)',
				'Maximum Number of Tokens',
			]),
		);
		for (const hidden of [
			'JSON Schema',
			'JSON Schema Name',
			'JSON Schema Strict',
			'Tool Choice',
			'Tool Name',
		])
			expect(first).not.toContain(hidden);

		await add('Tools');
		await add('Seed');
		await add('Response Format');
		// Response Format "Text" (as it comes): the JSON Schema fields still do not apply.
		const after = await offered();
		for (const hidden of ['JSON Schema', 'JSON Schema Name', 'JSON Schema Strict', 'Tool Choice'])
			expect(after).not.toContain(hidden);
		await shot(page, 'chat-options.png');

		const before = stack.sandbox.requests.length;
		await ndv.locator('[data-test-id=node-execute-button]').click();
		await ndv
			.locator('[data-test-id=output-panel]')
			.getByText(/\d+ items?/)
			.first()
			.waitFor();
		const chats = stack.sandbox.requests
			.slice(before)
			.filter((q: any) => q.path.endsWith('/chat/completions'));
		expect(chats).toHaveLength(1);
		expect(chats[0].keyHash).toBe(sha256(CANARY));
		// The sandbox's request log: the model preselected, and nothing the user did not set.
		expect(chats[0].body.model).toBe(MODEL);
		for (const field of ['tools', 'tool_choice', 'seed', 'response_format'])
			expect([field, chats[0].body[field]]).toEqual([field, undefined]);
		await page.keyboard.press('Escape');
	});

	it('the rotation example, run from the editor, rotates its own key: the demo key keeps working', async () => {
		const rotation = stack.examples.find((e: any) => lib.rotatesKey(e.workflow));
		expect(rotation).toBeDefined();
		await page.goto(`${stack.n8n.url}/workflow/${rotation.workflow.id}`);
		await page.locator('[data-test-id=canvas-node]').first().waitFor();
		await page.locator('[data-test-id=execute-workflow-button]').click();
		await page
			.getByText(/Workflow executed successfully/i)
			.first()
			.waitFor();
		const status = async (key: string) => {
			const res = await fetch(`${stack.sandbox.url}/key/info`, {
				headers: { authorization: `Bearer ${key}` },
			});
			await res.arrayBuffer();
			return res.status;
		};
		expect(await status(ROTATING)).toBe(401);
		expect(await status(CANARY)).toBe(200);
		// And the credential every other example uses still holds the demo key.
		expect((await lib.readCredentialData(stack.n8n, lib.SANDBOX_CREDENTIAL.id)).apiKey).toBe(
			CANARY,
		);
	});
});
