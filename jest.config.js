// One Jest configuration, one project per kind of test. `npm test` runs the fast three (unit, engine,
// sandbox); the real-n8n projects are slow and run one by one from scripts/ci/e2e.sh:
//   npx jest --selectProjects e2e --runInBand   (likewise browser, compat, queue, chaos)
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };
const fast = {
	testEnvironment: 'node',
	transform,
	setupFiles: ['<rootDir>/test/setup/n8n-user-folder.js'],
};
const realN8n = {
	testEnvironment: 'node',
	transform,
	setupFilesAfterEnv: ['<rootDir>/test/setup/real-n8n-timeout.js'],
};

/** @type {import('jest').Config} */
module.exports = {
	// Jest 29 reads these two only at the top level, not inside projects.
	testTimeout: 30000,
	slowTestThreshold: 60,
	projects: [
		{ ...fast, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
		// The nodes inside n8n's own engine (n8n-core in-process) against the sandbox gateway.
		{
			...fast,
			displayName: 'engine',
			roots: ['<rootDir>/test/engine'],
			testMatch: ['**/*.test.ts'],
		},
		{
			...fast,
			displayName: 'sandbox',
			roots: ['<rootDir>/test/sandbox'],
			testMatch: ['**/*.test.ts'],
		},
		// A real, pinned n8n (2.41.1 on Node 24) with the packed package.
		{
			...realN8n,
			displayName: 'e2e',
			roots: ['<rootDir>/test/e2e'],
			testMatch: ['**/*.e2e.test.ts'],
		},
		// The oldest supported n8n (2.8.4 on the system Node 20).
		{
			...realN8n,
			displayName: 'compat',
			roots: ['<rootDir>/test/e2e'],
			testMatch: ['**/*.compat.test.ts'],
		},
		// Redis, PostgreSQL, an n8n main and two workers.
		{
			...realN8n,
			displayName: 'queue',
			roots: ['<rootDir>/test/e2e'],
			testMatch: ['**/*.queue.test.ts'],
		},
		// Debian's Chromium drives the real editor.
		{
			...realN8n,
			displayName: 'browser',
			roots: ['<rootDir>/test/browser'],
			testMatch: ['**/*.test.ts'],
		},
		// 3 × 1,000 items with faults, and the leak hunt.
		{
			...realN8n,
			displayName: 'chaos',
			roots: ['<rootDir>/test/chaos'],
			testMatch: ['**/*.chaos.test.ts'],
		},
	],
};
