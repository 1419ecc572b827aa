#!/usr/bin/env node
// The `proxyless` executable. Run it as `proxyless …` once installed, or `node packages/cli/dist/bin.js …`.
import { ensureGradients } from '@proxyless/core';
import { runCli } from './cli.js';
import { prepareRuntime } from './runtime.js';

// TensorFlow.js set-up (production mode unless PROXYLESS_DEBUG=1) before any tensor exists, and the
// gradients registered before anything is composed: Node's tfjs-core entry ships none.
await prepareRuntime();
await ensureGradients();
process.exit(await runCli(process.argv));
