// Removes the previous build so deleted sources leave no stale files in the package.
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
for (const f of fs.readdirSync(path.join(__dirname, '..'))) {
	if (f.endsWith('.tsbuildinfo')) fs.rmSync(path.join(__dirname, '..', f), { force: true });
}
