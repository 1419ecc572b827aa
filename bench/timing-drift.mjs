// How steady is latency measurement on this machine? The same compact network of the full example
// (the 0.31 ms one the T = 0.65 searches derived) is timed back to back, one timing window per figure,
// for a while. Prints every window's median in ms. On the 2-vCPU machine of docs/RESULTS.md the figures
// were either ≈ 0.31 ms or 0.50–0.54 ms, with slow phases of 1–3 s.
//
// Usage: npm run build && node bench/timing-drift.mjs [--seconds=40] [--windowMs=200]
import '@proxyless/backend-wasm';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSearch, readConfigFile } from '@proxyless/core';
import { parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { seconds: 40, windowMs: 200 });
const file = resolve(dirname(fileURLToPath(import.meta.url)), '../examples/fashion-mnist/full.yaml');
const config = readConfigFile(file).raw;
delete config.output;
config.latency.options = { ...config.latency.options, calibrate: 0, minDurationMs: args.windowMs };
const { session } = await composeSearch({ config, baseDir: dirname(file), noRunDir: true, log: () => {} });
const { measureLatency } = session.components;
const tiny = { s1_b0: '5x5_MBConv3', s1_b1: 'zero', s2_b0: '3x3_MBConv3', s2_b1: 'zero', s2_b2: 'zero', s3_b0: '3x3_MBConv3', s3_b1: 'zero' };
const out = [];
const t0 = Date.now();
while (Date.now() - t0 < args.seconds * 1000) out.push((await measureLatency(tiny)).toFixed(2));
console.log(out.join(' '));
