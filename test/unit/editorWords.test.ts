/**
 * The words a user reads in the editor: the same operation names in the node creator's action list and
 * in the Operation dropdown, and one casing for every "Add …" button.
 */
import type { INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { packageCredentialTypes, packageNodeTypes, PACKAGE } from '../harness/registry';

const descriptions = Object.entries(packageNodeTypes())
	.filter(([type]) => type.startsWith(`${PACKAGE}.`))
	.map(([, t]) => (t as INodeType).description as INodeTypeDescription);

function everyProperty(list: INodeProperties[], out: INodeProperties[] = []): INodeProperties[] {
	for (const p of list) {
		out.push(p);
		for (const o of (p.options ?? []) as Array<INodeProperties & { values?: INodeProperties[] }>) {
			if ('type' in o && o.type) everyProperty([o], out);
			if (o.values) everyProperty(o.values, out);
		}
	}
	return out;
}

describe('editor words', () => {
	it.each(descriptions.map((d) => [d.displayName, d]))(
		'%s: each operation has one name in the action list and the dropdown',
		(_n, d) => {
			const operation = (d as INodeTypeDescription).properties.find((p) => p.name === 'operation');
			for (const o of (operation?.options ?? []) as Array<{ name: string; action?: string }>) {
				expect([o.name, o.action?.toLowerCase()]).toEqual([o.name, o.name.toLowerCase()]);
			}
		},
	);

	it.each(descriptions.map((d) => [d.displayName, d]))(
		'%s: "Add …" buttons in one casing (Add option)',
		(_n, d) => {
			const adds = everyProperty((d as INodeTypeDescription).properties)
				.map((p) => p.placeholder)
				.filter((t): t is string => typeof t === 'string' && t.startsWith('Add '));
			for (const text of adds) expect(text).toMatch(/^Add [a-z]/);
		},
	);
});

describe('the JLab LLM API credential dialog', () => {
	const props = packageCredentialTypes().jlabLlmApi.properties;

	it('says where to get a key and that the gateway answers only inside the lab network, in the dialog itself', () => {
		const notice = props.find((p) => p.type === 'notice');
		expect(notice?.displayName).toEqual(
			expect.stringContaining('Manage API Keys → log in with CILogon → Create New Key'),
		);
		expect(notice?.displayName).toMatch(/only once/);
		expect(notice?.displayName).toMatch(/only inside the lab's network/);
		// What a bare ENOTFOUND on save means, said before the user meets it.
		expect(notice?.displayName).toMatch(/ENOTFOUND/);
		// The notice comes first, above the fields.
		expect(props[0]).toBe(notice);
	});

	it('shows hints under the Base URL and API Key fields (not only tooltips)', () => {
		expect(props.find((p) => p.name === 'baseUrl')?.hint).toMatch(/lab's network.*ENOTFOUND/);
		expect(props.find((p) => p.name === 'apiKey')?.hint).toMatch(
			/Manage API Keys → CILogon → Create New Key/,
		);
	});
});

describe('the Rotate Key notice says what stops working', () => {
	const key = descriptions.find((d) => d.name === 'jlabLlmKey')!;
	const shown = (name: string) =>
		key.properties.find(
			(p) => p.name === name && p.displayOptions?.show?.operation?.includes('rotate'),
		);

	it('in plain words: no jargon; the old key stops working and what outside n8n breaks', () => {
		const notice = shown('rotateNotice')!.displayName;
		expect(notice).not.toMatch(/\bmint|scope|credential:update/i);
		expect(notice).toMatch(
			/old key stops working when the rotation ends, or when the Grace Period ends/,
		);
		expect(notice).toMatch(/outside n8n/);
	});

	it('the Grace Period field says under it what empty means and when to set it', () => {
		expect(shown('gracePeriod')!.hint).toMatch(
			/Empty: the old key stops working when the rotation ends/,
		);
	});
});
