// The real-n8n suites: `jest -c jest.e2e.config.js --runInBand`. Slow (a real n8n per file), so
// they stay out of `npm test` (see jest.config.js testPathIgnorePatterns).
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// The first run installs n8n (~4 min) inside beforeAll; each CLI execution takes a few seconds.
	testTimeout: 15 * 60 * 1000,
	slowTestThreshold: 60,
};
