#!/usr/bin/env node
// The `proxyless` executable that npm links as node_modules/.bin/proxyless. It is committed (with its
// executable bit) rather than pointing `bin` at dist/bin.js, because `npm ci` in this repository links
// the workspaces' bins before anything is built, and npm skips a bin whose target does not exist yet.
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin.js')) {
    process.stderr.write('proxyless: @proxyless/cli is not built (no dist/bin.js); run `npm run build` (tsc -b) first\n');
    process.exit(1);
  }
  throw err;
}
