// The chaos run and leak hunt in a real n8n: `jest -c jest.chaos.config.js --runInBand`.
// Slow (a real n8n, 3 × 1,000 items), so it stays out of `npm test` like the other real-n8n suites.
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/chaos'],
	testMatch: ['**/*.chaos.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	// The first run may install n8n (~4 min) inside beforeAll.
	testTimeout: 15 * 60 * 1000,
	slowTestThreshold: 120,
};
