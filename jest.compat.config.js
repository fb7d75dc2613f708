// The oldest supported n8n (2.8.4 on the system Node 20): `jest -c jest.compat.config.js --runInBand`.
const e2e = require('./jest.e2e.config');

/** @type {import('jest').Config} */
module.exports = { ...e2e, testMatch: ['**/*.compat.test.ts'] };
