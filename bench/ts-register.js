'use strict';
// Lets plain `node` load the package's TypeScript (nodes/, test/harness/) for the benchmarks:
// each .ts file is transpiled on require, without type checking (tsc and jest do that).
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = function compileTs(module, filename) {
	const source = fs.readFileSync(filename, 'utf8');
	const { outputText } = ts.transpileModule(source, {
		fileName: filename,
		compilerOptions: {
			module: ts.ModuleKind.CommonJS,
			target: ts.ScriptTarget.ES2022,
			esModuleInterop: true,
			resolveJsonModule: true,
			sourceMap: false,
		},
	});
	module._compile(outputText, filename);
};
