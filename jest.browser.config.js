// The browser suite: Debian's Chromium drives a real n8n's editor (`jest -c jest.browser.config.js --runInBand`).
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/browser'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	testTimeout: 15 * 60 * 1000,
	slowTestThreshold: 120,
};
