// Pinned versions and folders of the real n8n used by the e2e, browser and compat suites and by `npm run dev`.
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

// Outside the checkout: ~3 GB that must survive `git clean` and be shared by several clones.
const CACHE_DIR = path.resolve(
	process.env.JLAB_LLM_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-jlab-llm'),
);

// n8n 2.41.x needs Node 24; 2.41.3 could not be installed from the registry (ETARGET), 2.41.1 can.
const CURRENT = { n8n: '2.41.1', node: '24.22.3' };
// The oldest n8n the README claims: the newest release that still runs on Node 20.
const OLDEST = { n8n: '2.8.4', node: 'system' };

const PACKAGE_NAME = 'n8n-nodes-jlab-llm';

module.exports = { ROOT, CACHE_DIR, CURRENT, OLDEST, PACKAGE_NAME };
