// n8n loads the nodes and credentials listed in package.json's "n8n" block; this entry only
// exists for tools that require() the package root.
module.exports = {};
