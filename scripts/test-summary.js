// Prints one closing line per jest JSON report and a total: "N passed, N failed, N skipped".
const fs = require('fs');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
	if (!fs.existsSync(file)) {
		console.log(`${file}: missing (the suite did not run)`);
		failed += 1;
		continue;
	}
	const r = JSON.parse(fs.readFileSync(file, 'utf8'));
	const suiteErrors = r.numRuntimeErrorTestSuites || 0;
	passed += r.numPassedTests;
	failed += r.numFailedTests + suiteErrors;
	skipped += r.numPendingTests + (r.numTodoTests || 0);
	console.log(
		`${file}: ${r.numPassedTests} passed, ${r.numFailedTests + suiteErrors} failed, ${r.numPendingTests} skipped`,
	);
}
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
