// Generic checks for one `n8n execute --id` run of a workflow that uses the package's nodes.
export type Item = { json: Record<string, any>; pairedItem?: unknown };
type TaskData = {
	error?: { message?: string };
	data?: { main?: Array<Item[] | null> } & Record<string, Array<Item[] | null> | undefined>;
};

/** An AI sub-node (e.g. a chat model) puts its data out on an ai_* connection, never on main. */
const isAiOnly = (tasks: TaskData[]) =>
	tasks.every(
		(t) => t.data && !t.data.main && Object.keys(t.data).some((k) => k.startsWith('ai_')),
	);

export interface CheckedRun {
	/** Every item a node put out, over all its runs and outputs. */
	items(nodeName: string): Item[];
	/** Names of the package's nodes that ran. */
	packageNodesRan: string[];
}

/**
 * No workflow error, no node error, at least one of the package's nodes ran, and each one that ran
 * put out items that carry pairedItem (an AI sub-node: items on its ai_* connection).
 */
export function checkRun(
	file: string,
	res: { code: number | string; run?: any; stdout: string; stderr: string },
	workflow: { nodes: Array<{ name: string; type: string }> },
	prefix: string,
): CheckedRun {
	if (res.code !== 0 || !res.run) {
		throw new Error(
			`n8n execute failed for ${file}: exit ${res.code}\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-2000)}`,
		);
	}
	const resultData = res.run.data.resultData;
	expect(resultData.error).toBeUndefined();
	const runData: Record<string, TaskData[]> = resultData.runData;
	for (const [name, tasks] of Object.entries(runData)) {
		for (const task of tasks)
			expect({ node: name, error: task.error?.message }).toEqual({ node: name, error: undefined });
	}
	const items = (nodeName: string): Item[] =>
		(runData[nodeName] ?? []).flatMap((t) => (t.data?.main ?? []).flatMap((out) => out ?? []));
	const packageNodes = workflow.nodes.filter((n) => n.type.startsWith(prefix));
	expect(packageNodes.length).toBeGreaterThan(0);
	const ran = packageNodes.map((n) => n.name).filter((n) => runData[n]);
	expect(ran.length).toBeGreaterThan(0);
	for (const name of ran) {
		if (isAiOnly(runData[name])) {
			const aiItems = runData[name].flatMap((t) =>
				Object.entries(t.data ?? {}).flatMap(([, outs]) => (outs ?? []).flatMap((o) => o ?? [])),
			);
			expect({ node: name, aiItems: aiItems.length > 0 }).toEqual({ node: name, aiItems: true });
			continue;
		}
		const out = items(name);
		expect({ node: name, items: out.length > 0 }).toEqual({ node: name, items: true });
		for (const item of out) expect(item.pairedItem).toBeDefined();
	}
	return { items, packageNodesRan: ran };
}
