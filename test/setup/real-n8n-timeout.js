// Real-n8n suites install n8n on a cold machine (minutes) inside beforeAll and run whole executions;
// Jest 29 ignores testTimeout inside a project, so each real-n8n project sets it here.
jest.setTimeout(15 * 60 * 1000);
