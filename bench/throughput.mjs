// Training throughput (samples/s) of the MBConv space of examples/fashion-mnist/full.yaml on the
// TensorFlow.js wasm backend (with @proxyless/backend-wasm's kernels) and on the pure-JS cpu backend,
// through the library itself; bench/pytorch/train_step.py runs the same two workloads in PyTorch.
//
// The workloads (a) supernet weight step and (b) compact retraining step are described in workloads.mjs.
//
// Usage: npx tsc -b && node bench/throughput.mjs [--backends=wasm,cpu] [--workloads=supernet,compact]
//        [--steps=20] [--warmup=3] [--cpuSteps=2] [--cpuWarmup=1] [--supernetBatch=64] [--compactBatch=128]
//        [--seed=1] [--wasmThreads=0 (>0: XNNPACK's own thread pool, initThreadedWasm)] [--json=<file>]
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs, fmt } from './common.mjs';
import { ARCHITECTURE, RETRAIN_OPTIONS, SEARCH_OPTIONS, SPACE_OPTIONS, runCompact, runSupernet, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), {
  backends: 'wasm,cpu', workloads: 'supernet,compact', steps: 20, warmup: 3, cpuSteps: 2, cpuWarmup: 1,
  supernetBatch: 64, compactBatch: 128, seed: 1, wasmThreads: 0, json: '',
});
const thousands = (n) => Math.round(n).toLocaleString('en-US');

const WORKLOADS = {
  supernet: (backend, warmup, steps) => runSupernet({ backend, batch: args.supernetBatch, warmup, steps, seed: args.seed }),
  compact: (_backend, warmup, steps) => runCompact({ batch: args.compactBatch, warmup, steps, seed: args.seed }),
};
const workloads = args.workloads.split(',');
for (const w of workloads) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w} (expected supernet, compact)`);

const results = [];
let header;
for (const name of args.backends.split(',')) {
  const backend = await useBackend(name, { wasmThreads: args.wasmThreads });
  const device = backend.describe();
  header ??= device;
  const steps = name === 'cpu' ? args.cpuSteps : args.steps;
  const warmup = name === 'cpu' ? args.cpuWarmup : args.warmup;
  for (const w of workloads) {
    const before = tf.memory().numTensors;
    const r = await WORKLOADS[w](backend, warmup, steps);
    const leaked = tf.memory().numTensors - before;
    const row = { workload: w, backend: name, device, warmup, steps, ...r, samplesPerSecond: (r.batch * 1000) / r.medianMs, leakedTensors: leaked };
    results.push(row);
    console.error(`${w} on ${name}: median ${fmt(r.medianMs)} ms/step over ${steps} steps (after ${warmup} warm-up)`);
  }
}

const paramsText = (r) =>
  r.workload === 'supernet'
    ? `supernet ${thousands(r.params.total)} (+${r.params.alpha} α); one path ${thousands(r.params.pathMin)}–${thousands(r.params.pathMax)}, sampled mean ${thousands(r.params.sampledPathMean)}`
    : thousands(r.params.total);
console.log(`\ndevice: ${header.device}; backends ${args.backends}; tfjs ${tf.version_core}; node ${process.version}`);
console.log('workload  backend  batch  steps  median ms/step  mean ms/step  samples/s  trainable params');
for (const r of results) {
  console.log(
    `${r.workload.padEnd(10)}${r.backend.padEnd(9)}${String(r.batch).padStart(5)}${String(r.steps).padStart(7)}${fmt(r.medianMs).padStart(16)}${fmt(r.meanMs).padStart(14)}${r.samplesPerSecond.toFixed(1).padStart(11)}  ${paramsText(r)}`,
  );
}
for (const w of workloads) {
  const a = results.find((r) => r.workload === w && r.backend === 'wasm');
  const b = results.find((r) => r.workload === w && r.backend === 'cpu');
  if (a && b) console.log(`${w}: wasm vs cpu ×${(b.medianMs / a.medianMs).toFixed(1)}`);
}
const leaks = results.filter((r) => r.leakedTensors !== 0);
if (leaks.length) console.log(`leaked tensors: ${leaks.map((r) => `${r.workload}/${r.backend} ${r.leakedTensors}`).join(', ')}`);
if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify({ device: header, tfjs: tf.version_core, node: process.version, args, space: SPACE_OPTIONS, architecture: ARCHITECTURE, search: SEARCH_OPTIONS, retrain: RETRAIN_OPTIONS, results }, null, 2)}\n`,
  );
  console.log(`wrote ${args.json}`);
}
