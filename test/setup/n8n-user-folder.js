// n8n-core's InstanceSettings writes <N8N_USER_FOLDER>/.n8n/config: keep it out of $HOME.
const fs = require('fs');
const os = require('os');
const path = require('path');

if (!process.env.N8N_USER_FOLDER) {
	const dir = path.join(os.tmpdir(), 'jlab-llm-jest-n8n');
	fs.mkdirSync(dir, { recursive: true });
	process.env.N8N_USER_FOLDER = dir;
}
