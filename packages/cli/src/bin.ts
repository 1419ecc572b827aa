#!/usr/bin/env node
// The `proxyless` executable. Run it as `proxyless …` once installed, or `node packages/cli/dist/bin.js …`.
import { ensureGradients } from '@proxyless/core';
import { runCli } from './cli.js';
import { prepareRuntime } from './runtime.js';

// TensorFlow.js set-up (production mode unless PROXYLESS_DEBUG=1) before any tensor exists, and the
// gradients registered before anything is composed: Node's tfjs-core entry ships none.
await prepareRuntime();
await ensureGradients();
const code = await runCli(process.argv);
// Exit only once stdout and stderr are flushed: a pipe whose reader is slower than the CLI (`| jq`)
// would otherwise lose everything past its 64 KiB buffer when process.exit drops the queued writes.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
process.exit(code);
