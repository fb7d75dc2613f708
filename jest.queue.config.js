// The queue-mode suite: `jest -c jest.queue.config.js --runInBand` (npm run test:queue). Starts Redis,
// PostgreSQL, an n8n main and two workers, so it stays out of `npm test` and of the e2e config.
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.queue.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	testTimeout: 10 * 60 * 1000,
	slowTestThreshold: 60,
};
